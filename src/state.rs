//! What every connection shares: the engine, the live configuration, the registries
//! (clients, watches), the counters, and the AOF once it is on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::aof::Aof;
use crate::clients::ClientRegistry;
use crate::config::Config;
use crate::engine::access::LfuTuning;
use crate::engine::evict::{OutOfMemory, Settings};
use crate::engine::{ChangeHook, KvEngine};
use crate::slowlog::{CommandStats, SlowLog};
use crate::stats::Stats;
use crate::watch::WatchRegistry;

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
    /// Who watches which keys (`WATCH`), fed by the engine's change records.
    pub watches: Arc<WatchRegistry>,
    /// When the server started (`uptime_in_seconds`).
    pub started: Instant,
    /// A random id for this run (`run_id`).
    pub run_id: String,
    /// The AOF while persistence is on (loaded and opened at boot, or turned on by
    /// `CONFIG SET appendonly yes`).
    aof: ArcSwapOption<Aof>,
    /// Held for reading by every connection while it runs a batch, and for writing
    /// while one runs `EXEC`, so a transaction sees no other client's command.
    pub transaction_gate: crossbeam_utils::sync::ShardedLock<()>,
    /// Calls and time per command (`INFO commandstats`).
    pub command_stats: CommandStats,
    /// Slow commands (`SLOWLOG`).
    pub slowlog: SlowLog,
    /// Notified by `SHUTDOWN`: the listener stops as on SIGTERM.
    pub shutdown_requested: tokio::sync::Notify,
    /// Unix seconds of the last successful AOF rewrite, or of the start (`LASTSAVE`).
    pub last_save: AtomicU64,
    /// True while the AOF is being replayed (no eviction, `INFO` says `loading:1`).
    pub loading: AtomicBool,
}

impl ServerState {
    /// Fresh state for a server configured by `config`.
    pub fn new(config: Config) -> Self {
        let names = crate::command::table().all().map(|c| c.full_name.clone());
        let state = ServerState {
            engine: KvEngine::new(),
            config: ArcSwap::from_pointee(config),
            stats: Stats::default(),
            clients: ClientRegistry::default(),
            watches: Arc::new(WatchRegistry::default()),
            started: Instant::now(),
            run_id: random_hex(40),
            aof: ArcSwapOption::empty(),
            transaction_gate: crossbeam_utils::sync::ShardedLock::new(()),
            loading: Default::default(),
            command_stats: CommandStats::new(names),
            slowlog: Default::default(),
            shutdown_requested: tokio::sync::Notify::new(),
            last_save: AtomicU64::new(crate::clock::unix_secs()),
        };
        state.engine.add_hook(state.watches.clone());
        state.apply_cache_settings(&state.config.load());
        state
    }

    /// Passes the cache settings of `config` to the engine (at start and after
    /// `CONFIG SET`).
    pub fn apply_cache_settings(&self, config: &Config) {
        let lfu = LfuTuning { log_factor: config.lfu_log_factor, decay_minutes: config.lfu_decay_time };
        self.engine.evictor.set_lfu(lfu);
        self.engine.evictor.set_policy(config.maxmemory_policy);
    }

    /// The AOF, while persistence is on.
    pub fn aof(&self) -> Option<Arc<Aof>> {
        self.aof.load_full()
    }

    /// Starts logging every change to `aof` (after replay, so replayed commands are
    /// not logged again).
    pub fn install_aof(&self, aof: Arc<Aof>) {
        self.engine.add_hook(aof.clone());
        self.aof.store(Some(aof));
    }

    /// Stops logging to the AOF, flushing and closing it (`CONFIG SET appendonly
    /// no`, shutdown). Returns whether one was on.
    pub fn close_aof(&self) -> bool {
        let Some(aof) = self.aof.swap(None) else { return false };
        let hook: Arc<dyn ChangeHook> = aof.clone();
        self.engine.hooks().changes.remove(&hook);
        aof.close();
        true
    }

    /// The AOF's error while it is failing (writes then get `-MISCONF`).
    pub fn aof_failure(&self) -> Option<String> {
        self.aof.load().as_ref().and_then(|aof| aof.status().failure())
    }

    /// `hz`: how many times a second the background cycle (active expiry) runs.
    pub fn hz(&self) -> u32 {
        10
    }

    /// Applies `CONFIG SET`'s pairs all at once or not at all; the error is the
    /// whole reply line.
    pub fn set_config(&self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        let current = self.config.load_full();
        let mut next: Config = (*current).clone();
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in pairs {
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            if seen.contains(&name) {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"
                ));
            }
            seen.push(name.clone());
            if !Config::is_live(&name) {
                return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'"));
            }
            let value = String::from_utf8_lossy(value);
            next.set(&name, &value).map_err(|reason| {
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
            })?;
        }
        log::set_max_level(next.log_filter());
        self.apply_cache_settings(&next);
        if let Some(aof) = self.aof() {
            aof.set_policy(next.appendfsync);
        }
        self.config.store(Arc::new(next));
        Ok(())
    }

    /// Zeroes the statistics `INFO` shows (`CONFIG RESETSTAT`).
    pub fn reset_stats(&self) {
        self.stats.reset();
        self.command_stats.reset();
        self.engine.evictor.reset_stats();
        for db in 0..crate::engine::DATABASES {
            self.engine.db(db).reset_stats();
        }
        self.slowlog.reset();
    }

    /// Before a write: evicts as the policy says until memory is within
    /// `maxmemory`, or reports that it cannot (invariant 7).
    pub fn make_room(&self, config: &Config, now_ms: u64) -> Result<(), OutOfMemory> {
        if config.maxmemory == 0
            || crate::memory::used_memory() <= config.maxmemory
            || self.loading.load(Ordering::Relaxed)
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
