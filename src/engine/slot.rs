//! [`Slot`]: exclusive access to one key's place in a database, with its shard
//! locked — the one door through which every write goes, and through which every
//! change is recorded.

use std::cell::Cell;
use std::sync::Arc;

use super::change::{events, Change, Event, KeyEvent, Scope};
use super::keyspace::Keyspace;
use super::table::{self, Found, Table};
use super::value::{Collection, Typed, WrongType};
use super::{access, Entry};

/// Exclusive access to one key's place in the map, with the shard locked.
///
/// An entry that has expired is removed (logged as `DEL`, notified as `expired`)
/// when the slot is opened, so every method sees only live data. The slot looks its
/// key up once and remembers where it is; every change to the table goes through the
/// slot, which keeps that position current. When the slot closes, a collection that
/// its changes left empty is deleted (notified as `del`: the logged change that
/// emptied it deletes it on replay too), and the shard's count of keys with a TTL is
/// brought up to date.
pub struct Slot<'a> {
    keyspace: &'a Keyspace,
    table: &'a mut Table,
    hash: u64,
    shard: usize,
    key: &'a [u8],
    now_ms: u64,
    /// Where the key is in `table`, if present; valid because only this slot
    /// changes the table while it exists.
    found: Option<Found>,
    /// Whether the key had a TTL when the slot opened (after lazy expiry).
    had_ttl: bool,
    /// The slot created the key and has not notified it as `new` yet: the event
    /// goes with the slot's next record (one hand-off to the hooks instead of two),
    /// or out on its own when the slot closes.
    pending_new: Cell<bool>,
}

impl<'a> Slot<'a> {
    pub(super) fn new(
        keyspace: &'a Keyspace,
        table: &'a mut Table,
        (hash, shard): (u64, usize),
        key: &'a [u8],
        now_ms: u64,
    ) -> Self {
        let mut found = table::find(table, hash, key);
        if let Some(at) = found.take() {
            // SAFETY: just found in `table`, which has not changed since.
            if unsafe { table::entry_at(table, &at) }.is_expired(now_ms) {
                // SAFETY: as above.
                unsafe { table::remove_at(table, at) };
                keyspace.count_expired();
                keyspace.ttl_changed(shard, true, false);
                keyspace.emit_removal(key, events::EXPIRED);
            } else {
                found = Some(at);
            }
        }
        let mut slot = Slot {
            keyspace,
            table,
            hash,
            shard,
            key,
            now_ms,
            found,
            had_ttl: false,
            pending_new: Cell::new(false),
        };
        slot.had_ttl = slot.get().is_some_and(|e| e.expire_at_ms().is_some());
        slot
    }

    /// The key this slot is for.
    pub fn key(&self) -> &'a [u8] {
        self.key
    }

    /// The database this slot is in.
    pub fn keyspace(&self) -> &'a Keyspace {
        self.keyspace
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
        let (now_ms, lfu) = (self.now_ms, self.keyspace.hooks.evictor.lfu());
        let entry = self.entry_mut()?;
        entry.set_meta(access::fresh(Some(entry.meta()), now_ms, lfu));
        Some(entry)
    }

    /// The string stored here: `Ok(None)` when the key is absent, `WRONGTYPE` when
    /// it holds a collection.
    #[inline]
    pub fn string(&self) -> Result<Option<&[u8]>, WrongType> {
        self.get().map(Entry::string).transpose()
    }

    /// The collection of type `T` stored here: `Ok(None)` when the key is absent,
    /// `WRONGTYPE` when it holds another kind.
    pub fn get_as<T: Typed>(&self) -> Result<Option<&T>, WrongType> {
        self.get().map(Entry::get_as::<T>).transpose()
    }

    /// The collection of type `T` stored here, for change (counts as a write):
    /// `Ok(None)` when absent, `WRONGTYPE` when it holds another kind.
    pub fn get_mut_as<T: Typed>(&mut self) -> Result<Option<&mut T>, WrongType> {
        match self.get() {
            None => return Ok(None),
            Some(entry) if entry.kind() != T::KIND => return Err(WrongType),
            Some(_) => {}
        }
        self.get_mut().map(|e| e.get_mut_as::<T>()).transpose()
    }

    /// The collection of type `T` stored here, created empty if the key is absent
    /// (notified as `new`); `WRONGTYPE` when it holds another kind. If it is still
    /// empty when the slot closes, the key is deleted again.
    pub fn get_or_create<T: Typed>(&mut self) -> Result<&mut T, WrongType> {
        if self.get().is_none() {
            let fresh: Arc<dyn Collection> = Arc::new(T::default());
            self.insert(Entry::new_collection(self.key, fresh, None));
        }
        self.get_mut_as::<T>().map(|found| found.expect("a collection just created"))
    }

    /// Stores the string `value`, expiring at `expire_at_ms` if given, over whatever
    /// the key held. An existing string entry of the same shape is overwritten in
    /// place (no allocation for a same-size `SET`); either way it counts as a fresh
    /// write.
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
        let (now_ms, lfu) = (self.now_ms, self.keyspace.hooks.evictor.lfu());
        if let Some(existing) = self.entry_mut() {
            entry.set_meta(access::fresh(Some(existing.meta()), now_ms, lfu));
            return Some(std::mem::replace(existing, entry));
        }
        self.insert(entry);
        None
    }

    /// Adds `entry` for a key that is not present (notified as `new`).
    fn insert(&mut self, entry: Entry) {
        entry.set_meta(access::fresh(None, self.now_ms, self.keyspace.hooks.evictor.lfu()));
        self.keyspace.hooks.evictor.on_insert(self.keyspace.index(), self.key);
        let map = self.keyspace.map();
        self.found = Some(table::insert_new(self.table, self.hash, entry, |k| map.rehash(k)));
        self.pending_new.set(true);
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

    /// Records the change just made: `event` happened to this key, and `effect` is
    /// the command that replays it (invariant 1: the shard is still locked, so the
    /// record order is the apply order for this key).
    #[inline]
    pub fn record(&self, event: Event, effect: &[&[u8]]) {
        let db = self.keyspace.index();
        let happened = KeyEvent { db, key: self.key, event };
        if self.pending_new.replace(false) {
            // A key this slot created: `new` first, as Redis's `dbAdd` notifies it.
            let keys = [KeyEvent { event: events::NEW, ..happened }, happened];
            self.keyspace.emit(&Change { db, effect, keys: &keys, scope: Scope::Keys });
        } else {
            self.keyspace.emit(&Change { db, effect, keys: &[happened], scope: Scope::Keys });
        }
    }

    /// Whether this slot created the key and has not notified it as `new` yet; the
    /// caller takes the event over (a multi-key record lists it with the others, in
    /// Redis's order).
    pub fn take_new(&self) -> bool {
        self.pending_new.replace(false)
    }

    /// Notifies a key this slot created as `new` now, if it has not been yet: for a
    /// change recorded beside the slot rather than through it (`RENAME`'s), which
    /// must come after the `new`.
    pub fn announce_new(&self) {
        if self.pending_new.replace(false) {
            let db = self.keyspace.index();
            let keys = [KeyEvent { db, key: self.key, event: events::NEW }];
            self.keyspace.emit(&Change { db, effect: &[], keys: &keys, scope: Scope::Keys });
        }
    }

    /// Records an event that needs no record of its own (`expire` after a `SET … EX`
    /// that logged everything).
    #[inline]
    pub fn notify(&self, event: Event) {
        self.record(event, &[]);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if self.get().and_then(Entry::collection).is_some_and(|c| c.is_empty()) {
            self.remove();
            // A key created and emptied by the same slot never was, as far as
            // anyone could see.
            if !self.pending_new.replace(false) {
                self.notify(events::DEL);
            }
        }
        let has_ttl = self.get().map(|e| e.expire_at_ms().is_some());
        if has_ttl.is_some() {
            self.announce_new();
        }
        self.keyspace.ttl_changed(self.shard, self.had_ttl, has_ttl == Some(true));
    }
}
