//! Settings. Every parameter is declared once in a registry ([`Param`], in
//! `params.rs` and `compat.rs`); that declaration drives the command line
//! ([`Cli`], built with clap from the registry), the Redis-style config file,
//! `CONFIG GET` ([`config_get`]), `CONFIG SET` ([`config_set`]: atomic, with
//! Redis's error texts), `CONFIG REWRITE` ([`Config::rewrite`]) and the README's
//! table ([`markdown_table`]).
//!
//! The settings that `CONFIG SET` may change live are read through an `ArcSwap` by
//! the rest of the server, so a change needs no lock on the hot path: the handler
//! builds the next [`Config`] with [`config_set`], installs it, and applies each
//! changed parameter's [`Effect`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// `(get, set)` accessors of a `yes`/`no` field, for the declarations.
macro_rules! flag_field {
    ($($f:ident).+) => {
        (|c: &Config| c.$($f).+, |c: &mut Config, v: bool| {
            c.$($f).+ = v;
            Ok(())
        })
    };
}

/// `(get, set)` accessors of an integer field (the bounds are checked before `set`).
macro_rules! int_field {
    ($($f:ident).+) => {
        (|c: &Config| c.$($f).+ as i128, |c: &mut Config, v: i128| {
            c.$($f).+ = v as _;
            Ok(())
        })
    };
}

/// `(get, set)` accessors of a `String` field.
macro_rules! text_field {
    ($($f:ident).+) => {
        (|c: &Config| c.$($f).+.clone(), |c: &mut Config, v: &str| {
            c.$($f).+ = v.to_string();
            Ok(())
        })
    };
}

/// `(get, set)` accessors of an enumerated field with `name()` and `FromStr`.
macro_rules! choice_field {
    ($($f:ident).+) => {
        (|c: &Config| c.$($f).+.name(), |c: &mut Config, v: &'static str| {
            c.$($f).+ = v.parse()?;
            Ok(())
        })
    };
}

/// `(get, set)` accessors of a `&'static str` field holding one of a choice's names.
macro_rules! name_field {
    ($($f:ident).+) => {
        (|c: &Config| c.$($f).+, |c: &mut Config, v: &'static str| {
            c.$($f).+ = v;
            Ok(())
        })
    };
}

mod cli;
mod compat;
mod file;
mod kinds;
mod live;
mod params;
mod registry;
mod rewrite;
mod table;
mod values;

#[cfg(test)]
mod tests;

pub use cli::{Cli, Setting};
pub use compat::Compat;
pub use kinds::{
    BufferLimit, FsyncPolicy, IoRuntime, KeyspaceEvents, Percentiles, Permission, ShutdownFlags,
    EVICTION_POLICIES, LOG_LEVELS,
};
pub use live::{config_get, config_set, config_set_as, Caller};
pub use registry::{lookup, param, params, Access, Effect, Kind, Mode, Param, Unit};
pub use table::{markdown_table, TABLE_BEGIN, TABLE_END};
pub use values::{io_reason, parse_memory, quote};

/// Every setting of a running server. Built from the registry's defaults, then the
/// config file, then the flags ([`Config::load`]); changed by [`config_set`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Listening address: the first of `bind`, and `port`.
    pub addr: SocketAddr,
    /// `bind`: the addresses as given (FerrumKV listens on the first).
    pub bind: Vec<String>,
    /// The AOF file while persistence is on (`appendonly`), in `dir`.
    pub aof_path: Option<PathBuf>,
    /// `appendonly`: whether the AOF is written (live).
    pub appendonly: bool,
    /// `appendfilename`: the AOF's file name (a path is allowed), relative to `dir`.
    pub appendfilename: String,
    /// `dir`: the directory relative files live in; `None` is where the server
    /// started.
    pub dir: Option<PathBuf>,
    /// `save` points (seconds, changes); stored, FerrumKV writes no RDB file.
    pub save: Vec<(u64, u64)>,
    /// fsync policy for the AOF (live).
    pub appendfsync: FsyncPolicy,
    /// Connection worker threads (0 = CPU count).
    pub io_threads: usize,
    /// Work stealing or one runtime per I/O thread.
    pub io_runtime: IoRuntime,
    /// Connection cap (live).
    pub maxclients: usize,
    /// Idle timeout in seconds, 0 = none (live).
    pub timeout: u64,
    /// Log level name (debug, verbose, notice, warning).
    pub loglevel: String,
    /// The password (`requirepass`), if one is set (live).
    pub requirepass: Option<String>,
    /// Refuse non-loopback clients while no password is set (live).
    pub protected_mode: bool,
    /// Most unparsed bytes a client may send ahead (live).
    pub client_query_buffer_limit: u64,
    /// `client-output-buffer-limit` for normal clients: hard bytes, soft bytes, soft
    /// seconds (live).
    pub client_output_buffer_limit: BufferLimit,
    /// `client-output-buffer-limit` for replicas (`replica`/`slave` class).
    pub client_output_buffer_limit_replica: BufferLimit,
    /// `client-output-buffer-limit` for pub/sub clients.
    pub client_output_buffer_limit_pubsub: BufferLimit,
    /// `proto-max-bulk-len`: the longest bulk argument (and string value) in bytes.
    pub proto_max_bulk_len: u64,
    /// Commands slower than this many microseconds go to the slow log; negative
    /// disables it (live).
    pub slowlog_log_slower_than: i64,
    /// Entries the slow log keeps (live).
    pub slowlog_max_len: usize,
    /// Memory cap in bytes (0: none) (live).
    pub maxmemory: u64,
    /// Eviction policy at the cap (live).
    pub maxmemory_policy: crate::engine::evict::Policy,
    /// Keys sampled per eviction round (live).
    pub maxmemory_samples: usize,
    /// `maxmemory-eviction-tenacity`: how hard one write tries to evict (0..=100).
    pub maxmemory_eviction_tenacity: u32,
    /// LFU counter growth: higher means slower (live).
    pub lfu_log_factor: u32,
    /// Minutes for an LFU counter to decay by one (live).
    pub lfu_decay_time: u32,
    /// `lazyfree-lazy-eviction`: free evicted values in the background.
    pub lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire`: free expired values in the background.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`: free values the server deletes (`RENAME`, …) in
    /// the background.
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`: `DEL` behaves like `UNLINK`.
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`: `FLUSHALL`/`FLUSHDB` default to `ASYNC`.
    pub lazyfree_lazy_user_flush: bool,
    /// `hz`: background cycles per second (1..=500, Redis clamps).
    pub hz: u32,
    /// `active-expire-effort`: 1..=10, how much work the active-expiry cycle does.
    pub active_expire_effort: u32,
    /// Load an AOF whose last record is cut off by truncating it (`yes`), or refuse.
    pub aof_load_truncated: bool,
    /// Rewrite the AOF when it has grown by this percentage since the last rewrite
    /// (0 disables the automatic rewrite).
    pub auto_aof_rewrite_percentage: u64,
    /// ... but only once it is at least this many bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// `notify-keyspace-events`: which keyspace notifications are published.
    pub notify_keyspace_events: KeyspaceEvents,
    /// `busy-reply-threshold` (`lua-time-limit`): milliseconds after which a running
    /// script makes other clients get `-BUSY`.
    pub busy_reply_threshold: u64,
    /// `lua-vm-max-memory` (FerrumKV's own): the Lua VM's memory limit in bytes
    /// (live, applied when the next script runs).
    pub lua_vm_max_memory: u64,
    /// `hash-max-listpack-entries`: most fields of a compact hash.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`: longest field or value of a compact hash.
    pub hash_max_listpack_value: usize,
    /// `list-max-listpack-size`: entries per list node (positive), or its byte size
    /// class (-1 = 4 KB … -5 = 64 KB).
    pub list_max_listpack_size: i32,
    /// `list-compress-depth`: list nodes left uncompressed at each end (0: none
    /// compressed).
    pub list_compress_depth: u32,
    /// `set-max-intset-entries`: most members of an integer-only compact set.
    pub set_max_intset_entries: usize,
    /// `set-max-listpack-entries`: most members of a compact set.
    pub set_max_listpack_entries: usize,
    /// `set-max-listpack-value`: longest member of a compact set.
    pub set_max_listpack_value: usize,
    /// `zset-max-listpack-entries`: most members of a compact sorted set.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`: longest member of a compact sorted set.
    pub zset_max_listpack_value: usize,
    /// `stream-node-max-bytes`: bytes per stream node (0: unlimited).
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries`: entries per stream node (0: unlimited).
    pub stream_node_max_entries: u64,
    /// `hll-sparse-max-bytes`: largest sparse HyperLogLog.
    pub hll_sparse_max_bytes: usize,
    /// `enable-protected-configs`: who may `CONFIG SET` protected parameters (`dir`,
    /// `dbfilename`).
    pub enable_protected_configs: Permission,
    /// Redis settings accepted and reported, not (yet) acted on.
    pub compat: Compat,
    /// The config file this came from (absolute), for `CONFIG REWRITE` and `INFO`.
    pub config_file: Option<PathBuf>,
}

impl Config {
    /// A config with every field empty, before the registry's defaults are applied.
    fn blank() -> Config {
        Config {
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            bind: Vec::new(),
            aof_path: None,
            appendonly: false,
            appendfilename: String::new(),
            dir: None,
            save: Vec::new(),
            appendfsync: FsyncPolicy::default(),
            io_threads: 0,
            io_runtime: IoRuntime::default(),
            maxclients: 0,
            timeout: 0,
            loglevel: String::new(),
            requirepass: None,
            protected_mode: false,
            client_query_buffer_limit: 0,
            client_output_buffer_limit: (0, 0, 0),
            client_output_buffer_limit_replica: (0, 0, 0),
            client_output_buffer_limit_pubsub: (0, 0, 0),
            proto_max_bulk_len: 0,
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            maxmemory: 0,
            maxmemory_policy: Default::default(),
            maxmemory_samples: 0,
            maxmemory_eviction_tenacity: 0,
            lfu_log_factor: 0,
            lfu_decay_time: 0,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            hz: 0,
            active_expire_effort: 0,
            aof_load_truncated: false,
            auto_aof_rewrite_percentage: 0,
            auto_aof_rewrite_min_size: 0,
            notify_keyspace_events: KeyspaceEvents::default(),
            busy_reply_threshold: 0,
            lua_vm_max_memory: 0,
            hash_max_listpack_entries: 0,
            hash_max_listpack_value: 0,
            list_max_listpack_size: 0,
            list_compress_depth: 0,
            set_max_intset_entries: 0,
            set_max_listpack_entries: 0,
            set_max_listpack_value: 0,
            zset_max_listpack_entries: 0,
            zset_max_listpack_value: 0,
            stream_node_max_bytes: 0,
            stream_node_max_entries: 0,
            hll_sparse_max_bytes: 0,
            enable_protected_configs: Permission::default(),
            compat: Compat::default(),
            config_file: None,
        }
    }

    /// Recomputes `aof_path` from `appendonly`, `appendfilename` and `dir`.
    fn derive_aof_path(&mut self) {
        self.aof_path = self.appendonly.then(|| match &self.dir {
            Some(dir) => dir.join(&self.appendfilename),
            None => PathBuf::from(&self.appendfilename),
        });
    }
}

/// The registry's defaults (computed once).
static DEFAULTS: std::sync::LazyLock<Config> = std::sync::LazyLock::new(|| {
    let mut config = Config::blank();
    for param in params() {
        if let Err(reason) = param.load(&mut config, &[param.default.to_string()]) {
            unreachable!("the default of {} ({:?}) is refused: {reason}", param.name, param.default);
        }
    }
    config
});

impl Default for Config {
    fn default() -> Self {
        DEFAULTS.clone()
    }
}

/// A config file or value that cannot be used; it names the file and line, or the
/// flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Builds the configuration: defaults, then the config file if one is named
    /// (`--config FILE` or the first argument), then the flags in the order given.
    pub fn load(cli: &Cli) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = &cli.config {
            config.apply_file(path)?;
        }
        for setting in &cli.settings {
            file::apply_flag(&mut config, setting)?;
        }
        Ok(config)
    }

    /// Applies a Redis-style config file: one `key value…` per line, `#` comments,
    /// quoting as in `redis-cli`. An unknown key or bad value names its file and
    /// line. Records the file (absolute) for `CONFIG REWRITE`.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        file::apply_file(self, path)
    }

    /// Sets one parameter by name (or alias) as a config-file line would, its words
    /// given as one value (a shorthand for tests and embedders; [`config_set`] does a
    /// whole `CONFIG SET` with Redis's semantics).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let param = param(key).ok_or_else(|| format!("unknown config key '{key}'"))?;
        param.set(self, value, Mode::Set)
    }

    /// The value of a parameter as `CONFIG GET` shows it.
    pub fn get(&self, key: &str) -> Option<String> {
        param(key).map(|param| param.get(self))
    }

    /// Replies a client may leave unread before it is disconnected at once (0: none).
    pub fn output_buffer_hard_limit(&self) -> usize {
        match self.client_output_buffer_limit.0 {
            0 => usize::MAX,
            bytes => bytes as usize,
        }
    }

    /// Reply bytes over which a write must complete within the soft seconds.
    pub fn output_buffer_soft_limit(&self) -> usize {
        self.client_output_buffer_limit.1 as usize
    }

    /// Seconds a client may stay over the soft output limit.
    pub fn output_buffer_soft_seconds(&self) -> u64 {
        self.client_output_buffer_limit.2
    }

    /// `CONFIG REWRITE`: writes the running configuration back to `path` as Redis
    /// does: comments and line order kept, each parameter's lines replaced by its
    /// current value, parameters that differ from their defaults and had no line
    /// appended under `# Generated by CONFIG REWRITE`, lines of unknown keys
    /// commented out. The file is replaced atomically (temp file, fsync, rename,
    /// fsync of the directory).
    pub fn rewrite(&self, path: &Path) -> std::io::Result<()> {
        rewrite::rewrite_file(self, path)
    }

    /// The `log` filter for the configured level.
    pub fn log_filter(&self) -> log::LevelFilter {
        match self.loglevel.as_str() {
            "debug" => log::LevelFilter::Debug,
            "verbose" => log::LevelFilter::Debug,
            "warning" => log::LevelFilter::Warn,
            _ => log::LevelFilter::Info,
        }
    }
}
