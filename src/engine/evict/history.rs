//! What AHE remembers beyond the keys it holds: a count-min sketch of recent
//! requests (so frequency outlives residency) and the ghosts of recently evicted
//! keys with the signal that condemned them (so alpha can learn which signal was
//! wrong). Both are fixed-size: their memory never changes while evicting.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use super::Signal;

/// Evicted keys remembered for ghost hits.
pub(super) const GHOSTS: usize = 65_536;

/// A count-min sketch of recent requests with periodic halving (TinyLFU).
pub(super) struct FrequencySketch {
    rows: Box<[AtomicU8]>,
    additions: AtomicU64,
}

const SKETCH_WIDTH: usize = 1 << 16;
const SKETCH_ROWS: usize = 4;

impl FrequencySketch {
    pub(super) fn new() -> Self {
        FrequencySketch {
            rows: (0..SKETCH_WIDTH * SKETCH_ROWS).map(|_| AtomicU8::new(0)).collect(),
            additions: AtomicU64::new(0),
        }
    }

    fn cells(hash: u64) -> impl Iterator<Item = usize> {
        (0..SKETCH_ROWS).map(move |row| {
            let h = hash.rotate_left(16 * row as u32) ^ (row as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            row * SKETCH_WIDTH + (h as usize & (SKETCH_WIDTH - 1))
        })
    }

    pub(super) fn add(&self, hash: u64) {
        for cell in Self::cells(hash) {
            let counter = &self.rows[cell];
            let value = counter.load(Ordering::Relaxed);
            if value < u8::MAX {
                counter.store(value + 1, Ordering::Relaxed);
            }
        }
        if self.additions.fetch_add(1, Ordering::Relaxed) + 1 >= (SKETCH_WIDTH * 10) as u64 {
            self.additions.store(0, Ordering::Relaxed);
            for counter in self.rows.iter() {
                counter.store(counter.load(Ordering::Relaxed) / 2, Ordering::Relaxed);
            }
        }
    }

    pub(super) fn estimate(&self, hash: u64) -> u8 {
        Self::cells(hash).map(|cell| self.rows[cell].load(Ordering::Relaxed)).min().unwrap_or(0)
    }
}

/// Recently evicted keys, by fingerprint, with the signal that condemned them: a
/// fixed, direct-mapped table (a newer ghost overwrites an older one in its slot),
/// so its memory never changes while evicting.
pub(super) struct Ghosts {
    slots: Box<[AtomicU64]>,
}

impl Ghosts {
    pub(super) fn new() -> Self {
        Ghosts { slots: (0..GHOSTS).map(|_| AtomicU64::new(0)).collect() }
    }

    /// The stored word: the fingerprint with its lowest bit replaced by the signal
    /// (never 0, which marks an empty slot).
    fn word(fingerprint: u64, signal: Signal) -> u64 {
        let bit = match signal {
            Signal::Recency => 0,
            Signal::Frequency => 1,
        };
        (fingerprint & !1 | bit).max(2)
    }

    fn slot(&self, fingerprint: u64) -> &AtomicU64 {
        &self.slots[(fingerprint >> 1) as usize % GHOSTS]
    }

    pub(super) fn remember(&self, fingerprint: u64, signal: Signal) {
        self.slot(fingerprint).store(Self::word(fingerprint, signal), Ordering::Relaxed);
    }

    /// The signal that condemned this ghost, forgetting it; `None` if not a ghost.
    pub(super) fn take(&self, fingerprint: u64) -> Option<Signal> {
        let slot = self.slot(fingerprint);
        let word = slot.load(Ordering::Relaxed);
        let expected = Self::word(fingerprint, Signal::Recency) & !1;
        if word == 0 || word & !1 != expected {
            return None;
        }
        slot.compare_exchange(word, 0, Ordering::Relaxed, Ordering::Relaxed).ok()?;
        Some(if word & 1 == 1 { Signal::Frequency } else { Signal::Recency })
    }
}
