//! Memory accounting: jemalloc is the allocator (as in Redis), wrapped by a thin
//! counting layer so `used_memory` is exact and current at every command.
//!
//! Each thread adds the sizes it allocates and subtracts the sizes it frees in its
//! own cache-padded counter slot (no shared cache line on the allocation path);
//! [`used_memory`] sums the slots. jemalloc's own statistics (allocated, active,
//! resident), read through `tikv-jemalloc-ctl` after an epoch refresh, feed the
//! fragmentation figures of `INFO memory`; they lag, so eviction does not use them.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;
use tikv_jemallocator::Jemalloc;

/// Counter slots; threads beyond this many share slots (still exact: atomics).
const SLOTS: usize = 64;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: CachePadded<AtomicI64> = CachePadded::new(AtomicI64::new(0));
static COUNTERS: [CachePadded<AtomicI64>; SLOTS] = [ZERO; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Const-initialised and without a destructor, so it is safe to use inside the
    // allocator (it never allocates).
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// A small per-thread index (0..64), stable for the thread's life: per-thread
/// counters use it to keep their updates off shared cache lines.
pub fn thread_slot() -> usize {
    SLOT.try_with(|slot| {
        if slot.get() == usize::MAX {
            slot.set(NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS);
        }
        slot.get()
    })
    .unwrap_or(0)
}

#[inline]
fn count(delta: i64) {
    COUNTERS[thread_slot()].fetch_add(delta, Ordering::Relaxed);
}

/// jemalloc with per-thread byte counting.
pub struct CountingJemalloc;

// SAFETY: every method forwards to jemalloc unchanged; the counting touches only
// atomics and a const thread-local, and never allocates.
unsafe impl GlobalAlloc for CountingJemalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { Jemalloc.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as i64);
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { Jemalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as i64);
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { Jemalloc.dealloc(ptr, layout) };
        count(-(layout.size() as i64));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { Jemalloc.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        new
    }
}

/// Bytes the program has allocated and not freed (Redis's `used_memory`).
pub fn used_memory() -> u64 {
    let total: i64 = COUNTERS.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    let used = total.max(0) as u64;
    PEAK.fetch_max(used, Ordering::Relaxed);
    used
}

/// The highest `used_memory` seen so far (`used_memory_peak`).
pub fn peak_memory() -> u64 {
    PEAK.load(Ordering::Relaxed).max(used_memory())
}

/// jemalloc's view: bytes allocated, in active pages, and resident; zeros where the
/// statistics cannot be read.
pub fn allocator_stats() -> (u64, u64, u64) {
    use tikv_jemalloc_ctl::{epoch, stats};
    if epoch::advance().is_err() {
        return (0, 0, 0);
    }
    let read = |r: tikv_jemalloc_ctl::Result<usize>| r.map_or(0, |v| v as u64);
    (read(stats::allocated::read()), read(stats::active::read()), read(stats::resident::read()))
}

/// Resident set size of the process from `/proc/self/statm` (0 where unavailable).
pub fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_are_counted_and_freed() {
        // Other tests allocate concurrently in this process: allow them 5 MB.
        let before = used_memory();
        let block = vec![0u8; 16 << 20];
        let during = used_memory();
        assert!(during >= before + (11 << 20), "{before} -> {during}");
        drop(block);
        assert!(used_memory() < during - (11 << 20));
        assert!(peak_memory() >= during);
    }
}
