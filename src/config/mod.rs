//! Settings: command-line flags (clap) over a Redis-style config file (`key value`
//! lines). The settings that `CONFIG SET` may change live are read through an
//! `ArcSwap` by the rest of the server, so a change needs no lock on the hot path.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::Parser;

use crate::protocol::inline::split_args;

mod kinds;

pub use kinds::{FsyncPolicy, IoRuntime};

/// The command line. Every flag is optional so that, when given, it overrides the
/// config file, and when not, the file's value (or the default) stands.
#[derive(Parser, Debug, Default, Clone)]
#[command(name = "ferrum-kv", version, about = "A multi-threaded, Redis-compatible key-value server")]
pub struct Cli {
    /// Address to listen on [default: 127.0.0.1:6380].
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Port to listen on (replaces the port of --addr).
    #[arg(long)]
    pub port: Option<u16>,
    /// Append-only file; persistence is off when not given.
    #[arg(long)]
    pub aof_path: Option<PathBuf>,
    /// When to fsync the AOF [default: everysec].
    #[arg(long, value_enum)]
    pub appendfsync: Option<FsyncPolicy>,
    /// Worker threads for connections; 0 means one per CPU [default: 0].
    #[arg(long)]
    pub io_threads: Option<usize>,
    /// How connections are scheduled on the I/O threads [default: per-thread].
    #[arg(long, value_enum)]
    pub io_runtime: Option<IoRuntime>,
    /// Most clients connected at once [default: 10000].
    #[arg(long)]
    pub maxclients: Option<usize>,
    /// Close a client idle for this many seconds; 0 never does [default: 0].
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Password clients must give with AUTH (or HELLO … AUTH); none by default.
    #[arg(long)]
    pub requirepass: Option<String>,
    /// Refuse non-loopback clients while no password is set: yes or no [default: yes].
    #[arg(long)]
    pub protected_mode: Option<String>,
    /// Memory cap in bytes (or 100mb, 2gb…); 0 means none [default: 0].
    #[arg(long)]
    pub maxmemory: Option<String>,
    /// What to evict at the cap [default: noeviction].
    #[arg(long)]
    pub maxmemory_policy: Option<String>,
    /// Log level: debug, verbose, notice or warning [default: notice].
    #[arg(long)]
    pub loglevel: Option<String>,
    /// Redis-style config file (`key value` lines); flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Every setting of a running server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Listening address.
    pub addr: SocketAddr,
    /// The AOF file, if persistence is on.
    pub aof_path: Option<PathBuf>,
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
    pub client_output_buffer_limit: (u64, u64, u64),
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
    /// LFU counter growth: higher means slower (live).
    pub lfu_log_factor: u32,
    /// Minutes for an LFU counter to decay by one (live).
    pub lfu_decay_time: u32,
    /// Load an AOF whose last record is cut off by truncating it (`yes`), or refuse.
    pub aof_load_truncated: bool,
    /// Rewrite the AOF when it has grown by this percentage since the last rewrite
    /// (0 disables the automatic rewrite).
    pub auto_aof_rewrite_percentage: u64,
    /// ... but only once it is at least this many bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// The config file this came from, for `CONFIG GET`/`INFO`.
    pub config_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 6380)),
            aof_path: None,
            appendfsync: FsyncPolicy::Everysec,
            io_threads: 0,
            io_runtime: IoRuntime::default(),
            maxclients: 10_000,
            timeout: 0,
            loglevel: "notice".to_string(),
            requirepass: None,
            protected_mode: true,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            client_output_buffer_limit: (512 * 1024 * 1024, 64 * 1024 * 1024, 60),
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            maxmemory: 0,
            maxmemory_policy: crate::engine::evict::Policy::NoEviction,
            maxmemory_samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            aof_load_truncated: true,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            config_file: None,
        }
    }
}

/// A config file or value that cannot be used; it names the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The names `CONFIG GET` knows, in the order it lists them.
pub const PARAMETERS: &[&str] = &[
    "bind",
    "port",
    "appendonly",
    "appendfilename",
    "appendfsync",
    "io-threads",
    "io-runtime",
    "maxclients",
    "timeout",
    "loglevel",
    "requirepass",
    "protected-mode",
    "client-query-buffer-limit",
    "client-output-buffer-limit",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "lfu-log-factor",
    "lfu-decay-time",
    "aof-load-truncated",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "save",
    "databases",
    "proto-max-bulk-len",
];

impl Config {
    /// Builds the configuration: defaults, then the config file if `--config` names
    /// one, then the flags.
    pub fn load(cli: &Cli) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = &cli.config {
            config.apply_file(path)?;
        }
        if let Some(addr) = cli.addr {
            config.addr = addr;
        }
        if let Some(port) = cli.port {
            config.addr.set_port(port);
        }
        if let Some(path) = &cli.aof_path {
            config.aof_path = Some(path.clone());
        }
        if let Some(policy) = cli.appendfsync {
            config.appendfsync = policy;
        }
        if let Some(n) = cli.io_threads {
            config.io_threads = n;
        }
        if let Some(kind) = cli.io_runtime {
            config.io_runtime = kind;
        }
        if let Some(n) = cli.maxclients {
            config.maxclients = n;
        }
        if let Some(n) = cli.timeout {
            config.timeout = n;
        }
        if let Some(password) = &cli.requirepass {
            config.set("requirepass", password).map_err(|e| ConfigError(format!("--requirepass: {e}")))?;
        }
        if let Some(mode) = &cli.protected_mode {
            config.set("protected-mode", mode).map_err(|e| ConfigError(format!("--protected-mode: {e}")))?;
        }
        if let Some(bytes) = &cli.maxmemory {
            config.set("maxmemory", bytes).map_err(|e| ConfigError(format!("--maxmemory: {e}")))?;
        }
        if let Some(policy) = &cli.maxmemory_policy {
            config
                .set("maxmemory-policy", policy)
                .map_err(|e| ConfigError(format!("--maxmemory-policy: {e}")))?;
        }
        if let Some(level) = &cli.loglevel {
            config.set("loglevel", level).map_err(|e| ConfigError(format!("--loglevel: {e}")))?;
        }
        Ok(config)
    }

    /// Applies a Redis-style config file: one `key value` per line, `#` comments,
    /// quoting as in inline commands. An unknown key or bad value names its line.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read(path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        for (number, line) in text.split(|&b| b == b'\n').enumerate() {
            let at = || format!("{}:{}", path.display(), number + 1);
            let words =
                split_args(line).ok_or_else(|| ConfigError(format!("{}: unbalanced quotes", at())))?;
            let Some((key, values)) = words.split_first() else { continue };
            if key.first() == Some(&b'#') {
                continue;
            }
            let key = String::from_utf8_lossy(key).to_ascii_lowercase();
            if values.len() != 1 {
                return Err(ConfigError(format!("{}: '{key}' takes exactly one value", at())));
            }
            let value = String::from_utf8_lossy(&values[0]);
            self.set(&key, &value).map_err(|e| ConfigError(format!("{}: {e}", at())))?;
        }
        self.config_file = Some(path.to_path_buf());
        Ok(())
    }

    /// Sets one parameter by its config-file name.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        fn number<T: FromStr>(key: &str, value: &str) -> Result<T, String> {
            value.parse().map_err(|_| format!("'{key}' needs a number, got '{value}'"))
        }
        match key {
            "addr" => {
                self.addr = value.parse().map_err(|_| format!("'addr' needs ip:port, got '{value}'"))?
            }
            "bind" => {
                let ip = value.split_whitespace().next().unwrap_or(value);
                self.addr.set_ip(ip.parse().map_err(|_| format!("'bind' needs an IP, got '{value}'"))?)
            }
            "port" => self.addr.set_port(number(key, value)?),
            "aof-path" | "appendfilename" => self.aof_path = Some(PathBuf::from(value)),
            "appendonly" => match value.to_ascii_lowercase().as_str() {
                "yes" => {
                    if self.aof_path.is_none() {
                        self.aof_path = Some(PathBuf::from("appendonly.aof"));
                    }
                }
                "no" => self.aof_path = None,
                _ => return Err(format!("'appendonly' needs yes or no, got '{value}'")),
            },
            "appendfsync" => self.appendfsync = value.parse()?,
            "io-threads" => self.io_threads = number(key, value)?,
            "io-runtime" => self.io_runtime = value.parse()?,
            "maxclients" => {
                let n: usize = number(key, value)?;
                if n == 0 {
                    return Err("'maxclients' must be at least 1".to_string());
                }
                self.maxclients = n;
            }
            "timeout" => self.timeout = number(key, value)?,
            "requirepass" => self.requirepass = (!value.is_empty()).then(|| value.to_string()),
            "protected-mode" => self.protected_mode = yes_no(key, value)?,
            "client-query-buffer-limit" => {
                let bytes = memory(key, value)?;
                if bytes < 1024 * 1024 {
                    return Err("'client-query-buffer-limit' must be at least 1mb".to_string());
                }
                self.client_query_buffer_limit = bytes;
            }
            "client-output-buffer-limit" => {
                let words: Vec<&str> = value.split_whitespace().collect();
                match words.as_slice() {
                    [class, hard, soft, seconds] if class.eq_ignore_ascii_case("normal") => {
                        self.client_output_buffer_limit =
                            (memory(key, hard)?, memory(key, soft)?, number(key, seconds)?);
                    }
                    _ => {
                        return Err(format!(
                        "'client-output-buffer-limit' needs 'normal <hard> <soft> <seconds>', got '{value}'"
                    ))
                    }
                }
            }
            "slowlog-log-slower-than" => self.slowlog_log_slower_than = number(key, value)?,
            "slowlog-max-len" => self.slowlog_max_len = number(key, value)?,
            "maxmemory" => self.maxmemory = memory(key, value)?,
            "maxmemory-policy" => self.maxmemory_policy = value.parse()?,
            "maxmemory-samples" => {
                let n: usize = number(key, value)?;
                if !(1..=64).contains(&n) {
                    return Err("'maxmemory-samples' must be between 1 and 64".to_string());
                }
                self.maxmemory_samples = n;
            }
            "lfu-log-factor" => self.lfu_log_factor = number(key, value)?,
            "lfu-decay-time" => self.lfu_decay_time = number(key, value)?,
            "aof-load-truncated" => self.aof_load_truncated = yes_no(key, value)?,
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage = number(key, value)?,
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size = memory(key, value)?,
            "loglevel" => {
                let level = value.to_ascii_lowercase();
                if !matches!(level.as_str(), "debug" | "verbose" | "notice" | "warning") {
                    return Err(format!("'loglevel' needs debug, verbose, notice or warning, got '{value}'"));
                }
                self.loglevel = level;
            }
            _ => return Err(format!("unknown config key '{key}'")),
        }
        Ok(())
    }

    /// The value of a parameter as `CONFIG GET` shows it.
    pub fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "bind" => self.addr.ip().to_string(),
            "port" => self.addr.port().to_string(),
            "appendonly" => if self.aof_path.is_some() { "yes" } else { "no" }.to_string(),
            "appendfilename" => self.aof_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            "appendfsync" => self.appendfsync.name().to_string(),
            "io-threads" => self.io_threads.to_string(),
            "io-runtime" => self.io_runtime.name().to_string(),
            "maxclients" => self.maxclients.to_string(),
            "timeout" => self.timeout.to_string(),
            "requirepass" => self.requirepass.clone().unwrap_or_default(),
            "protected-mode" => if self.protected_mode { "yes" } else { "no" }.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "client-output-buffer-limit" => {
                let (hard, soft, seconds) = self.client_output_buffer_limit;
                format!("normal {hard} {soft} {seconds}")
            }
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.maxmemory_policy.name().to_string(),
            "maxmemory-samples" => self.maxmemory_samples.to_string(),
            "lfu-log-factor" => self.lfu_log_factor.to_string(),
            "lfu-decay-time" => self.lfu_decay_time.to_string(),
            "aof-load-truncated" => if self.aof_load_truncated { "yes" } else { "no" }.to_string(),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "loglevel" => self.loglevel.clone(),
            "save" => String::new(),
            "databases" => crate::engine::DATABASES.to_string(),
            "proto-max-bulk-len" => crate::protocol::Limits::DEFAULT.max_bulk.to_string(),
            _ => return None,
        })
    }

    /// Whether `CONFIG SET` may change `key` on a running server.
    pub fn is_live(key: &str) -> bool {
        matches!(
            key,
            "appendfsync"
                | "slowlog-log-slower-than"
                | "slowlog-max-len"
                | "requirepass"
                | "protected-mode"
                | "client-query-buffer-limit"
                | "client-output-buffer-limit"
                | "maxmemory"
                | "maxmemory-policy"
                | "maxmemory-samples"
                | "lfu-log-factor"
                | "lfu-decay-time"
                | "maxclients"
                | "timeout"
                | "loglevel"
                | "aof-load-truncated"
                | "auto-aof-rewrite-percentage"
                | "auto-aof-rewrite-min-size"
        )
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

    /// `CONFIG REWRITE`: writes the running configuration back to `path`, keeping
    /// its comments and line order, changing the lines of keys whose values
    /// changed, and appending keys that differ from the defaults. The file is
    /// replaced atomically (temp file, fsync, rename).
    pub fn rewrite(&self, path: &Path) -> std::io::Result<()> {
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let defaults = Config::default();
        let mut written = Vec::new();
        let mut out = String::new();
        for line in old.lines() {
            let key = line.split_whitespace().next().map(str::to_ascii_lowercase);
            match key {
                Some(key)
                    if !key.starts_with('#') && (PARAMETERS.contains(&key.as_str()) || key == "addr") =>
                {
                    if written.contains(&key) {
                        continue;
                    }
                    if let Some(value) = self.file_value(&key) {
                        out.push_str(&format!("{key} {}\n", quote(&value)));
                    }
                    written.push(key);
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        let mut header = false;
        for key in PARAMETERS.iter().chain(std::iter::once(&"addr")) {
            let key = key.to_string();
            if written.contains(&key) || matches!(key.as_str(), "save" | "databases" | "proto-max-bulk-len") {
                continue;
            }
            let (current, default) = (self.file_value(&key), defaults.file_value(&key));
            if current != default {
                if !header {
                    out.push_str("# Generated by CONFIG REWRITE\n");
                    header = true;
                }
                if let Some(value) = current {
                    out.push_str(&format!("{key} {}\n", quote(&value)));
                }
            }
        }
        let temp = path.with_extension("rewrite.tmp");
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(out.as_bytes())?;
            file.sync_all()?;
        }
        std::fs::rename(&temp, path)
    }

    /// A key's value as the config file writes it (`None`: leave it out).
    fn file_value(&self, key: &str) -> Option<String> {
        match key {
            "addr" => Some(self.addr.to_string()),
            "bind" | "port" => None,
            "appendonly" => None,
            "appendfilename" => self.aof_path.as_ref().map(|p| p.display().to_string()),
            _ => self.get(key),
        }
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

/// A value quoted for the config file when it holds spaces or is empty.
fn quote(value: &str) -> String {
    if value.is_empty() || value.contains(char::is_whitespace) || value.contains('"') {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_string()
    }
}

/// A `yes`/`no` value.
fn yes_no(key: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("'{key}' needs yes or no, got '{value}'")),
    }
}

/// A memory size as Redis writes them: bytes, or with `k`, `kb`, `m`, `mb`, `g`, `gb`
/// (`k` = 1000, `kb` = 1024, as in Redis).
pub fn memory(key: &str, value: &str) -> Result<u64, String> {
    let lower = value.to_ascii_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let factor: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(format!("'{key}' needs a memory size like 64mb, got '{value}'")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("'{key}' needs a memory size like 64mb, got '{value}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferrum.conf");
        std::fs::write(&path, "# comment\nport 7000\nmaxclients 5\n\ntimeout \"30\"\nappendfsync always\n")
            .unwrap();
        let cli = Cli { config: Some(path), maxclients: Some(9), ..Cli::default() };
        let config = Config::load(&cli).unwrap();
        assert_eq!(config.addr.port(), 7000);
        assert_eq!(config.maxclients, 9);
        assert_eq!(config.timeout, 30);
        assert_eq!(config.appendfsync, FsyncPolicy::Always);
    }

    #[test]
    fn unknown_key_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.conf");
        std::fs::write(&path, "port 7000\nfrobnicate yes\n").unwrap();
        let err = Config::load(&Cli { config: Some(path), ..Cli::default() }).unwrap_err();
        assert!(err.0.ends_with("bad.conf:2: unknown config key 'frobnicate'"), "{err}");
    }

    #[test]
    fn bad_values_are_refused() {
        let mut config = Config::default();
        assert!(config.set("maxclients", "lots").is_err());
        assert!(config.set("appendfsync", "sometimes").is_err());
        assert!(config.set("maxclients", "0").is_err());
    }
}
