//! One database: a sharded map, the counters `INFO` reads, and the hooks that every
//! change is reported to while its shard is still locked.

use std::cell::Cell;

use super::change::{events, Change, KeyEvent, Scope};
use super::hooks::Hooks;
use super::shards::{ShardReadGuard, ShardWriteGuard, ShardedMap};
use super::table::{self, Table};
use super::value::Kind;
use super::{access, Entry, Slot};
use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// Lock stripes per database: enough that two cores rarely meet on one lock.
const SHARDS: usize = 64;

/// One database.
pub struct Keyspace {
    map: ShardedMap,
    expired_keys: AtomicU64,
    /// The database's current number (changes with `SWAPDB`), for change records.
    index: AtomicUsize,
    /// Per shard, how many keys have a TTL: active expiry skips shards with none,
    /// and `INFO keyspace` reads `expires` without a scan. Changed only with the
    /// shard's write lock held.
    ttl_keys: Box<[AtomicUsize]>,
    /// A running estimate of the remaining TTL of keys that have one, in ms, kept by
    /// active expiry as Redis keeps `avg_ttl`.
    avg_ttl: AtomicU64,
    pub(super) hooks: Hooks,
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyspace {
    /// An empty database with no change hooks.
    pub fn new() -> Self {
        Self::with_shards(SHARDS)
    }

    /// An empty database with `shards` lock stripes (loom models use few).
    pub fn with_shards(shards: usize) -> Self {
        Self::with_hooks(shards, 0, Hooks::default())
    }

    /// An empty database number `index` reporting to `hooks`.
    pub fn with_hooks(shards: usize, index: usize, hooks: Hooks) -> Self {
        let map = ShardedMap::new(shards);
        let ttl_keys = (0..map.shard_count()).map(|_| AtomicUsize::new(0)).collect();
        Keyspace {
            map,
            expired_keys: AtomicU64::new(0),
            index: AtomicUsize::new(index),
            ttl_keys,
            avg_ttl: AtomicU64::new(0),
            hooks,
        }
    }

    /// The hooks this database reports to (for adding one, in tests and models).
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
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

    /// Reports a change made while its shards are locked.
    #[inline]
    pub(super) fn emit(&self, change: &Change<'_>) {
        self.hooks.changes.emit(change);
    }

    /// Reports that `key` was removed for `event` (`expired`, `evicted`), logged as
    /// the `DEL` that replays it. Call it with the key's shard locked.
    pub(super) fn emit_removal(&self, key: &[u8], event: super::change::Event) {
        let db = self.index();
        let keys = [KeyEvent { db, key, event }];
        self.emit(&Change { db, effect: &[b"DEL", key], keys: &keys, scope: Scope::Keys });
    }

    /// A key of shard `shard` had a TTL (`before`) and has one now (`after`).
    #[inline]
    pub(super) fn ttl_changed(&self, shard: usize, before: bool, after: bool) {
        if before != after {
            let count = &self.ttl_keys[shard];
            if after {
                count.fetch_add(1, Ordering::Relaxed);
            } else {
                count.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// How many keys of shard `shard` have a TTL.
    pub fn ttl_keys_in(&self, shard: usize) -> usize {
        self.ttl_keys[shard].load(Ordering::Relaxed)
    }

    /// How many keys have a TTL (`INFO keyspace`'s `expires`).
    pub fn expires_count(&self) -> usize {
        self.ttl_keys.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Empties every table of `guards` (all of this database's shards, locked),
    /// returning the old tables (freed by the caller once the locks are released)
    /// and how many keys they held.
    pub(super) fn clear_locked(&self, guards: &mut [ShardWriteGuard<'_>]) -> (Vec<Table>, u64) {
        let mut keys = 0;
        let mut tables = Vec::with_capacity(guards.len());
        for (guard, count) in guards.iter_mut().zip(self.ttl_keys.iter()) {
            keys += guard.len() as u64;
            tables.push(std::mem::take(&mut **guard));
            count.store(0, Ordering::Relaxed);
        }
        (tables, keys)
    }

    /// Counts one key removed by expiry.
    pub(super) fn count_expired(&self) {
        self.expired_keys.fetch_add(1, Ordering::Relaxed);
    }

    /// Deletes `key` if it has expired, under the write lock (lazy expiry after a
    /// read found it so): opening the slot removes an entry that is still expired.
    fn expire_lazily(&self, key: &[u8], now_ms: u64) {
        if self.hooks.expiry_held(now_ms) {
            // Clients are paused: the dataset stays as it is until the pause ends.
            return;
        }
        self.write(key, now_ms, |_| ());
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
                self.expire_lazily(key, now_ms);
                self.hooks.evictor.on_miss(self.index(), key);
                read(None)
            }
            Some(entry) => {
                if super::access::touching() {
                    entry.touch(now_ms, self.hooks.evictor.lfu());
                    self.hooks.evictor.on_access(self.index(), key);
                }
                read(found)
            }
            None => {
                self.hooks.evictor.on_miss(self.index(), key);
                read(None)
            }
        }
    }

    /// Runs `read` on the live entry for `key` without counting it as an access
    /// (`OBJECT`, `TYPE`, eviction bookkeeping). An expired entry is still deleted,
    /// as Redis's lookups without touching do.
    pub fn read_quiet<R>(&self, key: &[u8], now_ms: u64, read: impl FnOnce(Option<&Entry>) -> R) -> R {
        let (hash, shard) = self.map.locate(key);
        let guard = self.map.read(shard);
        match table::get(&guard, hash, key) {
            Some(entry) if entry.is_expired(now_ms) => {
                drop(guard);
                self.expire_lazily(key, now_ms);
                read(None)
            }
            found => read(found),
        }
    }

    /// Whether `key` is stored but its TTL has passed (`WATCH` treats a key that
    /// expires while watched as changed).
    pub fn holds_expired(&self, key: &[u8], now_ms: u64) -> bool {
        let (hash, shard) = self.map.locate(key);
        let guard = self.map.read(shard);
        table::get(&guard, hash, key).is_some_and(|e| e.is_expired(now_ms))
    }

    /// Evicts `key` if its metadata is still `meta` as sampled: a key read or
    /// rewritten since then is left alone, so eviction never removes a fresh write.
    /// Logged as `DEL`, notified as `evicted`. True if it was removed.
    pub fn evict(&self, key: &[u8], meta: u64, now_ms: u64) -> bool {
        self.write(key, now_ms, |slot| {
            if slot.meta() != Some(meta) {
                return false;
            }
            slot.remove();
            slot.keyspace().emit_removal(key, events::EVICTED);
            true
        })
    }

    /// Runs `update` with exclusive access to `key`'s slot.
    ///
    /// The shard stays locked for the whole closure, so a read-modify-write such as
    /// `INCR` is atomic with respect to every other client, and what it records
    /// reaches the hooks in the order the changes were applied (invariant 1).
    #[inline]
    pub fn write<R>(&self, key: &[u8], now_ms: u64, update: impl FnOnce(&mut Slot<'_>) -> R) -> R {
        let (hash, shard) = self.map.locate(key);
        let mut guard = self.map.write(shard);
        let mut slot = Slot::new(self, &mut guard, (hash, shard), key, now_ms);
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
                self.expire_lazily(key, now_ms);
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

    /// Locks every shard for reading, in ascending order, and runs `read` with a
    /// view of the whole database: for a command whose keys are known only from
    /// what it reads (`SORT … BY/GET`) when they kept changing under it. An expired
    /// entry reads as absent and is left for active expiry (its name is unknown here).
    pub fn read_every<R>(&self, now_ms: u64, read: impl FnOnce(&ReadView<'_>) -> R) -> R {
        let guards = (0..self.map.shard_count()).map(|s| (s, self.map.read(s))).collect();
        let view = ReadView { keyspace: self, guards, now_ms, saw_expired: Cell::new(false) };
        read(&view)
    }

    /// Locks every shard for writing, in ascending order, and runs `update` with
    /// exclusive access to the whole database (see [`Keyspace::read_every`]).
    pub fn write_every<R>(&self, now_ms: u64, update: impl FnOnce(&mut WriteView<'_>) -> R) -> R {
        let guards = (0..self.map.shard_count()).map(|s| (s, self.map.write(s))).collect();
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

    /// Whether `key` is in the tables `guards` (all of this database's shards, in
    /// order), expired or not: what a flush or a swap changes, as Redis's
    /// `dictFind` sees it.
    pub(super) fn holds_in(&self, guards: &[impl std::ops::Deref<Target = Table>], key: &[u8]) -> bool {
        let (hash, shard) = self.map.locate(key);
        guards.get(shard).is_some_and(|table| table::get(table, hash, key).is_some())
    }

    /// How many keys are stored (expired keys not yet reclaimed included, as in Redis).
    pub fn len(&self) -> usize {
        (0..self.map.shard_count()).map(|s| self.map.read(s).len()).sum()
    }

    /// Whether the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The estimated average remaining TTL in ms of keys with one (`INFO
    /// keyspace`'s `avg_ttl`); 0 when none has one.
    pub fn avg_ttl(&self) -> u64 {
        if self.expires_count() == 0 {
            return 0;
        }
        self.avg_ttl.load(Ordering::Relaxed)
    }

    /// Removes every key (`FLUSHDB`) and records `effect` while all shards are
    /// locked, so no reader sees half and the log order is exact. The old data is
    /// freed after the locks are released: in the background when `lazy` (`ASYNC`).
    pub fn clear(&self, effect: &[&[u8]], lazy: bool) {
        let mut guards = self.write_all_shards();
        let index = self.index();
        let existed = |_db: usize, key: &[u8]| self.holds_in(&guards, key);
        let scope = Scope::Databases { dbs: &[index], existed: &existed };
        self.emit(&Change { db: index, effect, keys: &[], scope });
        let (tables, keys) = self.clear_locked(&mut guards);
        drop(guards);
        super::lazyfree::free_tables(tables, keys, lazy);
    }

    /// Removes the expired keys of shard `shard`, each logged as `DEL` and notified
    /// as `expired`. Returns what it saw. Active expiry calls it shard by shard, so it
    /// holds one shard lock at a time.
    pub fn expire_shard(&self, shard: usize, now_ms: u64) -> ShardSweep {
        let shard = shard % self.map.shard_count();
        let mut guard = self.map.write(shard);
        let held = guard.len();
        let mut expired_keys: Vec<Box<[u8]>> = Vec::new();
        let (mut ttl_sum, mut ttl_samples) = (0u64, 0u64);
        let removed = table::retain(&mut guard, |key, entry| {
            let Some(at) = entry.expire_at_ms() else { return true };
            if at <= now_ms {
                expired_keys.push(key.into());
                return false;
            }
            ttl_sum = ttl_sum.saturating_add(at - now_ms);
            ttl_samples += 1;
            true
        });

        for key in &expired_keys {
            self.emit_removal(key, events::EXPIRED);
        }
        self.ttl_keys[shard].fetch_sub(removed, Ordering::Relaxed);
        drop(guard);
        self.expired_keys.fetch_add(removed as u64, Ordering::Relaxed);
        ShardSweep { held, removed, ttl_sum, ttl_samples }
    }

    /// Folds one cycle's sample of remaining TTLs into `avg_ttl`, as Redis does:
    /// 2 % the new sample, 98 % the old estimate (the first sample taken whole).
    pub(super) fn fold_avg_ttl(&self, ttl_sum: u64, ttl_samples: u64) {
        if ttl_samples == 0 {
            return;
        }
        let sample = ttl_sum / ttl_samples;
        let old = self.avg_ttl.load(Ordering::Relaxed);
        let old = if old == 0 { sample } else { old };
        self.avg_ttl.store(old / 50 * 49 + sample / 50, Ordering::Relaxed);
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

    /// The kind of value at `key`, without counting an access (`TYPE`).
    pub fn kind_of(&self, key: &[u8], now_ms: u64) -> Option<Kind> {
        self.read_quiet(key, now_ms, |e| e.map(Entry::kind))
    }
}

/// What sweeping one shard for expired keys saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShardSweep {
    /// Keys the shard held before.
    pub held: usize,
    /// Expired keys removed.
    pub removed: usize,
    /// The remaining TTLs of the live keys with one, in ms, added up.
    pub ttl_sum: u64,
    /// How many live keys with a TTL that sum counts.
    pub ttl_samples: u64,
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
        if let Some(entry) = found.filter(|_| super::access::touching()) {
            entry.touch(self.now_ms, self.keyspace.hooks.evictor.lfu());
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
        let mut slot = Slot::new(keyspace, table, (hash, shard), key, self.now_ms);
        Some(update(&mut slot))
    }

    /// The database's number.
    pub fn db(&self) -> usize {
        self.keyspace.index()
    }

    /// Records a multi-key change (`MSET`, `DEL a b`) as one record: `effect` is
    /// logged once, and each of `keys` gets `event`. All their shards are locked.
    pub fn record(&self, effect: &[&[u8]], keys: &[&[u8]], event: super::change::Event) {
        let db = self.keyspace.index();
        let keys: Vec<KeyEvent<'_>> = keys.iter().map(|&key| KeyEvent { db, key, event }).collect();
        self.keyspace.emit(&Change { db, effect, keys: &keys, scope: Scope::Keys });
    }

    /// Records a change whose keys each have their own event.
    pub fn record_events(&self, effect: &[&[u8]], keys: &[KeyEvent<'_>]) {
        let db = self.keyspace.index();
        self.keyspace.emit(&Change { db, effect, keys, scope: Scope::Keys });
    }
}
