//! The shards of one database: a DashMap used shard by shard (the engine locks the
//! shards it needs and works on their tables directly), or, in loom builds, a small
//! stand-in with the same interface over `crate::sync`'s loom locks, which the model
//! checker can see (DashMap's own locks are not instrumented).

pub use shard_map::{ShardReadGuard, ShardWriteGuard, ShardedMap};

#[cfg(not(ferrum_loom))]
mod shard_map {

    use dashmap::DashMap;

    use super::super::table::Table;
    use super::super::Entry;

    /// Shared read access to one shard's table.
    pub type ShardReadGuard<'a> = dashmap::RwLockReadGuard<'a, Table>;
    /// Exclusive access to one shard's table.
    pub type ShardWriteGuard<'a> = dashmap::RwLockWriteGuard<'a, Table>;

    /// A DashMap used shard by shard: the engine locks the shards it needs (in
    /// ascending order for multi-key commands) and works on their tables directly.
    pub struct ShardedMap {
        /// Entries hash and compare by their key bytes, so the map is keyed by bytes
        /// while each slot is a single pointer.
        map: DashMap<Entry, (), ahash::RandomState>,
    }

    impl ShardedMap {
        /// An empty map with `shards` lock stripes (a power of two) and a hash seed
        /// chosen at random for this process, so clients cannot flood one bucket.
        pub fn new(shards: usize) -> Self {
            ShardedMap { map: DashMap::with_hasher_and_shard_amount(ahash::RandomState::new(), shards) }
        }

        /// The hash of `key` and the index of the shard that holds it.
        #[inline]
        pub fn locate(&self, key: &[u8]) -> (u64, usize) {
            let hash = self.map.hasher().hash_one(key);
            (hash, self.map.determine_shard(hash as usize))
        }

        /// The hash a stored key rehashes to (used when a table grows).
        #[inline]
        pub fn rehash(&self, key: &[u8]) -> u64 {
            self.map.hasher().hash_one(key)
        }

        /// How many shards there are.
        pub fn shard_count(&self) -> usize {
            self.map.shards().len()
        }

        /// Read-locks shard `index`.
        #[inline]
        pub fn read(&self, index: usize) -> ShardReadGuard<'_> {
            self.map.shards()[index].read()
        }

        /// Write-locks shard `index`.
        #[inline]
        pub fn write(&self, index: usize) -> ShardWriteGuard<'_> {
            self.map.shards()[index].write()
        }
    }
}

#[cfg(ferrum_loom)]
mod shard_map {

    use super::super::table::Table;
    use crate::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

    /// Shared read access to one shard's table.
    pub type ShardReadGuard<'a> = RwLockReadGuard<'a, Table>;
    /// Exclusive access to one shard's table.
    pub type ShardWriteGuard<'a> = RwLockWriteGuard<'a, Table>;

    /// The loom stand-in for the DashMap shards: same interface, loom locks.
    pub struct ShardedMap {
        shards: Box<[RwLock<Table>]>,
        hasher: ahash::RandomState,
    }

    impl ShardedMap {
        /// An empty map with `shards` lock stripes.
        pub fn new(shards: usize) -> Self {
            let shards = (0..shards.max(1)).map(|_| RwLock::new(Table::new())).collect();
            ShardedMap { shards, hasher: ahash::RandomState::with_seeds(1, 2, 3, 4) }
        }

        /// The hash of `key` and the index of the shard that holds it.
        pub fn locate(&self, key: &[u8]) -> (u64, usize) {
            let hash = self.hasher.hash_one(key);
            (hash, (hash as usize) % self.shards.len())
        }

        /// The hash a stored key rehashes to.
        pub fn rehash(&self, key: &[u8]) -> u64 {
            self.hasher.hash_one(key)
        }

        /// How many shards there are.
        pub fn shard_count(&self) -> usize {
            self.shards.len()
        }

        /// Read-locks shard `index`.
        pub fn read(&self, index: usize) -> ShardReadGuard<'_> {
            self.shards[index].read().unwrap_or_else(|p| p.into_inner())
        }

        /// Write-locks shard `index`.
        pub fn write(&self, index: usize) -> ShardWriteGuard<'_> {
            self.shards[index].write().unwrap_or_else(|p| p.into_inner())
        }
    }
}
