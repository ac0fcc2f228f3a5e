//! Safe, typed access to one shard's hash table.
//!
//! A shard is DashMap's `RawTable<(Entry, SharedValue<()>)>`: each slot is one thin
//! pointer to an [`Entry`], which holds its own key. The helpers here look keys up by
//! a borrowed `&[u8]` and a precomputed hash, so a `GET` neither allocates nor hashes
//! twice.

use dashmap::SharedValue;
use hashbrown::raw::{Bucket, RawTable};

use super::Entry;

/// One shard's table, as DashMap lays it out (the entries are the map's keys).
pub type Table = RawTable<(Entry, SharedValue<()>)>;

/// Looks up `key` (whose hash is `hash`) for reading.
#[inline]
pub fn get<'t>(table: &'t Table, hash: u64, key: &[u8]) -> Option<&'t Entry> {
    table.get(hash, |(e, _)| e.key() == key).map(|(e, _)| e)
}

/// Where a key was found in a table: a position that stays valid until the table
/// next changes. Holding one saves probing the table again for the same key (a
/// `SET` looks its key up once, not three times).
pub struct Found(Bucket<(Entry, SharedValue<()>)>);

/// Finds `key` (whose hash is `hash`).
#[inline]
pub fn find(table: &Table, hash: u64, key: &[u8]) -> Option<Found> {
    table.find(hash, |(e, _)| e.key() == key).map(Found)
}

/// The entry at `found`.
///
/// # Safety
/// `found` came from `table`, and `table` has not been changed since.
#[inline]
pub unsafe fn entry_at<'t>(_table: &'t Table, found: &Found) -> &'t Entry {
    // SAFETY: per the contract the bucket is full and live; the borrow of `table`
    // keeps it so for `'t`.
    unsafe { &found.0.as_ref().0 }
}

/// The entry at `found`, for change.
///
/// # Safety
/// As for [`entry_at`].
#[inline]
pub unsafe fn entry_at_mut<'t>(_table: &'t mut Table, found: &Found) -> &'t mut Entry {
    // SAFETY: as in `entry_at`; the exclusive borrow of `table` makes it unique.
    unsafe { &mut found.0.as_mut().0 }
}

/// Removes the entry at `found`, returning it.
///
/// # Safety
/// As for [`entry_at`].
#[inline]
pub unsafe fn remove_at(table: &mut Table, found: Found) -> Entry {
    // SAFETY: per the contract the bucket belongs to `table` and is full.
    unsafe { table.remove(found.0).0 .0 }
}

/// Inserts `entry`, whose key the caller has just looked up and not found, and
/// returns where it went.
///
/// `rehash` computes the hash of a stored key when the table has to grow.
#[inline]
pub fn insert_new(table: &mut Table, hash: u64, entry: Entry, rehash: impl Fn(&[u8]) -> u64) -> Found {
    if table.capacity() == table.len() && is_mostly_tombstones(table) {
        compact(table, &rehash);
    }
    Found(table.insert(hash, (entry, SharedValue::new(())), |(e, _)| rehash(e.key())))
}

/// Whether a table with no room left holds so few live entries that its lack of
/// room comes from deleted slots (tombstones): under eviction or expiry churn the
/// table would otherwise double each time it runs out, though it is far from full.
fn is_mostly_tombstones(table: &Table) -> bool {
    let buckets = table.buckets();
    // Full capacity is 7/8 of the buckets; "mostly" means under 3/4 of that live.
    buckets >= 16 && table.len() * 32 < buckets * 21
}

/// Rebuilds the table without its tombstones, at the size its live entries need.
fn compact(table: &mut Table, rehash: &impl Fn(&[u8]) -> u64) {
    let mut fresh = Table::with_capacity(table.len() + table.len() / 8 + 1);
    for (entry, unit) in table.drain() {
        let hash = rehash(entry.key());
        fresh.insert(hash, (entry, unit), |(e, _)| rehash(e.key()));
    }
    *table = fresh;
}

/// Removes `key`, returning its entry (the server removes through a `Slot`'s
/// [`Found`] position; this is for tests).
#[cfg(test)]
fn remove(table: &mut Table, hash: u64, key: &[u8]) -> Option<Entry> {
    table.remove_entry(hash, |(e, _)| e.key() == key).map(|(e, _)| e)
}

/// Visits every (key, entry) of the table.
pub fn for_each(table: &Table, mut visit: impl FnMut(&[u8], &Entry)) {
    // SAFETY: the caller holds the shard lock (it has `&Table`), so no bucket is
    // removed or moved while the iterator is alive, and the references handed to
    // `visit` do not outlive this call.
    unsafe {
        for bucket in table.iter() {
            let (entry, _) = bucket.as_ref();
            visit(entry.key(), entry);
        }
    }
}

/// Removes every entry for which `keep` returns false, returning how many went.
pub fn retain(table: &mut Table, mut keep: impl FnMut(&[u8], &Entry) -> bool) -> usize {
    let mut removed = 0;
    // SAFETY: we hold `&mut Table`; each bucket yielded by `iter` is valid until it is
    // erased, and `erase` on a bucket from the current iteration is allowed by
    // hashbrown's RawIter contract (the iterator does not revisit erased buckets).
    unsafe {
        for bucket in table.iter() {
            let (entry, _) = bucket.as_ref();
            if !keep(entry.key(), entry) {
                table.erase(bucket);
                removed += 1;
            }
        }
    }
    removed
}

/// Calls `visit` on up to `count` entries found from a random bucket onwards (a cheap
/// random sample, as Redis's `dictGetSomeKeys` takes), visiting each at most once.
pub fn sample(table: &Table, start: u64, count: usize, mut visit: impl FnMut(&[u8], &Entry)) {
    let buckets = table.buckets();
    if table.is_empty() || count == 0 {
        return;
    }
    let mut found = 0;
    let first = (start as usize) & (buckets - 1);
    for step in 0..buckets {
        let index = (first + step) & (buckets - 1);
        // SAFETY: `index < buckets()`, and the caller's lock on the table keeps every
        // full bucket valid while we read it.
        unsafe {
            if table.is_bucket_full(index) {
                let (entry, _) = table.bucket(index).as_ref();
                visit(entry.key(), entry);
                found += 1;
                if found == count {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn churn_at_a_stable_size_does_not_grow_the_table() {
        let hasher = ahash::RandomState::new();
        let rehash = |k: &[u8]| hasher.hash_one(k);
        let mut table = Table::new();
        let key = |i: u32| i.to_be_bytes();
        for i in 0..1_000 {
            insert_new(&mut table, rehash(&key(i)), Entry::new(&key(i), b"v", None), rehash);
        }
        let settled = table.buckets();
        // Delete one, insert a new one, many times over: the live count stays 1,000.
        for i in 1_000..200_000u32 {
            let old = key(i - 1_000);
            remove(&mut table, rehash(&old), &old);
            insert_new(&mut table, rehash(&key(i)), Entry::new(&key(i), b"v", None), rehash);
        }
        assert_eq!(table.len(), 1_000);
        assert!(table.buckets() <= settled, "the table grew from {settled} to {} buckets", table.buckets());
        for i in 199_000..200_000u32 {
            assert!(get(&table, rehash(&key(i)), &key(i)).is_some());
        }
    }
}
