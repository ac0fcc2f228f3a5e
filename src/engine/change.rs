//! Change records: what every write did, produced by the slot (or view) that made
//! it, while the keys' shards are still locked.
//!
//! A [`Change`] says which keys changed and how (the keyspace event of each, as
//! Redis names them: `set`, `del`, `expired`, `rename_from` …), and the effect to
//! log: the command that replays it, which is not always the command the client
//! sent (`INCRBYFLOAT` logs the `SET` of its result, an expiry logs `DEL`, a relative
//! TTL logs `PEXPIREAT`). Everything that must follow the dataset hangs off one hook,
//! [`ChangeHook`]: the AOF encodes the effect, `WATCH` marks the keys dirty, and
//! keyspace notifications, client-tracking invalidations and blocked-client
//! wake-ups attach there too. Nothing downstream parses a logged command back.
//!
//! Hooks are called with the shards of the changed keys locked, so the order in
//! which a hook sees the changes of one key is the order they were applied
//! (invariant 1); a hook must not block or take a shard lock.

/// The notification classes of `notify-keyspace-events`, one per flag letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventClass {
    /// `g`: commands of every type (`del`, `expire`, `rename_from` …).
    Generic,
    /// `$`: string commands.
    String,
    /// `l`: list commands.
    List,
    /// `s`: set commands.
    Set,
    /// `h`: hash commands.
    Hash,
    /// `z`: sorted-set commands.
    ZSet,
    /// `t`: stream commands.
    Stream,
    /// `x`: a key expired.
    Expired,
    /// `e`: a key was evicted.
    Evicted,
    /// `n`: a key was created.
    New,
    /// Not notified: the key may have changed without an event of its own (a
    /// watched key of a flushed database).
    Silent,
}

impl EventClass {
    /// The `notify-keyspace-events` letter of the class (`None` for [`Silent`]).
    ///
    /// [`Silent`]: EventClass::Silent
    pub fn flag(self) -> Option<char> {
        Some(match self {
            EventClass::Generic => 'g',
            EventClass::String => '$',
            EventClass::List => 'l',
            EventClass::Set => 's',
            EventClass::Hash => 'h',
            EventClass::ZSet => 'z',
            EventClass::Stream => 't',
            EventClass::Expired => 'x',
            EventClass::Evicted => 'e',
            EventClass::New => 'n',
            EventClass::Silent => return None,
        })
    }
}

/// A keyspace event: its name (published on `__keyevent@<db>__:<name>`) and class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// The event's name, as Redis 7 names it.
    pub name: &'static str,
    /// Which `notify-keyspace-events` flag enables it.
    pub class: EventClass,
}

impl Event {
    /// Whether the event takes the key away (`del`, `expired`, `evicted`, and the
    /// source of a `RENAME` or `MOVE`): nothing a waiting client could take.
    pub fn removes(self) -> bool {
        matches!(self.name, "del" | "expired" | "evicted" | "rename_from" | "move_from")
    }
}

/// The events of the generic and string commands (the type families add theirs
/// beside their commands).
pub mod events {
    use super::{Event, EventClass};

    const fn generic(name: &'static str) -> Event {
        Event { name, class: EventClass::Generic }
    }
    const fn string(name: &'static str) -> Event {
        Event { name, class: EventClass::String }
    }

    /// A key was deleted (`DEL`, `GETDEL`, an `EXPIRE` in the past, a collection
    /// emptied by its last removal).
    pub const DEL: Event = generic("del");
    /// A TTL was set.
    pub const EXPIRE: Event = generic("expire");
    /// A TTL was removed.
    pub const PERSIST: Event = generic("persist");
    /// `RENAME`'s source.
    pub const RENAME_FROM: Event = generic("rename_from");
    /// `RENAME`'s destination.
    pub const RENAME_TO: Event = generic("rename_to");
    /// `MOVE`'s source key (in the source database).
    pub const MOVE_FROM: Event = generic("move_from");
    /// `MOVE`'s key in the target database.
    pub const MOVE_TO: Event = generic("move_to");
    /// `COPY`'s destination.
    pub const COPY_TO: Event = generic("copy_to");
    /// Removed because its TTL passed (lazily or by the active cycle).
    pub const EXPIRED: Event = Event { name: "expired", class: EventClass::Expired };
    /// Removed by eviction under `maxmemory`.
    pub const EVICTED: Event = Event { name: "evicted", class: EventClass::Evicted };
    /// A key that did not exist was created.
    pub const NEW: Event = Event { name: "new", class: EventClass::New };
    /// Possibly changed by a database-wide command (a flush or a swap); not
    /// notified, but `WATCH` counts it.
    pub const TOUCHED: Event = Event { name: "", class: EventClass::Silent };

    /// `SET` and its forms (`SETNX`, `SETEX`, `GETSET`, `MSET` …).
    pub const SET: Event = string("set");
    /// `SETRANGE`.
    pub const SETRANGE: Event = string("setrange");
    /// `INCR`, `DECR`, `INCRBY`, `DECRBY`.
    pub const INCRBY: Event = string("incrby");
    /// `INCRBYFLOAT`.
    pub const INCRBYFLOAT: Event = string("incrbyfloat");
    /// `APPEND`.
    pub const APPEND: Event = string("append");
}

/// One key a change touched, and what happened to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyEvent<'a> {
    /// The database the key is in.
    pub db: usize,
    /// The key.
    pub key: &'a [u8],
    /// What happened to it.
    pub event: Event,
}

/// Whether a change concerns only its listed keys or whole databases.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    /// Only the keys listed in [`Change::keys`] changed.
    Keys,
    /// Every key of these databases may have changed (`FLUSHDB`, `FLUSHALL`,
    /// `SWAPDB`). `existed(db, key)` tells whether a key was present before — in
    /// `db`, or for a swap in either of the two — so a hook can tell which of the
    /// keys it follows really changed. It is answered from the locked tables.
    Databases {
        /// The databases concerned.
        dbs: &'a [usize],
        /// Whether `key` of database `db` existed before the change.
        existed: &'a dyn Fn(usize, &[u8]) -> bool,
    },
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Keys => f.write_str("Keys"),
            Scope::Databases { dbs, .. } => f.debug_struct("Databases").field("dbs", dbs).finish(),
        }
    }
}

/// What one write did.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    /// The database the effect runs in (the AOF writes a `SELECT` before it).
    pub db: usize,
    /// The command that replays the change, as RESP arguments; empty when the change
    /// needs no record of its own (a collection emptied by a logged removal is
    /// deleted by the replay of that removal too).
    pub effect: &'a [&'a [u8]],
    /// The keys it changed, each with its event, in the order Redis notifies them.
    pub keys: &'a [KeyEvent<'a>],
    /// Whether whole databases changed.
    pub scope: Scope<'a>,
}

/// Follows every change to the dataset: the AOF, `WATCH`, and later notifications,
/// client tracking and blocked-client wake-ups.
pub trait ChangeHook: Send + Sync {
    /// A change was applied; the shards of its keys are still locked, so this must
    /// not block or lock a shard.
    fn on_change(&self, change: &Change<'_>);

    /// The changes this thread makes from now until [`ChangeHook::end_group`] form
    /// one atomic group (the body of an `EXEC`, a script): the AOF logs them as one
    /// `MULTI … EXEC`. Groups do not nest; the engine calls each hook once per
    /// outermost group.
    fn begin_group(&self) {}

    /// The group this thread began is complete.
    fn end_group(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_but_silent_has_its_flag_letter() {
        let classes = [
            (EventClass::Generic, 'g'),
            (EventClass::String, '$'),
            (EventClass::List, 'l'),
            (EventClass::Set, 's'),
            (EventClass::Hash, 'h'),
            (EventClass::ZSet, 'z'),
            (EventClass::Stream, 't'),
            (EventClass::Expired, 'x'),
            (EventClass::Evicted, 'e'),
            (EventClass::New, 'n'),
        ];
        for (class, letter) in classes {
            assert_eq!(class.flag(), Some(letter));
        }
        assert_eq!(EventClass::Silent.flag(), None);
    }
}
