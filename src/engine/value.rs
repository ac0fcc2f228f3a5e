//! What a key holds: a string, or one of Redis's collections (hash, list, set, sorted
//! set, stream), told apart by the [`Kind`] tag in the entry's header.
//!
//! A string lives in the entry's own allocation, after the key. A collection is a
//! structure of its own behind one shared pointer (`Arc<dyn Collection>`) stored in
//! the entry's value bytes: cloning an entry (`COPY`) or taking a snapshot for the AOF
//! rewrite shares the structure instead of copying it, and the first change to a
//! shared structure copies it then ([`Collection`] values are copy-on-write). The
//! engine never looks inside a collection: each type implements [`Collection`] (what
//! `OBJECT ENCODING`, `MEMORY USAGE` and the AOF rewrite need) and [`Typed`] (which
//! kind it is), and commands reach it through the typed door
//! ([`super::Slot::get_as`], [`super::Slot::get_or_create`]), which answers
//! `WRONGTYPE` for a key of another kind.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// The type of a stored value, as `TYPE` names it. The discriminants are stored in
/// the entry header (three bits), so they never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// A binary-safe string (also integers, bitmaps, HyperLogLogs).
    String = 0,
    /// A list (`LPUSH`, `RPOP` …).
    List = 1,
    /// A set (`SADD` …).
    Set = 2,
    /// A sorted set (`ZADD` …).
    ZSet = 3,
    /// A hash (`HSET` …).
    Hash = 4,
    /// A stream (`XADD` …).
    Stream = 5,
}

/// Every kind, in tag order.
pub const KINDS: [Kind; 6] = [Kind::String, Kind::List, Kind::Set, Kind::ZSet, Kind::Hash, Kind::Stream];

impl Kind {
    /// The name `TYPE` replies and `SCAN … TYPE` matches.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Hash => "hash",
            Kind::Stream => "stream",
        }
    }

    /// The kind `TYPE` calls `name` (case-insensitive), if any.
    pub fn from_name(name: &[u8]) -> Option<Kind> {
        KINDS.into_iter().find(|k| k.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// The kind whose tag is `tag` (`tag` came from [`Kind`] as `u8`).
    pub(super) fn from_tag(tag: u32) -> Kind {
        match tag {
            1 => Kind::List,
            2 => Kind::Set,
            3 => Kind::ZSet,
            4 => Kind::Hash,
            5 => Kind::Stream,
            _ => Kind::String,
        }
    }
}

/// `WRONGTYPE Operation against a key holding the wrong kind of value`: the key
/// exists and holds another kind than the command works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongType;

impl fmt::Display for WrongType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
}

impl std::error::Error for WrongType {}

/// Lets a `dyn Collection` be downcast to its concrete type (after the tag said
/// which one it is).
pub trait AsAny: Any {
    /// `self` as `Any`.
    fn as_any(&self) -> &dyn Any;
    /// `self` as mutable `Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// What the engine needs of every collection type, whatever its structure.
///
/// Implementations are plain data (no locks, no protocol, no clock): the shard lock
/// around the entry is what makes access safe.
pub trait Collection: AsAny + Send + Sync + fmt::Debug {
    /// Which kind this is (must equal [`Typed::KIND`] of the concrete type).
    fn kind(&self) -> Kind;

    /// Elements (fields, members, entries) it holds. A collection that reaches 0 is
    /// deleted by the slot that emptied it.
    fn len(&self) -> usize;

    /// Whether it holds nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding `OBJECT ENCODING` reports (`listpack`, `hashtable`, `intset`,
    /// `quicklist`, `skiplist`, `stream`), as Redis 7.2 names them.
    fn encoding(&self) -> &'static str;

    /// Heap bytes the structure takes beyond the entry (`MEMORY USAGE`), allocator
    /// size classes included where it can ask.
    fn heap_bytes(&self) -> usize;

    /// How much work freeing it is, as Redis's `lazyfreeGetFreeEffort` counts it:
    /// one allocation for a packed encoding, one per element for a table. Over
    /// [`super::lazyfree::THRESHOLD`] it is freed in the background.
    fn free_effort(&self) -> usize {
        match self.encoding() {
            "listpack" | "intset" => 1,
            _ => self.len(),
        }
    }

    /// A deep copy, for copy-on-write: the first change to a shared collection works
    /// on a copy made here.
    fn clone_collection(&self) -> Arc<dyn Collection>;

    /// Writes the commands that rebuild this value under `key` into `emit`, each a
    /// complete command (e.g. `RPUSH key a b c`, at most 64 elements per command so
    /// no record is huge). Used by the AOF rewrite; the key's expiry is logged after
    /// these by the caller.
    fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]]));
}

/// A concrete collection type: its kind, and how a new empty one is made
/// (`get_or_create`).
pub trait Typed: Collection + Clone + Default + Sized + 'static {
    /// The kind every value of this type has.
    const KIND: Kind;
}

/// A view of a stored value.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    /// A string's bytes.
    String(&'a [u8]),
    /// A collection.
    Collection(&'a dyn Collection),
}

/// A collection of type `T` behind `shared`, for reading.
pub(super) fn downcast<T: Typed>(shared: &dyn Collection) -> Option<&T> {
    shared.as_any().downcast_ref::<T>()
}

/// The collection behind `shared`, for change: copied first when someone else (a
/// rewrite's snapshot, a `COPY`) shares it.
pub(super) fn make_mut(shared: &mut Arc<dyn Collection>) -> &mut dyn Collection {
    if Arc::get_mut(shared).is_none() {
        *shared = shared.clone_collection();
    }
    // Just made unique if it was not.
    Arc::get_mut(shared).expect("a collection copied for change is not shared")
}

#[cfg(test)]
pub(crate) mod probe {
    //! A small collection used by the engine's and commands' tests to prove every
    //! path through the tag (TYPE, OBJECT ENCODING, MEMORY USAGE, COPY, MOVE,
    //! RENAME, expiry, eviction, the rewrite) before the real types exist. It claims
    //! to be a list.

    use super::*;

    /// Items in insertion order; reports the `list` kind and a `probe` encoding.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct Probe {
        /// The items.
        pub items: Vec<Vec<u8>>,
    }

    impl Collection for Probe {
        fn kind(&self) -> Kind {
            Kind::List
        }
        fn len(&self) -> usize {
            self.items.len()
        }
        fn encoding(&self) -> &'static str {
            "probe"
        }
        fn heap_bytes(&self) -> usize {
            self.items.capacity() * std::mem::size_of::<Vec<u8>>()
                + self.items.iter().map(|i| i.capacity()).sum::<usize>()
        }
        fn clone_collection(&self) -> Arc<dyn Collection> {
            Arc::new(self.clone())
        }
        fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
            for chunk in self.items.chunks(64) {
                let mut command: Vec<&[u8]> = vec![b"RPUSH", key];
                command.extend(chunk.iter().map(|i| i.as_slice()));
                emit(&command);
            }
        }
    }

    impl Typed for Probe {
        const KIND: Kind = Kind::List;
    }

    impl Probe {
        /// A probe holding `items`.
        pub fn of(items: &[&[u8]]) -> Self {
            Probe { items: items.iter().map(|i| i.to_vec()).collect() }
        }
    }
}
