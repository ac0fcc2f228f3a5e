//! One database: a sharded map, the counters `INFO` reads, and the hook through
//! which every change is logged to the AOF while its shard is still locked.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use super::evict::Evictor;
use super::table::{self, Found, Table};
use super::watch::WatchRegistry;
use super::{access, ChangeLog, Entry};
use crate::sync::{AtomicU64, AtomicUsize, Ordering, ShardReadGuard, ShardWriteGuard, ShardedMap};

/// Lock stripes per database: enough that two cores rarely meet on one lock.
const SHARDS: usize = 64;

/// Where changes are logged, shared by all databases and installed once persistence
/// is ready (after replay, so replayed commands are not logged again).
pub type SharedLog = Arc<OnceLock<Arc<dyn ChangeLog>>>;

/// One database.
pub struct Keyspace {
    map: ShardedMap,
    expired_keys: AtomicU64,
    /// The database's current number (changes with `SWAPDB`), for AOF records.
    index: AtomicUsize,
    hooks: Hooks,
}

/// What every database reports to: the AOF (once installed), the `WATCH` registry and
/// the evictor (access statistics for AHE). Shared by all sixteen databases.
#[derive(Clone, Default)]
pub struct Hooks {
    /// The change log (the AOF), installed after replay.
    pub log: SharedLog,
    /// Watched keys.
    pub watch: Arc<WatchRegistry>,
    /// Eviction state.
    pub evictor: Arc<Evictor>,
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyspace {
    /// An empty database with no change log.
    pub fn new() -> Self {
        Self::with_shards(SHARDS)
    }

    /// An empty database with `shards` lock stripes (loom models use few).
    pub fn with_shards(shards: usize) -> Self {
        Self::with_log(shards, 0, Arc::new(OnceLock::new()))
    }

    /// An empty database number `index` that logs changes to `log` once installed.
    pub fn with_log(shards: usize, index: usize, log: SharedLog) -> Self {
        Self::with_hooks(shards, index, Hooks { log, ..Hooks::default() })
    }

    /// An empty database number `index` reporting to `hooks`.
    pub fn with_hooks(shards: usize, index: usize, hooks: Hooks) -> Self {
        Keyspace {
            map: ShardedMap::new(shards),
            expired_keys: AtomicU64::new(0),
            index: AtomicUsize::new(index),
            hooks,
        }
    }

    /// The database's number.
    pub fn index(&self) -> usize {
        self.index.load(Ordering::Relaxed)
    }

    pub(super) fn set_index(&self, index: usize) {
        self.index.store(index, Ordering::Relaxed);
    }

    pub(super) fn map(&self) -> &ShardedMap {
        &self.map
    }

    /// Logs a change that is not tied to one slot (`FLUSHDB`), with this database's
    /// number. Call it while the shards concerned are locked.
    pub fn log(&self, args: &[&[u8]]) {
        let index = self.index();
        self.hooks.watch.touch(index, args);
        if let Some(log) = self.hooks.log.get() {
            log.append(index, args);
        }
    }

    /// Runs `read` on the live entry for `key`. An expired entry reads as absent and
    /// is then deleted (and logged as `DEL`) under the write lock, as Redis's lazy
    /// expiry does, so it stops counting in `DBSIZE` at once.
    #[inline]
    pub fn read<R>(&self, key: &[u8], now_ms: u64, read: impl FnOnce(Option<&Entry>) -> R) -> R {
        let (hash, shard) = self.map.locate(key);
        let guard = self.map.read(shard);
        let found = table::get(&guard, hash, key);
        match found {
            Some(entry) if entry.is_expired(now_ms) => {
                drop(guard);
                // Opening the slot removes the entry if it is still expired.
                self.write(key, now_ms, |_| ());
                self.hooks.evictor.on_miss(self.index(), key);
                read(None)
            }
            Some(entry) => {
                entry.touch(now_ms);
                self.hooks.evictor.on_access(self.index(), key);
                read(found)
            }
            None => {
                self.hooks.evictor.on_miss(self.index(), key);
                read(None)
            }
        }
    }

    /// Runs `read` on the live entry for `key` without counting it as an access
    /// (`OBJECT`, eviction bookkeeping).
    pub fn read_quiet<R>(&self, key: &[u8], now_ms: u64, read: impl FnOnce(Option<&Entry>) -> R) -> R {
        let (hash, shard) = self.map.locate(key);
        let guard = self.map.read(shard);
        read(table::get(&guard, hash, key).filter(|e| !e.is_expired(now_ms)))
    }

    /// Evicts `key` if its metadata is still `meta` as sampled: a key read or
    /// rewritten since then is left alone, so eviction never removes a fresh write.
    /// Logged as `DEL`. True if it was removed.
    pub fn evict(&self, key: &[u8], meta: u64, now_ms: u64) -> bool {
        self.write(key, now_ms, |slot| {
            if slot.meta() != Some(meta) {
                return false;
            }
            slot.remove();
            slot.log(&[b"DEL", key]);
            true
        })
    }

    /// Runs `update` with exclusive access to `key`'s slot.
    ///
    /// The shard stays locked for the whole closure, so a read-modify-write such as
    /// `INCR` is atomic with respect to every other client, and what it logs reaches
    /// the AOF in the order the changes were applied (invariant 1).
    #[inline]
    pub fn write<R>(&self, key: &[u8], now_ms: u64, update: impl FnOnce(&mut Slot<'_>) -> R) -> R {
        let (hash, shard) = self.map.locate(key);
        let mut guard = self.map.write(shard);
        let mut slot = Slot::new(self, &mut guard, hash, key, now_ms);
        update(&mut slot)
    }

    /// Locks, for reading, every shard that holds one of `keys`, in ascending order,
    /// and runs `read` with a view in which all of them are consistent.
    pub fn read_many<'k, R>(
        &self,
        keys: impl Iterator<Item = &'k [u8]>,
        now_ms: u64,
        read: impl FnOnce(&ReadView<'_>) -> R,
    ) -> R {
        let keys = keys.collect::<Vec<_>>();
        let shards = self.shards_of(keys.iter().copied());
        let guards = shards.iter().map(|&s| (s, self.map.read(s))).collect();
        let view = ReadView { keyspace: self, guards, now_ms, saw_expired: Cell::new(false) };
        let result = read(&view);
        if view.saw_expired.get() {
            // Lazy expiry, as in `read`: delete what the view found expired.
            drop(view);
            for key in keys {
                self.write(key, now_ms, |_| ());
            }
        }
        result
    }

    /// Locks, for writing, every shard that holds one of `keys`, in ascending order,
    /// and runs `update` with exclusive access to all of them at once.
    pub fn write_many<'k, R>(
        &self,
        keys: impl Iterator<Item = &'k [u8]>,
        now_ms: u64,
        update: impl FnOnce(&mut WriteView<'_>) -> R,
    ) -> R {
        let shards = self.shards_of(keys);
        let guards = shards.iter().map(|&s| (s, self.map.write(s))).collect();
        let mut view = WriteView { keyspace: self, guards, now_ms };
        update(&mut view)
    }

    /// The sorted, distinct shard indexes of `keys`.
    fn shards_of<'k>(&self, keys: impl Iterator<Item = &'k [u8]>) -> Vec<usize> {
        let mut shards: Vec<usize> = keys.map(|k| self.map.locate(k).1).collect();
        shards.sort_unstable();
        shards.dedup();
        shards
    }

    /// Read-locks every shard, in ascending order (for a consistent snapshot).
    pub(super) fn read_all(&self) -> Vec<ShardReadGuard<'_>> {
        (0..self.map.shard_count()).map(|s| self.map.read(s)).collect()
    }

    /// Write-locks every shard, in ascending order.
    pub(super) fn write_all_shards(&self) -> Vec<ShardWriteGuard<'_>> {
        (0..self.map.shard_count()).map(|s| self.map.write(s)).collect()
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
        self.expiry_summary(0).0
    }

    /// How many keys have a TTL, and their average remaining TTL in ms at `now_ms`
    /// (`INFO keyspace`'s `expires` and `avg_ttl`).
    pub fn expiry_summary(&self, now_ms: u64) -> (usize, u64) {
        let (mut count, mut total) = (0usize, 0u128);
        for s in 0..self.map.shard_count() {
            table::for_each(&self.map.read(s), |_, e| {
                if let Some(at) = e.expire_at_ms() {
                    count += 1;
                    total += at.saturating_sub(now_ms) as u128;
                }
            });
        }
        (count, total.checked_div(count as u128).unwrap_or(0) as u64)
    }

    /// Removes every key and logs `logged_as` (`FLUSHDB`) while all shards are
    /// locked, so no reader sees half and the log order is exact.
    pub fn clear(&self, logged_as: &[&[u8]]) {
        let mut guards = self.write_all_shards();
        for guard in guards.iter_mut() {
            guard.clear();
        }
        if !logged_as.is_empty() {
            self.log(logged_as);
        }
    }

    /// Removes the expired keys of shard `shard` (logging each as `DEL`), returning
    /// how many keys the shard held and how many were removed. Active expiry calls
    /// it shard by shard, so it holds one shard lock at a time.
    pub fn expire_shard(&self, shard: usize, now_ms: u64) -> (usize, usize) {
        let mut guard = self.map.write(shard % self.map.shard_count());
        let held = guard.len();
        let mut expired_keys: Vec<Box<[u8]>> = Vec::new();
        let removed = table::retain(&mut guard, |key, entry| {
            let live = !entry.is_expired(now_ms);
            if !live {
                expired_keys.push(key.into());
            }
            live
        });
        for key in &expired_keys {
            self.log(&[b"DEL", key]);
        }
        drop(guard);
        self.expired_keys.fetch_add(removed as u64, Ordering::Relaxed);
        (held, removed)
    }

    /// Buckets allocated by all the shards' tables (for `MEMORY STATS`).
    pub fn buckets(&self) -> usize {
        (0..self.map.shard_count()).map(|s| self.map.read(s).buckets()).sum()
    }

    /// How many shards the database has.
    pub fn shard_count(&self) -> usize {
        self.map.shard_count()
    }

    /// Zeroes `expired_keys` (`CONFIG RESETSTAT`).
    pub fn reset_stats(&self) {
        self.expired_keys.store(0, Ordering::Relaxed);
    }

    /// How many keys lazy or active expiry has removed.
    pub fn expired_keys(&self) -> u64 {
        self.expired_keys.load(Ordering::Relaxed)
    }

    /// Visits the live keys of shard `shard` (for `SCAN`: a shard is read whole under
    /// its lock, so every key present throughout a scan is returned, whatever the
    /// table does between calls).
    pub fn for_each_in_shard(&self, shard: usize, now_ms: u64, mut visit: impl FnMut(&[u8], &Entry)) {
        table::for_each(&self.map.read(shard), |k, e| {
            if !e.is_expired(now_ms) {
                visit(k, e)
            }
        });
    }

    /// A random live key, or `None` when the database is empty (`RANDOMKEY`).
    pub fn random_key(&self, now_ms: u64) -> Option<Box<[u8]>> {
        let shards = self.map.shard_count();
        let start = access::random_u64() as usize;
        for step in 0..shards {
            let mut found = None;
            let guard = self.map.read((start + step) % shards);
            table::sample(&guard, access::random_u64(), 16, |key, entry| {
                if found.is_none() && !entry.is_expired(now_ms) {
                    found = Some(Box::from(key));
                }
            });
            if found.is_some() {
                return found;
            }
        }
        None
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
/// An entry that has expired is removed (and logged as `DEL`) when the slot is
/// opened, so every method sees only live data. The slot looks its key up once and
/// remembers where it is; every change to the table goes through the slot, which
/// keeps that position current.
pub struct Slot<'a> {
    keyspace: &'a Keyspace,
    table: &'a mut Table,
    hash: u64,
    key: &'a [u8],
    now_ms: u64,
    /// Where the key is in `table`, if present; valid because only this slot
    /// changes the table while it exists.
    found: Option<Found>,
}

impl<'a> Slot<'a> {
    pub(super) fn new(
        keyspace: &'a Keyspace,
        table: &'a mut Table,
        hash: u64,
        key: &'a [u8],
        now_ms: u64,
    ) -> Self {
        let mut found = table::find(table, hash, key);
        if let Some(at) = found.take() {
            // SAFETY: just found in `table`, which has not changed since.
            if unsafe { table::entry_at(table, &at) }.is_expired(now_ms) {
                // SAFETY: as above.
                unsafe { table::remove_at(table, at) };
                keyspace.expired_keys.fetch_add(1, Ordering::Relaxed);
                keyspace.log(&[b"DEL", key]);
            } else {
                found = Some(at);
            }
        }
        Slot { keyspace, table, hash, key, now_ms, found }
    }

    /// The key this slot is for.
    pub fn key(&self) -> &'a [u8] {
        self.key
    }

    /// The live entry, if any.
    #[inline]
    pub fn get(&self) -> Option<&Entry> {
        // SAFETY: `found` is current (see the field).
        self.found.as_ref().map(|at| unsafe { table::entry_at(self.table, at) })
    }

    /// The live entry, for change, without counting a write.
    #[inline]
    fn entry_mut(&mut self) -> Option<&mut Entry> {
        // SAFETY: `found` is current (see the field).
        self.found.as_ref().map(|at| unsafe { table::entry_at_mut(self.table, at) })
    }

    /// The live entry for in-place change, if any. Counts as a write: the entry's
    /// write generation changes, so an eviction that sampled it before lets it be.
    #[inline]
    pub fn get_mut(&mut self) -> Option<&mut Entry> {
        let now_ms = self.now_ms;
        let entry = self.entry_mut()?;
        entry.set_meta(access::fresh(Some(entry.meta()), now_ms));
        Some(entry)
    }

    /// Stores `value`, expiring at `expire_at_ms` if given, over whatever the key
    /// held. An existing entry of the same shape is overwritten in place (no
    /// allocation for a same-size `SET`); either way it counts as a fresh write.
    #[inline]
    pub fn set(&mut self, value: &[u8], expire_at_ms: Option<u64>) {
        if let Some(existing) = self.get_mut() {
            existing.overwrite(value, expire_at_ms);
            return;
        }
        self.insert(Entry::new(self.key, value, expire_at_ms));
    }

    /// Stores `entry`, whose key must be this slot's key (see [`Entry::with_key`]),
    /// returning the entry it replaced.
    pub fn put(&mut self, entry: Entry) -> Option<Entry> {
        debug_assert_eq!(entry.key(), self.key, "an entry stored under another key");
        let now_ms = self.now_ms;
        if let Some(existing) = self.entry_mut() {
            entry.set_meta(access::fresh(Some(existing.meta()), now_ms));
            return Some(std::mem::replace(existing, entry));
        }
        self.insert(entry);
        None
    }

    /// Adds `entry` for a key that is not present.
    fn insert(&mut self, entry: Entry) {
        entry.set_meta(access::fresh(None, self.now_ms));
        self.keyspace.hooks.evictor.on_insert(self.keyspace.index(), self.key);
        let map = &self.keyspace.map;
        self.found = Some(table::insert_new(self.table, self.hash, entry, |k| map.rehash(k)));
    }

    /// The entry's access metadata, if the key is present.
    pub fn meta(&self) -> Option<u64> {
        self.get().map(Entry::meta)
    }

    /// Removes the entry, returning it.
    #[inline]
    pub fn remove(&mut self) -> Option<Entry> {
        let at = self.found.take()?;
        // SAFETY: `found` was current; taking it out keeps the field truthful.
        Some(unsafe { table::remove_at(self.table, at) })
    }

    /// Logs the change just made, as a command that replays it (invariant 1: the
    /// shard is still locked, so log order is apply order for this key).
    #[inline]
    pub fn log(&self, args: &[&[u8]]) {
        self.keyspace.log(args);
    }
}

/// A consistent read view over several shards (see [`Keyspace::read_many`]).
pub struct ReadView<'a> {
    keyspace: &'a Keyspace,
    guards: Vec<(usize, ShardReadGuard<'a>)>,
    now_ms: u64,
    saw_expired: Cell<bool>,
}

impl ReadView<'_> {
    /// The live entry for `key`, which must be one of the keys the view was made for.
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        let (hash, shard) = self.keyspace.map.locate(key);
        let index = self.guards.binary_search_by_key(&shard, |(s, _)| *s).ok()?;
        let found = table::get(&self.guards[index].1, hash, key);
        if found.is_some_and(|e| e.is_expired(self.now_ms)) {
            self.saw_expired.set(true);
            return None;
        }
        if let Some(entry) = found {
            entry.touch(self.now_ms);
        }
        found
    }
}

/// Exclusive access to several shards at once (see [`Keyspace::write_many`]).
pub struct WriteView<'a> {
    keyspace: &'a Keyspace,
    guards: Vec<(usize, ShardWriteGuard<'a>)>,
    now_ms: u64,
}

impl WriteView<'_> {
    /// Runs `update` on the slot of `key`, which must be one of the view's keys.
    ///
    /// Returns `None` only if `key` was not among them (a bug in the caller).
    pub fn with_slot<R>(&mut self, key: &[u8], update: impl FnOnce(&mut Slot<'_>) -> R) -> Option<R> {
        let keyspace = self.keyspace;
        let (hash, shard) = keyspace.map.locate(key);
        let index = self.guards.binary_search_by_key(&shard, |(s, _)| *s).ok()?;
        let table: &mut Table = &mut self.guards[index].1;
        let mut slot = Slot::new(keyspace, table, hash, key, self.now_ms);
        Some(update(&mut slot))
    }

    /// Logs the multi-key change just made as one record, all its shards locked.
    pub fn log(&self, args: &[&[u8]]) {
        self.keyspace.log(args);
    }
}
