//! [`Node`]: one packed node of a list — its elements as length-framed byte strings
//! in one buffer, walkable from both ends (Redis's listpack with its back-lengths).
//!
//! An entry is `[length, LEB128][bytes][length, LEB128 reversed]`: a 16-byte element
//! takes 18 bytes, as in a listpack (one header byte, the bytes, one back-length
//! byte). The live entries are `buf[start..]`: popping from the front only moves
//! `start` on (the gap is given back once it outgrows the entries), and pushing at
//! the front fills that gap, leaving a fresh gap proportional to the node when it
//! runs out, so both ends are amortised O(1) instead of moving the whole node each
//! time. A node that stops being an end of its list is shrunk to fit
//! ([`Node::seal`]).

/// The most bytes a length takes (a `u64` in LEB128).
const MAX_HEAD: usize = 10;

/// Writes the LEB128 encoding of `value` into `out`, returning its width.
fn encode(mut value: u64, out: &mut [u8; MAX_HEAD]) -> usize {
    let mut n = 0;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out[n] = byte;
            return n + 1;
        }
        out[n] = byte | 0x80;
        n += 1;
    }
}

/// The width of `value`'s LEB128 encoding.
fn width(value: usize) -> usize {
    let bits = usize::BITS - (value | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

/// Reads a length from the front of `bytes`: the value and its width.
#[inline]
fn decode_front(bytes: &[u8]) -> (usize, usize) {
    let first = bytes[0];
    if first & 0x80 == 0 {
        return (first as usize, 1);
    }
    let mut value = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(MAX_HEAD) {
        value |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    unreachable!("a list entry's length cut short")
}

/// Reads a back-length from the end of `bytes`: the value and its width.
#[inline]
fn decode_back(bytes: &[u8]) -> (usize, usize) {
    let end = bytes.len();
    let last = bytes[end - 1];
    if last & 0x80 == 0 {
        return (last as usize, 1);
    }
    let mut value = 0usize;
    for i in 0..MAX_HEAD {
        let byte = bytes[end - 1 - i];
        value |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    unreachable!("a list entry's back-length cut short")
}

/// The bytes an entry of `len` bytes takes in a node.
#[inline]
pub(super) fn entry_size(len: usize) -> usize {
    2 * width(len) + len
}

/// Appends the framed `item` to `out`.
fn frame(item: &[u8], out: &mut Vec<u8>) {
    let mut head = [0; MAX_HEAD];
    let n = encode(item.len() as u64, &mut head);
    out.extend_from_slice(&head[..n]);
    out.extend_from_slice(item);
    out.extend(head[..n].iter().rev());
}

/// One packed node (see the module docs).
#[derive(Default)]
pub(super) struct Node {
    /// The entries are `buf[start..]`; `buf[..start]` is a gap for front pushes.
    buf: Vec<u8>,
    start: u32,
    count: u32,
}

/// The entries of a node (or a part of one), from either end.
#[derive(Clone)]
pub(super) struct Entries<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let (len, head) = decode_front(self.rest);
        let item = &self.rest[head..head + len];
        self.rest = &self.rest[2 * head + len..];
        self.left -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a> DoubleEndedIterator for Entries<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let (len, head) = decode_back(self.rest);
        let end = self.rest.len();
        let item = &self.rest[end - head - len..end - head];
        self.rest = &self.rest[..end - 2 * head - len];
        self.left -= 1;
        Some(item)
    }
}

impl ExactSizeIterator for Entries<'_> {}

impl Entries<'_> {
    /// Skips `n` entries from the front (at most what is left).
    pub(super) fn skip_front(&mut self, n: usize) {
        for _ in 0..n {
            if self.next().is_none() {
                break;
            }
        }
    }
}

impl Node {
    /// A node with no entries (no allocation).
    pub(super) const fn empty() -> Node {
        Node { buf: Vec::new(), start: 0, count: 0 }
    }

    /// Entries held.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.count as usize
    }

    /// The entries' bytes, framing included.
    #[inline]
    pub(super) fn byte_len(&self) -> usize {
        self.buf.len() - self.start as usize
    }

    /// The live entries' bytes.
    #[inline]
    fn bytes(&self) -> &[u8] {
        &self.buf[self.start as usize..]
    }

    /// The entries, front to back (and back to front).
    #[inline]
    pub(super) fn entries(&self) -> Entries<'_> {
        Entries { rest: self.bytes(), left: self.len() }
    }

    /// Heap bytes the buffer takes, jemalloc's size class included.
    pub(super) fn heap_bytes(&self) -> usize {
        super::super::allocation_size(self.buf.capacity())
    }

    /// Appends `item`. The buffer grows by doubling, but never past `max_bytes` of
    /// entries (the node's limit) unless this entry needs it, so a full node sits in
    /// the allocator's size class of its limit and sealing it moves nothing.
    pub(super) fn push_back(&mut self, item: &[u8], max_bytes: usize) {
        let needed = self.buf.len() + entry_size(item.len());
        if needed > self.buf.capacity() {
            let ceiling = max_bytes.saturating_add(self.start as usize).max(needed);
            let target = (self.buf.capacity() * 2).max(needed).max(16).min(ceiling);
            self.buf.reserve_exact(target - self.buf.len());
        }
        frame(item, &mut self.buf);
        self.count += 1;
    }

    /// Puts `item` in front of the others (the gap kept within `max_bytes`, as for
    /// [`Node::push_back`]).
    pub(super) fn push_front(&mut self, item: &[u8], max_bytes: usize) {
        let size = entry_size(item.len());
        if (self.start as usize) < size {
            // A fresh gap, as large as the entries (at least this one, at most 4 KB
            // more than it, within the node's limit), so a run of front pushes moves
            // the node rarely.
            let live = self.byte_len();
            let room = max_bytes.saturating_sub(live + size);
            let gap = size + live.clamp(16, 4096).min(room);
            let mut buf = Vec::with_capacity(gap + live);
            buf.resize(gap, 0);
            buf.extend_from_slice(self.bytes());
            self.buf = buf;
            self.start = gap as u32;
        }
        let at = self.start as usize - size;
        let mut head = [0; MAX_HEAD];
        let n = encode(item.len() as u64, &mut head);
        self.buf[at..at + n].copy_from_slice(&head[..n]);
        self.buf[at + n..at + n + item.len()].copy_from_slice(item);
        for (i, byte) in head[..n].iter().rev().enumerate() {
            self.buf[at + n + item.len() + i] = *byte;
        }
        self.start = at as u32;
        self.count += 1;
    }

    /// Removes and returns the first entry.
    pub(super) fn pop_front(&mut self) -> Option<Vec<u8>> {
        let item = self.entries().next()?.to_vec();
        self.start += entry_size(item.len()) as u32;
        self.count -= 1;
        if self.count == 0 {
            *self = Node::default();
        } else if self.start as usize > self.byte_len().max(64) {
            self.compact();
        }
        Some(item)
    }

    /// Removes and returns the last entry.
    pub(super) fn pop_back(&mut self) -> Option<Vec<u8>> {
        let item = self.entries().next_back()?.to_vec();
        self.buf.truncate(self.buf.len() - entry_size(item.len()));
        self.count -= 1;
        if self.count == 0 {
            *self = Node::default();
        }
        Some(item)
    }

    /// Moves the entries to the front of the buffer (the gap is given back when the
    /// buffer has twice what it needs).
    fn compact(&mut self) {
        let start = self.start as usize;
        if start > 0 {
            self.buf.copy_within(start.., 0);
            self.buf.truncate(self.buf.len() - start);
            self.start = 0;
        }
        if self.buf.capacity() > 2 * self.buf.len() {
            self.buf.shrink_to_fit();
        }
    }

    /// Shrinks the buffer to fit its entries: the node is no longer an end of its
    /// list, so nothing will be pushed into it.
    pub(super) fn seal(&mut self) {
        self.compact();
        self.buf.shrink_to_fit();
    }

    /// The byte range of entry `index` within the live bytes.
    fn span(&self, index: usize) -> std::ops::Range<usize> {
        assert!(index < self.len(), "entry {index} of {}", self.len());
        let bytes = self.bytes();
        if index < self.len() / 2 {
            let mut at = 0;
            for _ in 0..index {
                let (len, head) = decode_front(&bytes[at..]);
                at += 2 * head + len;
            }
            let (len, head) = decode_front(&bytes[at..]);
            at..at + 2 * head + len
        } else {
            let mut end = bytes.len();
            for _ in index + 1..self.len() {
                let (len, head) = decode_back(&bytes[..end]);
                end -= 2 * head + len;
            }
            let (len, head) = decode_back(&bytes[..end]);
            end - 2 * head - len..end
        }
    }

    /// Entry `index` (walked from the nearer end).
    pub(super) fn get(&self, index: usize) -> &[u8] {
        let span = self.span(index);
        let bytes = &self.bytes()[span];
        let (len, head) = decode_front(bytes);
        &bytes[head..head + len]
    }

    /// Replaces the live bytes `range` with `framed` (already framed entries) and
    /// adjusts the count.
    fn splice(&mut self, range: std::ops::Range<usize>, framed: &[u8], added: isize) {
        let start = self.start as usize;
        self.buf.splice(start + range.start..start + range.end, framed.iter().copied());
        self.count = (self.count as isize + added) as u32;
    }

    /// Replaces entry `index` with `item`.
    pub(super) fn replace(&mut self, index: usize, item: &[u8]) {
        let span = self.span(index);
        let mut framed = Vec::with_capacity(entry_size(item.len()));
        frame(item, &mut framed);
        self.splice(span, &framed, 0);
    }

    /// Inserts `item` before entry `index` (`index == len` appends).
    pub(super) fn insert(&mut self, index: usize, item: &[u8]) {
        if index == self.len() {
            return self.push_back(item, usize::MAX);
        }
        let at = self.span(index).start;
        let mut framed = Vec::with_capacity(entry_size(item.len()));
        frame(item, &mut framed);
        self.splice(at..at, &framed, 1);
    }

    /// Removes `count` entries from `index` on.
    pub(super) fn remove_range(&mut self, index: usize, count: usize) {
        assert!(index + count <= self.len(), "entries {index}+{count} of {}", self.len());
        if count == 0 {
            return;
        }
        if count == self.len() {
            *self = Node::default();
            return;
        }
        let start = self.span(index).start;
        let end = self.span(index + count - 1).end;
        self.splice(start..end, &[], -(count as isize));
        if self.buf.capacity() > 2 * self.buf.len() + 64 {
            self.compact();
        }
    }

    /// Keeps only the entries for which `keep(entry)` holds, in one pass; returns
    /// how many went.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) -> usize {
        let mut kept = Vec::new();
        let mut count = 0u32;
        for item in self.entries() {
            if keep(item) {
                frame(item, &mut kept);
                count += 1;
            }
        }
        let removed = (self.count - count) as usize;
        if removed > 0 {
            kept.shrink_to_fit();
            self.buf = kept;
            self.start = 0;
            self.count = count;
        }
        removed
    }

    /// Splits the node at `index`: this one keeps the entries before it, the one
    /// returned holds the rest.
    pub(super) fn split_off(&mut self, index: usize) -> Node {
        if index == self.len() {
            return Node::default();
        }
        let at = self.span(index).start + self.start as usize;
        let tail = self.buf[at..].to_vec();
        self.buf.truncate(at);
        let moved = self.count - index as u32;
        self.count = index as u32;
        self.seal();
        Node { buf: tail, start: 0, count: moved }
    }

    /// Appends every entry of `other`.
    pub(super) fn append(&mut self, other: &Node) {
        self.buf.extend_from_slice(other.bytes());
        self.count += other.count;
    }
}

impl Clone for Node {
    /// The live entries only, exact-fit.
    fn clone(&self) -> Node {
        Node { buf: self.bytes().to_vec(), start: 0, count: self.count }
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries().map(String::from_utf8_lossy)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_read_back_from_both_ends() {
        for len in [0usize, 1, 127, 128, 300, 16383, 16384, 1 << 21, 1 << 35] {
            let mut head = [0; MAX_HEAD];
            let n = encode(len as u64, &mut head);
            assert_eq!(n, width(len), "{len}");
            assert_eq!(decode_front(&head[..n]), (len, n));
            let back: Vec<u8> = head[..n].iter().rev().copied().collect();
            assert_eq!(decode_back(&back), (len, n));
        }
        assert_eq!(entry_size(16), 18);
    }

    #[test]
    fn both_ends_push_and_pop() {
        let mut node = Node::default();
        let big = vec![7u8; 300];
        for i in 0..100u32 {
            node.push_front(i.to_string().as_bytes(), usize::MAX);
            node.push_back(&big, usize::MAX);
        }
        assert_eq!(node.len(), 200);
        assert_eq!(node.entries().next(), Some(&b"99"[..]));
        assert_eq!(node.entries().next_back(), Some(&big[..]));
        assert_eq!(node.get(1), b"98");
        assert_eq!(node.get(99), b"0");
        assert_eq!(node.get(100), &big[..]);
        for i in (0..100u32).rev() {
            assert_eq!(node.pop_front().unwrap(), i.to_string().as_bytes());
            assert_eq!(node.pop_back().unwrap(), big);
        }
        assert_eq!(node.len(), 0);
        assert_eq!(node.pop_front(), None);
        assert_eq!(node.heap_bytes(), 0);
    }

    #[test]
    fn a_node_grows_no_further_than_its_limit() {
        let (mut back, mut front) = (Node::default(), Node::default());
        while back.byte_len() + 18 <= 8185 {
            back.push_back(b"0123456789abcdef", 8185);
            front.push_front(b"0123456789abcdef", 8185);
        }
        assert!(back.buf.capacity() <= 8185, "{}", back.buf.capacity());
        assert!(front.buf.capacity() <= 8185 + 18, "{}", front.buf.capacity());
        // One entry past the limit (a lone large element) still fits.
        let mut lone = Node::default();
        lone.push_back(&[7u8; 10_000], 8185);
        assert_eq!(lone.get(0).len(), 10_000);
    }
}
