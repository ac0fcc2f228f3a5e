//! [`Hash`]: a Redis hash, a map from field to value (both binary strings).
//!
//! Small hashes are *packed*, as Redis's listpack: fields and values alternate in one
//! exact-fit buffer ([`Packed`]), found by a linear walk, which costs a few bytes per
//! entry. A hash converts, once and for good, to the *dense* encoding (a
//! [`Dense`] array of [`pair`]s found through a hash index) when it grows past
//! `hash-max-listpack-entries` fields or is given a field or value longer than
//! `hash-max-listpack-value` bytes, as Redis's `hashTypeTryConversion` and
//! `hashTypeSet` do. The thresholds come from the caller ([`Limits`]): this room
//! reads no configuration.
//!
//! Where the bytes go: packed, each field and value costs its length plus a one-
//! or two-byte length prefix, in one buffer behind the collection's header; dense,
//! each pair is one allocation (`[varint field length][field][value]`, rounded up
//! to the allocator's size class) plus a pointer in the array and a 4-byte slot in
//! the index.

use std::sync::Arc;

use super::dense::Dense;
use super::packed::Packed;
use super::pair::{self, Pair};
use crate::engine::value::{Collection, Kind, Typed};

/// The most fields one rewritten `HSET` carries, so no AOF record is huge.
const REWRITE_BATCH: usize = 64;

/// The largest packed buffer, in bytes, as Redis's `lpSafeToAdd` allows a listpack
/// (1 GB); a hash that would grow past it converts to the dense encoding instead.
const PACKED_SAFETY_LIMIT: usize = 1 << 30;

/// The thresholds of the packed encoding: `hash-max-listpack-entries` and
/// `hash-max-listpack-value`, as the caller read them from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most fields a packed hash holds.
    pub max_entries: usize,
    /// Longest field or value, in bytes, a packed hash holds.
    pub max_value: usize,
}

impl Limits {
    /// Redis's defaults: 512 fields of at most 64 bytes (`hash-max-listpack-*`).
    pub const DEFAULT: Limits = Limits { max_entries: 512, max_value: 64 };
}

/// A hash: fields mapped to values, packed while small.
#[derive(Clone, Debug)]
pub struct Hash {
    repr: Repr,
}

/// The two encodings. The dense one is boxed so a small packed hash stays as small
/// as its buffer's handle.
#[derive(Clone, Debug)]
enum Repr {
    /// Field, value, field, value … in insertion order.
    Packed(Packed),
    /// Pairs found by field.
    Dense(Box<Dense<Pair>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash { repr: Repr::Packed(Packed::new()) }
    }
}

impl Hash {
    /// An empty hash (packed).
    pub fn new() -> Self {
        Self::default()
    }

    /// How many fields it holds.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(packed) => packed.len() / 2,
            Repr::Dense(dense) => dense.len(),
        }
    }

    /// Whether it holds no field.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is in the packed encoding (`listpack`).
    pub fn is_packed(&self) -> bool {
        matches!(self.repr, Repr::Packed(_))
    }

    /// The position of `field`'s entry in a packed hash (always even).
    fn packed_position(packed: &Packed, field: &[u8]) -> Option<usize> {
        packed.position(|index, item| index % 2 == 0 && item == field)
    }

    /// The value of `field`, if present.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Packed(packed) => {
                let at = Self::packed_position(packed, field)?;
                packed.get(at + 1)
            }
            Repr::Dense(dense) => dense.get(field).map(|item| pair::split(item).1),
        }
    }

    /// Whether `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        match &self.repr {
            Repr::Packed(packed) => Self::packed_position(packed, field).is_some(),
            Repr::Dense(dense) => dense.contains(field),
        }
    }

    /// Sets `field` to `value`; true when the field is new. Converts to the dense
    /// encoding first when either is longer than `limits.max_value` (or the packed
    /// buffer would pass its safety limit), and after when the hash holds more than
    /// `limits.max_entries` fields.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if let Repr::Packed(packed) = &self.repr {
            let too_long = field.len() > limits.max_value || value.len() > limits.max_value;
            let too_big = packed.byte_len().saturating_add(field.len() + value.len()) > PACKED_SAFETY_LIMIT;
            if too_long || too_big {
                self.convert();
            }
        }
        let added = match &mut self.repr {
            Repr::Packed(packed) => match Self::packed_position(packed, field) {
                Some(at) => {
                    packed.replace(at + 1, value);
                    false
                }
                None => {
                    packed.extend(&[field, value]);
                    true
                }
            },
            Repr::Dense(dense) => match dense.get_mut(field) {
                // A value of the same length is overwritten where it is.
                Some(item) if pair::split(item).1.len() == value.len() => {
                    pair::value_mut(item.as_mut_bytes()).copy_from_slice(value);
                    false
                }
                _ => dense.insert(pair::encode(field, value)).is_none(),
            },
        };
        if self.is_packed() && self.len() > limits.max_entries {
            self.convert();
        }
        added
    }

    /// Removes `field`; true when it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed(packed) => match Self::packed_position(packed, field) {
                Some(at) => {
                    packed.remove_range(at, 2);
                    true
                }
                None => false,
            },
            Repr::Dense(dense) => dense.remove(field).is_some(),
        }
    }

    /// Moves every pair into the dense encoding (one way: a hash never packs again).
    fn convert(&mut self) {
        let Repr::Packed(packed) = &self.repr else { return };
        let mut dense = Dense::<Pair>::with_capacity(packed.len() / 2);
        for (field, value) in Alternating(packed.iter()) {
            dense.insert(pair::encode(field, value));
        }
        self.repr = Repr::Dense(Box::new(dense));
    }

    /// Every `(field, value)` pair: in insertion order when packed, in no
    /// particular order when dense.
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let (packed, dense) = match &self.repr {
            Repr::Packed(packed) => (Some(Alternating(packed.iter())), None),
            Repr::Dense(dense) => (None, Some(dense.iter().map(pair::split))),
        };
        packed.into_iter().flatten().chain(dense.into_iter().flatten())
    }

    /// Constant-time access to the pair at any index, for random picks
    /// (`HRANDFIELD`): a packed hash is indexed once (its pairs are bounded by the
    /// packed threshold), a dense one is indexed in place.
    pub fn sampler(&self) -> Sampler<'_> {
        match &self.repr {
            Repr::Packed(packed) => Sampler::Packed(Alternating(packed.iter()).collect()),
            Repr::Dense(dense) => Sampler::Dense(dense),
        }
    }

    /// One `HSCAN` step from `cursor`: calls `visit` with about `count` pairs and
    /// returns the cursor to continue from (0: done). A packed hash is small and
    /// visits everything at once, returning 0, as Redis does for a listpack; a
    /// dense one follows [`Dense::scan`]'s guarantee (every pair present for the
    /// whole scan is visited at least once).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.repr {
            Repr::Packed(packed) => {
                for (field, value) in Alternating(packed.iter()) {
                    visit(field, value);
                }
                0
            }
            Repr::Dense(dense) => dense.scan(cursor, count, |item| {
                let (field, value) = pair::split(item);
                visit(field, value)
            }),
        }
    }
}

/// Indexed access to a hash's pairs (see [`Hash::sampler`]).
#[derive(Debug)]
pub enum Sampler<'a> {
    /// A packed hash's pairs, gathered.
    Packed(Vec<(&'a [u8], &'a [u8])>),
    /// A dense hash, indexed in place.
    Dense(&'a Dense<Pair>),
}

impl<'a> Sampler<'a> {
    /// How many pairs there are.
    pub fn len(&self) -> usize {
        match self {
            Sampler::Packed(pairs) => pairs.len(),
            Sampler::Dense(dense) => dense.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pair at `index` (`0..len`; panics past the end).
    pub fn at(&self, index: usize) -> (&'a [u8], &'a [u8]) {
        match self {
            Sampler::Packed(pairs) => pairs[index],
            Sampler::Dense(dense) => pair::split(dense.at(index)),
        }
    }
}

/// Pairs up the entries of a packed hash: field, value, field, value …
#[derive(Clone)]
struct Alternating<I>(I);

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for Alternating<I> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let field = self.0.next()?;
        let value = self.0.next()?;
        Some((field, value))
    }
}

impl Collection for Hash {
    fn kind(&self) -> Kind {
        Kind::Hash
    }

    fn len(&self) -> usize {
        Hash::len(self)
    }

    fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Packed(_) => "listpack",
            Repr::Dense(_) => "hashtable",
        }
    }

    fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Packed(packed) => packed.heap_bytes(),
            Repr::Dense(dense) => std::mem::size_of::<Dense<Pair>>() + dense.heap_bytes(),
        }
    }

    fn clone_collection(&self) -> Arc<dyn Collection> {
        Arc::new(self.clone())
    }

    fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
        let mut command: Vec<&[u8]> = Vec::with_capacity(2 + 2 * REWRITE_BATCH.min(self.len()));
        for (field, value) in self.pairs() {
            if command.is_empty() {
                command.extend_from_slice(&[b"HSET", key]);
            }
            command.extend_from_slice(&[field, value]);
            if command.len() == 2 + 2 * REWRITE_BATCH {
                emit(&command);
                command.clear();
            }
        }
        if !command.is_empty() {
            emit(&command);
        }
    }
}

impl Typed for Hash {
    const KIND: Kind = Kind::Hash;
}

#[cfg(test)]
mod tests;
