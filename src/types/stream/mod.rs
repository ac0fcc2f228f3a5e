//! [`Stream`]: Redis's append-only log of entries, each a list of field-value pairs
//! under a [`StreamId`] (`<ms>-<seq>`), with its consumer groups ([`group`]).
//!
//! Entries live in packed [`Node`]s (see [`node`]) of at most
//! `stream-node-max-entries` entries and about `stream-node-max-bytes` bytes, kept
//! in a `BTreeMap` ordered by each node's first id (Redis's radix tree of
//! listpacks). Field names repeated from a node's first entry are stored once.
//! Deleting an entry leaves a tombstone in its node; a node whose entries are all
//! deleted goes. Besides the entries a stream remembers the counters that consumer
//! groups' lag is computed from: `last_id`, `first_id`, `max_deleted_entry_id`
//! and `entries_added`.
//!
//! Unlike the other collections a stream is not deleted when it is empty: Redis
//! keeps an empty stream (its last id and groups matter).

pub mod group;
pub mod node;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use group::{Consumer, Group, Pending};
pub use node::{Entries, EntryView, Node};

use crate::engine::{Collection, Kind, Typed};

/// Bytes a node's entries may total at most however the limit is set (Redis's
/// `STREAM_LISTPACK_MAX_SIZE`), and the largest entry `XADD` accepts.
pub const NODE_MAX_SIZE: usize = 1 << 30;

/// A stream entry id: milliseconds, then a sequence within the millisecond.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// The milliseconds part.
    pub ms: u64,
    /// The sequence part.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`, the smallest id (`-`).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest id (`+`).
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    /// An id from its parts.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next id, or `None` past [`StreamId::MAX`].
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId { ms: ms + 1, seq: 0 }),
            (ms, seq) => Some(StreamId { ms, seq: seq + 1 }),
        }
    }

    /// The previous id, or `None` before `0-0`.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId { ms: ms - 1, seq: u64::MAX }),
            (ms, seq) => Some(StreamId { ms, seq: seq - 1 }),
        }
    }

    /// Whether this is `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }
}

/// A [`StreamId`] written as `<ms>-<seq>` into a buffer on the stack
/// ([`StreamId::text`]): what replies and logged effects carry, without an
/// allocation.
#[derive(Clone, Copy)]
pub struct IdText {
    buf: [u8; 41],
    len: u8,
}

impl IdText {
    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl StreamId {
    /// The id as text, `<ms>-<seq>` (what `Display` writes).
    pub fn text(self) -> IdText {
        let mut text = IdText { buf: [0; 41], len: 0 };
        let (mut ms, mut seq) = (itoa::Buffer::new(), itoa::Buffer::new());
        let ms = ms.format(self.ms).as_bytes();
        text.buf[..ms.len()].copy_from_slice(ms);
        let ms = ms.len();
        text.buf[ms] = b'-';
        let seq = seq.format(self.seq).as_bytes();
        text.buf[ms + 1..ms + 1 + seq.len()].copy_from_slice(seq);
        text.len = (ms + 1 + seq.len()) as u8;
        text
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The node limits in force (`stream-node-max-bytes`, `stream-node-max-entries`;
/// 0 means no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes a node grows to before a new one starts.
    pub max_bytes: usize,
    /// Entries (deleted ones too) a node holds before a new one starts.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 4096, max_entries: 100 }
    }
}

/// How a trim chooses what goes (`MAXLEN` or `MINID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Remove entries with ids below this one.
    MinId(StreamId),
}

/// A stream (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    len: u64,
    /// The id of the last entry ever added (or set by `XSETID`).
    pub last_id: StreamId,
    /// The id of the first live entry (`0-0` when empty).
    first_id: StreamId,
    /// The greatest id ever deleted (`XDEL`, not trimming).
    pub max_deleted_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// The consumer groups by name.
    pub groups: BTreeMap<Box<[u8]>, Group>,
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Live entries.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it holds no entries (it still exists).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The id of the first live entry, `0-0` when empty.
    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    /// How many nodes the entries take (`XINFO STREAM`'s `radix-tree-nodes` is
    /// derived from it).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The id `XADD *` gives now: `now_ms-0`, or the last id's successor when the
    /// clock is not past it; `None` when the last id is [`StreamId::MAX`].
    pub fn next_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.next()
        }
    }

    /// The id `XADD <ms>-*` gives: the last id's successor in the same
    /// millisecond, else `<ms>-0`; `None` when the sequence is exhausted.
    pub fn next_id_in(&self, ms: u64) -> Option<StreamId> {
        if self.last_id.ms == ms {
            (self.last_id.seq != u64::MAX).then(|| StreamId::new(ms, self.last_id.seq + 1))
        } else {
            Some(StreamId::new(ms, 0))
        }
    }

    /// Appends an entry with id `id`, which must be greater than `last_id` (the
    /// commands check it) and `pairs` non-empty.
    pub fn append(&mut self, id: StreamId, pairs: &[(&[u8], &[u8])], limits: Limits) {
        debug_assert!(id > self.last_id || (self.last_id.is_zero() && self.entries_added == 0));
        let size: usize = pairs.iter().map(|(f, v)| f.len() + v.len()).sum();
        let max_bytes = match limits.max_bytes {
            0 => NODE_MAX_SIZE,
            n => n.min(NODE_MAX_SIZE),
        };
        let fits = self.nodes.last_key_value().is_some_and(|(_, tail)| {
            tail.bytes() + size < max_bytes && (limits.max_entries == 0 || tail.stored() < limits.max_entries)
        });
        if fits {
            self.nodes.last_entry().expect("a tail").get_mut().push(id, pairs);
        } else {
            if let Some(mut tail) = self.nodes.last_entry() {
                tail.get_mut().seal();
            }
            self.nodes.insert(id, Node::new(id, pairs));
        }
        if self.len == 0 {
            self.first_id = id;
        }
        self.len += 1;
        self.last_id = id;
        self.entries_added += 1;
    }

    /// The live entries with ids in `start..=end`, in id order (`rev`: reversed).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = EntryView<'_>> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        // The node holding `start` may begin before it.
        let from = self.nodes.range(..=start).next_back().map_or(start, |(k, _)| *k);
        let nodes = self.nodes.range(from..=end).map(|(_, n)| n);
        if rev {
            Box::new(
                nodes.rev().flat_map(move |n| n.entries(start, end).collect::<Vec<_>>().into_iter().rev()),
            )
        } else {
            Box::new(nodes.flat_map(move |n| n.entries(start, end)))
        }
    }

    /// The entry `id`, if it is live.
    pub fn get(&self, id: StreamId) -> Option<EntryView<'_>> {
        self.range(id, id, false).next()
    }

    /// The last live entry.
    pub fn last_entry(&self) -> Option<EntryView<'_>> {
        self.range(StreamId::MIN, StreamId::MAX, true).next()
    }

    /// The id of the last live entry (Redis's `streamLastValidID`), without
    /// decoding it: the tail node's last entry when that is live.
    pub fn last_live_id(&self) -> Option<StreamId> {
        self.nodes.values().rev().find_map(Node::last_live)
    }

    /// Deletes entry `id` (`XDEL`); whether it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        if !node.delete(id) {
            return false;
        }
        if node.live() == 0 {
            self.nodes.remove(&key);
        }
        self.len -= 1;
        if id > self.max_deleted_id {
            self.max_deleted_id = id;
        }
        if id == self.first_id {
            self.refresh_first_id();
        }
        true
    }

    fn refresh_first_id(&mut self) {
        let first = self.nodes.values().find_map(Node::first_live).unwrap_or(StreamId::MIN);
        self.first_id = first;
    }

    /// Trims as Redis's `streamTrim` does: whole nodes from the front while what
    /// remains still satisfies `how`; then, unless `approx`, single entries of the
    /// next node. `limit` (> 0) caps the entries removed (whole nodes, `approx`
    /// only). How many entries went.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        loop {
            if let Trim::MaxLen(max) = how {
                if self.len <= max {
                    break;
                }
            }
            let Some(mut first) = self.nodes.first_entry() else { break };
            let entries = first.get().live();
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let whole = match how {
                Trim::MaxLen(max) => self.len - entries >= max,
                Trim::MinId(min) => first.get().last() < min,
            };
            if whole {
                first.remove();
                self.len -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let removed = match how {
                Trim::MaxLen(max) => first.get_mut().delete_front(self.len - max, |_| true),
                Trim::MinId(min) => first.get_mut().delete_front(u64::MAX, |id| id < min),
            };
            if first.get().live() == 0 {
                first.remove();
            }
            self.len -= removed;
            deleted += removed;
            break;
        }
        if self.len == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// The group `name`.
    pub fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.get(name)
    }

    /// The group `name`, for change.
    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut Group> {
        self.groups.get_mut(name)
    }

    /// Whether a range starting at `start` may hold a tombstone (Redis's
    /// `streamRangeHasTombstones` with no end).
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.len == 0 || self.max_deleted_id.is_zero() || self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// The logical read counter of `id` (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`), `None` when it cannot be told.
    pub fn estimate_entries_read(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.len == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        } else if id > self.last_id {
            return None;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return Some(self.entries_added - self.len);
            } else if id == self.first_id {
                return Some(self.entries_added - self.len + 1);
            }
        }
        None
    }

    /// A group's lag (entries not yet delivered to it), `None` when it cannot be
    /// told (Redis's `streamReplyWithCGLag`). Signed as Redis's `long long`: a
    /// group whose `ENTRIESREAD` was set past the stream's count lags negatively.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = group.entries_read {
            if !self.has_tombstones_from(group.last_id) {
                return Some((self.entries_added as i64).wrapping_sub(read as i64));
            }
        }
        self.estimate_entries_read(group.last_id)
            .map(|read| (self.entries_added as i64).wrapping_sub(read as i64))
    }

    /// Heap bytes (`MEMORY USAGE`).
    pub fn heap_bytes(&self) -> usize {
        let per_node = std::mem::size_of::<StreamId>() + std::mem::size_of::<Node>();
        let nodes: usize = self.nodes.values().map(|n| n.heap_bytes() + per_node).sum();
        nodes + self.groups.iter().map(|(name, g)| name.len() + g.heap_bytes()).sum::<usize>()
    }
}

impl Collection for Stream {
    fn kind(&self) -> Kind {
        Kind::Stream
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    /// A stream stays when it is empty.
    fn is_empty(&self) -> bool {
        false
    }

    fn encoding(&self) -> &'static str {
        "stream"
    }

    fn heap_bytes(&self) -> usize {
        Stream::heap_bytes(self)
    }

    fn free_effort(&self) -> usize {
        self.nodes.len() + self.groups.values().map(|g| g.pel.len() + g.consumers.len() + 1).sum::<usize>()
    }

    fn clone_collection(&self) -> Arc<dyn Collection> {
        Arc::new(self.clone())
    }

    fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
        group::rewrite(self, key, emit);
    }
}

impl Typed for Stream {
    const KIND: Kind = Kind::Stream;
}
