//! The keyspace: 16 databases, each a lock-striped DashMap from key bytes to [`Entry`].
//!
//! Every operation locks exactly the shards it touches. Single-key commands take one
//! shard lock; multi-key commands (`MSET`, `MGET`, `DEL a b`) lock all their shards in
//! ascending order first, so other clients see them whole (invariant 4) and two of them
//! can never deadlock. No lock is ever held across an `.await`. Every change is
//! reported, with its shards still locked, to the [`ChangeHook`]s as a [`Change`].

pub mod access;
pub mod change;
mod entry;
pub mod evict;
mod expiry;
mod hooks;
mod keyspace;
pub mod lazyfree;
mod ops;
mod shards;
mod slot;
pub mod table;
pub mod value;

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

pub use change::{events, Change, ChangeHook, Event, EventClass, KeyEvent, Scope};
pub use entry::Entry;
pub use expiry::{CycleReport, Effort, ExpiryCursor};
pub use hooks::{ChangeHooks, Hooks};
pub use keyspace::{Keyspace, ReadView, ShardSweep, WriteView};
pub use ops::CounterError;
pub use slot::Slot;
pub use value::{Collection, Kind, Typed, Value, WrongType};

use crate::sync::lock;

/// How many databases there are (`SELECT 0` … `SELECT 15`), as in Redis.
pub const DATABASES: usize = 16;

/// Lock stripes per database.
const SHARDS: usize = 64;

/// The sixteen databases. A connection remembers its index and loads the database
/// for each command; `SWAPDB` exchanges two of them for everybody at once.
pub struct KvEngine {
    databases: Box<[ArcSwap<Keyspace>]>,
    hooks: Hooks,
    /// Eviction state (pool, AHE statistics, LFU tunables).
    pub evictor: Arc<evict::Evictor>,
    swap_lock: Mutex<()>,
}

impl Default for KvEngine {
    fn default() -> Self {
        Self::new()
    }
}

/// A key to move or copy between two places (`MOVE`, `RENAME`, `COPY`).
#[derive(Clone, Copy, Debug)]
pub struct Transfer<'a> {
    /// The source database.
    pub from: usize,
    /// The source key.
    pub source: &'a [u8],
    /// The target database.
    pub to: usize,
    /// The target key.
    pub target: &'a [u8],
    /// Keep the source (`COPY`) or remove it (`MOVE`, `RENAME`).
    pub keep_source: bool,
    /// Overwrite an existing target (`RENAME`, `COPY … REPLACE`).
    pub replace: bool,
    /// The events of the source (if it is removed) and of the target.
    pub events: (Option<Event>, Event),
}

impl<'a> Transfer<'a> {
    /// What a completed transfer notifies, in Redis's order: the source's event
    /// (unless the source is kept), then the target's.
    fn happened(&self) -> Vec<KeyEvent<'a>> {
        let mut happened = Vec::with_capacity(2);
        if let (false, Some(event)) = (self.keep_source, self.events.0) {
            happened.push(KeyEvent { db: self.from, key: self.source, event });
        }
        happened.push(KeyEvent { db: self.to, key: self.target, event: self.events.1 });
        happened
    }
}

/// What a [`KvEngine::transfer`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transferred {
    /// The source does not exist.
    NoSource,
    /// The target exists and `replace` is off: nothing changed.
    TargetExists,
    /// Done.
    Done,
}

/// One key of a snapshot: its database and a copy of its entry (a collection is
/// shared, not copied).
pub type SnapshotEntry = (usize, Entry);

impl KvEngine {
    /// Sixteen empty databases, reporting to no hook until one is added.
    pub fn new() -> Self {
        let hooks = Hooks::default();
        let databases = (0..DATABASES)
            .map(|index| ArcSwap::from_pointee(Keyspace::with_hooks(SHARDS, index, hooks.clone())))
            .collect();
        let evictor = hooks.evictor.clone();
        KvEngine { databases, hooks, evictor, swap_lock: Mutex::new(()) }
    }

    /// The hooks every database reports to.
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// Holds expiry (active and lazy) up to Unix ms `until_ms` (0: not at all), while
    /// clients are paused.
    pub fn hold_expiry_until(&self, until_ms: u64) {
        self.hooks.expiry_held_until.store(until_ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Adds a change hook: it sees every change from now on.
    pub fn add_hook(&self, hook: Arc<dyn ChangeHook>) {
        self.hooks.changes.add(hook);
    }

    /// Runs `body` as one atomic group of changes (see [`ChangeHooks::group`]).
    pub fn group<R>(&self, body: impl FnOnce() -> R) -> R {
        self.hooks.changes.group(body)
    }

    /// Database `index` (callers check the range when the client names it).
    #[inline]
    pub fn db(&self, index: usize) -> arc_swap::Guard<Arc<Keyspace>> {
        // A guard, not a clone: no reference-count traffic on the hot path.
        self.databases[index % DATABASES].load()
    }

    /// All databases, in a fixed global lock order (by address).
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
        let low_guards = low.write_all_shards();
        let high_guards = high.write_all_shards();
        let (first_guards, second_guards) =
            if Arc::ptr_eq(low, &first) { (&low_guards, &high_guards) } else { (&high_guards, &low_guards) };
        // A key of either database changed if it existed in either (Redis's rule).
        let existed =
            |_db: usize, key: &[u8]| first.holds_in(first_guards, key) || second.holds_in(second_guards, key);
        let (a_text, b_text) = (a.to_string(), b.to_string());
        let effect: [&[u8]; 3] = [b"SWAPDB", a_text.as_bytes(), b_text.as_bytes()];
        let scope = Scope::Databases { dbs: &[a, b], existed: &existed };
        first.emit(&Change { db: a, effect: &effect, keys: &[], scope });
        first.set_index(b);
        second.set_index(a);
        self.databases[a].store(second.clone());
        self.databases[b].store(first.clone());
    }

    /// Moves or copies a key with its TTL (`MOVE`, `RENAME`, `COPY`) and records
    /// `effect`, with both shards locked, so no client sees a half-done transfer.
    pub fn transfer(&self, plan: Transfer<'_>, now_ms: u64, effect: &[&[u8]]) -> Transferred {
        let record = |source: &Keyspace, happened: &[KeyEvent<'_>]| {
            source.emit(&Change { db: plan.from, effect, keys: happened, scope: Scope::Keys })
        };
        let apply = |source: &mut Slot<'_>, target: &mut Slot<'_>| {
            let Some(entry) = source.get().map(|e| e.with_key(plan.target)) else {
                return Transferred::NoSource;
            };
            if target.get().is_some() && !plan.replace {
                return Transferred::TargetExists;
            }
            if !plan.keep_source {
                source.remove();
            }
            // An existing target is deleted and the key added anew (notified as
            // `new`), as Redis's RENAME and COPY … REPLACE do.
            target.remove();
            target.put(entry);
            target.announce_new();
            record(source.keyspace(), &plan.happened());
            Transferred::Done
        };
        let (source, target) = (self.db(plan.from), self.db(plan.to));
        if Arc::ptr_eq(&source, &target) {
            if plan.source == plan.target {
                // The same key: only whether it exists matters (`RENAME k k`).
                let exists = source.write(plan.source, now_ms, |slot| slot.get().is_some());
                return match (exists, plan.replace) {
                    (false, _) => Transferred::NoSource,
                    (true, true) => Transferred::Done,
                    (true, false) => Transferred::TargetExists,
                };
            }
            let keys = [plan.source, plan.target];
            return source.write_many(keys.into_iter(), now_ms, |view| {
                // Both keys' shards are locked: each slot is opened in turn.
                let source_entry = view.with_slot(plan.source, |s| s.get().map(|e| e.with_key(plan.target)));
                let Some(entry) = source_entry.flatten() else { return Transferred::NoSource };
                let placed = view.with_slot(plan.target, |t| {
                    if t.get().is_some() && !plan.replace {
                        return false;
                    }
                    t.remove();
                    t.put(entry);
                    true
                });
                if placed != Some(true) {
                    return Transferred::TargetExists;
                }
                if !plan.keep_source {
                    view.with_slot(plan.source, |s| s.remove());
                }
                view.record_events(effect, &plan.happened());
                Transferred::Done
            });
        }
        let (hash_s, shard_s) = source.map().locate(plan.source);
        let (hash_t, shard_t) = target.map().locate(plan.target);
        // Lock in the global order (by address) so two opposite transfers cannot deadlock.
        let (mut guard_s, mut guard_t) = if Arc::as_ptr(&source) < Arc::as_ptr(&target) {
            let s = source.map().write(shard_s);
            (s, target.map().write(shard_t))
        } else {
            let t = target.map().write(shard_t);
            (source.map().write(shard_s), t)
        };
        let mut source_slot = Slot::new(&source, &mut guard_s, (hash_s, shard_s), plan.source, now_ms);
        let mut target_slot = Slot::new(&target, &mut guard_t, (hash_t, shard_t), plan.target, now_ms);
        apply(&mut source_slot, &mut target_slot)
    }

    /// Empties every database (`FLUSHALL`), recorded as one change with all locked;
    /// the old tables are freed after the locks are released, in the background
    /// when `lazy` (`ASYNC`).
    pub fn flush_all(&self, lazy: bool) {
        let all = self.all_in_lock_order();
        let mut guards: Vec<_> = all.iter().map(|db| db.write_all_shards()).collect();
        let dbs: Vec<usize> = all.iter().map(|db| db.index()).collect();
        {
            let existed = |db: usize, key: &[u8]| {
                all.iter()
                    .zip(&guards)
                    .any(|(keyspace, shards)| keyspace.index() == db && keyspace.holds_in(shards, key))
            };
            let scope = Scope::Databases { dbs: &dbs, existed: &existed };
            if let Some(first) = all.first() {
                first.emit(&Change { db: first.index(), effect: &[b"FLUSHALL"], keys: &[], scope });
            }
        }
        let (mut tables, mut keys) = (Vec::new(), 0);
        for (keyspace, shards) in all.iter().zip(guards.iter_mut()) {
            let (emptied, held) = keyspace.clear_locked(shards);
            tables.extend(emptied);
            keys += held;
        }
        drop(guards);
        lazyfree::free_tables(tables, keys, lazy);
    }

    /// A point-in-time copy of every live key, taken with every shard of every
    /// database read-locked (collections are shared, not copied); `at_cut` runs while
    /// the locks are held, so whatever it marks (the AOF rewrite's cut-over point) is
    /// exact: every change before it is in the snapshot, every change after it is not.
    pub fn snapshot(&self, now_ms: u64, at_cut: impl FnOnce()) -> Vec<SnapshotEntry> {
        let all = self.all_in_lock_order();
        let guards: Vec<_> = all.iter().map(|db| (db.index(), db.read_all())).collect();
        let mut entries = Vec::new();
        for (index, shards) in &guards {
            for shard in shards {
                table::for_each(shard, |_, entry| {
                    if !entry.is_expired(now_ms) {
                        entries.push((*index, entry.clone()));
                    }
                });
            }
        }
        at_cut();
        entries
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
mod tests;
