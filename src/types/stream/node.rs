//! [`Node`]: a run of consecutive stream entries packed into one buffer, as Redis
//! packs them into a listpack under one radix-tree key.
//!
//! The buffer starts with the *master fields* (the field names of the node's first
//! entry): a count, then each name length-prefixed. Each entry follows as
//!
//! ```text
//! flags:u8  ms-delta:varint  seq:varint  [nfields:varint]  (field value | value)…
//! ```
//!
//! `ms-delta` is the entry's milliseconds minus the master id's; `seq` is the
//! sequence minus the master's when the milliseconds are equal, the raw sequence
//! otherwise (either way never negative: entries only grow). An entry whose field
//! names are exactly the master fields has [`SAME_FIELDS`] set and stores its values
//! alone; a deleted entry keeps its bytes with [`DELETED`] set, as Redis's
//! tombstones do, until the node empties and goes.

use super::StreamId;

/// The entry was deleted (`XDEL`, exact trimming inside a node).
pub const DELETED: u8 = 1;
/// The entry's fields are the node's master fields: only values are stored.
pub const SAME_FIELDS: u8 = 2;

/// Appends `value` as LEB128 (7 bits per byte).
fn put_varint(buf: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            buf.push(byte);
            return;
        }
        buf.push(byte | 0x80);
    }
}

/// Reads a LEB128 value at `*at`, advancing it. The buffer was written here.
fn get_varint(buf: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = buf[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
        shift += 7;
    }
}

/// Appends `bytes` with its length in front.
fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Reads a length-prefixed byte string at `*at`, advancing it.
fn get_bytes<'a>(buf: &'a [u8], at: &mut usize) -> &'a [u8] {
    let len = get_varint(buf, at) as usize;
    let bytes = &buf[*at..*at + len];
    *at += len;
    bytes
}

/// One entry read out of a node: its id and its field-value pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView<'a> {
    /// The entry's id.
    pub id: StreamId,
    /// Its pairs, in the order they were added.
    pub pairs: Vec<(&'a [u8], &'a [u8])>,
}

/// A packed run of entries (see the module docs).
#[derive(Clone, Debug)]
pub struct Node {
    /// The master fields, then the entries.
    buf: Vec<u8>,
    /// The id of the node's first entry (its key in the stream's index).
    master: StreamId,
    /// The id of its last entry (deleted or not).
    last: StreamId,
    /// How many master fields there are.
    master_fields: u32,
    /// Where the entries start in `buf`.
    entries_at: u32,
    /// Entries not deleted.
    live: u32,
    /// Entries deleted (still in `buf`).
    deleted: u32,
    /// Where the last entry's flags byte is in `buf`.
    last_at: u32,
}

impl Node {
    /// A node whose first entry is `id` with `pairs`; its field names become the
    /// master fields.
    pub fn new(id: StreamId, pairs: &[(&[u8], &[u8])]) -> Node {
        let mut buf = Vec::new();
        put_varint(&mut buf, pairs.len() as u64);
        for (field, _) in pairs {
            put_bytes(&mut buf, field);
        }
        let entries_at = buf.len() as u32;
        let mut node = Node {
            buf,
            master: id,
            last: id,
            master_fields: pairs.len() as u32,
            entries_at,
            live: 0,
            deleted: 0,
            last_at: entries_at,
        };
        node.push(id, pairs);
        node
    }

    /// The id of the first entry ever stored here.
    pub fn master(&self) -> StreamId {
        self.master
    }

    /// The id of the last entry stored here.
    pub fn last(&self) -> StreamId {
        self.last
    }

    /// Entries not deleted.
    pub fn live(&self) -> u64 {
        u64::from(self.live)
    }

    /// Entries stored, deleted ones included.
    pub fn stored(&self) -> u64 {
        u64::from(self.live) + u64::from(self.deleted)
    }

    /// Bytes of the packed buffer.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes the buffer holds.
    pub fn heap_bytes(&self) -> usize {
        super::super::allocation_size(self.buf.capacity())
    }

    /// Gives back the buffer's spare capacity (the node is full: nothing more is
    /// appended to it).
    pub fn seal(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// Whether `pairs`' field names are the master fields.
    fn same_fields(&self, pairs: &[(&[u8], &[u8])]) -> bool {
        if pairs.len() != self.master_fields as usize {
            return false;
        }
        let mut at = 0;
        get_varint(&self.buf, &mut at);
        pairs.iter().all(|(field, _)| get_bytes(&self.buf, &mut at) == *field)
    }

    /// Appends entry `id` (greater than every id here) with `pairs`.
    pub fn push(&mut self, id: StreamId, pairs: &[(&[u8], &[u8])]) {
        debug_assert!(self.live + self.deleted == 0 || id > self.last);
        let same = self.same_fields(pairs);
        self.last_at = self.buf.len() as u32;
        self.buf.push(if same { SAME_FIELDS } else { 0 });
        let ms_delta = id.ms - self.master.ms;
        put_varint(&mut self.buf, ms_delta);
        put_varint(&mut self.buf, if ms_delta == 0 { id.seq - self.master.seq } else { id.seq });
        if !same {
            put_varint(&mut self.buf, pairs.len() as u64);
        }
        for (field, value) in pairs {
            if !same {
                put_bytes(&mut self.buf, field);
            }
            put_bytes(&mut self.buf, value);
        }
        self.last = id;
        self.live += 1;
    }

    /// Reads the flags byte and the id of the entry at `*at`, leaving `*at` at
    /// its body.
    fn header(&self, at: &mut usize) -> (u8, StreamId) {
        let flags = self.buf[*at];
        *at += 1;
        let ms_delta = get_varint(&self.buf, at);
        let seq = get_varint(&self.buf, at);
        let id = if ms_delta == 0 {
            StreamId { ms: self.master.ms, seq: self.master.seq + seq }
        } else {
            StreamId { ms: self.master.ms + ms_delta, seq }
        };
        (flags, id)
    }

    /// Steps `*at` over the body (fields and values) of an entry with `flags`.
    fn skip_body(&self, flags: u8, at: &mut usize) {
        let strings = if flags & SAME_FIELDS != 0 {
            u64::from(self.master_fields)
        } else {
            2 * get_varint(&self.buf, at)
        };
        for _ in 0..strings {
            let len = get_varint(&self.buf, at) as usize;
            *at += len;
        }
    }

    /// Reads the pairs of the body at `*at` of an entry with `flags`, advancing.
    fn body(&self, flags: u8, at: &mut usize) -> Vec<(&[u8], &[u8])> {
        if flags & SAME_FIELDS != 0 {
            let mut field_at = 0;
            get_varint(&self.buf, &mut field_at);
            (0..self.master_fields)
                .map(|_| (get_bytes(&self.buf, &mut field_at), get_bytes(&self.buf, at)))
                .collect()
        } else {
            let count = get_varint(&self.buf, at) as usize;
            (0..count)
                .map(|_| {
                    let field = get_bytes(&self.buf, at);
                    (field, get_bytes(&self.buf, at))
                })
                .collect()
        }
    }

    /// The offsets of the flags bytes of the live entries with ids in
    /// `start..=end`, with their ids, in id order; walks only the headers.
    fn live_offsets(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = (usize, StreamId)> + '_ {
        let mut at = self.entries_at as usize;
        std::iter::from_fn(move || {
            while at < self.buf.len() {
                let flags_at = at;
                let (flags, id) = self.header(&mut at);
                if id > end {
                    at = self.buf.len();
                    return None;
                }
                self.skip_body(flags, &mut at);
                if flags & DELETED == 0 && id >= start {
                    return Some((flags_at, id));
                }
            }
            None
        })
    }

    /// The live entries with ids in `start..=end`, in id order, decoded one at a
    /// time as the iterator is advanced (entries before `start` and deleted ones
    /// are stepped over without being decoded).
    pub fn entries(&self, start: StreamId, end: StreamId) -> Entries<'_> {
        let at = if self.live == 0 || self.last < start || self.master > end {
            self.buf.len()
        } else {
            self.entries_at as usize
        };
        Entries { node: self, at, start, end }
    }

    /// The id of the first live entry, if any.
    pub fn first_live(&self) -> Option<StreamId> {
        self.live_offsets(StreamId::MIN, StreamId::MAX).next().map(|(_, id)| id)
    }

    /// The id of the last live entry, if any: the last entry's when it is live
    /// (no walk), else found by walking the headers.
    pub fn last_live(&self) -> Option<StreamId> {
        if self.live == 0 {
            return None;
        }
        if self.buf[self.last_at as usize] & DELETED == 0 {
            return Some(self.last);
        }
        self.live_offsets(StreamId::MIN, StreamId::MAX).last().map(|(_, id)| id)
    }

    /// The ids of the live entries, in order.
    pub fn ids(&self) -> Vec<StreamId> {
        self.live_offsets(StreamId::MIN, StreamId::MAX).map(|(_, id)| id).collect()
    }

    /// Marks entry `id` deleted; whether it was live here.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if id < self.master || id > self.last {
            return false;
        }
        let found = self.live_offsets(id, id).next();
        match found {
            Some((at, _)) => {
                self.buf[at] |= DELETED;
                self.live -= 1;
                self.deleted += 1;
                true
            }
            None => false,
        }
    }

    /// Marks live entries deleted from the front while `keep_going(id)` says so,
    /// at most `most` of them; how many it deleted.
    pub fn delete_front(&mut self, most: u64, mut keep_going: impl FnMut(StreamId) -> bool) -> u64 {
        let marks: Vec<usize> = self
            .live_offsets(StreamId::MIN, StreamId::MAX)
            .take(most as usize)
            .take_while(|(_, id)| keep_going(*id))
            .map(|(at, _)| at)
            .collect();
        for &at in &marks {
            self.buf[at] |= DELETED;
        }
        self.live -= marks.len() as u32;
        self.deleted += marks.len() as u32;
        marks.len() as u64
    }
}

/// The live entries of a node in a range, decoded lazily ([`Node::entries`]).
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    node: &'a Node,
    /// Where the next entry's flags byte is (the buffer's end when done).
    at: usize,
    start: StreamId,
    end: StreamId,
}

impl<'a> Iterator for Entries<'a> {
    type Item = EntryView<'a>;

    fn next(&mut self) -> Option<EntryView<'a>> {
        let node = self.node;
        while self.at < node.buf.len() {
            let (flags, id) = node.header(&mut self.at);
            if id > self.end {
                self.at = node.buf.len();
                return None;
            }
            if flags & DELETED != 0 || id < self.start {
                node.skip_body(flags, &mut self.at);
                continue;
            }
            return Some(EntryView { id, pairs: node.body(flags, &mut self.at) });
        }
        None
    }
}
