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
