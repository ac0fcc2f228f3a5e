//! [`ZSet`]: Redis's sorted set, members ordered by (score, member bytes), in the
//! two encodings Redis 7.2 names:
//!
//! - **`listpack`**: at most `zset-max-listpack-entries` members, each at most
//!   `zset-max-listpack-value` bytes. One sorted array of elements; lookups by
//!   member walk it (at most 128 by default).
//! - **`skiplist`**: anything larger. The elements live in a [`Dense`] array found
//!   by member through a hash index (O(1) `ZSCORE`, fair O(1) random picks), and
//!   their ranks in an [`Order`] of 4-byte positions with a Fenwick tree over its
//!   chunks (rank, select and range bounds in O(log n)).
//!
//! An element is one [`Blob`]: the score's 8 bytes, then the member. A 16-byte
//! member costs its 32-byte allocation, 8 bytes of array, about 6 of hash index, 4
//! of the index's bucket array (a removal finds its index entries without a probe)
//! and about 9 of order, about 60 bytes where Redis's skiplist and dict take about
//! 127.
//!
//! Scores are never NaN (the commands refuse them); `-0` and `0` compare equal, as
//! Redis's `<` does, and then the member bytes decide. A listpack stores `-0` as
//! `0` (Redis keeps a listpack's scores as text and prints an integral score as an
//! integer); a skiplist keeps the sign, as Redis's does.

mod order;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::sync::Arc;

pub use order::Order;

use super::blob::Blob;
use super::dense::{Dense, KeyOf};
use crate::engine::{Collection, Kind, Typed};

/// Members per `ZADD` the AOF rewrite writes (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const REWRITE_BATCH: usize = 64;

/// The encoding thresholds (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A listpack holds at most this many members …
    pub listpack_entries: usize,
    /// … each at most this many bytes.
    pub listpack_value: usize,
}

impl Default for Limits {
    /// Redis's defaults: 128, 64.
    fn default() -> Self {
        Limits { listpack_entries: 128, listpack_value: 64 }
    }
}

/// An element's member is everything after its 8-byte score.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scored;

impl KeyOf for Scored {
    /// Kept: `ZPOPMIN` and `ZREM` remove without reading the popped or the moved
    /// member for the index (4 bytes a member).
    type Buckets = super::dense::BucketArray;

    #[inline]
    fn key(item: &[u8]) -> &[u8] {
        &item[8..]
    }
}

#[inline]
fn score_of(item: &[u8]) -> f64 {
    f64::from_bits(u64::from_le_bytes(item[..8].try_into().expect("an element's score")))
}

#[inline]
fn element(member: &[u8], score: f64) -> Blob {
    Blob::concat(&[&score.to_bits().to_le_bytes(), member])
}

/// (score, member) order: scores by `<` (so `-0 == 0`), then member bytes.
#[inline]
pub fn compare(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    a_score.partial_cmp(&b_score).unwrap_or(Ordering::Equal).then_with(|| a_member.cmp(b_member))
}

#[inline]
fn item_cmp(item: &[u8], score: f64, member: &[u8]) -> Ordering {
    compare(score_of(item), &item[8..], score, member)
}

/// The large form: elements by member, ranks by order.
#[derive(Clone, Debug, Default)]
struct Table {
    members: Dense<Scored>,
    order: Order,
}

impl Table {
    /// The score at `position`, for the order's fences.
    fn score_at(members: &Dense<Scored>) -> impl Fn(u32) -> f64 + '_ {
        move |p| score_of(members.at(p as usize))
    }

    fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        let members = &self.members;
        self.order.rank_by_score(score, |p| item_cmp(members.at(p as usize), score, member) == Ordering::Less)
    }

    /// Adds `item`, whose member is not held.
    fn insert(&mut self, item: Blob) {
        let position = self.members.len() as u32;
        self.members.insert_absent(item);
        let members = &self.members;
        let (member, score) = split(members.at(position as usize));
        self.order.insert(position, Self::score_at(members), |p| {
            item_cmp(members.at(p as usize), score, member) == Ordering::Less
        });
    }

    /// Gives the element at `position` the score `score` in place and moves its
    /// position in the order: no hashing, no allocation, one search.
    fn rescore(&mut self, position: usize, score: f64) {
        self.members.at_mut(position).as_mut_bytes()[..8].copy_from_slice(&score.to_bits().to_le_bytes());
        let members = &self.members;
        let member = &members.at(position)[8..];
        self.order.reposition(position as u32, Self::score_at(members), |p| {
            item_cmp(members.at(p as usize), score, member) == Ordering::Less
        });
    }

    /// Removes the element at `position`, found through the order's back-index
    /// (no search by score).
    fn remove_position(&mut self, position: usize) -> Blob {
        self.order.remove_position_moving(position as u32, Self::score_at(&self.members));
        self.members.remove_at(position)
    }

    /// Removes the element at `rank`: the dense array moves its last element
    /// into the hole and the order renames that element's position through its
    /// back-index (no member is compared).
    fn remove_rank(&mut self, rank: usize) -> Blob {
        let position = self.order.remove_moving(rank, Self::score_at(&self.members)) as usize;
        self.members.remove_at(position)
    }
}

#[derive(Clone, Debug)]
enum Repr {
    Packed(Vec<Blob>),
    /// Boxed: a listpack-encoded set stays 32 bytes.
    Table(Box<Table>),
}

/// A sorted set (see the module docs).
#[derive(Clone, Debug)]
pub struct ZSet {
    repr: Repr,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet { repr: Repr::Packed(Vec::new()) }
    }
}

impl ZSet {
    /// An empty sorted set (a listpack).
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// An empty sorted set in the encoding `count` members of up to `longest`
    /// bytes need (Redis's `zsetTypeCreate`).
    pub fn for_members(count: usize, longest: usize, limits: Limits) -> ZSet {
        let mut zset = ZSet::new();
        if count > limits.listpack_entries || longest > limits.listpack_value {
            zset.convert_to_table();
        }
        zset
    }

    /// Members held.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(items) => items.len(),
            Repr::Table(table) => table.members.len(),
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `listpack` or `skiplist`, as `OBJECT ENCODING` (Redis 7.2) names them.
    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::Packed(_) => "listpack",
            Repr::Table(_) => "skiplist",
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Packed(items) => items.iter().find(|i| &i[8..] == member).map(|i| score_of(i)),
            Repr::Table(table) => table.members.get(member).map(score_of),
        }
    }

    /// The ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Packed(items) => items.iter().position(|i| &i[8..] == member),
            Repr::Table(table) => {
                let score = table.members.get(member).map(score_of)?;
                Some(table.rank_of(score, member))
            }
        }
    }

    /// The member and score at ascending `rank`; panics past the end.
    pub fn get(&self, rank: usize) -> (&[u8], f64) {
        let item: &[u8] = match &self.repr {
            Repr::Packed(items) => &items[rank],
            Repr::Table(table) => table.members.at(table.order.at(rank) as usize),
        };
        (&item[8..], score_of(item))
    }

    /// How many elements, from the lowest, satisfy `below(score, member)` (true for
    /// a prefix of the order): the rank where a range bound falls.
    pub fn partition_point(&self, mut below: impl FnMut(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Packed(items) => items.partition_point(|i| below(score_of(i), &i[8..])),
            Repr::Table(table) => {
                let members = &table.members;
                table.order.partition_point(|p| {
                    let item = members.at(p as usize);
                    below(score_of(item), &item[8..])
                })
            }
        }
    }

    /// Sets `member`'s score, returning the score it had (`None`: it is new). A
    /// listpack that outgrows `limits` becomes a skiplist first.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) -> Option<f64> {
        if let Repr::Table(table) = &mut self.repr {
            // One lookup by member: a new member is appended, a known one rescored
            // in place.
            let Some(position) = table.members.index_of(member) else {
                table.insert(element(member, score));
                return None;
            };
            let old = score_of(table.members.at(position));
            // Equal by `==`, as Redis's `score != curscore`: `-0` over `0` is no change.
            if old != score {
                table.rescore(position, score);
            }
            return Some(old);
        }
        let old = self.score(member);
        if let Some(old) = old {
            // Equal by `==`, as Redis's `score != curscore`: `-0` over `0` is no change.
            if old == score {
                return Some(old);
            }
            self.remove(member);
        } else if let Repr::Packed(items) = &self.repr {
            if items.len() + 1 > limits.listpack_entries || member.len() > limits.listpack_value {
                self.convert_to_table();
            }
        }
        // A listpack keeps a score as text, where Redis spells -0 as 0.
        let score = if score == 0.0 && matches!(self.repr, Repr::Packed(_)) { 0.0 } else { score };
        let item = element(member, score);
        match &mut self.repr {
            Repr::Packed(items) => {
                let at = items.partition_point(|i| item_cmp(i, score, member) == Ordering::Less);
                items.insert(at, item);
            }
            Repr::Table(table) => table.insert(item),
        }
        old
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        if let Repr::Table(table) = &mut self.repr {
            let position = table.members.index_of(member)?;
            return Some(score_of(&table.remove_position(position)));
        }
        let rank = self.rank(member)?;
        Some(self.remove_rank(rank).score())
    }

    /// Removes the element at ascending `rank`, returning it (the element itself,
    /// no copy); panics past the end.
    pub fn remove_rank(&mut self, rank: usize) -> Popped {
        Popped(match &mut self.repr {
            Repr::Packed(items) => items.remove(rank),
            Repr::Table(table) => table.remove_rank(rank),
        })
    }

    /// Removes the ranks `start..end`, returning how many went.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match &mut self.repr {
            Repr::Packed(items) => {
                items.drain(start..end);
            }
            Repr::Table(table) => {
                for _ in start..end {
                    table.remove_rank(start);
                }
            }
        }
        end - start
    }

    /// The elements of ranks `start..end`, ascending, or descending from `end - 1`
    /// when `reverse`.
    pub fn range(
        &self,
        start: usize,
        end: usize,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        let end = end.min(self.len());
        if start >= end {
            return Box::new(std::iter::empty());
        }
        match &self.repr {
            Repr::Packed(items) => {
                let slice = &items[start..end];
                if reverse {
                    Box::new(slice.iter().rev().map(|i| split(i)))
                } else {
                    Box::new(slice.iter().map(|i| split(i)))
                }
            }
            Repr::Table(table) => {
                let members = &table.members;
                let count = end - start;
                if reverse {
                    Box::new(
                        table
                            .order
                            .iter_down_from(end - 1)
                            .take(count)
                            .map(move |p| split(members.at(p as usize))),
                    )
                } else {
                    Box::new(
                        table.order.iter_from(start).take(count).map(move |p| split(members.at(p as usize))),
                    )
                }
            }
        }
    }

    /// Every element, ascending.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        self.range(0, self.len(), false)
    }

    /// A uniform pick from `random`; panics when empty.
    pub fn random(&self, random: u64) -> (&[u8], f64) {
        let at = (random % self.len() as u64) as usize;
        let item: &[u8] = match &self.repr {
            Repr::Packed(items) => &items[at],
            Repr::Table(table) => table.members.at(at),
        };
        (&item[8..], score_of(item))
    }

    /// One step of a `ZSCAN`: a listpack comes whole (cursor 0 next); a skiplist
    /// about `count` elements a call (see [`Dense::scan`]).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Packed(items) => {
                items.iter().for_each(|i| visit(&i[8..], score_of(i)));
                0
            }
            Repr::Table(table) => table.members.scan(cursor, count, |i| visit(&i[8..], score_of(i))),
        }
    }

    /// Makes a skiplist that `limits` would let be a listpack one again (what Redis's
    /// `zsetConvertToListpackIfNeeded` does to a stored result).
    pub fn shrink_to_fit(&mut self, limits: Limits) {
        if let Repr::Table(table) = &self.repr {
            let fits = table.members.len() <= limits.listpack_entries
                && table.members.iter().all(|i| i.len() - 8 <= limits.listpack_value);
            if fits {
                let items: Vec<Blob> = table
                    .order
                    .iter_from(0)
                    .map(|p| {
                        let item = table.members.at(p as usize);
                        let score = score_of(item);
                        element(&item[8..], if score == 0.0 { 0.0 } else { score })
                    })
                    .collect();
                self.repr = Repr::Packed(items);
            }
        }
    }

    fn convert_to_table(&mut self) {
        if let Repr::Packed(items) = &mut self.repr {
            let mut table = Table { members: Dense::with_capacity(items.len()), order: Order::default() };
            for item in std::mem::take(items) {
                table.insert(item);
            }
            self.repr = Repr::Table(Box::new(table));
        }
    }

    /// Checks the large form's order index (the property tests).
    #[cfg(test)]
    fn check(&self) {
        if let Repr::Table(table) = &self.repr {
            table.order.check(Table::score_at(&table.members));
            table.members.check_buckets();
            assert_eq!(table.order.len(), table.members.len());
        }
    }

    /// Heap bytes (`MEMORY USAGE`), jemalloc's size classes included.
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Packed(items) => {
                super::allocation_size(items.capacity() * std::mem::size_of::<Blob>())
                    + items.iter().map(Blob::heap_bytes).sum::<usize>()
            }
            Repr::Table(table) => table.members.heap_bytes() + table.order.heap_bytes(),
        }
    }
}

/// An element taken out of a sorted set (`ZPOPMIN` …): its member and score.
#[derive(Debug)]
pub struct Popped(Blob);

impl Popped {
    /// The member.
    pub fn member(&self) -> &[u8] {
        &self.0[8..]
    }

    /// The score.
    pub fn score(&self) -> f64 {
        score_of(&self.0)
    }
}

#[inline]
fn split(item: &[u8]) -> (&[u8], f64) {
    (&item[8..], score_of(item))
}

/// A score as Redis 7.0 prints it (`%.17g`): `1.1` is `1.1000000000000001`,
/// integers have no fraction, `inf`/`-inf`.
pub fn format_score(value: f64) -> String {
    match whole_score(value) {
        Some(whole) => itoa::Buffer::new().format(whole).to_owned(),
        None => format_score_digits(value),
    }
}

/// A score that `%.17g` prints as its integer digits (whole, below 1e15 in
/// magnitude, not `-0`), as that integer: whole scores (counters, timestamps,
/// ranks) are the common case, and itoa writes them without the exact-digits
/// float formatting (or, through [`write_score`], any allocation).
#[inline]
fn whole_score(value: f64) -> Option<i64> {
    let whole = value.fract() == 0.0 && value.abs() < 1e15 && !(value == 0.0 && value.is_sign_negative());
    whole.then_some(value as i64)
}

/// Hands `write` the text of [`format_score`]; a whole score's is formatted on
/// the stack (a reply per popped or ranged element allocates nothing for it).
#[inline]
pub fn write_score(value: f64, write: impl FnOnce(&[u8])) {
    match whole_score(value) {
        Some(whole) => write(itoa::Buffer::new().format(whole).as_bytes()),
        None => write(format_score_digits(value).as_bytes()),
    }
}

/// [`format_score`] for any value, from its 17 significant digits.
fn format_score_digits(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value.is_nan() {
        return "nan".to_string();
    }
    let text = format!("{value:.16e}");
    let (mantissa, exponent) = text.split_once('e').expect("an exponent");
    let exponent: i32 = exponent.parse().expect("an exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    if !(-4..17).contains(&exponent) {
        let digits = digits.trim_end_matches('0');
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.abs()));
    } else if exponent >= 0 {
        let point = exponent as usize + 1;
        let (whole, fraction) = digits.split_at(point);
        out.push_str(whole);
        let fraction = fraction.trim_end_matches('0');
        if !fraction.is_empty() {
            out.push('.');
            out.push_str(fraction);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

impl Collection for ZSet {
    fn kind(&self) -> Kind {
        Kind::ZSet
    }

    fn len(&self) -> usize {
        ZSet::len(self)
    }

    fn encoding(&self) -> &'static str {
        self.encoding_name()
    }

    fn heap_bytes(&self) -> usize {
        ZSet::heap_bytes(self)
    }

    fn clone_collection(&self) -> Arc<dyn Collection> {
        Arc::new(self.clone())
    }

    fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
        let elements: Vec<(&[u8], String)> = self.iter().map(|(m, s)| (m, format_score(s))).collect();
        for batch in elements.chunks(REWRITE_BATCH) {
            let mut command: Vec<&[u8]> = Vec::with_capacity(2 + batch.len() * 2);
            command.extend([&b"ZADD"[..], key]);
            for (member, score) in batch {
                command.push(score.as_bytes());
                command.push(member);
            }
            emit(&command);
        }
    }
}

impl Typed for ZSet {
    const KIND: Kind = Kind::ZSet;
}
