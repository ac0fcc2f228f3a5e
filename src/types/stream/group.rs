//! Consumer groups: a [`Group`] remembers the last id it delivered, how many
//! entries it has read (for the lag), its pending entries list (the PEL: entries
//! delivered and not acknowledged, each owned by one consumer) and its
//! [`Consumer`]s, each with its own view of the pending entries it owns.
//!
//! Also here: the commands the AOF rewrite writes for a stream, as Redis's
//! `rewriteStreamObject` writes them (the entries as `XADD`s with their ids, then
//! `XSETID` with the counters, then per group `XGROUP CREATE … ENTRIESREAD` and an
//! `XCLAIM … FORCE JUSTID` per pending entry, or `XGROUP CREATECONSUMER` for a
//! consumer that owns none).

use std::collections::{BTreeMap, BTreeSet};

use super::{Stream, StreamId};

/// One pending entry: who owns it, when it was last delivered, how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The consumer it was delivered to.
    pub consumer: Box<[u8]>,
    /// When it was last delivered (Unix ms).
    pub delivery_time: u64,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// When it last read or claimed (Unix ms).
    pub seen_time: u64,
    /// The ids of the pending entries it owns.
    pub pending: BTreeSet<StreamId>,
}

/// A consumer group (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// The last id delivered to the group.
    pub last_id: StreamId,
    /// Entries the group has read, `None` when it cannot be told.
    pub entries_read: Option<u64>,
    /// The pending entries by id.
    pub pel: BTreeMap<StreamId, Pending>,
    /// The consumers by name.
    pub consumers: BTreeMap<Box<[u8]>, Consumer>,
}

impl Group {
    /// A group delivering after `last_id`, having read `entries_read`.
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group { last_id, entries_read, ..Group::default() }
    }

    /// Creates consumer `name` seen at `now_ms`; whether it was new.
    pub fn create_consumer(&mut self, name: &[u8], now_ms: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(name.into(), Consumer { seen_time: now_ms, pending: BTreeSet::new() });
        true
    }

    /// Deletes consumer `name` and its pending entries; how many it had pending,
    /// or `None` if there was no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pending {
            self.pel.remove(id);
        }
        Some(consumer.pending.len())
    }

    /// Makes `consumer` (which must exist) the owner of pending entry `id`,
    /// delivered at `time` for the `count`-th time, taking it from whoever owned it.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: u64, count: u64) {
        if let Some(old) = self.pel.get(&id) {
            if let Some(owner) = self.consumers.get_mut(&old.consumer) {
                owner.pending.remove(&id);
            }
        }
        self.pel
            .insert(id, Pending { consumer: consumer.into(), delivery_time: time, delivery_count: count });
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pending.insert(id);
        }
    }

    /// Acknowledges `id`; whether it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(pending) = self.pel.remove(&id) else { return false };
        if let Some(owner) = self.consumers.get_mut(&pending.consumer) {
            owner.pending.remove(&id);
        }
        true
    }

    /// Heap bytes, roughly: per pending entry its map slot and owner name, per
    /// consumer its name and set.
    pub fn heap_bytes(&self) -> usize {
        let pel: usize = self.pel.values().map(|p| 64 + p.consumer.len()).sum();
        let consumers: usize = self.consumers.iter().map(|(n, c)| 64 + n.len() + c.pending.len() * 24).sum();
        pel + consumers
    }
}

/// Writes the commands rebuilding `stream` under `key` (see the module docs).
pub(super) fn rewrite(stream: &Stream, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
    if stream.is_empty() {
        emit(&[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    for entry in stream.range(StreamId::MIN, StreamId::MAX, false) {
        let id = entry.id.to_string();
        let mut command: Vec<&[u8]> = Vec::with_capacity(3 + entry.pairs.len() * 2);
        command.extend([&b"XADD"[..], key, id.as_bytes()]);
        for (field, value) in &entry.pairs {
            command.extend([*field, *value]);
        }
        emit(&command);
    }
    let (last, added, deleted) =
        (stream.last_id.to_string(), stream.entries_added.to_string(), stream.max_deleted_id.to_string());
    emit(&[
        b"XSETID",
        key,
        last.as_bytes(),
        b"ENTRIESADDED",
        added.as_bytes(),
        b"MAXDELETEDID",
        deleted.as_bytes(),
    ]);
    for (name, group) in &stream.groups {
        let last = group.last_id.to_string();
        let read = group.entries_read.map_or(-1, |n| n as i64).to_string();
        emit(&[b"XGROUP", b"CREATE", key, name, last.as_bytes(), b"ENTRIESREAD", read.as_bytes()]);
        for (consumer_name, consumer) in &group.consumers {
            if consumer.pending.is_empty() {
                emit(&[b"XGROUP", b"CREATECONSUMER", key, name, consumer_name]);
                continue;
            }
            for id in &consumer.pending {
                let Some(pending) = group.pel.get(id) else { continue };
                let (id, time, count) =
                    (id.to_string(), pending.delivery_time.to_string(), pending.delivery_count.to_string());
                emit(&[
                    b"XCLAIM",
                    key,
                    name,
                    consumer_name,
                    b"0",
                    id.as_bytes(),
                    b"TIME",
                    time.as_bytes(),
                    b"RETRYCOUNT",
                    count.as_bytes(),
                    b"JUSTID",
                    b"FORCE",
                ]);
            }
        }
    }
}
