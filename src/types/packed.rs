//! [`Packed`]: a small collection's elements as length-prefixed byte strings in one
//! exact-fit buffer — Redis's listpack, simplified (a LEB128 length, then the bytes;
//! no back-pointers, since nothing walks it backwards).
//!
//! Every operation but `push` and `iter` walks from the front, as a listpack's do;
//! that is why a collection leaves this encoding past a few hundred elements (the
//! `*-max-listpack-entries` thresholds). The buffer is boxed at its exact length:
//! a small hash or set pays for its bytes and a 24-byte handle, nothing more.

use super::varint;

/// Length-prefixed entries in one buffer, in insertion order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Packed {
    buf: Box<[u8]>,
    count: u32,
}

/// The entries of a [`Packed`], front to back.
#[derive(Clone)]
pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (len, head) = varint::decode(self.rest);
        let (item, rest) = self.rest[head..].split_at(len as usize);
        self.rest = rest;
        Some(item)
    }
}

impl Packed {
    /// An empty buffer (no allocation).
    pub fn new() -> Packed {
        Packed::default()
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The buffer's length in bytes (entries and their length prefixes).
    pub fn byte_len(&self) -> usize {
        self.buf.len()
    }

    /// The entries, front to back.
    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.buf }
    }

    /// Entry `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.iter().nth(index)
    }

    /// The index of the first entry for which `matches(index, entry)` holds.
    pub fn position(&self, mut matches: impl FnMut(usize, &[u8]) -> bool) -> Option<usize> {
        self.iter().enumerate().position(|(i, item)| matches(i, item))
    }

    /// Byte offset of entry `index` (the buffer's length for `index == len`).
    fn offset(&self, index: usize) -> usize {
        assert!(index <= self.len(), "entry {index} of {}", self.len());
        let mut at = 0;
        for _ in 0..index {
            let (len, head) = varint::decode(&self.buf[at..]);
            at += head + len as usize;
        }
        at
    }

    /// Replaces the bytes `range` of the buffer with `item`'s encoding (or nothing),
    /// keeping the buffer exact-fit.
    fn splice(&mut self, range: std::ops::Range<usize>, item: Option<&[u8]>) {
        let mut head = [0; varint::MAX];
        let (head, body): (&[u8], &[u8]) = match item {
            Some(item) => {
                let len = u32::try_from(item.len()).expect("a packed entry over 4 GiB");
                let n = varint::encode(len, &mut head);
                (&head[..n], item)
            }
            None => (&[], &[]),
        };
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        let new_len = buf.len() - range.len() + head.len() + body.len();
        buf.reserve_exact(new_len.saturating_sub(buf.len()));
        buf.splice(range, head.iter().chain(body).copied());
        self.buf = buf.into_boxed_slice();
    }

    /// Appends `item`.
    pub fn push(&mut self, item: &[u8]) {
        let end = self.buf.len();
        self.splice(end..end, Some(item));
        self.count += 1;
    }

    /// Inserts `item` before entry `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        let at = self.offset(index);
        self.splice(at..at, Some(item));
        self.count += 1;
    }

    /// Replaces entry `index` with `item`.
    pub fn replace(&mut self, index: usize, item: &[u8]) {
        assert!(index < self.len(), "entry {index} of {}", self.len());
        let at = self.offset(index);
        let (len, head) = varint::decode(&self.buf[at..]);
        self.splice(at..at + head + len as usize, Some(item));
    }

    /// Removes entry `index`; later entries move down one.
    pub fn remove(&mut self, index: usize) {
        self.remove_range(index, 1);
    }

    /// Removes `count` entries from `index` on.
    pub fn remove_range(&mut self, index: usize, count: usize) {
        assert!(index + count <= self.len(), "entries {index}+{count} of {}", self.len());
        let start = self.offset(index);
        let mut end = start;
        for _ in 0..count {
            let (len, head) = varint::decode(&self.buf[end..]);
            end += head + len as usize;
        }
        self.splice(start..end, None);
        self.count -= count as u32;
    }

    /// Heap bytes the buffer takes, jemalloc's size class included.
    pub fn heap_bytes(&self) -> usize {
        super::allocation_size(self.buf.len())
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(String::from_utf8_lossy)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Push(Vec<u8>),
        Insert(usize, Vec<u8>),
        Replace(usize, Vec<u8>),
        Remove(usize),
        RemoveRange(usize, usize),
    }

    fn item() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..8),
            proptest::collection::vec(any::<u8>(), 120..140),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            item().prop_map(Op::Push),
            (any::<usize>(), item()).prop_map(|(i, v)| Op::Insert(i, v)),
            (any::<usize>(), item()).prop_map(|(i, v)| Op::Replace(i, v)),
            any::<usize>().prop_map(Op::Remove),
            (any::<usize>(), 0usize..4).prop_map(|(i, n)| Op::RemoveRange(i, n)),
        ]
    }

    proptest! {
        #[test]
        fn packed_behaves_like_a_vec(ops in proptest::collection::vec(op(), 0..60)) {
            let mut packed = Packed::new();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                match op {
                    Op::Push(v) => { packed.push(&v); model.push(v); }
                    Op::Insert(i, v) => {
                        let i = i % (model.len() + 1);
                        packed.insert(i, &v);
                        model.insert(i, v);
                    }
                    Op::Replace(i, v) if !model.is_empty() => {
                        let i = i % model.len();
                        packed.replace(i, &v);
                        model[i] = v;
                    }
                    Op::Remove(i) if !model.is_empty() => {
                        let i = i % model.len();
                        packed.remove(i);
                        model.remove(i);
                    }
                    Op::RemoveRange(i, n) => {
                        let i = i % (model.len() + 1);
                        let n = n.min(model.len() - i);
                        packed.remove_range(i, n);
                        model.drain(i..i + n);
                    }
                    _ => {}
                }
                prop_assert_eq!(packed.len(), model.len());
                prop_assert!(packed.iter().eq(model.iter().map(|v| &v[..])));
                // Exact fit: the buffer is the entries and their prefixes, nothing more.
                let expected: usize = model.iter().map(|v| v.len() + varint::width(v.len() as u32)).sum();
                prop_assert_eq!(packed.byte_len(), expected);
            }
            for (i, v) in model.iter().enumerate() {
                prop_assert_eq!(packed.get(i), Some(&v[..]));
            }
            prop_assert_eq!(packed.get(model.len()), None);
        }
    }

    #[test]
    fn position_finds_the_first_match() {
        let mut packed = Packed::new();
        for item in [&b"a"[..], b"b", b"a", b""] {
            packed.push(item);
        }
        assert_eq!(packed.position(|_, item| item == b"a"), Some(0));
        assert_eq!(packed.position(|i, item| i > 0 && item == b"a"), Some(2));
        assert_eq!(packed.position(|_, item| item.is_empty()), Some(3));
        assert_eq!(packed.position(|_, item| item == b"z"), None);
        assert_eq!(std::mem::size_of::<Packed>(), 24);
    }
}
