//! What every connection shares: the engine, the live configuration, the registries
//! (clients, watches), the counters, and the AOF once it is on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;

use crate::aof::{Aof, AofSwitch};
use crate::clients::ClientRegistry;
use crate::config::{config_set_as, Caller, Config, Effect};
use crate::engine::access::LfuTuning;
use crate::engine::evict::{OutOfMemory, Settings};
use crate::engine::KvEngine;
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
    /// Who waits on which keys (`BLPOP` …), marked ready by the change records.
    pub blocked: Arc<crate::blocking::BlockedKeys>,
    /// Changes since start (`rdb_changes_since_last_save`), a change hook.
    pub dirty: Arc<crate::stats::DirtyCounter>,
    /// When the server started (`uptime_in_seconds`).
    pub started: Instant,
    /// A random id for this run (`run_id`).
    pub run_id: String,
    /// The AOF while persistence is on (loaded and opened at boot, or turned on by
    /// `CONFIG SET appendonly yes`), registered once as a change hook.
    aof: Arc<AofSwitch>,
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
    /// Pub/Sub channels, patterns and shard channels.
    pub pubsub: Arc<crate::pubsub::PubSub>,
    /// Keyspace notifications (`notify-keyspace-events`), a change hook.
    pub notifier: Arc<crate::pubsub::notify::KeyspaceNotifier>,
    /// The clients in `MONITOR` mode.
    pub monitors: crate::pubsub::monitor::Monitors,
    /// Client-side caching (`CLIENT TRACKING`), a change hook.
    pub tracking: Arc<crate::pubsub::tracking::Tracking>,
    /// Moves the listener to a new address, once the server listens.
    rebind: std::sync::Mutex<Option<Rebind>>,
    /// `CLIENT PAUSE`: which commands wait, until when.
    pub pause: crate::pause::ClientPause,
    /// The Lua VM and the script cache.
    pub scripting: crate::scripting::Scripting,
}

/// Binds the listener to a new address (the old one closes once it succeeded).
pub type Rebind = Arc<dyn Fn(std::net::SocketAddr) -> std::io::Result<()> + Send + Sync>;

impl ServerState {
    /// Fresh state for a server configured by `config`.
    pub fn new(config: Config) -> Self {
        let names = crate::command::table().all().map(|c| c.full_name.clone());
        let pubsub = Arc::new(crate::pubsub::PubSub::default());
        let state = ServerState {
            notifier: Arc::new(crate::pubsub::notify::KeyspaceNotifier::new(pubsub.clone())),
            tracking: Arc::new(crate::pubsub::tracking::Tracking::new(pubsub.clone())),
            monitors: Default::default(),
            pubsub,
            engine: KvEngine::new(),
            config: ArcSwap::from_pointee(config),
            stats: Stats::default(),
            clients: ClientRegistry::default(),
            watches: Arc::new(WatchRegistry::default()),
            blocked: Arc::default(),
            dirty: Arc::default(),
            started: Instant::now(),
            run_id: random_hex(40),
            aof: Arc::new(AofSwitch::default()),
            transaction_gate: crossbeam_utils::sync::ShardedLock::new(()),
            loading: Default::default(),
            command_stats: CommandStats::new(names),
            slowlog: Default::default(),
            shutdown_requested: tokio::sync::Notify::new(),
            last_save: AtomicU64::new(crate::clock::unix_secs()),
            rebind: std::sync::Mutex::new(None),
            pause: Default::default(),
            scripting: Default::default(),
        };
        state.engine.add_hook(state.watches.clone());
        state.engine.add_hook(state.aof.clone());
        state.engine.add_hook(state.dirty.clone());
        state.engine.add_hook(state.notifier.clone());
        state.engine.add_hook(state.tracking.clone());
        state.engine.add_hook(state.blocked.clone());
        state.apply_cache_settings(&state.config.load());
        state.apply_push_settings(&state.config.load());
        state
    }

    /// Passes the cache settings of `config` to the engine (at start and after
    /// `CONFIG SET`).
    pub fn apply_cache_settings(&self, config: &Config) {
        let lfu = LfuTuning { log_factor: config.lfu_log_factor, decay_minutes: config.lfu_decay_time };
        self.engine.evictor.set_lfu(lfu);
        self.engine.evictor.set_policy(config.maxmemory_policy);
    }

    /// Passes the push room's settings of `config` on (the output limits of
    /// pushes, `notify-keyspace-events`); at start and after every `CONFIG SET`.
    pub fn apply_push_settings(&self, config: &Config) {
        self.pubsub.configure(config);
        self.notifier.set(config.notify_keyspace_events);
    }

    /// The AOF, while persistence is on.
    pub fn aof(&self) -> Option<Arc<Aof>> {
        self.aof.current()
    }

    /// Starts logging every change to `aof` (after replay, so replayed commands are
    /// not logged again).
    pub fn install_aof(&self, aof: Arc<Aof>) {
        self.aof.turn_on(aof);
    }

    /// Stops logging to the AOF, flushing and closing it (`CONFIG SET appendonly
    /// no`, shutdown). Returns whether one was on.
    pub fn close_aof(&self) -> bool {
        let Some(aof) = self.aof.turn_off() else { return false };
        aof.close();
        true
    }

    /// The AOF's error while it is failing (writes then get `-MISCONF`).
    #[inline]
    pub fn aof_failure(&self) -> Option<String> {
        self.aof.with(|aof| aof.status().failure()).flatten()
    }

    /// Whether an AOF is on with `appendfsync always` (replies wait for its fsync).
    #[inline]
    pub fn aof_fsyncs_always(&self) -> bool {
        self.aof.with(|aof| aof.status().policy() == crate::config::FsyncPolicy::Always) == Some(true)
    }

    /// `hz`: how many times a second the background cycle (active expiry) runs.
    pub fn hz(&self) -> u32 {
        self.config.load().hz.clamp(1, 500)
    }

    /// Applies `CONFIG SET`'s pairs all at once or not at all, as Redis 7: the
    /// registry checks every pair, then each changed parameter's effect is applied
    /// to the running server; if one cannot be, everything is put back. The error is
    /// the whole reply line.
    pub fn set_config(&self, pairs: &[(&[u8], &[u8])], local: bool) -> Result<(), String> {
        let caller = Caller { local, loading: self.loading.load(Ordering::Relaxed) };
        let old = self.config.load_full();
        let (next, changed) = config_set_as(&old, pairs, caller)?;
        let next = Arc::new(next);
        self.config.store(next.clone());
        self.apply_push_settings(&next);
        let mut applied: Vec<Effect> = Vec::new();
        for param in changed {
            if applied.contains(&param.effect) {
                continue;
            }
            applied.push(param.effect);
            if let Err(reason) = self.apply_effect(param.effect, &old, &next) {
                self.config.store(old.clone());
                for effect in applied.iter().rev().skip(1) {
                    let _ = self.apply_effect(*effect, &next, &old);
                }
                self.apply_push_settings(&old);
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {reason}",
                    param.name
                ));
            }
        }
        Ok(())
    }

    /// Makes the running server follow a change from `old` to `next` of the
    /// parameters with `effect`.
    fn apply_effect(&self, effect: Effect, old: &Config, next: &Config) -> Result<(), String> {
        match effect {
            Effect::LogLevel => log::set_max_level(next.log_filter()),
            Effect::FsyncPolicy => {
                if let Some(aof) = self.aof() {
                    aof.set_policy(next.appendfsync);
                }
            }
            Effect::CacheSettings => self.apply_cache_settings(next),
            // A lower cap evicts at once, as Redis's `CONFIG SET maxmemory` does (the
            // evicted keys are notified and invalidated now, not at the next write).
            Effect::Eviction if next.maxmemory > 0 => {
                let _ = self.make_room(next, crate::clock::unix_millis());
            }
            Effect::AppendOnly => self.switch_aof(old, next)?,
            Effect::Listener if old.addr != next.addr => {
                let rebind = crate::sync::lock(&self.rebind).clone();
                if let Some(rebind) = rebind {
                    rebind(next.addr).map_err(|e| {
                        log::warn!("cannot listen on {}: {e}", next.addr);
                        "Unable to listen on this port. Check server logs.".to_string()
                    })?;
                }
            }
            // Read from the config where they are used (`make_room`, the cron, the
            // parsers, the connections), or stored for the families to come.
            _ => {}
        }
        Ok(())
    }

    /// `CONFIG SET appendonly`: `yes` starts the AOF at `next`'s path — the file
    /// becomes a rewrite of the dataset, with every change since appended, as
    /// Redis's `startAppendOnly` does; `no` flushes, fsyncs and closes it.
    fn switch_aof(&self, old: &Config, next: &Config) -> Result<(), String> {
        match (&old.aof_path, &next.aof_path) {
            (_, None) => {
                self.close_aof();
            }
            (Some(before), Some(after)) if before == after && self.aof().is_some() => {}
            (_, Some(path)) => {
                self.close_aof();
                let fail = |e: &dyn std::fmt::Display| {
                    log::warn!("cannot turn the AOF on at {}: {e}", path.display());
                    "Unable to turn on AOF. Check server logs.".to_string()
                };
                // The file is about to be a rewrite of the dataset: whatever it held
                // before goes.
                std::fs::File::create(path).map_err(|e| fail(&e))?;
                let aof = Aof::open(path, next.appendfsync).map_err(|e| fail(&e))?;
                self.install_aof(aof.clone());
                self.rewrite_aof(&aof, crate::clock::unix_millis()).map_err(|e| fail(&e))?;
            }
        }
        Ok(())
    }

    /// Starts a rewrite of `aof`: the function libraries first, then the keys.
    pub fn rewrite_aof(&self, aof: &Aof, now_ms: u64) -> Result<(), crate::aof::rewrite::RewriteError> {
        crate::aof::rewrite::start(aof, &self.engine, now_ms, || {
            let load = bytes::Bytes::from_static(b"FUNCTION");
            let sub = bytes::Bytes::from_static(b"LOAD");
            self.scripting
                .function_codes()
                .into_iter()
                .map(|code| vec![load.clone(), sub.clone(), code])
                .collect()
        })
    }

    /// Registers how the listener moves to a new address (`CONFIG SET port|bind`).
    pub fn set_rebind(&self, rebind: Rebind) {
        *crate::sync::lock(&self.rebind) = Some(rebind);
    }

    /// `CLIENT PAUSE` at Unix ms `now`: holds `kind` commands until Unix ms
    /// `end_ms`, and expiry and eviction with them.
    pub fn pause_clients(&self, kind: crate::pause::PauseKind, end_ms: i64, now: i64) {
        self.pause.pause(kind, end_ms, now);
        let until = self.pause.current(now).map_or(0, |(_, end)| end.max(0) as u64);
        self.engine.hold_expiry_until(until);
    }

    /// `CLIENT UNPAUSE`: the held commands run, expiry and eviction resume.
    pub fn unpause_clients(&self) {
        self.pause.unpause();
        self.engine.hold_expiry_until(0);
    }

    /// Zeroes the statistics `INFO` shows (`CONFIG RESETSTAT`).
    pub fn reset_stats(&self) {
        self.stats.reset();
        self.clients.reset_stats();
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
            || memory_counted_for_eviction() <= config.maxmemory
            || self.loading.load(Ordering::Relaxed)
            || self.pause.is_paused(now_ms as i64)
        {
            // While clients are paused nothing is evicted (and nothing refused for
            // memory), as in Redis: the dataset stays still.
            return Ok(());
        }
        let settings = Settings {
            maxmemory: config.maxmemory,
            policy: config.maxmemory_policy,
            samples: config.maxmemory_samples,
        };
        self.engine.evictor.make_room(&self.engine, settings, now_ms, memory_counted_for_eviction).map(|_| ())
    }
}

/// The memory `maxmemory` is compared with: what is allocated, less what the
/// lazyfree thread is about to free (evicting for that would over-evict).
fn memory_counted_for_eviction() -> u64 {
    crate::memory::used_memory().saturating_sub(crate::engine::lazyfree::pending_bytes())
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
