//! Redis settings FerrumKV accepts, checks as Redis does and reports with
//! `CONFIG GET`, without acting on them (yet): replication, RDB files, process
//! management, latency tracking. Tools and Redis's own test suite set and read
//! them; a config file written for Redis loads.

use super::kinds::{Percentiles, Permission, ShutdownFlags};
use super::registry::{Effect, Mode, Param, Unit};
use super::values::{parse_percentiles, parse_replicaof};
use super::Config;

/// The stored Redis settings (see the module docs); each field is the parameter of
/// the same name. `Default` is every field empty, before the registry's defaults
/// are applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compat {
    /// `databases`.
    pub databases: usize,
    /// `daemonize`.
    pub daemonize: bool,
    /// `always-show-logo`.
    pub always_show_logo: bool,
    /// `activerehashing`.
    pub activerehashing: bool,
    /// `aof-rewrite-incremental-fsync`.
    pub aof_rewrite_incremental_fsync: bool,
    /// `aof-timestamp-enabled`.
    pub aof_timestamp_enabled: bool,
    /// `aof-use-rdb-preamble`.
    pub aof_use_rdb_preamble: bool,
    /// `appenddirname`.
    pub appenddirname: String,
    /// `dbfilename`.
    pub dbfilename: String,
    /// `dynamic-hz`.
    pub dynamic_hz: bool,
    /// `jemalloc-bg-thread`.
    pub jemalloc_bg_thread: bool,
    /// `latency-monitor-threshold`.
    pub latency_monitor_threshold: u64,
    /// `latency-tracking`.
    pub latency_tracking: bool,
    /// `latency-tracking-info-percentiles`.
    pub latency_tracking_info_percentiles: Percentiles,
    /// `maxmemory-clients`; negative: a percentage of `maxmemory`.
    pub maxmemory_clients: i64,
    /// `no-appendfsync-on-rewrite`.
    pub no_appendfsync_on_rewrite: bool,
    /// `rdbchecksum`.
    pub rdbchecksum: bool,
    /// `rdbcompression`.
    pub rdbcompression: bool,
    /// `rdb-del-sync-files`.
    pub rdb_del_sync_files: bool,
    /// `rdb-save-incremental-fsync`.
    pub rdb_save_incremental_fsync: bool,
    /// `stop-writes-on-bgsave-error`.
    pub stop_writes_on_bgsave_error: bool,
    /// `replicaof`: the master's host and port, `None` for `no one`.
    pub replicaof: Option<(String, u16)>,
    /// `replica-read-only`.
    pub replica_read_only: bool,
    /// `replica-serve-stale-data`.
    pub replica_serve_stale_data: bool,
    /// `replica-lazy-flush`.
    pub replica_lazy_flush: bool,
    /// `replica-ignore-maxmemory`.
    pub replica_ignore_maxmemory: bool,
    /// `replica-priority`.
    pub replica_priority: u32,
    /// `repl-backlog-size`.
    pub repl_backlog_size: u64,
    /// `repl-backlog-ttl`.
    pub repl_backlog_ttl: u64,
    /// `repl-timeout`.
    pub repl_timeout: u32,
    /// `repl-ping-replica-period`.
    pub repl_ping_replica_period: u32,
    /// `repl-diskless-sync`.
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay`.
    pub repl_diskless_sync_delay: u32,
    /// `repl-diskless-sync-max-replicas`.
    pub repl_diskless_sync_max_replicas: u32,
    /// `repl-diskless-load`.
    pub repl_diskless_load: &'static str,
    /// `repl-disable-tcp-nodelay`.
    pub repl_disable_tcp_nodelay: bool,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: u32,
    /// `min-replicas-max-lag`.
    pub min_replicas_max_lag: u32,
    /// `masterauth`.
    pub masterauth: String,
    /// `masteruser`.
    pub masteruser: String,
    /// `tcp-backlog`.
    pub tcp_backlog: u32,
    /// `tcp-keepalive`.
    pub tcp_keepalive: u32,
    /// `shutdown-timeout`.
    pub shutdown_timeout: u32,
    /// `shutdown-on-sigint`.
    pub shutdown_on_sigint: ShutdownFlags,
    /// `shutdown-on-sigterm`.
    pub shutdown_on_sigterm: ShutdownFlags,
    /// `propagation-error-behavior`.
    pub propagation_error_behavior: &'static str,
    /// `sanitize-dump-payload`.
    pub sanitize_dump_payload: &'static str,
    /// `acl-pubsub-default`.
    pub acl_pubsub_default: &'static str,
    /// `acllog-max-len`.
    pub acllog_max_len: u64,
    /// `tracking-table-max-keys`.
    pub tracking_table_max_keys: u64,
    /// `enable-debug-command`.
    pub enable_debug_command: Permission,
    /// `enable-module-command`.
    pub enable_module_command: Permission,
    /// `unixsocket`.
    pub unixsocket: String,
    /// `pidfile`.
    pub pidfile: String,
    /// `logfile`.
    pub logfile: String,
    /// `supervised`.
    pub supervised: &'static str,
    /// `set-proc-title`.
    pub set_proc_title: bool,
    /// `ignore-warnings`.
    pub ignore_warnings: String,
    /// `rdb-key-save-delay`.
    pub rdb_key_save_delay: i32,
    /// `key-load-delay`.
    pub key_load_delay: i32,
}

const I32: (i128, i128) = (0, i32::MAX as i128);
const I64: (i128, i128) = (0, i64::MAX as i128);
const ANY_I32: (i128, i128) = (i32::MIN as i128, i32::MAX as i128);

/// The stored Redis parameters.
pub(super) static PARAMS: &[Param] = &[
    // Replication (FerrumKV has none: these are stored).
    Param::words("replicaof", "no one", get_replicaof, set_replicaof, rewrite_replicaof)
        .alias(&["slaveof"])
        .doc("stored (FerrumKV does not replicate); `no one` is none"),
    Param::yes_no("replica-read-only", "yes", flag_field!(compat.replica_read_only))
        .alias(&["slave-read-only"])
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("replica-serve-stale-data", "yes", flag_field!(compat.replica_serve_stale_data))
        .alias(&["slave-serve-stale-data"])
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("replica-lazy-flush", "no", flag_field!(compat.replica_lazy_flush))
        .alias(&["slave-lazy-flush"])
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("replica-ignore-maxmemory", "yes", flag_field!(compat.replica_ignore_maxmemory))
        .alias(&["slave-ignore-maxmemory"])
        .live(Effect::None)
        .doc("stored"),
    Param::number("replica-priority", Unit::Integer, I32, "100", int_field!(compat.replica_priority))
        .alias(&["slave-priority"])
        .live(Effect::None)
        .doc("stored"),
    Param::number("repl-backlog-size", Unit::Memory, (1, I64.1), "1mb", int_field!(compat.repl_backlog_size))
        .live(Effect::None)
        .doc("stored"),
    Param::number("repl-backlog-ttl", Unit::Integer, I64, "3600", int_field!(compat.repl_backlog_ttl))
        .live(Effect::None)
        .doc("stored"),
    Param::number("repl-timeout", Unit::Integer, (1, I32.1), "60", int_field!(compat.repl_timeout))
        .live(Effect::None)
        .doc("stored"),
    Param::number(
        "repl-ping-replica-period",
        Unit::Integer,
        (1, I32.1),
        "10",
        int_field!(compat.repl_ping_replica_period),
    )
    .alias(&["repl-ping-slave-period"])
    .live(Effect::None)
    .doc("stored"),
    Param::yes_no("repl-diskless-sync", "yes", flag_field!(compat.repl_diskless_sync))
        .live(Effect::None)
        .doc("stored"),
    Param::number(
        "repl-diskless-sync-delay",
        Unit::Integer,
        I32,
        "5",
        int_field!(compat.repl_diskless_sync_delay),
    )
    .live(Effect::None)
    .doc("stored"),
    Param::number(
        "repl-diskless-sync-max-replicas",
        Unit::Integer,
        I32,
        "0",
        int_field!(compat.repl_diskless_sync_max_replicas),
    )
    .live(Effect::None)
    .doc("stored"),
    Param::choice(
        "repl-diskless-load",
        &["disabled", "on-empty-db", "swapdb"],
        "disabled",
        name_field!(compat.repl_diskless_load),
    )
    .live(Effect::None)
    .deny_loading()
    .doc("stored"),
    Param::yes_no("repl-disable-tcp-nodelay", "no", flag_field!(compat.repl_disable_tcp_nodelay))
        .live(Effect::None)
        .doc("stored"),
    Param::number("min-replicas-to-write", Unit::Integer, I32, "0", int_field!(compat.min_replicas_to_write))
        .alias(&["min-slaves-to-write"])
        .live(Effect::None)
        .doc("stored"),
    Param::number("min-replicas-max-lag", Unit::Integer, I32, "10", int_field!(compat.min_replicas_max_lag))
        .alias(&["min-slaves-max-lag"])
        .live(Effect::None)
        .doc("stored"),
    Param::text("masterauth", "", text_field!(compat.masterauth)).live(Effect::None).doc("stored"),
    Param::text("masteruser", "", text_field!(compat.masteruser)).live(Effect::None).doc("stored"),
    // RDB files and the AOF's Redis-only options.
    Param::text("dbfilename", "dump.rdb", (|c| c.compat.dbfilename.clone(), set_dbfilename))
        .protected(Effect::None)
        .doc("stored (FerrumKV writes no RDB file)"),
    Param::text("appenddirname", "appendonlydir", (|c| c.compat.appenddirname.clone(), set_appenddirname))
        .doc("stored (FerrumKV writes one AOF file, `appendfilename`)"),
    Param::yes_no("rdbcompression", "yes", flag_field!(compat.rdbcompression))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("rdbchecksum", "yes", flag_field!(compat.rdbchecksum)).doc("stored"),
    Param::yes_no("rdb-del-sync-files", "no", flag_field!(compat.rdb_del_sync_files))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("rdb-save-incremental-fsync", "yes", flag_field!(compat.rdb_save_incremental_fsync))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("stop-writes-on-bgsave-error", "yes", flag_field!(compat.stop_writes_on_bgsave_error))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("aof-use-rdb-preamble", "yes", flag_field!(compat.aof_use_rdb_preamble))
        .live(Effect::None)
        .doc("stored (FerrumKV's AOF is plain RESP)"),
    Param::yes_no("aof-rewrite-incremental-fsync", "yes", flag_field!(compat.aof_rewrite_incremental_fsync))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("aof-timestamp-enabled", "no", flag_field!(compat.aof_timestamp_enabled))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("no-appendfsync-on-rewrite", "no", flag_field!(compat.no_appendfsync_on_rewrite))
        .live(Effect::None)
        .doc("stored"),
    Param::number("rdb-key-save-delay", Unit::Integer, ANY_I32, "0", int_field!(compat.rdb_key_save_delay))
        .hidden()
        .live(Effect::None)
        .doc("stored (a Redis test knob)"),
    Param::number("key-load-delay", Unit::Integer, ANY_I32, "0", int_field!(compat.key_load_delay))
        .hidden()
        .live(Effect::None)
        .doc("stored (a Redis test knob)"),
    // Clients, latency and the process.
    Param::number(
        "maxmemory-clients",
        Unit::MemoryOrPercent,
        (-100, I64.1),
        "0",
        int_field!(compat.maxmemory_clients),
    )
    .live(Effect::None)
    .doc("client eviction: the clients together may hold this many bytes (or this percentage of `maxmemory`), then the biggest not `CLIENT NO-EVICT on` are closed; 0 off"),
    Param::number("tcp-backlog", Unit::Integer, I32, "511", int_field!(compat.tcp_backlog))
        .doc("stored (FerrumKV's backlog is 511)"),
    Param::number("tcp-keepalive", Unit::Integer, I32, "300", int_field!(compat.tcp_keepalive))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("activerehashing", "yes", flag_field!(compat.activerehashing))
        .live(Effect::None)
        .doc("stored"),
    Param::yes_no("dynamic-hz", "yes", flag_field!(compat.dynamic_hz)).live(Effect::None).doc("stored"),
    Param::yes_no("jemalloc-bg-thread", "yes", flag_field!(compat.jemalloc_bg_thread))
        .live(Effect::None)
        .doc("stored"),
    Param::number(
        "latency-monitor-threshold",
        Unit::Integer,
        I64,
        "0",
        int_field!(compat.latency_monitor_threshold),
    )
    .live(Effect::None)
    .doc("stored"),
    Param::yes_no("latency-tracking", "yes", flag_field!(compat.latency_tracking))
        .live(Effect::None)
        .doc("stored"),
    Param::words(
        "latency-tracking-info-percentiles",
        "50 99 99.9",
        |c| c.compat.latency_tracking_info_percentiles.to_string(),
        set_percentiles,
        rewrite_percentiles,
    )
    .live(Effect::None)
    .doc("stored"),
    Param::number(
        "tracking-table-max-keys",
        Unit::Integer,
        I64,
        "1000000",
        int_field!(compat.tracking_table_max_keys),
    )
    .live(Effect::None)
    .doc("most keys the client-tracking table remembers (0: no limit); keys over it are invalidated"),
    Param::number("acllog-max-len", Unit::Integer, I64, "128", int_field!(compat.acllog_max_len))
        .live(Effect::None)
        .doc("stored"),
    Param::choice(
        "acl-pubsub-default",
        &["allchannels", "resetchannels"],
        "resetchannels",
        name_field!(compat.acl_pubsub_default),
    )
    .live(Effect::None)
    .doc("stored"),
    Param::number("shutdown-timeout", Unit::Integer, I32, "10", int_field!(compat.shutdown_timeout))
        .live(Effect::None)
        .doc("stored"),
    Param::words(
        "shutdown-on-sigint",
        "default",
        |c| c.compat.shutdown_on_sigint.to_string(),
        set_sigint,
        |c| vec![c.compat.shutdown_on_sigint.to_string()],
    )
    .live(Effect::None)
    .doc("stored (`default`, `save`, `nosave`, `now`, `force`)"),
    Param::words(
        "shutdown-on-sigterm",
        "default",
        |c| c.compat.shutdown_on_sigterm.to_string(),
        set_sigterm,
        |c| vec![c.compat.shutdown_on_sigterm.to_string()],
    )
    .live(Effect::None)
    .doc("stored (`default`, `save`, `nosave`, `now`, `force`)"),
    Param::choice(
        "propagation-error-behavior",
        &["ignore", "panic", "panic-on-replicas"],
        "ignore",
        name_field!(compat.propagation_error_behavior),
    )
    .live(Effect::None)
    .doc("stored"),
    Param::choice(
        "sanitize-dump-payload",
        &["no", "yes", "clients"],
        "no",
        name_field!(compat.sanitize_dump_payload),
    )
    .live(Effect::None)
    .doc("stored"),
    Param::choice(
        "enable-debug-command",
        Permission::NAMES,
        "no",
        choice_field!(compat.enable_debug_command),
    )
    .doc("stored (FerrumKV's few `DEBUG` helpers are harmless and always allowed)"),
    Param::choice(
        "enable-module-command",
        Permission::NAMES,
        "no",
        choice_field!(compat.enable_module_command),
    )
    .doc("stored (FerrumKV has no modules)"),
    Param::yes_no("always-show-logo", "no", flag_field!(compat.always_show_logo)).doc("stored"),
    Param::yes_no("set-proc-title", "yes", flag_field!(compat.set_proc_title)).doc("stored"),
    Param::choice("supervised", &["upstart", "systemd", "auto", "no"], "no", name_field!(compat.supervised))
        .doc("stored"),
    Param::text("pidfile", "", text_field!(compat.pidfile)).doc("stored (FerrumKV writes no pid file)"),
    Param::text("logfile", "", (|c| c.compat.logfile.clone(), set_logfile))
        .doc("`\"\"` only: FerrumKV logs to standard error"),
    Param::text("unixsocket", "", text_field!(compat.unixsocket))
        .doc("stored (FerrumKV listens on TCP only)"),
    Param::text("ignore-warnings", "", text_field!(compat.ignore_warnings)).live(Effect::None).doc("stored"),
];

fn get_replicaof(c: &Config) -> String {
    c.compat.replicaof.as_ref().map(|(host, port)| format!("{host} {port}")).unwrap_or_default()
}

fn set_replicaof(c: &mut Config, words: &[&str], _: Mode) -> Result<(), String> {
    c.compat.replicaof = parse_replicaof(words)?;
    Ok(())
}

fn rewrite_replicaof(c: &Config) -> Vec<String> {
    c.compat.replicaof.iter().map(|(host, port)| format!("{host} {port}")).collect()
}

fn set_dbfilename(c: &mut Config, value: &str) -> Result<(), String> {
    if value.contains(['/', '\\']) {
        return Err("dbfilename can't be a path, just a filename".to_string());
    }
    c.compat.dbfilename = value.to_string();
    Ok(())
}

fn set_appenddirname(c: &mut Config, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("appenddirname can't be empty".to_string());
    }
    if value.contains(['/', '\\']) {
        return Err("appenddirname can't be a path, just a dirname".to_string());
    }
    c.compat.appenddirname = value.to_string();
    Ok(())
}

fn set_percentiles(c: &mut Config, words: &[&str], _: Mode) -> Result<(), String> {
    c.compat.latency_tracking_info_percentiles = parse_percentiles(words)?;
    Ok(())
}

fn rewrite_percentiles(c: &Config) -> Vec<String> {
    match c.compat.latency_tracking_info_percentiles.to_string() {
        text if text.is_empty() => vec!["\"\"".to_string()],
        text => vec![text],
    }
}

fn set_sigint(c: &mut Config, words: &[&str], _: Mode) -> Result<(), String> {
    c.compat.shutdown_on_sigint = ShutdownFlags::parse(words)?;
    Ok(())
}

fn set_sigterm(c: &mut Config, words: &[&str], _: Mode) -> Result<(), String> {
    c.compat.shutdown_on_sigterm = ShutdownFlags::parse(words)?;
    Ok(())
}

fn set_logfile(c: &mut Config, value: &str) -> Result<(), String> {
    if !value.is_empty() {
        return Err("FerrumKV logs to standard error: logfile must be \"\"".to_string());
    }
    c.compat.logfile = String::new();
    Ok(())
}
