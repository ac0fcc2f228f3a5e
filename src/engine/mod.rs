//! The keyspace: 16 databases, each a lock-striped DashMap from key bytes to [`Entry`].
//!
//! Every operation locks exactly the shards it touches. Single-key commands take one
//! shard lock; multi-key commands (`MSET`, `MGET`, `DEL a b`) lock all their shards in
//! ascending order first, so other clients see them whole (invariant 4) and two of them
//! can never deadlock. No lock is ever held across an `.await`.

pub mod table;

use arc_swap::ArcSwap;

use crate::sync::{lock, Arc, AtomicU64, Mutex, Ordering, ShardedMap};
use table::Table;

/// How many databases there are (`SELECT 0` … `SELECT 15`), as in Redis.
pub const DATABASES: usize = 16;

/// Lock stripes per database: enough that two cores rarely meet on one lock.
const SHARDS: usize = 64;

/// One stored value with its metadata.
///
/// Kept to 32 bytes: the value bytes (boxed, no spare capacity), an absolute expiry
/// and one word of metadata for the cache policies (LRU clock, LFU counter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    value: Box<[u8]>,
    /// Absolute expiry in Unix milliseconds; 0 means the key does not expire.
    expire_at_ms: u64,
    /// Packed access metadata for eviction (LRU clock and LFU counter).
    meta: u32,
}

impl Entry {
    /// A value without an expiry.
    pub fn new(value: &[u8]) -> Self {
        Entry { value: value.into(), expire_at_ms: 0, meta: 0 }
    }

    /// A value from owned bytes, without copying them again.
    pub fn from_vec(value: Vec<u8>) -> Self {
        Entry { value: value.into_boxed_slice(), expire_at_ms: 0, meta: 0 }
    }

    /// The value's bytes.
    #[inline]
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// Replaces the value, keeping the expiry (callers clear it where Redis does).
    pub fn set_value(&mut self, value: Vec<u8>) {
        self.value = value.into_boxed_slice();
    }

    /// Replaces the value with a copy of `value`, reusing the allocation when the
    /// length is unchanged (as for most `INCR`s).
    pub fn replace_value(&mut self, value: &[u8]) {
        if self.value.len() == value.len() {
            self.value.copy_from_slice(value);
        } else {
            self.value = value.into();
        }
    }

    /// The absolute expiry in Unix milliseconds, if the key has one.
    #[inline]
    pub fn expire_at_ms(&self) -> Option<u64> {
        (self.expire_at_ms != 0).then_some(self.expire_at_ms)
    }

    /// Sets or clears the absolute expiry.
    pub fn set_expire_at_ms(&mut self, at: Option<u64>) {
        self.expire_at_ms = at.unwrap_or(0);
    }

    /// Whether the entry has expired at `now_ms`.
    #[inline]
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at_ms != 0 && self.expire_at_ms <= now_ms
    }

    /// The eviction metadata word.
    pub fn meta(&self) -> u32 {
        self.meta
    }
}

/// One database: a sharded map plus the counters that `INFO` reads.
pub struct Keyspace {
    map: ShardedMap,
    expired_keys: AtomicU64,
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyspace {
    /// An empty database.
    pub fn new() -> Self {
        Self::with_shards(SHARDS)
    }

    /// An empty database with `shards` lock stripes (loom models use few).
    pub fn with_shards(shards: usize) -> Self {
        Keyspace { map: ShardedMap::new(shards), expired_keys: AtomicU64::new(0) }
    }

    /// Runs `read` on the live entry for `key` (an expired entry reads as absent).
    #[inline]
    pub fn read<R>(&self, key: &[u8], now_ms: u64, read: impl FnOnce(Option<&Entry>) -> R) -> R {
        let (hash, shard) = self.map.locate(key);
        let guard = self.map.read(shard);
        let entry = table::get(&guard, hash, key).filter(|e| !e.is_expired(now_ms));
        read(entry)
    }

    /// Runs `update` with exclusive access to `key`'s slot.
    ///
    /// The shard stays locked for the whole closure, so a read-modify-write such as
    /// `INCR` is atomic with respect to every other client.
    #[inline]
    pub fn write<R>(&self, key: &[u8], now_ms: u64, update: impl FnOnce(&mut Slot<'_>) -> R) -> R {
        let (hash, shard) = self.map.locate(key);
        let mut guard = self.map.write(shard);
        let mut slot = Slot::new(&self.map, &mut guard, hash, key, now_ms, &self.expired_keys);
        update(&mut slot)
    }

    /// Locks, for reading, every shard that holds one of `keys`, in ascending order,
    /// and runs `read` with a view in which all of them are consistent.
    pub fn read_many<'k, R>(
        &self,
        keys: impl Iterator<Item = &'k [u8]> + Clone,
        now_ms: u64,
        read: impl FnOnce(&ReadView<'_>) -> R,
    ) -> R {
        let shards = self.shards_of(keys);
        let guards = shards.iter().map(|&s| (s, self.map.read(s))).collect();
        read(&ReadView { map: &self.map, guards, now_ms })
    }

    /// Locks, for writing, every shard that holds one of `keys`, in ascending order,
    /// and runs `update` with exclusive access to all of them at once.
    pub fn write_many<'k, R>(
        &self,
        keys: impl Iterator<Item = &'k [u8]> + Clone,
        now_ms: u64,
        update: impl FnOnce(&mut WriteView<'_>) -> R,
    ) -> R {
        let shards = self.shards_of(keys);
        let guards = shards.iter().map(|&s| (s, self.map.write(s))).collect();
        let mut view = WriteView { map: &self.map, guards, now_ms, expired: &self.expired_keys };
        update(&mut view)
    }

    /// The sorted, distinct shard indexes of `keys`.
    fn shards_of<'k>(&self, keys: impl Iterator<Item = &'k [u8]>) -> Vec<usize> {
        let mut shards: Vec<usize> = keys.map(|k| self.map.locate(k).1).collect();
        shards.sort_unstable();
        shards.dedup();
        shards
    }

    /// How many keys are stored (expired keys not yet reclaimed included, as in Redis).
    pub fn len(&self) -> usize {
        (0..self.map.shard_count()).map(|s| self.map.read(s).len()).sum()
    }

    /// Whether the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many keys have a TTL.
    pub fn expires_count(&self) -> usize {
        let mut count = 0;
        for s in 0..self.map.shard_count() {
            table::for_each(&self.map.read(s), |_, e| count += e.expire_at_ms().is_some() as usize);
        }
        count
    }

    /// Removes every key. All shards are locked together, so no reader sees half.
    pub fn clear(&self) {
        let mut guards: Vec<_> = (0..self.map.shard_count()).map(|s| self.map.write(s)).collect();
        for guard in guards.iter_mut() {
            guard.clear();
        }
    }

    /// How many keys lazy or active expiry has removed.
    pub fn expired_keys(&self) -> u64 {
        self.expired_keys.load(Ordering::Relaxed)
    }

    /// Visits every live key and entry, one shard at a time.
    pub fn for_each(&self, now_ms: u64, mut visit: impl FnMut(&[u8], &Entry)) {
        for s in 0..self.map.shard_count() {
            table::for_each(&self.map.read(s), |k, e| {
                if !e.is_expired(now_ms) {
                    visit(k, e)
                }
            });
        }
    }
}

/// Exclusive access to one key's place in the map, with the shard locked.
///
/// An entry that has expired is removed when the slot is opened, so every method
/// sees only live data.
pub struct Slot<'a> {
    map: &'a ShardedMap,
    table: &'a mut Table,
    hash: u64,
    key: &'a [u8],
}

impl<'a> Slot<'a> {
    fn new(
        map: &'a ShardedMap,
        table: &'a mut Table,
        hash: u64,
        key: &'a [u8],
        now_ms: u64,
        expired: &AtomicU64,
    ) -> Self {
        if table::get(table, hash, key).is_some_and(|e| e.is_expired(now_ms)) {
            table::remove(table, hash, key);
            expired.fetch_add(1, Ordering::Relaxed);
        }
        Slot { map, table, hash, key }
    }

    /// The key this slot is for.
    pub fn key(&self) -> &[u8] {
        self.key
    }

    /// The live entry, if any.
    #[inline]
    pub fn get(&self) -> Option<&Entry> {
        table::get(self.table, self.hash, self.key)
    }

    /// The live entry for in-place change, if any.
    #[inline]
    pub fn get_mut(&mut self) -> Option<&mut Entry> {
        table::get_mut(self.table, self.hash, self.key)
    }

    /// Stores `entry`, returning the one it replaced.
    #[inline]
    pub fn set(&mut self, entry: Entry) -> Option<Entry> {
        let map = self.map;
        table::insert(self.table, self.hash, self.key, entry, |k| map.rehash(k))
    }

    /// Removes the entry, returning it.
    #[inline]
    pub fn remove(&mut self) -> Option<Entry> {
        table::remove(self.table, self.hash, self.key)
    }
}

use crate::sync::{ShardReadGuard as ReadGuard, ShardWriteGuard as WriteGuard};

/// A consistent read view over several shards (see [`Keyspace::read_many`]).
pub struct ReadView<'a> {
    map: &'a ShardedMap,
    guards: Vec<(usize, ReadGuard<'a>)>,
    now_ms: u64,
}

impl ReadView<'_> {
    /// The live entry for `key`, which must be one of the keys the view was made for.
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        let (hash, shard) = self.map.locate(key);
        let index = self.guards.binary_search_by_key(&shard, |(s, _)| *s).ok()?;
        table::get(&self.guards[index].1, hash, key).filter(|e| !e.is_expired(self.now_ms))
    }
}

/// Exclusive access to several shards at once (see [`Keyspace::write_many`]).
pub struct WriteView<'a> {
    map: &'a ShardedMap,
    guards: Vec<(usize, WriteGuard<'a>)>,
    now_ms: u64,
    expired: &'a AtomicU64,
}

impl WriteView<'_> {
    /// Runs `update` on the slot of `key`, which must be one of the view's keys.
    ///
    /// Returns `None` only if `key` was not among them (a bug in the caller).
    pub fn with_slot<R>(&mut self, key: &[u8], update: impl FnOnce(&mut Slot<'_>) -> R) -> Option<R> {
        let (hash, shard) = self.map.locate(key);
        let index = self.guards.binary_search_by_key(&shard, |(s, _)| *s).ok()?;
        let table: &mut Table = &mut self.guards[index].1;
        let mut slot = Slot::new(self.map, table, hash, key, self.now_ms, self.expired);
        Some(update(&mut slot))
    }
}

/// The sixteen databases. A connection remembers its index and loads the database
/// for each command; `SWAPDB` exchanges two of them for everybody at once.
pub struct KvEngine {
    databases: Box<[ArcSwap<Keyspace>]>,
    swap_lock: Mutex<()>,
}

impl Default for KvEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl KvEngine {
    /// Sixteen empty databases.
    pub fn new() -> Self {
        let databases = (0..DATABASES).map(|_| ArcSwap::from_pointee(Keyspace::new())).collect();
        KvEngine { databases, swap_lock: Mutex::new(()) }
    }

    /// Database `index` (callers check the range when the client names it).
    #[inline]
    pub fn db(&self, index: usize) -> Arc<Keyspace> {
        self.databases[index % DATABASES].load_full()
    }

    /// Exchanges databases `a` and `b` (`SWAPDB`): clients connected to either see
    /// the other's data from now on.
    pub fn swap(&self, a: usize, b: usize) {
        let _serialised = lock(&self.swap_lock);
        let first = self.databases[a].load_full();
        let second = self.databases[b].swap(first);
        self.databases[a].store(second);
    }

    /// Moves `key` with its TTL from database `from` to `to` (`MOVE`): true if it
    /// was present in `from` and absent from `to`. Both shards are held together, so
    /// no client sees the key in both databases or in neither.
    pub fn move_key(&self, from: usize, to: usize, key: &[u8], now_ms: u64) -> bool {
        let (source, target) = (self.db(from), self.db(to));
        if Arc::ptr_eq(&source, &target) {
            return false;
        }
        let (hash_s, shard_s) = source.map.locate(key);
        let (hash_t, shard_t) = target.map.locate(key);
        // Lock in a global order (by address) so two opposite MOVEs cannot deadlock.
        let source_first = Arc::as_ptr(&source) < Arc::as_ptr(&target);
        let (mut guard_s, mut guard_t) = if source_first {
            let s = source.map.write(shard_s);
            (s, target.map.write(shard_t))
        } else {
            let t = target.map.write(shard_t);
            (source.map.write(shard_s), t)
        };
        let mut from_slot = Slot::new(&source.map, &mut guard_s, hash_s, key, now_ms, &source.expired_keys);
        let mut to_slot = Slot::new(&target.map, &mut guard_t, hash_t, key, now_ms, &target.expired_keys);
        if from_slot.get().is_none() || to_slot.get().is_some() {
            return false;
        }
        match from_slot.remove() {
            Some(entry) => {
                to_slot.set(entry);
                true
            }
            None => false,
        }
    }

    /// Keys in all databases together.
    pub fn total_keys(&self) -> usize {
        self.databases.iter().map(|db| db.load().len()).sum()
    }

    /// Keys removed by expiry in all databases together.
    pub fn expired_keys(&self) -> u64 {
        self.databases.iter().map(|db| db.load().expired_keys()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_round_trips_binary_keys() {
        let db = Keyspace::new();
        let key = b"k\0\r\n\xff";
        db.write(key, 0, |slot| slot.set(Entry::new(b"v\0")));
        assert_eq!(db.read(key, 0, |e| e.map(|e| e.value().to_vec())), Some(b"v\0".to_vec()));
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn expired_entries_read_as_absent_and_are_removed_on_write() {
        let db = Keyspace::new();
        db.write(b"k", 0, |slot| {
            let mut e = Entry::new(b"v");
            e.set_expire_at_ms(Some(100));
            slot.set(e)
        });
        assert!(db.read(b"k", 99, |e| e.is_some()));
        assert!(db.read(b"k", 100, |e| e.is_none()));
        assert!(db.write(b"k", 100, |slot| slot.get().is_none()));
        assert_eq!(db.expired_keys(), 1);
        assert_eq!(db.len(), 0);
    }

    #[test]
    fn write_many_sees_and_changes_all_keys() {
        let db = Keyspace::new();
        let keys: Vec<Vec<u8>> = (0..200).map(|i| format!("key:{i}").into_bytes()).collect();
        db.write_many(keys.iter().map(|k| k.as_slice()), 0, |view| {
            for k in &keys {
                view.with_slot(k, |s| s.set(Entry::new(k))).unwrap();
            }
        });
        db.read_many(keys.iter().map(|k| k.as_slice()), 0, |view| {
            for k in &keys {
                assert_eq!(view.get(k).map(|e| e.value()), Some(k.as_slice()));
            }
        });
        assert_eq!(db.len(), 200);
        db.clear();
        assert!(db.is_empty());
    }

    #[test]
    fn swap_exchanges_databases() {
        let engine = KvEngine::new();
        engine.db(0).write(b"a", 0, |s| s.set(Entry::new(b"0")));
        engine.swap(0, 1);
        assert!(engine.db(0).is_empty());
        assert_eq!(engine.db(1).len(), 1);
    }

    #[test]
    fn entry_stays_compact() {
        assert!(std::mem::size_of::<Entry>() <= 32);
    }
}
