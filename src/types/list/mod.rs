//! [`List`]: Redis's list type in the two encodings Redis 7.2 gives it:
//!
//! - **`listpack`**: one packed [`Node`] while the list is small;
//! - **`quicklist`**: a chain of packed nodes (a `VecDeque`, so both ends are O(1)
//!   and a position is found by walking the nodes' counts from the nearer end),
//!   each bounded by `list-max-listpack-size` ([`Limits`]).
//!
//! The conversions are 7.2's `t_list.c` (`listTypeTryConversion`): a listpack
//! becomes a quicklist when the elements about to be added would take it past one
//! node's limit; a quicklist becomes a listpack again when it shrinks to one node
//! holding at most half a node's limit. An entry costs what a listpack entry of
//! the same string does (18 bytes for 16 bytes of data); see [`node`].

mod node;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use node::{entry_size, Node};

use crate::engine::{Collection, Kind, Typed};

/// Elements per `RPUSH` the AOF rewrite writes (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const REWRITE_BATCH: usize = 64;

/// The byte limit per node of `list-max-listpack-size` -1 … -5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// The most bytes a node bounded by a count holds (Redis's `SIZE_SAFETY_LIMIT`).
const SIZE_SAFETY_LIMIT: usize = 8192;

/// What a listpack's header and end byte add to its entries (Redis's `lpBytes`).
const LISTPACK_OVERHEAD: usize = 7;

/// An end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head (`LPUSH`, `LPOP`).
    Left,
    /// The tail (`RPUSH`, `RPOP`).
    Right,
}

impl End {
    /// `LEFT` / `RIGHT`, any case.
    pub fn parse(word: &[u8]) -> Option<End> {
        if word.eq_ignore_ascii_case(b"left") {
            Some(End::Left)
        } else if word.eq_ignore_ascii_case(b"right") {
            Some(End::Right)
        } else {
            None
        }
    }

    /// "LEFT" / "RIGHT" (for logged effects).
    pub fn name(self) -> &'static str {
        match self {
            End::Left => "LEFT",
            End::Right => "RIGHT",
        }
    }
}

/// The node bound `list-max-listpack-size` sets, passed in by whoever changes a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Positive: entries per node (and at most 8 KB); 0 counts as 1; -1 … -5: 4, 8,
    /// 16, 32 or 64 KB per node (below -5 as -5).
    pub fill: i32,
}

impl Default for Limits {
    /// Redis's default, -2 (8 KB nodes).
    fn default() -> Self {
        Limits { fill: -2 }
    }
}

impl Limits {
    /// The byte and entry limits of one node (Redis's `quicklistNodeLimit`).
    fn node_limits(self) -> (usize, usize) {
        if self.fill >= 0 {
            (usize::MAX, self.fill.max(1) as usize)
        } else {
            let level = (self.fill.unsigned_abs() as usize - 1).min(SIZE_LEVELS.len() - 1);
            (SIZE_LEVELS[level], usize::MAX)
        }
    }

    /// The most entry bytes a node holds (its byte limit less a listpack's
    /// overhead; for a count limit, Redis's safety limit).
    fn node_bytes(self) -> usize {
        match self.node_limits() {
            (usize::MAX, _) => SIZE_SAFETY_LIMIT - LISTPACK_OVERHEAD,
            (size, _) => size - LISTPACK_OVERHEAD,
        }
    }

    /// Whether a node of `bytes` bytes (listpack-counted) and `count` entries is over
    /// the limit (Redis's `quicklistNodeExceedsLimit`).
    fn exceeded(self, bytes: usize, count: usize) -> bool {
        let (size, entries) = self.node_limits();
        if size != usize::MAX {
            bytes > size
        } else {
            bytes > SIZE_SAFETY_LIMIT || count > entries
        }
    }
}

/// A list of byte strings (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
    /// The `quicklist` encoding (else `listpack`: at most one node).
    quick: bool,
}

/// An empty node, to iterate over where a range starts past the end.
static EMPTY: Node = Node::empty();

impl List {
    /// An empty list (a listpack).
    pub fn new() -> List {
        List::default()
    }

    /// Elements held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `listpack` or `quicklist`, as `OBJECT ENCODING` (Redis 7.2) names it.
    pub fn encoding_name(&self) -> &'static str {
        if self.quick {
            "quicklist"
        } else {
            "listpack"
        }
    }

    /// Nodes in the chain (one for a listpack).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A listpack about to take `add_len` more elements taking `add_bytes` bytes in
    /// all (framed) becomes a quicklist if they would take it past one node's limit
    /// (7.2's `listTypeTryConvertListpack`, which counts the strings' bytes; the
    /// framing is counted here so a listpack's node never outgrows a node).
    fn grow_check(&mut self, add_bytes: usize, add_len: usize, limits: Limits) {
        if self.quick {
            return;
        }
        let bytes = self.nodes.front().map_or(0, Node::byte_len) + LISTPACK_OVERHEAD;
        if limits.exceeded(bytes + add_bytes, self.len + add_len) {
            self.quick = true;
        }
    }

    /// A quicklist left as one node holding at most half a node's limit becomes a
    /// listpack again (7.2's `listTypeTryConvertQuicklist`, shrinking).
    fn shrink_check(&mut self, limits: Limits) {
        if !self.quick || self.nodes.len() > 1 {
            return;
        }
        let (size, count) = limits.node_limits();
        let bytes = self.nodes.front().map_or(0, Node::byte_len) + LISTPACK_OVERHEAD;
        if bytes <= size / 2 && self.len <= count / 2 {
            self.quick = false;
        }
    }

    /// Whether `node` may take one more entry of `len` bytes.
    fn fits(&self, node: &Node, len: usize, limits: Limits) -> bool {
        !self.quick || !limits.exceeded(node.byte_len() + LISTPACK_OVERHEAD + entry_size(len), node.len() + 1)
    }

    /// Pushes `items` one by one at `end` (so `LPUSH k a b` leaves `b a`).
    pub fn push<I: AsRef<[u8]>>(&mut self, end: End, items: &[I], limits: Limits) {
        let add_bytes: usize = items.iter().map(|i| entry_size(i.as_ref().len())).sum();
        self.grow_check(add_bytes, items.len(), limits);
        for item in items {
            self.push_one(end, item.as_ref(), limits);
        }
    }

    /// Pushes one element at `end`; the encoding has been checked.
    fn push_one(&mut self, end: End, item: &[u8], limits: Limits) {
        let node = match end {
            End::Left => self.nodes.front(),
            End::Right => self.nodes.back(),
        };
        let fits = node.is_some_and(|node| self.fits(node, item.len(), limits));
        if !fits {
            // The old end is interior now: give back its slack.
            let old = match end {
                End::Left => self.nodes.front_mut(),
                End::Right => self.nodes.back_mut(),
            };
            if let Some(old) = old {
                old.seal();
            }
            match end {
                End::Left => self.nodes.push_front(Node::default()),
                End::Right => self.nodes.push_back(Node::default()),
            }
        }
        let max_bytes = limits.node_bytes();
        match end {
            End::Left => self.nodes.front_mut().expect("a node").push_front(item, max_bytes),
            End::Right => self.nodes.back_mut().expect("a node").push_back(item, max_bytes),
        }
        self.len += 1;
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End, limits: Limits) -> Option<Vec<u8>> {
        let item = match end {
            End::Left => {
                let node = self.nodes.front_mut()?;
                let item = node.pop_front();
                if node.len() == 0 {
                    self.nodes.pop_front();
                }
                item
            }
            End::Right => {
                let node = self.nodes.back_mut()?;
                let item = node.pop_back();
                if node.len() == 0 {
                    self.nodes.pop_back();
                }
                item
            }
        }?;
        self.len -= 1;
        self.shrink_check(limits);
        Some(item)
    }

    /// The element at `end`.
    pub fn peek(&self, end: End) -> Option<&[u8]> {
        match end {
            End::Left => self.nodes.front()?.entries().next(),
            End::Right => self.nodes.back()?.entries().next_back(),
        }
    }

    /// Which node holds element `index` (< len), and where in it: walked from the
    /// nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        debug_assert!(index < self.len);
        if index < self.len / 2 {
            let mut left = index;
            for (i, node) in self.nodes.iter().enumerate() {
                if left < node.len() {
                    return (i, left);
                }
                left -= node.len();
            }
        } else {
            let mut right = self.len - 1 - index;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                if right < node.len() {
                    return (i, node.len() - 1 - right);
                }
                right -= node.len();
            }
        }
        unreachable!("an index inside the list")
    }

    /// Element `index` (0 is the head), if there is one.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len {
            return None;
        }
        let (node, at) = self.locate(index);
        Some(self.nodes[node].get(at))
    }

    /// The elements from `start` on, front to back, at most `count` of them.
    pub fn range(&self, start: usize, count: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (first, head) = if start < self.len {
            let (node, at) = self.locate(start);
            let mut entries = self.nodes[node].entries();
            entries.skip_front(at);
            (node + 1, entries)
        } else {
            (self.nodes.len(), EMPTY.entries())
        };
        head.chain(self.nodes.range(first..).flat_map(Node::entries)).take(count)
    }

    /// Every element, front to back.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.nodes.iter().flat_map(Node::entries)
    }

    /// Splits node `at` if it has grown past the limit (an insert or replace in the
    /// middle of a quicklist), in halves.
    fn split_if_over(&mut self, at: usize, limits: Limits) {
        if !self.quick {
            return;
        }
        let node = &self.nodes[at];
        if node.len() > 1 && limits.exceeded(node.byte_len() + LISTPACK_OVERHEAD, node.len()) {
            let half = node.len() / 2;
            let tail = self.nodes[at].split_off(half);
            self.nodes.insert(at + 1, tail);
        }
    }

    /// Replaces element `index` with `item`; false if there is no such element.
    pub fn set(&mut self, index: usize, item: &[u8], limits: Limits) -> bool {
        if index >= self.len {
            return false;
        }
        self.grow_check(entry_size(item.len()), 0, limits);
        let (node, at) = self.locate(index);
        self.nodes[node].replace(at, item);
        self.split_if_over(node, limits);
        self.shrink_check(limits);
        true
    }

    /// Inserts `item` before element `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, item: &[u8], limits: Limits) {
        assert!(index <= self.len, "insert at {index} of {}", self.len);
        if index == 0 {
            return self.push(End::Left, &[item], limits);
        }
        if index == self.len {
            return self.push(End::Right, &[item], limits);
        }
        self.grow_check(entry_size(item.len()), 1, limits);
        let (node, at) = self.locate(index);
        self.nodes[node].insert(at, item);
        self.len += 1;
        self.split_if_over(node, limits);
    }

    /// Drops empty nodes and merges neighbours that fit in one node together.
    fn tidy(&mut self, limits: Limits) {
        self.nodes.retain(|node| node.len() > 0);
        if self.quick && self.nodes.len() > 1 {
            let mut merged: VecDeque<Node> = VecDeque::with_capacity(self.nodes.len());
            for node in self.nodes.drain(..) {
                match merged.back_mut() {
                    Some(last)
                        if !limits.exceeded(
                            last.byte_len() + node.byte_len() + LISTPACK_OVERHEAD,
                            last.len() + node.len(),
                        ) =>
                    {
                        last.append(&node)
                    }
                    _ => merged.push_back(node),
                }
            }
            self.nodes = merged;
        }
        self.shrink_check(limits);
    }

    /// Removes up to `limit` elements equal to `element` (every one for `None`),
    /// from the head or, `from_tail`, from the tail; returns how many went.
    pub fn remove_matching(
        &mut self,
        element: &[u8],
        limit: Option<usize>,
        from_tail: bool,
        limits: Limits,
    ) -> usize {
        let mut left = limit.unwrap_or(usize::MAX);
        let mut removed = 0;
        let order: Vec<usize> =
            if from_tail { (0..self.nodes.len()).rev().collect() } else { (0..self.nodes.len()).collect() };
        for i in order {
            if left == 0 {
                break;
            }
            let node = &mut self.nodes[i];
            let matches = node.entries().filter(|item| *item == element).count();
            if matches == 0 {
                continue;
            }
            let gone = if matches <= left {
                node.retain(|item| item != element)
            } else {
                // Only some of this node's matches go: the first `left` from the
                // side the removal walks from.
                let skip = if from_tail { matches - left } else { 0 };
                let mut seen = 0;
                node.retain(|item| {
                    if item != element {
                        return true;
                    }
                    seen += 1;
                    !(seen > skip && seen <= skip + left)
                })
            };
            left -= gone;
            removed += gone;
        }
        self.len -= removed;
        if removed > 0 {
            self.tidy(limits);
        }
        removed
    }

    /// Keeps only elements `start ..= end` (both < len, `start <= end`): drops
    /// `start` from the head and `len - 1 - end` from the tail.
    pub fn trim(&mut self, start: usize, end: usize, limits: Limits) {
        assert!(start <= end && end < self.len, "trim {start}..={end} of {}", self.len);
        self.drop_front(start);
        let tail = self.len - (end - start + 1);
        self.drop_back(tail);
        self.tidy(limits);
    }

    /// Removes `n` (≤ len) elements from the head.
    fn drop_front(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let node = self.nodes.front_mut().expect("a node to drop from");
            if node.len() <= n {
                n -= node.len();
                self.nodes.pop_front();
            } else {
                node.remove_range(0, n);
                n = 0;
            }
        }
    }

    /// Removes `n` (≤ len) elements from the tail.
    fn drop_back(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let node = self.nodes.back_mut().expect("a node to drop from");
            if node.len() <= n {
                n -= node.len();
                self.nodes.pop_back();
            } else {
                let keep = node.len() - n;
                node.remove_range(keep, n);
                n = 0;
            }
        }
    }

    /// Removes every element (the caller deletes the key).
    pub fn clear(&mut self) {
        *self = List::new();
    }

    /// Heap bytes the list takes: its nodes' buffers and the chain.
    pub fn heap_bytes(&self) -> usize {
        let chain = if self.nodes.capacity() > 0 {
            crate::types::allocation_size(self.nodes.capacity() * std::mem::size_of::<Node>())
        } else {
            0
        };
        chain + self.nodes.iter().map(Node::heap_bytes).sum::<usize>()
    }
}

impl Collection for List {
    fn kind(&self) -> Kind {
        Kind::List
    }

    fn len(&self) -> usize {
        self.len
    }

    fn encoding(&self) -> &'static str {
        self.encoding_name()
    }

    fn heap_bytes(&self) -> usize {
        List::heap_bytes(self)
    }

    /// Redis's `lazyfreeGetFreeEffort` for a quicklist: one per node.
    fn free_effort(&self) -> usize {
        if self.quick {
            self.nodes.len()
        } else {
            1
        }
    }

    fn clone_collection(&self) -> Arc<dyn Collection> {
        Arc::new(self.clone())
    }

    fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
        let mut items = self.iter().peekable();
        while items.peek().is_some() {
            let mut command: Vec<&[u8]> = Vec::with_capacity(REWRITE_BATCH + 2);
            command.push(b"RPUSH");
            command.push(key);
            command.extend(items.by_ref().take(REWRITE_BATCH));
            emit(&command);
        }
    }
}

impl Typed for List {
    const KIND: Kind = Kind::List;
}
