//! The data structures behind Redis's collection types, as plain Rust: no locks, no
//! protocol, no clock. Each type plugs into the engine through the
//! [`Collection`](crate::engine::Collection) and [`Typed`](crate::engine::Typed)
//! traits (the only thing this room takes from the engine); the commands reach it
//! through the slot's typed door.
//!
//! The building blocks are shared by every type:
//! - [`blob::Blob`]: an owned byte string behind one thin pointer, so a large
//!   collection pays 8 bytes per element for the pointer, not 16;
//! - [`packed::Packed`]: small collections as length-prefixed entries in one
//!   exact-fit buffer (Redis's listpack, simplified), converted one way to a
//!   table past the `*-max-listpack-*` thresholds;
//! - [`dense::Dense`]: large collections as a dense array of blobs found through a
//!   hash index of positions, which makes a fair random pick O(1) (`SPOP`,
//!   `SRANDMEMBER`, `HRANDFIELD`) and lets `SCAN` keep its guarantee while the
//!   collection changes;
//! - [`pair`]: a hash field and its value in one blob.
//!
//! The types: [`hash::Hash`], [`list::List`], [`set::Set`], [`zset::ZSet`], [`stream::Stream`].

pub mod blob;
pub mod dense;
pub mod hash;
pub mod hyperloglog;
pub mod list;
pub mod packed;
pub mod pair;
pub mod set;
pub mod stream;
mod varint;
pub mod zset;

/// The bytes jemalloc really hands out for a request of `size` bytes (its size
/// classes: 8, then steps of 16 up to 128, then four classes per doubling), so
/// `MEMORY USAGE` counts what an element costs, not what it asked for.
pub fn allocation_size(size: usize) -> usize {
    match size {
        0 => 0,
        1..=8 => 8,
        9..=128 => size.div_ceil(16) * 16,
        _ => {
            let power = usize::BITS - 1 - (size - 1).leading_zeros();
            let step = 1usize << (power - 2);
            size.div_ceil(step) * step
        }
    }
}

#[cfg(test)]
mod tests {
    use super::allocation_size;

    #[test]
    fn allocation_sizes_follow_jemallocs_classes() {
        let cases = [(1, 8), (8, 8), (9, 16), (17, 32), (100, 112), (128, 128), (129, 160), (256, 256)];
        for (asked, given) in cases {
            assert_eq!(allocation_size(asked), given, "{asked}");
        }
        assert_eq!(allocation_size(257), 320);
        assert_eq!(allocation_size(5000), 5120);
    }
}
