//! [`Order`]: the ranks of a large sorted set. Positions into the set's dense
//! array, kept sorted by (score, member) in chunks of at most [`CHUNK`], with a
//! Fenwick tree over the chunks' lengths: finding a rank, or the rank of a place
//! in the order, is O(log n); an insert or removal moves at most a chunk's worth
//! of 4-byte positions.
//!
//! The order holds no scores or members of its own: every comparison reads the
//! element through the `key` function the caller passes (the dense array's
//! element at a position), so a member costs 4 bytes here, and 4 more in the
//! back-index: each position's chunk, by a chunk id that survives splits and
//! removals (ids map to the chunks' current indexes). The dense array's
//! swap-remove renames its last position; [`Order::remove_moving`] finds that
//! position's slot through the back-index and a scan of one chunk, reading no
//! members, where a search of the order would compare O(log n) of them (cache
//! misses over a large set: what made ZPOPMIN slower than Redis's).

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
    /// Position → the id of the chunk holding it (positions are `0..len`).
    home: Vec<u32>,
    /// Chunk index → its id.
    ids: Vec<u32>,
    /// Chunk id → its index (stale for free ids).
    index_of: Vec<u32>,
    /// Ids of removed chunks, for reuse.
    free: Vec<u32>,
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

    /// Recomputes the tree and the chunk ids' indexes after chunks moved.
    fn rebuild(&mut self) {
        for (at, &id) in self.ids.iter().enumerate() {
            self.index_of[id as usize] = at as u32;
        }
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

    fn new_id(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.index_of.push(0);
            (self.index_of.len() - 1) as u32
        })
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
    /// Positions are `0..len`: the new one is the next, `len`.
    pub fn insert(&mut self, position: u32, mut below: impl FnMut(u32) -> bool) {
        assert_eq!(position as usize, self.len, "positions are dense");
        if self.chunks.is_empty() {
            let id = self.new_id();
            self.chunks.push(vec![position]);
            self.ids.push(id);
            self.home.push(id);
            self.len = 1;
            self.rebuild();
            return;
        }
        let last = self.chunks.len() - 1;
        let chunk = self.chunks.partition_point(|c| below(*c.last().expect("no empty chunk"))).min(last);
        let offset = self.chunks[chunk].partition_point(|&p| below(p));
        self.chunks[chunk].insert(offset, position);
        self.home.push(self.ids[chunk]);
        self.len += 1;
        if self.chunks[chunk].len() > CHUNK {
            let tail = self.chunks[chunk].split_off(CHUNK / 2);
            let id = self.new_id();
            for &p in &tail {
                self.home[p as usize] = id;
            }
            self.chunks.insert(chunk + 1, tail);
            self.ids.insert(chunk + 1, id);
            self.rebuild();
        } else {
            self.adjust(chunk, true);
        }
    }

    /// Removes the position at `rank`, returning it, and renames the last
    /// position (`len - 1` after the removal) to it, as the dense array's
    /// swap-remove moves its last element into the hole. Panics past the end.
    pub fn remove_moving(&mut self, rank: usize) -> u32 {
        assert!(rank < self.len, "rank {rank} past {}", self.len);
        let (chunk, offset) = self.locate(rank);
        let position = self.chunks[chunk].remove(offset);
        self.len -= 1;
        if self.chunks[chunk].is_empty() {
            self.chunks.remove(chunk);
            let id = self.ids.remove(chunk);
            self.free.push(id);
            self.rebuild();
        } else {
            self.adjust(chunk, false);
        }
        let last = self.len as u32;
        if position != last {
            let id = self.home[last as usize];
            let holder = &mut self.chunks[self.index_of[id as usize] as usize];
            let slot = holder.iter().position(|&p| p == last).expect("the back-index names the chunk");
            holder[slot] = position;
            self.home[position as usize] = id;
        }
        self.home.pop();
        position
    }

    /// Checks the back-index against the chunks (the property tests).
    #[cfg(test)]
    pub fn check(&self) {
        assert_eq!(self.home.len(), self.len);
        assert_eq!(self.chunks.len(), self.ids.len());
        assert_eq!(self.chunks.iter().map(Vec::len).sum::<usize>(), self.len);
        for (at, chunk) in self.chunks.iter().enumerate() {
            assert!(!chunk.is_empty() && chunk.len() <= CHUNK);
            assert_eq!(self.index_of[self.ids[at] as usize] as usize, at);
            for &p in chunk {
                assert_eq!(self.home[p as usize], self.ids[at], "position {p} in chunk {at}");
            }
        }
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
            + [self.home.capacity(), self.ids.capacity(), self.index_of.capacity(), self.free.capacity()]
                .iter()
                .map(|&c| super::super::allocation_size(c * 4))
                .sum::<usize>()
    }
}
