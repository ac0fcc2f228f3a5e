//! [`Order`]: the ranks of a large sorted set. Positions into the set's dense
//! array, kept sorted by (score, member) in chunks of at most [`CHUNK`], with a
//! Fenwick tree over the chunks' lengths: finding a rank, or the rank of a place
//! in the order, is O(log n); an insert or removal moves at most a chunk's worth
//! of 4-byte positions.
//!
//! The order holds no scores or members of its own: every comparison reads the
//! element through the `key` function the caller passes (the dense array's
//! element at a position), so a member costs 4 bytes here.

/// Most positions in one chunk; a full chunk splits in two. Small under test, so
/// the property tests (`zset/tests.rs`) cross chunk boundaries, splits and
/// emptied chunks.
const CHUNK: usize = if cfg!(test) { 8 } else { 512 };

/// Positions in (score, member) order (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Order {
    chunks: Vec<Vec<u32>>,
    /// Fenwick tree over `chunks[i].len()`, 1-based.
    tree: Vec<usize>,
    len: usize,
}

impl Order {
    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn rebuild(&mut self) {
        let n = self.chunks.len();
        self.tree = vec![0; n + 1];
        for i in 0..n {
            let mut at = i + 1;
            let add = self.chunks[i].len();
            while at <= n {
                self.tree[at] += add;
                at += at & at.wrapping_neg();
            }
        }
    }

    fn adjust(&mut self, chunk: usize, add: bool) {
        let mut at = chunk + 1;
        while at < self.tree.len() {
            if add {
                self.tree[at] += 1;
            } else {
                self.tree[at] -= 1;
            }
            at += at & at.wrapping_neg();
        }
    }

    /// Elements in the chunks before `chunk`.
    fn before(&self, chunk: usize) -> usize {
        let (mut at, mut sum) = (chunk, 0);
        while at > 0 {
            sum += self.tree[at];
            at &= at - 1;
        }
        sum
    }

    /// The chunk and offset of `rank` (`< len`).
    fn locate(&self, rank: usize) -> (usize, usize) {
        let n = self.chunks.len();
        let (mut at, mut left) = (0usize, rank);
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = at + step;
            if next <= n && self.tree[next] <= left {
                at = next;
                left -= self.tree[next];
            }
            step >>= 1;
        }
        (at, left)
    }

    /// The position at `rank`; panics past the end.
    pub fn at(&self, rank: usize) -> u32 {
        assert!(rank < self.len, "rank {rank} past {}", self.len);
        let (chunk, offset) = self.locate(rank);
        self.chunks[chunk][offset]
    }

    /// How many positions satisfy `below` (which must hold for a prefix of the
    /// order and fail for the rest).
    pub fn partition_point(&self, mut below: impl FnMut(u32) -> bool) -> usize {
        let chunk = self.chunks.partition_point(|c| below(*c.last().expect("no empty chunk")));
        if chunk == self.chunks.len() {
            return self.len;
        }
        self.before(chunk) + self.chunks[chunk].partition_point(|&p| below(p))
    }

    /// Inserts `position` where `below` (true for the positions before it) says.
    pub fn insert(&mut self, position: u32, mut below: impl FnMut(u32) -> bool) {
        if self.chunks.is_empty() {
            self.chunks.push(vec![position]);
            self.len = 1;
            self.rebuild();
            return;
        }
        let last = self.chunks.len() - 1;
        let chunk = self.chunks.partition_point(|c| below(*c.last().expect("no empty chunk"))).min(last);
        let offset = self.chunks[chunk].partition_point(|&p| below(p));
        self.chunks[chunk].insert(offset, position);
        self.len += 1;
        if self.chunks[chunk].len() > CHUNK {
            let tail = self.chunks[chunk].split_off(CHUNK / 2);
            self.chunks.insert(chunk + 1, tail);
            self.rebuild();
        } else {
            self.adjust(chunk, true);
        }
    }

    /// Removes the position at `rank`, returning it; panics past the end.
    pub fn remove(&mut self, rank: usize) -> u32 {
        assert!(rank < self.len, "rank {rank} past {}", self.len);
        let (chunk, offset) = self.locate(rank);
        let position = self.chunks[chunk].remove(offset);
        self.len -= 1;
        if self.chunks[chunk].is_empty() {
            self.chunks.remove(chunk);
            self.rebuild();
        } else {
            self.adjust(chunk, false);
        }
        position
    }

    /// Replaces the position at `rank` (an element moved in the dense array).
    pub fn set(&mut self, rank: usize, position: u32) {
        let (chunk, offset) = self.locate(rank);
        self.chunks[chunk][offset] = position;
    }

    /// The positions from `rank` on, ascending.
    pub fn iter_from(&self, rank: usize) -> impl Iterator<Item = u32> + '_ {
        let (chunk, offset) = if rank >= self.len { (self.chunks.len(), 0) } else { self.locate(rank) };
        self.chunks
            .iter()
            .skip(chunk)
            .enumerate()
            .flat_map(move |(i, c)| c[if i == 0 { offset } else { 0 }..].iter().copied())
    }

    /// The positions from `rank` down to 0, descending.
    pub fn iter_down_from(&self, rank: usize) -> impl Iterator<Item = u32> + '_ {
        let (chunk, offset) = if rank >= self.len {
            (self.chunks.len().saturating_sub(1), self.chunks.last().map_or(0, |c| c.len().saturating_sub(1)))
        } else {
            self.locate(rank)
        };
        let empty = self.chunks.is_empty();
        self.chunks[..if empty { 0 } else { chunk + 1 }]
            .iter()
            .rev()
            .enumerate()
            .flat_map(move |(i, c)| c[..if i == 0 { offset + 1 } else { c.len() }].iter().rev().copied())
    }

    /// Heap bytes of the chunks and the tree.
    pub fn heap_bytes(&self) -> usize {
        let chunks: usize = self.chunks.iter().map(|c| super::super::allocation_size(c.capacity() * 4)).sum();
        chunks
            + super::super::allocation_size(self.chunks.capacity() * std::mem::size_of::<Vec<u32>>())
            + super::super::allocation_size(self.tree.capacity() * std::mem::size_of::<usize>())
    }
}
