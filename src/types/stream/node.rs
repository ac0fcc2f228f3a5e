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

    /// The master field names.
    fn master_fields(&self) -> Vec<&[u8]> {
        let mut at = 0;
        let count = get_varint(&self.buf, &mut at) as usize;
        (0..count).map(|_| get_bytes(&self.buf, &mut at)).collect()
    }

    /// Every entry with its flags and the offset of its flags byte, in id order.
    fn scan(&self) -> Vec<(usize, u8, EntryView<'_>)> {
        let master_fields = self.master_fields();
        let mut out = Vec::with_capacity(self.stored() as usize);
        let mut at = self.entries_at as usize;
        while at < self.buf.len() {
            let flags_at = at;
            let flags = self.buf[at];
            at += 1;
            let ms_delta = get_varint(&self.buf, &mut at);
            let seq = get_varint(&self.buf, &mut at);
            let id = if ms_delta == 0 {
                StreamId { ms: self.master.ms, seq: self.master.seq + seq }
            } else {
                StreamId { ms: self.master.ms + ms_delta, seq }
            };
            let pairs = if flags & SAME_FIELDS != 0 {
                master_fields.iter().map(|field| (*field, get_bytes(&self.buf, &mut at))).collect()
            } else {
                let count = get_varint(&self.buf, &mut at) as usize;
                (0..count)
                    .map(|_| {
                        let field = get_bytes(&self.buf, &mut at);
                        (field, get_bytes(&self.buf, &mut at))
                    })
                    .collect()
            };
            out.push((flags_at, flags, EntryView { id, pairs }));
        }
        out
    }

    /// The live entries with ids in `start..=end`, in id order.
    pub fn entries(&self, start: StreamId, end: StreamId) -> Vec<EntryView<'_>> {
        if self.live == 0 || self.last < start || self.master > end {
            return Vec::new();
        }
        self.scan()
            .into_iter()
            .filter(|(_, flags, entry)| flags & DELETED == 0 && entry.id >= start && entry.id <= end)
            .map(|(_, _, entry)| entry)
            .collect()
    }

    /// The ids of the live entries, in order.
    pub fn ids(&self) -> Vec<StreamId> {
        self.entries(StreamId::MIN, StreamId::MAX).into_iter().map(|e| e.id).collect()
    }

    /// Marks entry `id` deleted; whether it was live here.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if id < self.master || id > self.last {
            return false;
        }
        let found = self
            .scan()
            .into_iter()
            .find(|(_, flags, entry)| entry.id == id && flags & DELETED == 0)
            .map(|(at, _, _)| at);
        match found {
            Some(at) => {
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
            .scan()
            .into_iter()
            .filter(|(_, flags, _)| flags & DELETED == 0)
            .take(most as usize)
            .take_while(|(_, _, entry)| keep_going(entry.id))
            .map(|(at, _, _)| at)
            .collect();
        for &at in &marks {
            self.buf[at] |= DELETED;
        }
        self.live -= marks.len() as u32;
        self.deleted += marks.len() as u32;
        marks.len() as u64
    }
}
