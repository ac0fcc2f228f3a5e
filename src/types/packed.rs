//! [`Packed`]: a small collection's elements as length-prefixed byte strings in one
//! exact-fit buffer — Redis's listpack, simplified (a LEB128 length, then the bytes;
//! no back-pointers, since nothing walks it backwards).
//!
//! Every operation but `push` and `iter` walks from the front, as a listpack's do;
//! that is why a collection leaves this encoding past a few hundred elements (the
//! `*-max-listpack-*` thresholds). The handle is one thin pointer: the buffer's byte
//! length and entry count sit in front of the entries, in the same allocation, so a
//! small hash or set pays for its bytes plus 8, and its handle fits beside the
//! collection's reference counts in a 32-byte allocation.

use std::alloc::{alloc, dealloc, handle_alloc_error, realloc, Layout};
use std::ptr::NonNull;

use super::varint;

/// The header in front of the entries: their byte length and how many there are.
const HEADER: usize = 8;

/// Length-prefixed entries in one buffer, in insertion order.
#[derive(Default)]
pub struct Packed {
    /// `[byte length: u32][count: u32][entries]`; `None` when empty (no allocation).
    buf: Option<NonNull<u8>>,
}

// SAFETY: a `Packed` owns its buffer outright, like the `Box<[u8]>` it stands for.
unsafe impl Send for Packed {}
// SAFETY: as above; `&Packed` only reads.
unsafe impl Sync for Packed {}

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

/// The allocation of a buffer holding `bytes` bytes of entries.
fn layout(bytes: usize) -> Layout {
    Layout::from_size_align(HEADER + bytes, 4).expect("a packed buffer's layout")
}

impl Packed {
    /// An empty buffer (no allocation).
    pub fn new() -> Packed {
        Packed::default()
    }

    /// The header word `index` (0: byte length, 1: count).
    #[inline]
    fn word(&self, index: usize) -> u32 {
        self.buf.map_or(0, |buf| u32_at(buf, index))
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.word(1) as usize
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.buf.is_none()
    }

    /// The entries' bytes (their length prefixes included).
    pub fn byte_len(&self) -> usize {
        self.word(0) as usize
    }

    /// The entries as one slice.
    #[inline]
    fn bytes(&self) -> &[u8] {
        match self.buf {
            // SAFETY: the `byte_len` bytes after the header are initialised entries.
            Some(buf) => unsafe { std::slice::from_raw_parts(buf.as_ptr().add(HEADER), self.byte_len()) },
            None => &[],
        }
    }

    /// The entries, front to back.
    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: self.bytes() }
    }

    /// Entry `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.iter().nth(index)
    }

    /// The index of the first entry for which `matches(index, entry)` holds.
    pub fn position(&self, mut matches: impl FnMut(usize, &[u8]) -> bool) -> Option<usize> {
        self.iter().enumerate().position(|(i, item)| matches(i, item))
    }

    /// Byte offset of entry `index` (the byte length for `index == len`).
    fn offset(&self, index: usize) -> usize {
        assert!(index <= self.len(), "entry {index} of {}", self.len());
        let bytes = self.bytes();
        let mut at = 0;
        for _ in 0..index {
            let (len, head) = varint::decode(&bytes[at..]);
            at += head + len as usize;
        }
        at
    }

    /// Replaces the bytes `range` of the entries with the encodings of `items`, and
    /// adds `count_change` to the count, keeping the buffer exact-fit: one
    /// reallocation at most.
    fn splice(&mut self, range: std::ops::Range<usize>, items: &[&[u8]], count_change: isize) {
        let old_len = self.byte_len();
        assert!(range.start <= range.end && range.end <= old_len, "a splice inside the buffer");
        let mut heads = Vec::with_capacity(items.len());
        let mut added = 0usize;
        for item in items {
            let mut head = [0; varint::MAX];
            let n = varint::encode(u32::try_from(item.len()).expect("a packed entry over 4 GiB"), &mut head);
            added += n + item.len();
            heads.push((head, n));
        }
        let new_len = old_len - range.len() + added;
        let count = (self.len() as isize + count_change) as usize;
        let new_len32 = u32::try_from(new_len).expect("a packed buffer over 4 GiB");
        if count == 0 {
            debug_assert_eq!(new_len, 0, "no entries, no bytes");
            self.free();
            return;
        }
        let tail = old_len - range.end;
        // SAFETY: every pointer below stays inside the allocation, whose size is
        // `HEADER + old_len` before and `HEADER + new_len` after the reallocation;
        // the tail is moved with `copy` (overlapping), before shrinking and after
        // growing, so no byte is lost; the new entries are written into the gap.
        unsafe {
            let base = match self.buf {
                None => {
                    let fresh = alloc(layout(new_len));
                    if fresh.is_null() {
                        handle_alloc_error(layout(new_len));
                    }
                    fresh
                }
                Some(buf) if new_len < old_len => {
                    let data = buf.as_ptr().add(HEADER);
                    std::ptr::copy(data.add(range.end), data.add(range.start + added), tail);
                    let moved = realloc(buf.as_ptr(), layout(old_len), HEADER + new_len);
                    if moved.is_null() {
                        handle_alloc_error(layout(new_len));
                    }
                    moved
                }
                Some(buf) => {
                    let moved = if new_len > old_len {
                        realloc(buf.as_ptr(), layout(old_len), HEADER + new_len)
                    } else {
                        buf.as_ptr()
                    };
                    if moved.is_null() {
                        handle_alloc_error(layout(new_len));
                    }
                    let data = moved.add(HEADER);
                    std::ptr::copy(data.add(range.end), data.add(range.start + added), tail);
                    moved
                }
            };
            let mut at = base.add(HEADER + range.start);
            for (item, (head, n)) in items.iter().zip(&heads) {
                std::ptr::copy_nonoverlapping(head.as_ptr(), at, *n);
                at = at.add(*n);
                std::ptr::copy_nonoverlapping(item.as_ptr(), at, item.len());
                at = at.add(item.len());
            }
            base.cast::<u32>().write(new_len32);
            base.cast::<u32>().add(1).write(count as u32);
            self.buf = Some(NonNull::new_unchecked(base));
        }
    }

    /// Frees the buffer (the collection is empty).
    fn free(&mut self) {
        if let Some(buf) = self.buf.take() {
            let len = u32_at(buf, 0) as usize;
            // SAFETY: allocated with this layout by `splice`, freed once.
            unsafe { dealloc(buf.as_ptr(), layout(len)) }
        }
    }

    /// Appends `item`.
    pub fn push(&mut self, item: &[u8]) {
        self.extend(&[item]);
    }

    /// Appends `items`, in order, with one reallocation.
    pub fn extend(&mut self, items: &[&[u8]]) {
        let end = self.byte_len();
        self.splice(end..end, items, items.len() as isize);
    }

    /// Inserts `item` before entry `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        let at = self.offset(index);
        self.splice(at..at, &[item], 1);
    }

    /// Replaces entry `index` with `item`.
    pub fn replace(&mut self, index: usize, item: &[u8]) {
        assert!(index < self.len(), "entry {index} of {}", self.len());
        let at = self.offset(index);
        let (len, head) = varint::decode(&self.bytes()[at..]);
        self.splice(at..at + head + len as usize, &[item], 0);
    }

    /// Removes entry `index`; later entries move down one.
    pub fn remove(&mut self, index: usize) {
        self.remove_range(index, 1);
    }

    /// Removes `count` entries from `index` on.
    pub fn remove_range(&mut self, index: usize, count: usize) {
        assert!(index + count <= self.len(), "entries {index}+{count} of {}", self.len());
        let start = self.offset(index);
        let bytes = self.bytes();
        let mut end = start;
        for _ in 0..count {
            let (len, head) = varint::decode(&bytes[end..]);
            end += head + len as usize;
        }
        self.splice(start..end, &[], -(count as isize));
    }

    /// Heap bytes the buffer takes, jemalloc's size class included.
    pub fn heap_bytes(&self) -> usize {
        if self.buf.is_none() {
            return 0;
        }
        super::allocation_size(HEADER + self.byte_len())
    }
}

/// The header word at `index` of an allocated buffer.
fn u32_at(buf: NonNull<u8>, index: usize) -> u32 {
    // SAFETY: an allocated buffer starts with its two initialised, 4-aligned words.
    unsafe { buf.as_ptr().cast::<u32>().add(index).read() }
}

impl Drop for Packed {
    fn drop(&mut self) {
        self.free();
    }
}

impl Clone for Packed {
    /// One allocation copied whole, header and entries.
    fn clone(&self) -> Packed {
        let Some(buf) = self.buf else { return Packed::new() };
        let layout = layout(self.byte_len());
        // SAFETY: `buf` holds `layout.size()` initialised bytes; the copy fills a
        // fresh allocation of the same layout.
        unsafe {
            let copy = alloc(layout);
            if copy.is_null() {
                handle_alloc_error(layout);
            }
            std::ptr::copy_nonoverlapping(buf.as_ptr(), copy, layout.size());
            Packed { buf: Some(NonNull::new_unchecked(copy)) }
        }
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Packed) -> bool {
        self.len() == other.len() && self.bytes() == other.bytes()
    }
}

impl Eq for Packed {}

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
        Extend(Vec<Vec<u8>>),
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
            proptest::collection::vec(item(), 0..4).prop_map(Op::Extend),
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
                    Op::Extend(items) => {
                        let slices: Vec<&[u8]> = items.iter().map(|v| &v[..]).collect();
                        packed.extend(&slices);
                        model.extend(items);
                    }
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
                prop_assert_eq!(packed.is_empty(), model.is_empty());
                prop_assert_eq!(&packed.clone(), &packed);
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
        assert_eq!(std::mem::size_of::<Packed>(), 8);
    }
}
