//! The declarations of the parameters FerrumKV acts on (or that the data types and
//! the notification room will read), in the order of the README's table. Redis's
//! names, bounds, defaults and error texts (7.0's `config.c`) unless the doc says
//! otherwise.

use std::net::SocketAddr;

use super::kinds::{BufferLimit, KeyspaceEvents, EVICTION_POLICIES, LOG_LEVELS};
use super::registry::{Effect, Mode, Param, Unit};
use super::values::{
    bind_address, format_memory, format_save, io_reason, parse_buffer_limits, parse_save, CLIENT_CLASSES,
};
use super::{Config, FsyncPolicy, IoRuntime, Permission};

const I32: (i128, i128) = (0, i32::MAX as i128);
const I64: (i128, i128) = (0, i64::MAX as i128);

/// FerrumKV's parameters.
pub(super) static PARAMS: &[Param] = &[
    // Network and clients.
    Param::text("addr", "127.0.0.1:6380", (|c| c.addr.to_string(), set_addr))
        .shortcut()
        .flag("IP:PORT")
        .doc("where to listen: sets `bind` to the IP and `port`"),
    Param::words("bind", "127.0.0.1", |c| c.bind.join(" "), set_bind, |c| vec![c.bind.join(" ")])
        .live(Effect::Listener)
        .doc(
            "addresses to listen on (`*` is every IPv4 one, `-` marks one optional); FerrumKV listens on \
            the first",
        ),
    Param::number("port", Unit::Integer, (0, 65535), "6380", (|c| c.addr.port().into(), set_port))
        .live(Effect::Listener)
        .flag("N")
        .doc("the TCP port"),
    Param::yes_no("protected-mode", "yes", flag_field!(protected_mode))
        .live(Effect::None)
        .flag("yes|no")
        .doc("with no password, refuse clients that are not on loopback (`-DENIED …`)"),
    Param::text("requirepass", "", (|c| c.requirepass.clone().unwrap_or_default(), set_requirepass))
        .live(Effect::Password)
        .flag("PW")
        .doc("password for `AUTH` / `HELLO … AUTH` (user `default`); empty: none"),
    Param::number("maxclients", Unit::Integer, (1, u32::MAX as i128), "10000", int_field!(maxclients))
        .live(Effect::None)
        .flag("N")
        .doc("more clients get `-ERR max number of clients reached`"),
    Param::number("timeout", Unit::Integer, I32, "0", int_field!(timeout))
        .live(Effect::None)
        .flag("S")
        .doc("close clients idle for S seconds (0: never)"),
    Param::number("io-threads", Unit::Integer, (0, 128), "0", int_field!(io_threads))
        .flag("N")
        .doc("threads that run connections (0: one per CPU)"),
    Param::choice("io-runtime", IoRuntime::NAMES, "per-thread", choice_field!(io_runtime))
        .hidden()
        .flag("KIND")
        .doc(
            "`per-thread`: one single-threaded tokio runtime per I/O thread, each connection pinned to \
            one; `work-stealing`: one tokio multi-thread runtime",
        ),
    Param::number(
        "client-query-buffer-limit",
        Unit::Memory,
        (1 << 20, I64.1),
        "1gb",
        int_field!(client_query_buffer_limit),
    )
    .live(Effect::None)
    .doc(
        "most unparsed input a client may send ahead (1 MB before `AUTH`); over it the connection \
            closes",
    ),
    Param::words(
        "client-output-buffer-limit",
        "normal 512mb 64mb 60 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
        get_buffer_limits,
        set_buffer_limits,
        rewrite_buffer_limits,
    )
    .live(Effect::None)
    .doc(
        "per class `<class> <hard> <soft> <seconds>`: disconnect a client whose unread replies \
            exceed *hard*, or stay over *soft* (or a full 1 MB write batch) for *seconds*; 0: no limit",
    ),
    Param::number(
        "proto-max-bulk-len",
        Unit::Memory,
        (1 << 20, I64.1),
        "512mb",
        int_field!(proto_max_bulk_len),
    )
    .live(Effect::ProtocolLimits)
    .doc("longest bulk argument in a request"),
    Param::number(
        "databases",
        Unit::Integer,
        (1, I32.1),
        "16",
        (|c| c.compat.databases as i128, set_databases),
    )
    .doc("FerrumKV has 16 databases: any other number refuses to start"),
    Param::yes_no("daemonize", "no", (|c| c.compat.daemonize, set_daemonize))
        .doc("`no` only: run FerrumKV under a supervisor instead"),
    // Persistence.
    Param::text("aof-path", "", (get_aof_path, set_aof_path))
        .shortcut()
        .flag("FILE")
        .doc("the append-only file: sets `appendfilename` and `appendonly yes`"),
    Param::yes_no("appendonly", "no", (|c| c.appendonly, set_appendonly))
        .live(Effect::AppendOnly)
        .deny_loading()
        .doc("write the append-only file; persistence is off without it"),
    Param::text("appendfilename", "appendonly.aof", (|c| c.appendfilename.clone(), set_appendfilename))
        .doc("the AOF file, relative to `dir` (FerrumKV also takes a path)"),
    Param::text("dir", "", (get_dir, set_dir))
        .protected(Effect::WorkingDir)
        .deny_loading()
        .doc("directory of relative files (default: where the server started)"),
    Param::words("save", "", |c| format_save(&c.save), set_save, rewrite_save)
        .live(Effect::None)
        .doc("RDB save points `<seconds> <changes>…`; stored (FerrumKV writes no RDB file)"),
    Param::choice("appendfsync", FsyncPolicy::NAMES, "everysec", choice_field!(appendfsync))
        .live(Effect::FsyncPolicy)
        .flag("P")
        .doc(
            "when the AOF is fsynced: before replies (`always`), once a second, or as the OS decides \
            (`no`)",
        ),
    Param::yes_no("aof-load-truncated", "yes", flag_field!(aof_load_truncated))
        .live(Effect::None)
        .doc("cut off a torn last record at boot (`no`: refuse to start)"),
    Param::number(
        "auto-aof-rewrite-percentage",
        Unit::Integer,
        I32,
        "100",
        int_field!(auto_aof_rewrite_percentage),
    )
    .live(Effect::None)
    .doc("rewrite when the AOF has grown this much since the last rewrite (0: never)"),
    Param::number(
        "auto-aof-rewrite-min-size",
        Unit::Memory,
        I64,
        "64mb",
        int_field!(auto_aof_rewrite_min_size),
    )
    .live(Effect::None)
    .doc("… and is at least this large"),
    // Memory and eviction.
    Param::number("maxmemory", Unit::Memory, (0, u64::MAX as i128), "0", int_field!(maxmemory))
        .live(Effect::Eviction)
        .flag("BYTES")
        .doc("memory cap (`100mb`, `2gb` …, as in Redis); 0: none"),
    Param::choice("maxmemory-policy", EVICTION_POLICIES, "noeviction", choice_field!(maxmemory_policy))
        .live(Effect::CacheSettings)
        .flag("P")
        .doc("what to evict at the cap (see below)"),
    Param::number("maxmemory-samples", Unit::Integer, (1, 64), "5", int_field!(maxmemory_samples))
        .live(Effect::None)
        .doc("keys sampled per eviction round (FerrumKV: at most 64)"),
    Param::number(
        "maxmemory-eviction-tenacity",
        Unit::Integer,
        (0, 100),
        "10",
        int_field!(maxmemory_eviction_tenacity),
    )
    .live(Effect::None)
    .doc("how long one write may spend evicting; stored"),
    Param::number("lfu-log-factor", Unit::Integer, I32, "10", int_field!(lfu_log_factor))
        .live(Effect::CacheSettings)
        .doc("LFU counter growth (higher: slower)"),
    Param::number("lfu-decay-time", Unit::Integer, I32, "1", int_field!(lfu_decay_time))
        .live(Effect::CacheSettings)
        .doc("minutes per LFU counter decrement"),
    Param::yes_no("lazyfree-lazy-eviction", "no", flag_field!(lazyfree_lazy_eviction))
        .live(Effect::None)
        .doc("stored: FerrumKV frees every big value (over 64 elements) in the background, wherever it goes"),
    Param::yes_no("lazyfree-lazy-expire", "no", flag_field!(lazyfree_lazy_expire))
        .live(Effect::None)
        .doc("stored (as `lazyfree-lazy-eviction`)"),
    Param::yes_no("lazyfree-lazy-server-del", "no", flag_field!(lazyfree_lazy_server_del))
        .live(Effect::None)
        .doc("stored (as `lazyfree-lazy-eviction`)"),
    Param::yes_no("lazyfree-lazy-user-del", "no", flag_field!(lazyfree_lazy_user_del))
        .live(Effect::None)
        .doc("stored: `DEL` and `UNLINK` both free big values in the background"),
    Param::yes_no("lazyfree-lazy-user-flush", "no", flag_field!(lazyfree_lazy_user_flush))
        .live(Effect::None)
        .doc("`FLUSHALL`/`FLUSHDB` without a mode run `ASYNC`"),
    Param::number("hz", Unit::Integer, I32, "10", (|c| c.hz.into(), set_hz))
        .live(Effect::Hz)
        .doc("background cycles per second; values outside 1..500 are clamped, as in Redis"),
    Param::number("active-expire-effort", Unit::Integer, (1, 10), "1", int_field!(active_expire_effort))
        .live(Effect::ActiveExpiry)
        .doc("work the active-expiry cycle does (1..10)"),
    // Logging and diagnostics.
    Param::choice("loglevel", LOG_LEVELS, "notice", (get_loglevel, set_loglevel))
        .live(Effect::LogLevel)
        .flag("L")
        .doc("log verbosity; `RUST_LOG` refines it"),
    Param::number(
        "slowlog-log-slower-than",
        Unit::Integer,
        (-1, I64.1),
        "10000",
        int_field!(slowlog_log_slower_than),
    )
    .live(Effect::None)
    .doc("microseconds over which a command enters the slow log (-1: off)"),
    Param::number("slowlog-max-len", Unit::Integer, I64, "128", int_field!(slowlog_max_len))
        .live(Effect::None)
        .doc("slow-log entries kept"),
    // Keyspace events and scripts.
    Param::text("notify-keyspace-events", "", (|c| c.notify_keyspace_events.to_string(), set_notify))
        .live(Effect::KeyspaceEvents)
        .doc("keyspace notification classes, e.g. `KEA` (`K`, `E`, `g$lshzxetd` or `A`, `m`, `n`)"),
    Param::number("busy-reply-threshold", Unit::Integer, I64, "5000", int_field!(busy_reply_threshold))
        .alias(&["lua-time-limit"])
        .live(Effect::None)
        .doc("milliseconds a script may run before other clients get `-BUSY`"),
    Param::number(
        "lua-vm-max-memory",
        Unit::Memory,
        (1 << 20, u64::MAX as i128),
        "1gb",
        int_field!(lua_vm_max_memory),
    )
    .live(Effect::None)
    .doc("FerrumKV: most memory the Lua VM may use; past it a script's allocation fails with an error"),
    // Compact encodings of the data types.
    Param::number(
        "hash-max-listpack-entries",
        Unit::Integer,
        I64,
        "512",
        int_field!(hash_max_listpack_entries),
    )
    .alias(&["hash-max-ziplist-entries"])
    .live(Effect::Encodings)
    .doc("most fields of a compact hash"),
    Param::number("hash-max-listpack-value", Unit::Memory, I64, "64", int_field!(hash_max_listpack_value))
        .alias(&["hash-max-ziplist-value"])
        .live(Effect::Encodings)
        .doc("longest field or value of a compact hash"),
    Param::number(
        "list-max-listpack-size",
        Unit::Integer,
        (i32::MIN as i128, I32.1),
        "-2",
        int_field!(list_max_listpack_size),
    )
    .alias(&["list-max-ziplist-size"])
    .live(Effect::Encodings)
    .doc("entries per list node, or -1..-5 for 4..64 KB nodes"),
    Param::number("list-compress-depth", Unit::Integer, I32, "0", int_field!(list_compress_depth))
        .live(Effect::Encodings)
        .doc("list nodes kept uncompressed at each end (0: no compression)"),
    Param::number("set-max-intset-entries", Unit::Integer, I64, "512", int_field!(set_max_intset_entries))
        .live(Effect::Encodings)
        .doc("most members of an integer-only compact set"),
    Param::number(
        "set-max-listpack-entries",
        Unit::Integer,
        I64,
        "128",
        int_field!(set_max_listpack_entries),
    )
    .live(Effect::Encodings)
    .doc("most members of a compact set (Redis 7.2)"),
    Param::number("set-max-listpack-value", Unit::Memory, I64, "64", int_field!(set_max_listpack_value))
        .live(Effect::Encodings)
        .doc("longest member of a compact set (Redis 7.2)"),
    Param::number(
        "zset-max-listpack-entries",
        Unit::Integer,
        I64,
        "128",
        int_field!(zset_max_listpack_entries),
    )
    .alias(&["zset-max-ziplist-entries"])
    .live(Effect::Encodings)
    .doc("most members of a compact sorted set"),
    Param::number("zset-max-listpack-value", Unit::Memory, I64, "64", int_field!(zset_max_listpack_value))
        .alias(&["zset-max-ziplist-value"])
        .live(Effect::Encodings)
        .doc("longest member of a compact sorted set"),
    Param::number("stream-node-max-bytes", Unit::Memory, I64, "4096", int_field!(stream_node_max_bytes))
        .live(Effect::Encodings)
        .doc("bytes per stream node (0: unlimited)"),
    Param::number("stream-node-max-entries", Unit::Integer, I64, "100", int_field!(stream_node_max_entries))
        .live(Effect::Encodings)
        .doc("entries per stream node (0: unlimited)"),
    Param::number("hll-sparse-max-bytes", Unit::Memory, I64, "3000", int_field!(hll_sparse_max_bytes))
        .live(Effect::Encodings)
        .doc("largest sparse HyperLogLog"),
    Param::choice(
        "enable-protected-configs",
        Permission::NAMES,
        "no",
        choice_field!(enable_protected_configs),
    )
    .doc("who may `CONFIG SET` `dir` and `dbfilename` (`local`: clients on loopback)"),
];

fn set_addr(c: &mut Config, value: &str) -> Result<(), String> {
    let addr: SocketAddr = value.parse().map_err(|_| format!("'{value}' is not IP:PORT"))?;
    c.bind = vec![addr.ip().to_string()];
    c.addr = addr;
    Ok(())
}

fn set_bind(c: &mut Config, words: &[&str], _: Mode) -> Result<(), String> {
    let words: Vec<&str> = words.iter().copied().filter(|w| !w.is_empty()).collect();
    if words.len() > 16 {
        return Err("Too many bind addresses specified.".to_string());
    }
    let Some(first) = words.first() else { return Err("FerrumKV needs an address to listen on".to_string()) };
    let ip = bind_address(first)?;
    for word in &words[1..] {
        bind_address(word)?;
    }
    c.addr.set_ip(ip);
    c.bind = words.iter().map(|w| w.to_string()).collect();
    Ok(())
}

fn set_port(c: &mut Config, port: i128) -> Result<(), String> {
    c.addr.set_port(port as u16);
    Ok(())
}

fn set_requirepass(c: &mut Config, value: &str) -> Result<(), String> {
    c.requirepass = (!value.is_empty()).then(|| value.to_string());
    Ok(())
}

/// The limits of the three client classes, in Redis's order (normal, replica,
/// pubsub).
fn buffer_limits(c: &Config) -> [BufferLimit; 3] {
    [c.client_output_buffer_limit, c.client_output_buffer_limit_replica, c.client_output_buffer_limit_pubsub]
}

fn get_buffer_limits(c: &Config) -> String {
    let groups: Vec<String> = CLIENT_CLASSES
        .iter()
        .zip(buffer_limits(c))
        .map(|(class, (hard, soft, seconds))| format!("{class} {hard} {soft} {seconds}"))
        .collect();
    groups.join(" ")
}

fn set_buffer_limits(c: &mut Config, words: &[&str], _: Mode) -> Result<(), String> {
    for (class, limit) in parse_buffer_limits(words)? {
        match class {
            0 => c.client_output_buffer_limit = limit,
            1 => c.client_output_buffer_limit_replica = limit,
            _ => c.client_output_buffer_limit_pubsub = limit,
        }
    }
    Ok(())
}

fn rewrite_buffer_limits(c: &Config) -> Vec<String> {
    ["normal", "replica", "pubsub"]
        .iter()
        .zip(buffer_limits(c))
        .map(|(class, (hard, soft, seconds))| {
            format!("{class} {} {} {seconds}", format_memory(hard.into()), format_memory(soft.into()))
        })
        .collect()
}

fn set_databases(c: &mut Config, count: i128) -> Result<(), String> {
    if count != crate::engine::DATABASES as i128 {
        return Err("FerrumKV has exactly 16 databases: 'databases' must be 16".to_string());
    }
    c.compat.databases = crate::engine::DATABASES;
    Ok(())
}

fn set_daemonize(c: &mut Config, yes: bool) -> Result<(), String> {
    if yes {
        return Err(
            "FerrumKV does not daemonize: run it under a supervisor (daemonize must be 'no')".to_string()
        );
    }
    c.compat.daemonize = false;
    Ok(())
}

fn get_aof_path(c: &Config) -> String {
    c.aof_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
}

fn set_aof_path(c: &mut Config, value: &str) -> Result<(), String> {
    if value.is_empty() {
        c.appendonly = false;
    } else {
        c.appendfilename = value.to_string();
        c.appendonly = true;
    }
    c.derive_aof_path();
    Ok(())
}

fn set_appendonly(c: &mut Config, on: bool) -> Result<(), String> {
    c.appendonly = on;
    c.derive_aof_path();
    Ok(())
}

fn set_appendfilename(c: &mut Config, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("appendfilename can't be empty".to_string());
    }
    c.appendfilename = value.to_string();
    c.derive_aof_path();
    Ok(())
}

fn get_dir(c: &Config) -> String {
    match &c.dir {
        Some(dir) => dir.display().to_string(),
        None => std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
    }
}

fn set_dir(c: &mut Config, value: &str) -> Result<(), String> {
    c.dir = match value {
        "" => None,
        _ => {
            let dir = std::fs::canonicalize(value).map_err(|e| io_reason(&e))?;
            if !dir.is_dir() {
                return Err("Not a directory".to_string());
            }
            Some(dir)
        }
    };
    c.derive_aof_path();
    Ok(())
}

fn set_save(c: &mut Config, words: &[&str], mode: Mode) -> Result<(), String> {
    let points = parse_save(words)?;
    if mode == Mode::Set || points.is_empty() {
        c.save.clear();
    }
    c.save.extend(points);
    Ok(())
}

fn rewrite_save(c: &Config) -> Vec<String> {
    if c.save.is_empty() {
        return vec!["\"\"".to_string()];
    }
    c.save.iter().map(|(seconds, changes)| format!("{seconds} {changes}")).collect()
}

fn set_hz(c: &mut Config, hz: i128) -> Result<(), String> {
    c.hz = hz.clamp(1, 500) as u32;
    Ok(())
}

fn get_loglevel(c: &Config) -> &'static str {
    LOG_LEVELS.iter().copied().find(|level| *level == c.loglevel).unwrap_or("notice")
}

fn set_loglevel(c: &mut Config, level: &'static str) -> Result<(), String> {
    c.loglevel = level.to_string();
    Ok(())
}

fn set_notify(c: &mut Config, value: &str) -> Result<(), String> {
    c.notify_keyspace_events = KeyspaceEvents::parse(value)
        .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())?;
    Ok(())
}
