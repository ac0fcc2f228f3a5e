//! [`Order`]: the ranks of a large sorted set. Positions into the set's dense
//! array, kept sorted by (score, member) in chunks of at most [`CHUNK`], with a
//! Fenwick tree over the chunks' lengths: finding a rank, or the rank of a place
//! in the order, is O(log n); an insert or removal moves at most a chunk's worth
//! of 4-byte positions.
//!
//! The order holds no members and, per position, no scores: comparisons read
//! the element through the function the caller passes (the dense array's
//! element at a position), so a member costs 4 bytes here, and 4 more in the
//! back-index: each position's chunk, by a chunk id that survives splits and
//! removals (ids map to the chunks' current indexes). The dense array's
//! swap-remove renames its last position; [`Order::remove_moving`] finds that
//! position's slot through the back-index and a scan of one chunk, reading no
//! members, where a search of the order would compare O(log n) of them (cache
//! misses over a large set: what made ZPOPMIN slower than Redis's). A score
//! change moves a position the same way ([`Order::reposition`]: one search).
//!
//! Per chunk it keeps one score, its last element's (the fence, 8 bytes a chunk,
//! about 0.03 a member): a search by score ([`Order::rank_by_score`], every
//! insertion) picks its chunk from the fences and reads elements only inside
//! that chunk (about 9 for a full one) or between equal scores, where a search
//! through the chunks' last elements read about 11 more, each a likely cache
//! miss over a million members.

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
    /// Per chunk, the score of its last position's element: a search by score
    /// finds its chunk from these alone (members are read only between equal
    /// scores), 8 bytes a chunk. Kept by every change through the `score`
    /// function the caller passes.
    fences: Vec<f64>,
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

    /// Recomputes the tree and the chunk ids' indexes after chunks moved: O(chunks),
    /// the tree built bottom-up in its own allocation.
    fn rebuild(&mut self) {
        for (at, &id) in self.ids.iter().enumerate() {
            self.index_of[id as usize] = at as u32;
        }
        let n = self.chunks.len();
        self.tree.clear();
        self.tree.resize(n + 1, 0);
        for i in 1..=n {
            self.tree[i] += self.chunks[i - 1].len();
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                self.tree[parent] += self.tree[i];
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

    /// The first chunk whose last element is not below the target of score
    /// `score` (`below` compares an element with the whole target), clamped to the
    /// last chunk; the fences decide unless a fence equals `score`.
    fn chunk_for(&self, score: f64, below: &mut impl FnMut(u32) -> bool) -> usize {
        let chunk = self.fences.partition_point(|&fence| fence < score);
        // Chunks whose fence equals the score need the members compared.
        let equal = self.fences[chunk..].partition_point(|&fence| fence <= score);
        let within =
            self.chunks[chunk..chunk + equal].partition_point(|c| below(*c.last().expect("no empty chunk")));
        (chunk + within).min(self.chunks.len() - 1)
    }

    /// How many positions are below a target of score `score`, `below` saying
    /// whether a position's element is (the rank where the target is or would be).
    pub fn rank_by_score(&self, score: f64, mut below: impl FnMut(u32) -> bool) -> usize {
        if self.chunks.is_empty() {
            return 0;
        }
        let chunk = self.chunk_for(score, &mut below);
        self.before(chunk) + self.chunks[chunk].partition_point(|&p| below(p))
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
    /// Positions are `0..len`: the new one is the next, `len`. `score` gives a
    /// position's score (for the fences).
    pub fn insert(&mut self, position: u32, score: impl Fn(u32) -> f64, below: impl FnMut(u32) -> bool) {
        assert_eq!(position as usize, self.len, "positions are dense");
        self.home.push(0);
        self.place(position, &score, below);
    }

    /// Puts `position` (not in the order, its `home` entry present) where `below`
    /// says, and records its chunk.
    fn place(&mut self, position: u32, score: &impl Fn(u32) -> f64, mut below: impl FnMut(u32) -> bool) {
        let target = score(position);
        if self.chunks.is_empty() {
            let id = self.new_id();
            self.chunks.push(vec![position]);
            self.ids.push(id);
            self.fences.push(target);
            self.home[position as usize] = id;
            self.len = 1;
            self.rebuild();
            return;
        }
        let chunk = self.chunk_for(target, &mut below);
        let offset = self.chunks[chunk].partition_point(|&p| below(p));
        self.chunks[chunk].insert(offset, position);
        if offset + 1 == self.chunks[chunk].len() {
            self.fences[chunk] = target;
        }
        self.home[position as usize] = self.ids[chunk];
        self.len += 1;
        if self.chunks[chunk].len() > CHUNK {
            let tail = self.chunks[chunk].split_off(CHUNK / 2);
            let id = self.new_id();
            for &p in &tail {
                self.home[p as usize] = id;
            }
            self.chunks.insert(chunk + 1, tail);
            self.ids.insert(chunk + 1, id);
            self.fences.insert(chunk + 1, self.fences[chunk]);
            self.fences[chunk] = score(*self.chunks[chunk].last().expect("half a chunk"));
            self.rebuild();
        } else {
            self.adjust(chunk, true);
        }
    }

    /// Takes the position at `offset` of `chunk` out (its `home` entry stays, stale),
    /// dropping the chunk if that empties it. The last chunk goes without a rebuild:
    /// no other tree entry covers it (ZPOPMAX empties it every few hundred pops).
    fn take(&mut self, chunk: usize, offset: usize, score: &impl Fn(u32) -> f64) -> u32 {
        let position = self.chunks[chunk].remove(offset);
        self.len -= 1;
        if let Some(&last) = self.chunks[chunk].last().filter(|_| offset == self.chunks[chunk].len()) {
            self.fences[chunk] = score(last);
        }
        if self.chunks[chunk].is_empty() {
            self.chunks.remove(chunk);
            self.fences.remove(chunk);
            let id = self.ids.remove(chunk);
            self.free.push(id);
            if chunk == self.chunks.len() {
                self.tree.pop();
            } else {
                self.rebuild();
            }
        } else {
            self.adjust(chunk, false);
        }
        position
    }

    /// The chunk and offset of `position`, through the back-index and a scan of
    /// one chunk (no element is compared).
    fn find(&self, position: u32) -> (usize, usize) {
        let chunk = self.index_of[self.home[position as usize] as usize] as usize;
        let offset = offset_of(&self.chunks[chunk], position).expect("the back-index names the chunk");
        (chunk, offset)
    }

    /// After `position` left the order: renames the last position (`len`, now past
    /// the end) to it, as the dense array's swap-remove moves its last element
    /// into the hole.
    fn rename_last(&mut self, position: u32) {
        let last = self.len as u32;
        if position != last {
            let (chunk, offset) = self.find(last);
            self.chunks[chunk][offset] = position;
            self.home[position as usize] = self.home[last as usize];
        }
        self.home.pop();
    }

    /// Removes the position at `rank`, returning it, and renames the last
    /// position (`len - 1` after the removal) to it, as the dense array's
    /// swap-remove moves its last element into the hole. Panics past the end.
    pub fn remove_moving(&mut self, rank: usize, score: impl Fn(u32) -> f64) -> u32 {
        assert!(rank < self.len, "rank {rank} past {}", self.len);
        let (chunk, offset) = self.locate(rank);
        let position = self.take(chunk, offset, &score);
        self.rename_last(position);
        position
    }

    /// Removes `position` (`< len`), found through the back-index, and renames the
    /// last position to it (as [`Order::remove_moving`]): `ZREM` without a search.
    pub fn remove_position_moving(&mut self, position: u32, score: impl Fn(u32) -> f64) {
        let (chunk, offset) = self.find(position);
        self.take(chunk, offset, &score);
        self.rename_last(position);
    }

    /// Moves `position` (`< len`), whose element's score changed, to where `below`
    /// (true for the positions before it, never asked about `position` itself)
    /// says: the update of a member's score in place, one search instead of a
    /// search for the old place, a removal and an insertion into the dense array.
    pub fn reposition(&mut self, position: u32, score: impl Fn(u32) -> f64, below: impl FnMut(u32) -> bool) {
        let (chunk, offset) = self.find(position);
        self.take(chunk, offset, &score);
        self.place(position, &score, below);
    }

    /// Checks the back-index and the fences against the chunks (the property
    /// tests).
    #[cfg(test)]
    pub fn check(&self, score: impl Fn(u32) -> f64) {
        assert_eq!(self.home.len(), self.len);
        assert_eq!(self.fences.len(), self.chunks.len());
        for (chunk, fence) in self.chunks.iter().zip(&self.fences) {
            assert_eq!(score(*chunk.last().expect("no empty chunk")).to_bits(), fence.to_bits());
        }
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
            + super::super::allocation_size(self.fences.capacity() * 8)
            + [self.home.capacity(), self.ids.capacity(), self.index_of.capacity(), self.free.capacity()]
                .iter()
                .map(|&c| super::super::allocation_size(c * 4))
                .sum::<usize>()
    }
}

/// Where `position` is in `chunk`: compared 16 at a time (a block's comparison
/// vectorizes; the exit is per block).
fn offset_of(chunk: &[u32], position: u32) -> Option<usize> {
    let mut blocks = chunk.chunks_exact(16);
    let mut base = 0;
    for block in &mut blocks {
        if block.iter().fold(false, |found, &p| found | (p == position)) {
            return block.iter().position(|&p| p == position).map(|at| base + at);
        }
        base += 16;
    }
    blocks.remainder().iter().position(|&p| p == position).map(|at| base + at)
}
