//! [`Dense`]: a large collection's elements in a dense array of [`Blob`]s, found by
//! key through a hash index of their positions.
//!
//! Why this shape rather than a hash map of boxed strings:
//! - **Memory**: a slot is a thin 8-byte pointer in the array plus a 4-byte position
//!   (and a control byte) in the index; the element's bytes and length are one
//!   allocation. A million 16-byte members cost about 51 bytes each, where Redis's
//!   `dictEntry`, `sds` and bucket cost about 72.
//! - **Fair random picks in O(1)**: `SPOP`, `SRANDMEMBER` and `HRANDFIELD` pick a
//!   uniform position, where a hash table must hunt for a non-empty bucket.
//! - **SCAN's guarantee by construction**: removal swap-removes (the last element
//!   moves into the hole), so an element only ever moves to a lower position. A
//!   scan walks positions from the top down: what it has not seen yet can never
//!   jump above it, so every element present for the whole scan is returned (some
//!   moved ones twice, which SCAN allows).
//!
//! Positions are `u32`: a collection holds at most 4,294,967,295 elements.
//!
//! A key type may also keep a [`BucketArray`] (sorted sets do): each position's
//! bucket in the index, so a swap-remove erases the removed element's entry and
//! renames the moved one's without a probe or a hash (neither element is read),
//! for 4 bytes per element. Sets and hashes keep none ([`NoBuckets`]).

use std::sync::OnceLock;

use hashbrown::raw::RawTable;

use super::blob::Blob;

/// Which part of an element is its key: the whole element for a set ([`Whole`]),
/// the field of a field/value pair for a hash ([`super::pair::Pair`]).
pub trait KeyOf: 'static {
    /// Whether positions' index buckets are kept ([`BucketArray`]) or found by
    /// probing ([`NoBuckets`]).
    type Buckets: Buckets;

    /// The key of `item`.
    fn key(item: &[u8]) -> &[u8];
}

/// Position → index bucket, for a swap-remove without probes (see the module
/// docs): kept by every append, rebuilt after every rehash of the index (which
/// moves entries to new buckets).
pub trait Buckets: Default + Clone + 'static {
    /// Whether anything is kept (false: every method but `heap_bytes` is unused).
    const KEPT: bool;
    /// Records the bucket of the next position (`len`).
    fn push(&mut self, bucket: usize);
    /// The bucket of `position`; panics past the end.
    fn get(&self, position: usize) -> usize;
    /// Sets the bucket of `position` (`< len`).
    fn set(&mut self, position: usize, bucket: usize);
    /// Forgets the last position.
    fn pop(&mut self);
    /// `len` positions, their buckets to be set.
    fn reset(&mut self, len: usize);
    /// Heap bytes.
    fn heap_bytes(&self) -> usize;
}

/// No buckets kept: a removal probes the index (sets and hashes, where 4 bytes per
/// element would cost more than the probe).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBuckets;

impl Buckets for NoBuckets {
    const KEPT: bool = false;
    fn push(&mut self, _: usize) {}
    fn get(&self, _: usize) -> usize {
        unreachable!("no buckets kept")
    }
    fn set(&mut self, _: usize, _: usize) {}
    fn pop(&mut self) {}
    fn reset(&mut self, _: usize) {}
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// Each position's bucket, 4 bytes a position (sorted sets: `ZPOPMIN` removes
/// without reading the popped or the moved member for the index).
#[derive(Clone, Debug, Default)]
pub struct BucketArray(Vec<u32>);

impl Buckets for BucketArray {
    const KEPT: bool = true;
    #[inline]
    fn push(&mut self, bucket: usize) {
        self.0.push(u32::try_from(bucket).expect("an index of over 4 billion buckets"));
    }
    #[inline]
    fn get(&self, position: usize) -> usize {
        self.0[position] as usize
    }
    #[inline]
    fn set(&mut self, position: usize, bucket: usize) {
        self.0[position] = u32::try_from(bucket).expect("an index of over 4 billion buckets");
    }
    #[inline]
    fn pop(&mut self) {
        self.0.pop();
    }
    fn reset(&mut self, len: usize) {
        self.0.clear();
        self.0.resize(len, 0);
    }
    fn heap_bytes(&self) -> usize {
        super::allocation_size(self.0.capacity() * 4)
    }
}

/// An element is its own key (sets).
#[derive(Clone, Copy, Debug, Default)]
pub struct Whole;

impl KeyOf for Whole {
    type Buckets = NoBuckets;

    #[inline]
    fn key(item: &[u8]) -> &[u8] {
        item
    }
}

/// The hash of a key: ahash with keys chosen once per process (random, so clients
/// cannot aim collisions at a table).
#[inline]
fn hash_of(key: &[u8]) -> u64 {
    static STATE: OnceLock<ahash::RandomState> = OnceLock::new();
    STATE.get_or_init(ahash::RandomState::new).hash_one(key)
}

/// Elements in a dense array, indexed by key (see the module docs).
pub struct Dense<K: KeyOf> {
    items: Vec<Blob>,
    /// Positions in `items`, hashed by their element's key.
    index: RawTable<u32>,
    /// The elements' own heap bytes, kept current so `heap_bytes` is O(1).
    item_bytes: usize,
    /// Each position's bucket in `index`, if `K` keeps them.
    buckets: K::Buckets,
    key: std::marker::PhantomData<K>,
}

impl<K: KeyOf> Default for Dense<K> {
    fn default() -> Self {
        Dense {
            items: Vec::new(),
            index: RawTable::new(),
            item_bytes: 0,
            buckets: K::Buckets::default(),
            key: std::marker::PhantomData,
        }
    }
}

impl<K: KeyOf> Clone for Dense<K> {
    fn clone(&self) -> Self {
        let mut dense = Dense {
            items: self.items.clone(),
            index: self.index.clone(),
            item_bytes: self.item_bytes,
            buckets: K::Buckets::default(),
            key: std::marker::PhantomData,
        };
        // Rebuilt rather than copied: the clone's buckets need not be the original's.
        dense.rebook();
        dense
    }
}

impl<K: KeyOf> std::fmt::Debug for Dense<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.items.iter()).finish()
    }
}

impl<K: KeyOf> Dense<K> {
    /// An empty collection (no allocation).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty collection with room for `capacity` elements.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut dense = Self::new();
        dense.reserve(capacity);
        dense
    }

    /// Makes room for `additional` more elements.
    pub fn reserve(&mut self, additional: usize) {
        self.items.reserve(additional);
        let items = &self.items;
        // hashbrown rehashes (moving entries) exactly when `additional` exceeds its
        // room left.
        let rehashes = additional > self.index.capacity() - self.index.len();
        self.index.reserve(additional, |&at| hash_of(K::key(&items[at as usize])));
        if rehashes {
            self.rebook();
        }
    }

    /// Records every position's bucket afresh (after a rehash moved them).
    fn rebook(&mut self) {
        if !K::Buckets::KEPT {
            return;
        }
        self.buckets.reset(self.index.len());
        // SAFETY: the iterator's buckets are full buckets of `self.index`, which
        // outlives it and is not changed meanwhile.
        unsafe {
            for bucket in self.index.iter() {
                self.buckets.set(*bucket.as_ref() as usize, self.index.bucket_index(&bucket));
            }
        }
    }

    /// Appends `item`, whose key (hashed: `hash`) is not held, to the array and the
    /// index, recording its bucket if `K` keeps them.
    #[inline]
    fn append(&mut self, hash: u64, item: Blob) {
        let at = u32::try_from(self.items.len()).expect("a collection of over 4 billion elements");
        self.item_bytes += item.heap_bytes();
        self.items.push(item);
        let Dense { items, index, buckets, .. } = self;
        let rehash = |&at: &u32| hash_of(K::key(&items[at as usize]));
        if !K::Buckets::KEPT {
            index.insert(hash, at, rehash);
            return;
        }
        match index.try_insert_no_grow(hash, at) {
            // SAFETY: `bucket` is a bucket of `index`.
            Ok(bucket) => buckets.push(unsafe { index.bucket_index(&bucket) }),
            Err(at) => {
                // The index grows (or rehashes in place): every entry may move.
                index.insert(hash, at, rehash);
                self.rebook();
            }
        }
    }

    /// Elements held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The position of the element whose key is `key`.
    #[inline]
    pub fn index_of(&self, key: &[u8]) -> Option<usize> {
        let items = &self.items;
        self.index.get(hash_of(key), |&at| K::key(&items[at as usize]) == key).map(|&at| at as usize)
    }

    /// The element whose key is `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.index_of(key).map(|at| self.at(at))
    }

    /// Whether an element has the key `key`.
    #[inline]
    pub fn contains(&self, key: &[u8]) -> bool {
        self.index_of(key).is_some()
    }

    /// The element whose key is `key`, for change in place. The change must keep
    /// its key (the index finds it by the key's hash) and its length (the byte
    /// count is kept current by length).
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Blob> {
        let at = self.index_of(key)?;
        Some(&mut self.items[at])
    }

    /// The element at `position` (`0..len`); panics past the end.
    #[inline]
    pub fn at(&self, position: usize) -> &[u8] {
        &self.items[position]
    }

    /// The element at `position`, for change in place: as for [`Dense::get_mut`],
    /// the change must keep its key and its length. Panics past the end.
    #[inline]
    pub fn at_mut(&mut self, position: usize) -> &mut Blob {
        &mut self.items[position]
    }

    /// Stores `item`: it replaces the element with the same key (returned), or is
    /// appended.
    pub fn insert(&mut self, item: Blob) -> Option<Blob> {
        let hash = hash_of(K::key(&item));
        let Dense { items, index, item_bytes, .. } = self;
        if let Some(&at) = index.get(hash, |&at| K::key(&items[at as usize]) == K::key(&item)) {
            *item_bytes = *item_bytes + item.heap_bytes() - items[at as usize].heap_bytes();
            return Some(std::mem::replace(&mut items[at as usize], item));
        }
        self.append(hash, item);
        None
    }

    /// Appends `item`, whose key the collection does not hold (the caller has
    /// looked): one probe of the index fewer than [`Dense::insert`].
    pub fn insert_absent(&mut self, item: Blob) {
        debug_assert!(!self.contains(K::key(&item)), "insert_absent of a present key");
        let hash = hash_of(K::key(&item));
        self.append(hash, item);
    }

    /// Removes the element whose key is `key`, returning it. The last element moves
    /// into its place.
    pub fn remove(&mut self, key: &[u8]) -> Option<Blob> {
        let at = self.index_of(key)?;
        Some(self.remove_at(at))
    }

    /// Removes the element at `position`, returning it; the last element moves into
    /// its place. Panics past the end.
    pub fn remove_at(&mut self, position: usize) -> Blob {
        if K::Buckets::KEPT {
            return self.remove_at_booked(position);
        }
        let last = self.items.len() - 1;
        let Dense { items, index, item_bytes, .. } = self;
        // Both hashes first: the two elements' reads (likely cache misses in a
        // large collection) do not wait for each other or for a probe.
        let hash = hash_of(K::key(&items[position]));
        let moved = (position != last).then(|| hash_of(K::key(&items[last])));
        index.remove_entry(hash, |&at| at as usize == position).expect("an indexed element");
        if let Some(moved) = moved {
            let slot = index.get_mut(moved, |&at| at as usize == last).expect("the last element indexed");
            *slot = position as u32;
        }
        let item = items.swap_remove(position);
        *item_bytes -= item.heap_bytes();
        item
    }

    /// [`Dense::remove_at`] through the kept buckets: the removed entry is erased
    /// and the moved one renamed in place, no element read, hashed or probed for.
    fn remove_at_booked(&mut self, position: usize) -> Blob {
        let last = self.items.len() - 1;
        let Dense { items, index, item_bytes, buckets, .. } = self;
        // Bounds-checked (panics past the end) before the buckets are used.
        let bucket = buckets.get(position);
        let moved = buckets.get(last);
        // SAFETY: `buckets` holds each position's bucket in `index` as it is now
        // (recorded by `append`, rebuilt by `rebook` after every rehash; erasures
        // move no other entry), so both are full buckets of `index`, and the
        // removed one is erased only after the moved one is read.
        unsafe {
            debug_assert_eq!(*index.bucket(bucket).as_ref() as usize, position);
            debug_assert_eq!(*index.bucket(moved).as_ref() as usize, last);
            if position != last {
                *index.bucket(moved).as_mut() = position as u32;
                buckets.set(position, moved);
            }
            index.erase(index.bucket(bucket));
        }
        buckets.pop();
        let item = items.swap_remove(position);
        *item_bytes -= item.heap_bytes();
        item
    }

    /// The elements, in position order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + Clone {
        self.items.iter().map(|b| b.as_bytes())
    }

    /// One step of a `SCAN`: visits about `count` elements and returns the cursor to
    /// continue from (0 when done; 0 also starts).
    ///
    /// The cursor is a position boundary: everything at or above it has been
    /// visited. Elements only move down (see the module docs), so each one present
    /// for the whole scan is visited at least once.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8])) -> u64 {
        let len = self.items.len();
        let top = match cursor {
            0 => len,
            boundary => len.min(usize::try_from(boundary).unwrap_or(usize::MAX)),
        };
        let bottom = top.saturating_sub(count.max(1));
        for item in self.items[bottom..top].iter().rev() {
            visit(item);
        }
        bottom as u64
    }

    /// Heap bytes: the array, the index and every element, jemalloc's size classes
    /// included.
    pub fn heap_bytes(&self) -> usize {
        let array = super::allocation_size(self.items.capacity() * std::mem::size_of::<Blob>());
        let buckets = self.index.buckets();
        let index = if self.index.is_empty() && buckets <= 1 {
            0
        } else {
            super::allocation_size(buckets * (std::mem::size_of::<u32>() + 1) + 16)
        };
        array + index + self.buckets.heap_bytes() + self.item_bytes
    }

    /// Checks that every position's kept bucket holds that position (the property
    /// tests).
    #[cfg(test)]
    pub fn check_buckets(&self) {
        assert_eq!(self.index.len(), self.items.len());
        if K::Buckets::KEPT {
            for position in 0..self.items.len() {
                let bucket = self.buckets.get(position);
                assert!(bucket < self.index.buckets(), "position {position}: bucket {bucket} past the index");
                // SAFETY: in bounds (asserted), and read only once found full.
                assert!(unsafe { self.index.is_bucket_full(bucket) }, "position {position}: empty bucket");
                assert_eq!(unsafe { *self.index.bucket(bucket).as_ref() } as usize, position);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::pair::{self, Pair};
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u8),
        Remove(u8),
        RemoveAt(usize),
        Reserve(u8),
        Clone,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u8..40, any::<u8>()).prop_map(|(k, v)| Op::Insert(k, v)),
            1 => (0u8..40).prop_map(Op::Remove),
            2 => any::<usize>().prop_map(Op::RemoveAt),
            1 => (0u8..20).prop_map(Op::Reserve),
            1 => Just(Op::Clone),
        ]
    }

    /// A pair's field as key, with the buckets kept: the back-array's invariant
    /// under the same operations.
    struct BookedPair;

    impl KeyOf for BookedPair {
        type Buckets = BucketArray;

        fn key(item: &[u8]) -> &[u8] {
            Pair::key(item)
        }
    }

    /// Runs `ops` against a `Dense<K>` and a hash map, checking after each.
    fn behaves_like_a_hash_map<K: KeyOf>(ops: Vec<Op>) -> Result<(), TestCaseError> {
        let mut dense: Dense<K> = Dense::new();
        let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    let (field, value) = (format!("field:{k}").into_bytes(), vec![v; v as usize % 5]);
                    let old = dense.insert(pair::encode(&field, &value));
                    let model_old = model.insert(field, value);
                    prop_assert_eq!(old.map(|b| pair::split(&b).1.to_vec()), model_old);
                }
                Op::Remove(k) => {
                    let field = format!("field:{k}").into_bytes();
                    let removed = dense.remove(&field).map(|b| pair::split(&b).1.to_vec());
                    prop_assert_eq!(removed, model.remove(&field));
                }
                Op::RemoveAt(i) if !model.is_empty() => {
                    let removed = dense.remove_at(i % dense.len());
                    let (field, value) = pair::split(&removed);
                    let expected = model.remove(field);
                    prop_assert_eq!(expected.as_deref(), Some(value));
                }
                Op::RemoveAt(_) => {}
                Op::Reserve(n) => dense.reserve(n as usize),
                Op::Clone => dense = dense.clone(),
            }
            dense.check_buckets();
            prop_assert_eq!(dense.len(), model.len());
            for (field, value) in &model {
                prop_assert_eq!(dense.get(field).map(|i| pair::split(i).1), Some(&value[..]));
            }
            let items: usize = (0..dense.len()).map(|i| Blob::new(dense.at(i)).heap_bytes()).sum();
            prop_assert_eq!(dense.item_bytes, items);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn dense_pairs_behave_like_a_hash_map(ops in proptest::collection::vec(op(), 0..200)) {
            behaves_like_a_hash_map::<Pair>(ops)?;
        }

        /// Swap-removes keep every position's bucket holding that position, through
        /// growth, in-place rehashes (tombstones), reserves and clones.
        #[test]
        fn kept_buckets_follow_positions(ops in proptest::collection::vec(op(), 0..300)) {
            behaves_like_a_hash_map::<BookedPair>(ops)?;
        }

        #[test]
        fn a_scan_returns_everything_present_throughout(
            initial in 1usize..300,
            count in 1usize..20,
            churn in proptest::collection::vec((any::<bool>(), any::<u16>()), 0..100),
        ) {
            let mut set: Dense<Whole> = Dense::new();
            for i in 0..initial {
                set.insert(Blob::new(format!("m{i}").as_bytes()));
            }
            let mut removed: HashSet<Vec<u8>> = HashSet::new();
            let mut seen: HashSet<Vec<u8>> = HashSet::new();
            let mut churn = churn.into_iter();
            let mut cursor = 0;
            let mut steps = 0;
            loop {
                cursor = set.scan(cursor, count, |item| { seen.insert(item.to_vec()); });
                steps += 1;
                if cursor == 0 {
                    break;
                }
                // Between steps, remove or add elements.
                if let Some((remove, n)) = churn.next() {
                    if remove && !set.is_empty() {
                        let gone = set.remove_at(n as usize % set.len());
                        removed.insert(gone.to_vec());
                    } else {
                        set.insert(Blob::new(format!("new{n}").as_bytes()));
                    }
                }
                prop_assert!(steps <= initial + 200, "the scan ends");
            }
            for i in 0..initial {
                let member = format!("m{i}").into_bytes();
                if !removed.contains(&member) {
                    prop_assert!(seen.contains(&member), "missed {:?}", String::from_utf8_lossy(&member));
                }
            }
        }
    }

    #[test]
    fn heap_bytes_count_the_array_the_index_and_the_elements() {
        let empty: Dense<Whole> = Dense::new();
        assert_eq!(empty.heap_bytes(), 0);
        let mut set: Dense<Whole> = Dense::new();
        for i in 0..1000 {
            set.insert(Blob::new(format!("{i:016}").as_bytes()));
        }
        let bytes = set.heap_bytes();
        // 1000 x 32-byte allocations, 8-byte pointers, 5 bytes per index bucket.
        assert!(bytes >= 1000 * (32 + 8 + 5), "{bytes}");
        assert!(bytes <= 1000 * (32 + 16 + 12), "{bytes}");
        assert_eq!(std::mem::size_of::<Dense<Whole>>(), 64);
    }
}
