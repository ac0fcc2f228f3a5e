//! [`Set`]: Redis's set type in the three encodings Redis 7.2 gives it, each
//! converted one way into the next when it outgrows its thresholds:
//!
//! - **`intset`** ([`Ints`]): every member is an integer in canonical decimal form
//!   (what Redis's `string2ll` accepts: no sign `+`, no leading zeros, no `-0`) and
//!   there are at most `set-max-intset-entries` of them. One sorted array, two to
//!   eight bytes a member.
//! - **`listpack`** ([`Packed`]): at most `set-max-listpack-entries` members, each at
//!   most `set-max-listpack-value` bytes. One exact-fit buffer, in insertion order.
//! - **`hashtable`** ([`Dense`]): anything larger. A dense array of blobs with a hash
//!   index of positions: about 51 bytes a 16-byte member, where Redis's `dict`
//!   takes about 72, and a fair random pick (`SPOP`, `SRANDMEMBER`) in O(1).
//!
//! The thresholds come in from the caller as [`Limits`] (the commands read them
//! from the live configuration); this room reads no configuration. The rules are
//! 7.2's `t_set.c`: a fresh set made for several members at once picks the final
//! encoding from the first member and the number of members
//! ([`Set::add_all`]); an intset given a non-integer becomes a listpack if the
//! result fits one, else a table.

mod ints;
#[cfg(test)]
mod tests;

use std::ops::Deref;
use std::sync::Arc;

pub use ints::Ints;

use super::blob::Blob;
use super::dense::{Dense, Whole};
use super::packed::Packed;
use crate::engine::{Collection, Kind, Typed};

/// Redis's cap on an intset, whatever `set-max-intset-entries` says (its
/// `intsetMaxEntries`: 2^30 entries).
const INTSET_CEILING: usize = 1 << 30;

/// Members per `SADD` the AOF rewrite writes (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const REWRITE_BATCH: usize = 64;

/// The encoding thresholds (`set-max-intset-entries`, `set-max-listpack-entries`,
/// `set-max-listpack-value`), passed in by whoever changes a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// An intset holds at most this many members.
    pub intset_entries: usize,
    /// A listpack holds at most this many members …
    pub listpack_entries: usize,
    /// … each at most this many bytes.
    pub listpack_value: usize,
}

impl Default for Limits {
    /// Redis's defaults: 512, 128, 64.
    fn default() -> Self {
        Limits { intset_entries: 512, listpack_entries: 128, listpack_value: 64 }
    }
}

impl Limits {
    fn intset_entries(&self) -> usize {
        self.intset_entries.min(INTSET_CEILING)
    }
}

/// The integer `member` spells in canonical decimal form, as Redis's `string2ll`
/// accepts it (so it can live in an intset and read back byte for byte).
pub fn canonical_int(member: &[u8]) -> Option<i64> {
    if member.is_empty() || member.len() > 20 {
        return None;
    }
    let value: i64 = std::str::from_utf8(member).ok()?.parse().ok()?;
    (itoa::Buffer::new().format(value).as_bytes() == member).then_some(value)
}

/// The decimal text of an intset member, held inline.
#[derive(Clone, Copy)]
pub struct IntText {
    buf: [u8; 20],
    len: u8,
}

impl IntText {
    fn of(value: i64) -> IntText {
        let mut text = itoa::Buffer::new();
        let digits = text.format(value).as_bytes();
        let mut buf = [0; 20];
        buf[..digits.len()].copy_from_slice(digits);
        IntText { buf, len: digits.len() as u8 }
    }
}

/// One member, as bytes: borrowed from the set, or an intset member's text.
#[derive(Clone, Copy)]
pub enum Member<'a> {
    /// Bytes stored in the set.
    Bytes(&'a [u8]),
    /// An intset member, spelled out.
    Int(IntText),
}

impl Deref for Member<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Member::Bytes(bytes) => bytes,
            Member::Int(text) => &text.buf[..text.len as usize],
        }
    }
}

impl std::fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

/// How the members are stored (see the module docs).
#[derive(Clone, Debug)]
enum Repr {
    Ints(Ints),
    Packed(Packed),
    Table(Dense<Whole>),
}

/// A set of byte strings (see the module docs).
#[derive(Clone, Debug)]
pub struct Set {
    repr: Repr,
}

impl Default for Set {
    /// An empty intset, as Redis's `createIntsetObject` (no allocation).
    fn default() -> Self {
        Set { repr: Repr::Ints(Ints::new()) }
    }
}

impl Set {
    /// An empty set.
    pub fn new() -> Set {
        Set::default()
    }

    /// An empty set in the encoding that `count` members starting with `first` will
    /// need, as Redis 7.2's `setTypeCreate(first, count)`: an intset if `first` is
    /// an integer and `count` fits one, else a listpack if `count` fits one, else a
    /// table sized for `count`.
    pub fn for_members(first: &[u8], count: usize, limits: Limits) -> Set {
        let repr = if canonical_int(first).is_some() && count <= limits.intset_entries() {
            Repr::Ints(Ints::new())
        } else if count <= limits.listpack_entries {
            Repr::Packed(Packed::new())
        } else {
            Repr::Table(Dense::with_capacity(count))
        };
        Set { repr }
    }

    /// Members held.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(ints) => ints.len(),
            Repr::Packed(packed) => packed.len(),
            Repr::Table(table) => table.len(),
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `intset`, `listpack` or `hashtable`, as `OBJECT ENCODING` (Redis 7.2) names it.
    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::Ints(_) => "intset",
            Repr::Packed(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Ints(ints) => canonical_int(member).is_some_and(|value| ints.contains(value)),
            Repr::Packed(packed) => packed.position(|_, item| item == member).is_some(),
            Repr::Table(table) => table.contains(member),
        }
    }

    /// Adds `members` (the arguments of one `SADD`), returning how many were new. A
    /// set still empty takes the encoding all of them will need at once
    /// ([`Set::for_members`]); a non-empty one leaves a compact encoding first if
    /// their number alone exceeds its threshold (7.2's `setTypeMaybeConvert`).
    pub fn add_all<M: AsRef<[u8]>>(&mut self, members: &[M], limits: Limits) -> usize {
        let Some(first) = members.first() else { return 0 };
        let count = members.len();
        if self.is_empty() {
            *self = Set::for_members(first.as_ref(), count, limits);
        } else {
            let outgrown = match &self.repr {
                Repr::Ints(_) => count > limits.intset_entries(),
                Repr::Packed(_) => count > limits.listpack_entries,
                Repr::Table(_) => false,
            };
            if outgrown {
                self.convert_to_table(self.len() + count);
            }
        }
        members.iter().filter(|member| self.add(member.as_ref(), limits)).count()
    }

    /// Adds `member`; false if it was there already. Converts the encoding first
    /// when the member would take the set past its thresholds.
    pub fn add(&mut self, member: &[u8], limits: Limits) -> bool {
        match &mut self.repr {
            Repr::Ints(ints) => {
                if let Some(value) = canonical_int(member) {
                    if !ints.insert(value) {
                        return false;
                    }
                    if ints.len() > limits.intset_entries() {
                        self.convert_to_table(0);
                    }
                    return true;
                }
                let len = ints.len();
                let fits_packed = len < limits.listpack_entries
                    && member.len() <= limits.listpack_value
                    && ints.max_text_len() <= limits.listpack_value;
                if fits_packed {
                    self.convert_to_packed();
                } else {
                    self.convert_to_table(len + 1);
                }
                self.add(member, limits)
            }
            Repr::Packed(packed) => {
                if packed.position(|_, item| item == member).is_some() {
                    return false;
                }
                if packed.len() < limits.listpack_entries && member.len() <= limits.listpack_value {
                    packed.push(member);
                    return true;
                }
                let len = packed.len();
                self.convert_to_table(len + 1);
                self.add(member, limits)
            }
            Repr::Table(table) => {
                if table.contains(member) {
                    return false;
                }
                table.insert(Blob::new(member));
                true
            }
        }
    }

    /// Removes `member`; false if it was not there. The encoding stays.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Ints(ints) => canonical_int(member).is_some_and(|value| ints.remove(value)),
            Repr::Packed(packed) => match packed.position(|_, item| item == member) {
                Some(at) => {
                    packed.remove(at);
                    true
                }
                None => false,
            },
            Repr::Table(table) => table.remove(member).is_some(),
        }
    }

    /// The member at `index` (`0..len`; ascending for an intset, insertion order
    /// for a listpack, the table's order otherwise). Linear for a listpack.
    /// Panics past the end.
    pub fn at(&self, index: usize) -> Member<'_> {
        match &self.repr {
            Repr::Ints(ints) => Member::Int(IntText::of(ints.at(index))),
            Repr::Packed(packed) => Member::Bytes(packed.get(index).expect("a member index within the set")),
            Repr::Table(table) => Member::Bytes(table.at(index)),
        }
    }

    /// A member chosen by `random` (uniform for a uniform `random`); panics on an
    /// empty set.
    pub fn random(&self, random: u64) -> Member<'_> {
        self.at((random % self.len() as u64) as usize)
    }

    /// Removes and returns a member chosen by `random` (as [`Set::random`]).
    pub fn pop_random(&mut self, random: u64) -> Blob {
        let index = (random % self.len() as u64) as usize;
        match &mut self.repr {
            Repr::Ints(ints) => Blob::new(itoa::Buffer::new().format(ints.remove_at(index)).as_bytes()),
            Repr::Packed(packed) => {
                let member = Blob::new(packed.get(index).expect("a member index within the set"));
                packed.remove(index);
                member
            }
            Repr::Table(table) => table.remove_at(index),
        }
    }

    /// Every member, in the encoding's order (see [`Set::at`]).
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Ints(ints) => Iter::Ints(ints, 0),
            Repr::Packed(packed) => Iter::Packed(packed.iter()),
            Repr::Table(table) => Iter::Table(table, 0),
        }
    }

    /// One step of `SSCAN`: visits about `count` members and returns the cursor to
    /// continue from (0 starts and 0 ends). A compact set is visited whole in one
    /// step (cursor 0), as Redis does; a table keeps `SCAN`'s guarantee that every
    /// member present for the whole scan is visited ([`Dense::scan`]).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8])) -> u64 {
        match &self.repr {
            Repr::Table(table) => table.scan(cursor, count, visit),
            _ => {
                self.iter().for_each(|member| visit(&member));
                0
            }
        }
    }

    /// Moves the members into a listpack (from an intset).
    fn convert_to_packed(&mut self) {
        let mut packed = Packed::new();
        for member in self.iter() {
            packed.push(&member);
        }
        self.repr = Repr::Packed(packed);
    }

    /// Moves the members into a table with room for `capacity` members.
    fn convert_to_table(&mut self, capacity: usize) {
        if let Repr::Table(_) = self.repr {
            return;
        }
        let mut table = Dense::with_capacity(capacity.max(self.len()));
        for member in self.iter() {
            table.insert(Blob::new(&member));
        }
        self.repr = Repr::Table(table);
    }

    /// Heap bytes: the shared block the entry points to (the `Arc`'s two counts and
    /// this handle) and the encoding's own.
    pub fn heap_bytes(&self) -> usize {
        let handle = super::allocation_size(2 * std::mem::size_of::<usize>() + std::mem::size_of::<Set>());
        handle
            + match &self.repr {
                Repr::Ints(ints) => ints.heap_bytes(),
                Repr::Packed(packed) => packed.heap_bytes(),
                Repr::Table(table) => table.heap_bytes(),
            }
    }
}

/// The members of a [`Set`] (see [`Set::iter`]).
#[derive(Clone)]
pub enum Iter<'a> {
    /// An intset's, ascending, from this index.
    Ints(&'a Ints, usize),
    /// A listpack's, in insertion order.
    Packed(super::packed::Iter<'a>),
    /// A table's, from this position.
    Table(&'a Dense<Whole>, usize),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(ints, at) => {
                let member = (*at < ints.len()).then(|| Member::Int(IntText::of(ints.at(*at))))?;
                *at += 1;
                Some(member)
            }
            Iter::Packed(items) => items.next().map(Member::Bytes),
            Iter::Table(table, at) => {
                let member = (*at < table.len()).then(|| Member::Bytes(table.at(*at)))?;
                *at += 1;
                Some(member)
            }
        }
    }
}

impl Collection for Set {
    fn kind(&self) -> Kind {
        Kind::Set
    }

    fn len(&self) -> usize {
        Set::len(self)
    }

    fn encoding(&self) -> &'static str {
        self.encoding_name()
    }

    fn heap_bytes(&self) -> usize {
        Set::heap_bytes(self)
    }

    fn clone_collection(&self) -> Arc<dyn Collection> {
        Arc::new(self.clone())
    }

    fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
        let mut members = self.iter().peekable();
        while members.peek().is_some() {
            let batch: Vec<Member<'_>> = members.by_ref().take(REWRITE_BATCH).collect();
            let mut command: Vec<&[u8]> = Vec::with_capacity(batch.len() + 2);
            command.push(b"SADD");
            command.push(key);
            command.extend(batch.iter().map(|member| &**member));
            emit(&command);
        }
    }
}

impl Typed for Set {
    const KIND: Kind = Kind::Set;
}
