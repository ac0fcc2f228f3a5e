//! The server-wide counters behind `INFO stats`.
//!
//! Connections count their commands and hits locally and add them here once per
//! read batch, so the hot path does not bounce a shared cache line per command.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters that `INFO` reports and `CONFIG RESETSTAT` clears.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted since start.
    pub total_connections_received: AtomicU64,
    /// Connections refused because of `maxclients`.
    pub rejected_connections: AtomicU64,
    /// Commands executed.
    pub total_commands_processed: AtomicU64,
    /// Reads that found their key.
    pub keyspace_hits: AtomicU64,
    /// Reads that did not.
    pub keyspace_misses: AtomicU64,
    /// Bytes read from clients.
    pub total_net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub total_net_output_bytes: AtomicU64,
    /// Recent command rate.
    pub ops_rate: OpsRate,
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

    /// Commands per second over the sampled window.
    pub fn per_second(&self) -> u64 {
        let samples = crate::sync::lock(&self.samples);
        match (samples.front(), samples.back()) {
            (Some((t0, c0)), Some((t1, c1))) if t1 > t0 => {
                ((c1 - c0) as f64 / t1.duration_since(*t0).as_secs_f64()) as u64
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
            self.total_commands_processed.fetch_add(local.commands, Ordering::Relaxed);
        }
        if local.hits > 0 {
            self.keyspace_hits.fetch_add(local.hits, Ordering::Relaxed);
        }
        if local.misses > 0 {
            self.keyspace_misses.fetch_add(local.misses, Ordering::Relaxed);
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
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// Reads one counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
