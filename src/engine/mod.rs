//! The keyspace: 16 databases, each a lock-striped DashMap from key bytes to [`Entry`].
//!
//! Every operation locks exactly the shards it touches. Single-key commands take one
//! shard lock; multi-key commands (`MSET`, `MGET`, `DEL a b`) lock all their shards in
//! ascending order first, so other clients see them whole (invariant 4) and two of them
//! can never deadlock. No lock is ever held across an `.await`.

pub mod access;
mod entry;
pub mod evict;
mod keyspace;
mod ops;
pub mod table;
pub mod watch;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

pub use entry::Entry;
pub use keyspace::{Hooks, Keyspace, ReadView, SharedLog, Slot, WriteView};
pub use ops::CounterError;

use crate::sync::lock;

/// How many databases there are (`SELECT 0` … `SELECT 15`), as in Redis.
pub const DATABASES: usize = 16;

/// Lock stripes per database.
const SHARDS: usize = 64;

/// Receives every change to the dataset, as the command that replays it, in the
/// order the changes were applied to each key. The AOF implements it.
pub trait ChangeLog: Send + Sync {
    /// Appends one change made in database `db`; called with the key's shard locked,
    /// so it must not block.
    fn append(&self, db: usize, args: &[&[u8]]);
}

/// The sixteen databases. A connection remembers its index and loads the database
/// for each command; `SWAPDB` exchanges two of them for everybody at once.
pub struct KvEngine {
    databases: Box<[ArcSwap<Keyspace>]>,
    log: SharedLog,
    /// Who watches which keys (`WATCH`).
    pub watch: Arc<watch::WatchRegistry>,
    /// Eviction state (pool, AHE statistics).
    pub evictor: Arc<evict::Evictor>,
    swap_lock: Mutex<()>,
}

impl Default for KvEngine {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a [`KvEngine::transfer`] keeps the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// Remove the source (`MOVE`, `RENAME`).
    Move,
    /// Keep it (`COPY`).
    Copy,
}

/// One key of a snapshot: database, key, value and absolute expiry.
pub type SnapshotEntry = (usize, Box<[u8]>, Box<[u8]>, Option<u64>);

impl KvEngine {
    /// Sixteen empty databases, logging nowhere until [`KvEngine::install_log`].
    pub fn new() -> Self {
        let hooks = Hooks::default();
        let databases = (0..DATABASES)
            .map(|index| ArcSwap::from_pointee(Keyspace::with_hooks(SHARDS, index, hooks.clone())))
            .collect();
        let Hooks { log, watch, evictor } = hooks;
        KvEngine { databases, log, watch, evictor, swap_lock: Mutex::new(()) }
    }

    /// Starts logging every change to `log` (once; later calls are ignored).
    pub fn install_log(&self, log: Arc<dyn ChangeLog>) {
        let _ = self.log.set(log);
    }

    /// Database `index` (callers check the range when the client names it).
    #[inline]
    pub fn db(&self, index: usize) -> arc_swap::Guard<Arc<Keyspace>> {
        // A guard, not a clone: no reference-count traffic on the hot path.
        self.databases[index % DATABASES].load()
    }

    /// All databases, in a fixed global lock order (by address) with their numbers.
    fn all_in_lock_order(&self) -> Vec<Arc<Keyspace>> {
        let mut all: Vec<Arc<Keyspace>> = self.databases.iter().map(|d| d.load_full()).collect();
        all.sort_by_key(|db| Arc::as_ptr(db) as usize);
        all
    }

    /// Exchanges databases `a` and `b` (`SWAPDB`): clients connected to either see
    /// the other's data from now on. Logged as `SWAPDB a b`.
    pub fn swap(&self, a: usize, b: usize) {
        let _serialised = lock(&self.swap_lock);
        if a == b {
            return;
        }
        let first = self.databases[a].load_full();
        let second = self.databases[b].load_full();
        // Hold every shard of both so no change of either is logged across the swap.
        let (low, high) =
            if Arc::as_ptr(&first) < Arc::as_ptr(&second) { (&first, &second) } else { (&second, &first) };
        let _low = low.write_all_shards();
        let _high = high.write_all_shards();
        first.set_index(b);
        second.set_index(a);
        self.databases[a].store(second.clone());
        self.databases[b].store(first.clone());
        let (a, b) = (a.to_string(), b.to_string());
        first.log(&[b"SWAPDB", a.as_bytes(), b.as_bytes()]);
    }

    /// Moves or copies the value (and TTL) of `source_key` in database `from` to
    /// `target_key` in database `to` — `MOVE`, `RENAME`, `COPY` — and logs
    /// `logged_as`, all with both shards locked, so no client sees a half-done
    /// transfer. `None` when the source is missing; `Some(false)` when the target
    /// exists and `replace` is off; `Some(true)` when done.
    #[allow(clippy::too_many_arguments)]
    pub fn transfer(
        &self,
        from: usize,
        to: usize,
        source_key: &[u8],
        target_key: &[u8],
        mode: Transfer,
        replace: bool,
        now_ms: u64,
        logged_as: &[&[u8]],
    ) -> Option<bool> {
        let apply = |source: &mut Slot<'_>, target: &mut Slot<'_>| {
            let entry = source.get()?.with_key(target.key());
            if target.get().is_some() && !replace {
                return Some(false);
            }
            if mode == Transfer::Move {
                source.remove();
            }
            target.put(entry);
            source.log(logged_as);
            Some(true)
        };
        let (source, target) = (self.db(from), self.db(to));
        if Arc::ptr_eq(&source, &target) {
            let keys = [source_key, target_key];
            return source.write_many(keys.into_iter(), now_ms, |view| {
                // Both keys' shards are locked; take the source entry, then place it.
                let entry = view.with_slot(source_key, |s| s.get().map(|e| e.with_key(target_key)))??;
                let placed = view.with_slot(target_key, |t| {
                    if t.get().is_some() && !replace {
                        return false;
                    }
                    t.put(entry);
                    true
                })?;
                if placed {
                    if mode == Transfer::Move && source_key != target_key {
                        view.with_slot(source_key, |s| s.remove());
                    }
                    view.log(logged_as);
                }
                Some(placed)
            });
        }
        let (hash_s, shard_s) = source.map().locate(source_key);
        let (hash_t, shard_t) = target.map().locate(target_key);
        // Lock in the global order (by address) so two opposite transfers cannot deadlock.
        let (mut guard_s, mut guard_t) = if Arc::as_ptr(&source) < Arc::as_ptr(&target) {
            let s = source.map().write(shard_s);
            (s, target.map().write(shard_t))
        } else {
            let t = target.map().write(shard_t);
            (source.map().write(shard_s), t)
        };
        let mut source_slot = Slot::new(&source, &mut guard_s, hash_s, source_key, now_ms);
        let mut target_slot = Slot::new(&target, &mut guard_t, hash_t, target_key, now_ms);
        apply(&mut source_slot, &mut target_slot)
    }

    /// Moves `key` with its TTL from database `from` to `to` (`MOVE`): true if it
    /// was present in `from` and absent from `to`.
    pub fn move_key(&self, from: usize, to: usize, key: &[u8], now_ms: u64) -> bool {
        let target = to.to_string();
        let record: [&[u8]; 3] = [b"MOVE", key, target.as_bytes()];
        self.transfer(from, to, key, key, Transfer::Move, false, now_ms, &record) == Some(true)
    }

    /// Empties every database (`FLUSHALL`), logged as one record with all locked.
    pub fn flush_all(&self) {
        let all = self.all_in_lock_order();
        let mut guards: Vec<_> = all.iter().map(|db| db.write_all_shards()).collect();
        for shards in guards.iter_mut() {
            for shard in shards.iter_mut() {
                shard.clear();
            }
        }
        if let Some(db) = all.first() {
            db.log(&[b"FLUSHALL"]);
        }
    }

    /// A point-in-time copy of every live key, taken with every shard of every
    /// database read-locked; `at_cut` runs while the locks are held, so whatever it
    /// marks (the AOF rewrite's cut-over point) is exact: every change before it is in
    /// the snapshot, every change after it is not.
    pub fn snapshot(&self, now_ms: u64, at_cut: impl FnOnce()) -> Vec<SnapshotEntry> {
        let all = self.all_in_lock_order();
        let guards: Vec<_> = all.iter().map(|db| (db.index(), db.read_all())).collect();
        let mut entries = Vec::new();
        for (index, shards) in &guards {
            for shard in shards {
                table::for_each(shard, |key, entry| {
                    if !entry.is_expired(now_ms) {
                        entries.push((*index, key.into(), entry.value().into(), entry.expire_at_ms()));
                    }
                });
            }
        }
        at_cut();
        entries
    }

    /// One cycle of active expiry, Redis's adaptive idea over shards: each database
    /// gets its next shard swept (cursors advance round-robin); while more than a
    /// quarter of a sweep had expired, the database gets another, until `budget` is
    /// spent. Returns how many keys were removed.
    pub fn active_expire_cycle(
        &self,
        cursors: &mut [usize; DATABASES],
        now_ms: u64,
        budget: Duration,
    ) -> usize {
        let started = Instant::now();
        let mut removed_total = 0;
        for (index, cursor) in cursors.iter_mut().enumerate() {
            let db = self.db(index);
            loop {
                let (held, removed) = db.expire_shard(*cursor, now_ms);
                *cursor = (*cursor + 1) % db.shard_count();
                removed_total += removed;
                if removed * 4 <= held || started.elapsed() >= budget {
                    break;
                }
            }
            if started.elapsed() >= budget {
                break;
            }
        }
        removed_total
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
        db.write(key, 0, |slot| slot.set(b"v\0", None));
        assert_eq!(db.read(key, 0, |e| e.map(|e| e.value().to_vec())), Some(b"v\0".to_vec()));
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn expired_entries_read_as_absent_and_are_removed_on_write() {
        let db = Keyspace::new();
        db.write(b"k", 0, |slot| slot.set(b"v", Some(100)));
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
                view.with_slot(k, |s| s.set(k, None)).unwrap();
            }
        });
        db.read_many(keys.iter().map(|k| k.as_slice()), 0, |view| {
            for k in &keys {
                assert_eq!(view.get(k).map(|e| e.value()), Some(k.as_slice()));
            }
        });
        assert_eq!(db.len(), 200);
        db.clear(&[]);
        assert!(db.is_empty());
    }

    #[test]
    fn active_expiry_removes_expired_keys_and_keeps_live_ones() {
        let engine = KvEngine::new();
        let db = engine.db(0);
        for i in 0..1000u32 {
            db.write(&i.to_be_bytes(), 0, |slot| slot.set(b"v", Some(if i % 2 == 0 { 100 } else { 10_000 })));
        }
        let mut cursors = [0; DATABASES];
        let mut removed = 0;
        for _ in 0..SHARDS {
            removed += engine.active_expire_cycle(&mut cursors, 5_000, Duration::from_secs(1));
        }
        assert_eq!(removed, 500);
        assert_eq!(db.len(), 500);
        assert_eq!(engine.expired_keys(), 500);
    }

    #[test]
    fn swap_exchanges_databases() {
        let engine = KvEngine::new();
        engine.db(0).write(b"a", 0, |s| s.set(b"0", None));
        engine.swap(0, 1);
        assert!(engine.db(0).is_empty());
        assert_eq!(engine.db(1).len(), 1);
    }

    #[test]
    fn a_slot_keeps_its_position_current_through_every_change() {
        let db = Keyspace::new();
        db.write(b"k", 0, |slot| {
            assert!(slot.get().is_none());
            slot.set(b"one", None);
            assert_eq!(slot.get().map(Entry::value), Some(&b"one"[..]));
            slot.set(b"a longer value", Some(500));
            assert_eq!(
                slot.get().map(|e| (e.value(), e.expire_at_ms())),
                Some((&b"a longer value"[..], Some(500)))
            );
            assert_eq!(slot.remove().map(|e| e.value().to_vec()), Some(b"a longer value".to_vec()));
            assert!(slot.get().is_none() && slot.remove().is_none());
            assert!(slot.put(Entry::new(b"k", b"two", None)).is_none());
            assert_eq!(
                slot.put(Entry::new(b"k", b"three", None)).map(|e| e.value().to_vec()),
                Some(b"two".to_vec())
            );
            slot.get_mut().unwrap().set_value(b"four");
        });
        assert_eq!(db.read(b"k", 0, |e| e.map(|e| e.value().to_vec())), Some(b"four".to_vec()));
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn a_table_slot_is_one_pointer() {
        assert_eq!(std::mem::size_of::<(Entry, dashmap::SharedValue<()>)>(), std::mem::size_of::<usize>());
    }
}
