//! The server-wide counters behind `INFO stats`.
//!
//! Connections count their commands and hits locally and add them here once per
//! read batch, so the hot path does not bounce a shared cache line per command.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

/// Per-thread slots of a [`Counter`].
const COUNTER_SLOTS: usize = 8;

/// A counter that threads add to without sharing a cache line: each thread adds to
/// its own slot, and reading sums the slots.
#[derive(Debug, Default)]
pub struct Counter {
    slots: [CachePadded<AtomicU64>; COUNTER_SLOTS],
}

impl Counter {
    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.slots[crate::memory::thread_slot() % COUNTER_SLOTS].fetch_add(n, Ordering::Relaxed);
    }

    /// The total.
    pub fn get(&self) -> u64 {
        self.slots.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    /// Sets the total to zero.
    pub fn reset(&self) {
        self.slots.iter().for_each(|s| s.store(0, Ordering::Relaxed));
    }
}

/// Changes to the dataset since start (`INFO persistence`'s
/// `rdb_changes_since_last_save`: there is no RDB save, so "since the last save" is
/// since start). A change hook: one per recorded change that has an effect to log,
/// so a write that changed nothing (a `SETBIT` to the bit's own value) counts
/// nothing, as Redis's `server.dirty` does not.
#[derive(Debug, Default)]
pub struct DirtyCounter(Counter);

impl DirtyCounter {
    /// Changes counted so far.
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

impl crate::engine::ChangeHook for DirtyCounter {
    fn on_change(&self, change: &crate::engine::Change<'_>) {
        if !change.effect.is_empty() {
            self.0.add(1);
        }
    }
}

/// Counters that `INFO` reports and `CONFIG RESETSTAT` clears.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted since start.
    pub total_connections_received: Counter,
    /// Connections refused because of `maxclients`.
    pub rejected_connections: Counter,
    /// Commands executed.
    pub total_commands_processed: Counter,
    /// Reads that found their key.
    pub keyspace_hits: Counter,
    /// Reads that did not.
    pub keyspace_misses: Counter,
    /// Bytes read from clients.
    pub total_net_input_bytes: Counter,
    /// Bytes written to clients.
    pub total_net_output_bytes: Counter,
    /// Recent command rate.
    pub ops_rate: OpsRate,
    /// Error replies by their first word (`INFO errorstats`).
    pub errors: ErrorStats,
}

/// How many error replies of each kind were sent (`errorstat_ERR:count=3`), and
/// in all (`total_error_replies`). Errors are rare, so one lock is enough.
#[derive(Debug, Default)]
pub struct ErrorStats {
    counts: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

/// Redis tracks at most this many distinct error prefixes.
const MAX_ERROR_KINDS: usize = 128;

impl ErrorStats {
    /// Counts one error reply whose line is `line` (code first: `ERR …`).
    pub fn count(&self, line: &str) {
        let prefix = line.split(' ').next().unwrap_or("ERR");
        let mut counts = crate::sync::lock(&self.counts);
        if let Some(count) = counts.get_mut(prefix) {
            *count += 1;
        } else if counts.len() < MAX_ERROR_KINDS {
            counts.insert(prefix.to_string(), 1);
        }
    }

    /// Every prefix with its count, in name order.
    pub fn all(&self) -> Vec<(String, u64)> {
        crate::sync::lock(&self.counts).iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// Error replies in all.
    pub fn total(&self) -> u64 {
        crate::sync::lock(&self.counts).values().sum()
    }

    /// Forgets every count (`CONFIG RESETSTAT`).
    pub fn reset(&self) {
        crate::sync::lock(&self.counts).clear();
    }
}

/// Samples of the command counter, one per tick, for `instantaneous_ops_per_sec`
/// (Redis keeps 16 samples 100 ms apart).
#[derive(Debug, Default)]
pub struct OpsRate {
    samples: std::sync::Mutex<std::collections::VecDeque<(std::time::Instant, u64)>>,
}

impl OpsRate {
    /// Records the command counter now; keeps the last 16 samples.
    pub fn sample(&self, commands: u64) {
        let mut samples = crate::sync::lock(&self.samples);
        if samples.len() == 16 {
            samples.pop_front();
        }
        samples.push_back((std::time::Instant::now(), commands));
    }

    /// Forgets the samples (`CONFIG RESETSTAT` zeroes the counter they sample).
    pub fn reset(&self) {
        crate::sync::lock(&self.samples).clear();
    }

    /// Commands per second over the sampled window.
    pub fn per_second(&self) -> u64 {
        let samples = crate::sync::lock(&self.samples);
        match (samples.front(), samples.back()) {
            // A `CONFIG RESETSTAT` between two samples makes the counter go back.
            (Some((t0, c0)), Some((t1, c1))) if t1 > t0 => {
                (c1.saturating_sub(*c0) as f64 / t1.duration_since(*t0).as_secs_f64()) as u64
            }
            _ => 0,
        }
    }
}

/// A connection's counts since its last flush into [`Stats`].
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalStats {
    /// Commands executed.
    pub commands: u64,
    /// Key reads that hit.
    pub hits: u64,
    /// Key reads that missed.
    pub misses: u64,
}

impl Stats {
    /// Adds a connection's local counts and zeroes them.
    pub fn absorb(&self, local: &mut LocalStats) {
        if local.commands > 0 {
            self.total_commands_processed.add(local.commands);
        }
        if local.hits > 0 {
            self.keyspace_hits.add(local.hits);
        }
        if local.misses > 0 {
            self.keyspace_misses.add(local.misses);
        }
        *local = LocalStats::default();
    }

    /// Zeroes every counter (`CONFIG RESETSTAT`).
    pub fn reset(&self) {
        for counter in [
            &self.total_connections_received,
            &self.rejected_connections,
            &self.total_commands_processed,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.total_net_input_bytes,
            &self.total_net_output_bytes,
        ] {
            counter.reset();
        }
        self.errors.reset();
        self.ops_rate.reset();
    }
}

#[cfg(test)]
mod ops_rate_tests {
    use super::*;

    #[test]
    fn a_counter_reset_between_samples_reads_as_no_commands_not_a_panic() {
        let rate = OpsRate::default();
        rate.sample(1_000);
        std::thread::sleep(std::time::Duration::from_millis(2));
        rate.sample(10);
        assert_eq!(rate.per_second(), 0);
        let stats = Stats::default();
        stats.ops_rate.sample(5);
        stats.reset();
        assert_eq!(stats.ops_rate.per_second(), 0);
    }
}
