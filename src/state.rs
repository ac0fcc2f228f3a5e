//! What every connection shares: the engine, the live configuration, the counters
//! and the client registry.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use arc_swap::ArcSwap;

use crate::aof::Aof;
use crate::clients::ClientRegistry;
use crate::config::Config;
use crate::engine::evict::{OutOfMemory, Settings};
use crate::engine::KvEngine;
use crate::stats::Stats;

/// The shared state of one running server.
pub struct ServerState {
    /// The keyspace.
    pub engine: KvEngine,
    /// Settings; `CONFIG SET` swaps in a new copy.
    pub config: ArcSwap<Config>,
    /// Counters for `INFO`.
    pub stats: Stats,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// When the server started (`uptime_in_seconds`).
    pub started: Instant,
    /// A random id for this run (`run_id`).
    pub run_id: String,
    /// The AOF, once loaded and opened (absent when persistence is off).
    pub aof: OnceLock<Arc<Aof>>,
    /// Held for reading by every connection while it runs a batch, and for writing
    /// while one runs `EXEC`, so a transaction sees no other client's command.
    pub transaction_gate: crossbeam_utils::sync::ShardedLock<()>,
    /// Calls and time per command (`INFO commandstats`).
    pub command_stats: crate::slowlog::CommandStats,
    /// Slow commands (`SLOWLOG`).
    pub slowlog: crate::slowlog::SlowLog,
    /// Notified by `SHUTDOWN`: the listener stops as on SIGTERM.
    pub shutdown_requested: tokio::sync::Notify,
    /// Unix seconds of the last successful AOF rewrite, or of the start (`LASTSAVE`).
    pub last_save: std::sync::atomic::AtomicU64,
    /// True while the AOF is being replayed (no eviction, `INFO` says `loading:1`).
    pub loading: std::sync::atomic::AtomicBool,
}

impl ServerState {
    /// Fresh state for a server configured by `config`.
    pub fn new(config: Config) -> Self {
        let state = ServerState {
            engine: KvEngine::new(),
            config: ArcSwap::from_pointee(config),
            stats: Stats::default(),
            clients: ClientRegistry::default(),
            started: Instant::now(),
            run_id: random_hex(40),
            aof: OnceLock::new(),
            transaction_gate: crossbeam_utils::sync::ShardedLock::new(()),
            loading: Default::default(),
            command_stats: Default::default(),
            slowlog: Default::default(),
            shutdown_requested: tokio::sync::Notify::new(),
            last_save: std::sync::atomic::AtomicU64::new(crate::clients::unix_secs()),
        };
        state.apply_cache_settings(&state.config.load());
        state
    }

    /// Passes the cache settings of `config` to the engine (at start and after
    /// `CONFIG SET`).
    pub fn apply_cache_settings(&self, config: &Config) {
        use std::sync::atomic::Ordering;
        crate::engine::access::LFU_LOG_FACTOR.store(config.lfu_log_factor, Ordering::Relaxed);
        crate::engine::access::LFU_DECAY_TIME.store(config.lfu_decay_time, Ordering::Relaxed);
        self.engine.evictor.set_policy(config.maxmemory_policy);
    }

    /// Before a write: evicts as the policy says until memory is within
    /// `maxmemory`, or reports that it cannot (invariant 7).
    pub fn make_room(&self, config: &Config, now_ms: u64) -> Result<(), OutOfMemory> {
        if config.maxmemory == 0
            || crate::memory::used_memory() <= config.maxmemory
            || self.loading.load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(());
        }
        let settings = Settings {
            maxmemory: config.maxmemory,
            policy: config.maxmemory_policy,
            samples: config.maxmemory_samples,
        };
        self.engine.evictor.make_room(&self.engine, settings, now_ms, crate::memory::used_memory).map(|_| ())
    }
}

/// `len` random hex digits (from the process's random hash seed; not for secrets).
fn random_hex(len: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(len);
    let state = ahash::RandomState::new();
    let mut i = 0u64;
    while out.len() < len {
        let mut h = state.build_hasher();
        h.write_u64(i);
        out.push_str(&format!("{:016x}", h.finish()));
        i += 1;
    }
    out.truncate(len);
    out
}
