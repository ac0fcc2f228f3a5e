//! Defaults, round trips, `CONFIG GET` and `CONFIG SET`.

use super::*;

/// `CONFIG GET` on a fresh redis-server 7.0.15, for the parameters whose default
/// FerrumKV shares.
const REDIS_DEFAULTS: &[(&str, &str)] = &[
    ("acl-pubsub-default", "resetchannels"),
    ("acllog-max-len", "128"),
    ("active-expire-effort", "1"),
    ("activerehashing", "yes"),
    ("always-show-logo", "no"),
    ("aof-load-truncated", "yes"),
    ("aof-rewrite-incremental-fsync", "yes"),
    ("aof-timestamp-enabled", "no"),
    ("aof-use-rdb-preamble", "yes"),
    ("appenddirname", "appendonlydir"),
    ("appendfilename", "appendonly.aof"),
    ("appendfsync", "everysec"),
    ("appendonly", "no"),
    ("auto-aof-rewrite-min-size", "67108864"),
    ("auto-aof-rewrite-percentage", "100"),
    ("busy-reply-threshold", "5000"),
    ("client-query-buffer-limit", "1073741824"),
    ("databases", "16"),
    ("dbfilename", "dump.rdb"),
    ("dynamic-hz", "yes"),
    ("enable-debug-command", "no"),
    ("enable-module-command", "no"),
    ("enable-protected-configs", "no"),
    ("hash-max-listpack-entries", "512"),
    ("hash-max-listpack-value", "64"),
    ("hash-max-ziplist-entries", "512"),
    ("hash-max-ziplist-value", "64"),
    ("hll-sparse-max-bytes", "3000"),
    ("hz", "10"),
    ("jemalloc-bg-thread", "yes"),
    ("latency-monitor-threshold", "0"),
    ("latency-tracking", "yes"),
    ("latency-tracking-info-percentiles", "50 99 99.9"),
    ("lazyfree-lazy-eviction", "no"),
    ("lazyfree-lazy-expire", "no"),
    ("lazyfree-lazy-server-del", "no"),
    ("lazyfree-lazy-user-del", "no"),
    ("lazyfree-lazy-user-flush", "no"),
    ("lfu-decay-time", "1"),
    ("lfu-log-factor", "10"),
    ("list-compress-depth", "0"),
    ("list-max-listpack-size", "-2"),
    ("list-max-ziplist-size", "-2"),
    ("loglevel", "notice"),
    ("lua-time-limit", "5000"),
    ("masterauth", ""),
    ("masteruser", ""),
    ("maxclients", "10000"),
    ("maxmemory", "0"),
    ("maxmemory-clients", "0"),
    ("maxmemory-eviction-tenacity", "10"),
    ("maxmemory-policy", "noeviction"),
    ("maxmemory-samples", "5"),
    ("min-replicas-max-lag", "10"),
    ("min-replicas-to-write", "0"),
    ("min-slaves-max-lag", "10"),
    ("min-slaves-to-write", "0"),
    ("no-appendfsync-on-rewrite", "no"),
    ("notify-keyspace-events", ""),
    ("propagation-error-behavior", "ignore"),
    ("protected-mode", "yes"),
    ("proto-max-bulk-len", "536870912"),
    ("rdb-del-sync-files", "no"),
    ("rdb-save-incremental-fsync", "yes"),
    ("rdbchecksum", "yes"),
    ("rdbcompression", "yes"),
    ("repl-backlog-size", "1048576"),
    ("repl-backlog-ttl", "3600"),
    ("repl-disable-tcp-nodelay", "no"),
    ("repl-diskless-load", "disabled"),
    ("repl-diskless-sync", "yes"),
    ("repl-diskless-sync-delay", "5"),
    ("repl-diskless-sync-max-replicas", "0"),
    ("repl-ping-replica-period", "10"),
    ("repl-ping-slave-period", "10"),
    ("repl-timeout", "60"),
    ("replica-ignore-maxmemory", "yes"),
    ("replica-lazy-flush", "no"),
    ("replica-priority", "100"),
    ("replica-read-only", "yes"),
    ("replica-serve-stale-data", "yes"),
    ("replicaof", ""),
    ("requirepass", ""),
    ("sanitize-dump-payload", "no"),
    ("save", ""),
    ("set-max-intset-entries", "512"),
    ("set-proc-title", "yes"),
    ("shutdown-on-sigint", "default"),
    ("shutdown-on-sigterm", "default"),
    ("shutdown-timeout", "10"),
    ("slave-ignore-maxmemory", "yes"),
    ("slave-lazy-flush", "no"),
    ("slave-priority", "100"),
    ("slave-read-only", "yes"),
    ("slave-serve-stale-data", "yes"),
    ("slaveof", ""),
    ("slowlog-log-slower-than", "10000"),
    ("slowlog-max-len", "128"),
    ("stop-writes-on-bgsave-error", "yes"),
    ("stream-node-max-bytes", "4096"),
    ("stream-node-max-entries", "100"),
    ("supervised", "no"),
    ("tcp-backlog", "511"),
    ("tcp-keepalive", "300"),
    ("timeout", "0"),
    ("tracking-table-max-keys", "1000000"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("zset-max-ziplist-entries", "128"),
    ("zset-max-ziplist-value", "64"),
];

#[test]
fn defaults_are_redis_defaults_where_shared() {
    let config = Config::default();
    for (name, expected) in REDIS_DEFAULTS {
        assert_eq!(value(&config, name), *expected, "default of {name}");
    }
}

#[test]
fn ferrum_defaults() {
    let config = Config::default();
    assert_eq!(config.addr, SocketAddr::from(([127, 0, 0, 1], 6380)));
    assert_eq!(value(&config, "bind"), "127.0.0.1");
    assert_eq!(value(&config, "port"), "6380");
    assert_eq!(value(&config, "addr"), "127.0.0.1:6380");
    assert_eq!(value(&config, "io-threads"), "0");
    assert_eq!(value(&config, "io-runtime"), "per-thread");
    assert_eq!(
        value(&config, "client-output-buffer-limit"),
        "normal 536870912 67108864 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    assert_eq!(config.output_buffer_hard_limit(), 512 << 20);
    assert_eq!(config.output_buffer_soft_limit(), 64 << 20);
    assert_eq!(config.output_buffer_soft_seconds(), 60);
    assert_eq!(config.aof_path, None);
    assert_eq!(config.requirepass, None);
    assert_eq!(config.maxmemory_policy, crate::engine::evict::Policy::NoEviction);
    assert_eq!(config.log_filter(), log::LevelFilter::Info);
    assert_eq!(value(&config, "dir"), std::env::current_dir().unwrap().display().to_string());
}

#[test]
fn every_default_parses_and_round_trips_through_get_and_set() {
    let defaults = Config::default();
    for param in params() {
        // The declared default loads on a blank config...
        let mut config = Config::blank();
        param
            .load(&mut config, &[param.default.to_string()])
            .unwrap_or_else(|e| panic!("{}: {e}", param.name));
        // ...and what CONFIG GET shows is accepted back unchanged, by every name
        // (but an empty `replicaof`, which Redis refuses too: it is `no one`).
        if param.name == "replicaof" {
            continue;
        }
        for name in param.names() {
            let shown = value(&defaults, name);
            let mut again = defaults.clone();
            param.set(&mut again, &shown, Mode::Set).unwrap_or_else(|e| panic!("{name} {shown:?}: {e}"));
            assert_eq!(value(&again, name), shown, "{name}");
            if param.name != "dir" {
                assert_eq!(again, defaults, "{name} {shown:?} changed the config");
            }
        }
        // Live ones through CONFIG SET too, reporting no change.
        if param.access == Access::Live {
            let (next, changed) = set(&defaults, &[(param.name, &value(&defaults, param.name))]).unwrap();
            assert_eq!(next, defaults, "{}", param.name);
            assert!(changed.is_empty(), "{}: {changed:?}", param.name);
        }
    }
}

#[test]
fn names_are_unique_lower_case_and_every_flag_is_a_name() {
    let mut seen = std::collections::HashSet::new();
    for param in params() {
        for name in param.names() {
            assert_eq!(name, name.to_ascii_lowercase());
            assert!(seen.insert(name), "{name} declared twice");
        }
    }
    for old in ["addr", "port", "aof-path", "appendfsync", "maxmemory", "maxmemory-policy", "requirepass"] {
        assert!(param(old).is_some_and(|p| p.flag.is_some()), "--{old} is not listed");
    }
    for old in ["protected-mode", "io-threads", "io-runtime", "maxclients", "timeout", "loglevel"] {
        assert!(param(old).is_some_and(|p| p.flag.is_some()), "--{old} is not listed");
    }
}

#[test]
fn get_semantics_as_redis() {
    let config = Config::default();
    // An exact name is answered as spelled, once however it is repeated.
    assert_eq!(get(&config, &["MAXCLIENTS"]), vec![("MAXCLIENTS".into(), "10000".into())]);
    assert_eq!(
        get(&config, &["maxclients", "MAXCLIENTS", "max*"]).iter().filter(|(n, _)| n == "maxclients").count(),
        1
    );
    assert_eq!(get(&config, &["timeout", "timeout"]).len(), 1);
    let names: Vec<String> =
        get(&config, &["Port", "MAXCLIENTS", "port"]).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Port", "MAXCLIENTS"]);
    assert!(get(&config, &["nosuchparam"]).is_empty());
    // An alias by its exact name; a pattern lists names and aliases.
    assert_eq!(get(&config, &["slave-read-only"]), vec![("slave-read-only".into(), "yes".into())]);
    let names: Vec<String> = get(&config, &["*read-only*"]).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["replica-read-only", "slave-read-only"]);
    let names: Vec<String> = get(&config, &["SLAVE*"]).into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&"slaveof".to_string()) && names.contains(&"slave-priority".to_string()),
        "{names:?}"
    );
    // Several patterns: no duplicates (redis's "CONFIG GET multiple args").
    let res = get(&config, &["maxmemory", "maxmemory*", "bind", "*of"]);
    let names: Vec<&str> = res.iter().map(|(n, _)| n.as_str()).collect();
    let unique: std::collections::HashSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    for name in ["slaveof", "replicaof", "maxmemory", "maxmemory-samples", "maxmemory-clients", "bind"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // Hidden parameters: only by exact name (redis's "CONFIG GET hidden configs").
    assert!(!get(&config, &["*"]).iter().any(|(n, _)| n == "key-load-delay" || n == "addr"));
    assert_eq!(value(&config, "key-load-delay"), "0");
    assert_eq!(value(&config, "io-runtime"), "per-thread");
    // Patterns are case-insensitive; classes work.
    assert_eq!(get(&config, &["A*ONLY"]), vec![("appendonly".into(), "no".into())]);
    assert_eq!(get(&config, &["*max-bulk*"]), vec![("proto-max-bulk-len".into(), "536870912".into())]);
    assert_eq!(get(&config, &["h[a-z]"]), vec![("hz".into(), "10".into())]);
}

#[test]
fn set_formats_as_redis() {
    let config = Config::default();
    let (next, changed) = set(
        &config,
        &[
            ("maxmemory", "100mb"),
            ("save", "3600 1 300 100"),
            ("notify-keyspace-events", "KEA"),
            ("maxmemory-clients", "10%"),
            ("maxmemory-policy", "ALLKEYS-LRU"),
            ("protected-mode", "NO"),
            ("client-output-buffer-limit", "normal 1mb 2mb 3 replica 1 2 3"),
            ("latency-tracking-info-percentiles", "50 99.99"),
            ("shutdown-on-sigterm", "nosave force now"),
        ],
    )
    .unwrap();
    assert_eq!(value(&next, "maxmemory"), "104857600");
    assert_eq!(next.maxmemory, 100 << 20);
    assert_eq!(value(&next, "save"), "3600 1 300 100");
    assert_eq!(value(&next, "notify-keyspace-events"), "AKE");
    assert_eq!(value(&next, "maxmemory-clients"), "10%");
    assert_eq!(value(&next, "maxmemory-policy"), "allkeys-lru");
    assert_eq!(value(&next, "protected-mode"), "no");
    assert_eq!(
        value(&next, "client-output-buffer-limit"),
        "normal 1048576 2097152 3 slave 1 2 3 pubsub 33554432 8388608 60"
    );
    assert_eq!(next.output_buffer_hard_limit(), 1 << 20);
    assert_eq!(value(&next, "latency-tracking-info-percentiles"), "50 99.99");
    assert_eq!(value(&next, "shutdown-on-sigterm"), "nosave now force");
    assert_eq!(changed.len(), 9, "{changed:?}");
    // A class given twice: the last wins; `0%` is 0; percentiles as `%f`, trimmed.
    let (next, _) = set(&config, &[("client-output-buffer-limit", "normal 1 2 3 normal 4 5 6")]).unwrap();
    assert!(value(&next, "client-output-buffer-limit").starts_with("normal 4 5 6 slave"));
    assert_eq!(value(&set(&config, &[("maxmemory-clients", "0%")]).unwrap().0, "maxmemory-clients"), "0");
    let (next, _) = set(&config, &[("latency-tracking-info-percentiles", "1e1 0.001")]).unwrap();
    assert_eq!(value(&next, "latency-tracking-info-percentiles"), "10 0.001");
    assert_eq!(value(&set(&config, &[("maxmemory", "1kb")]).unwrap().0, "maxmemory"), "1024");
    // hz is clamped, not refused.
    assert_eq!(value(&set(&config, &[("hz", "1000")]).unwrap().0, "hz"), "500");
    assert_eq!(value(&set(&config, &[("hz", "0")]).unwrap().0, "hz"), "1");
    // An empty save, bind of two addresses, no client output limit.
    let (next, _) = set(&config, &[("save", ""), ("bind", "127.0.0.1 -::1")]).unwrap();
    assert_eq!(value(&next, "save"), "");
    assert_eq!(value(&next, "bind"), "127.0.0.1 -::1");
    assert_eq!(next.addr.ip(), std::net::IpAddr::from([127, 0, 0, 1]));
    let (next, _) = set(&config, &[("client-output-buffer-limit", "normal 0 0 0")]).unwrap();
    assert_eq!(next.output_buffer_hard_limit(), usize::MAX);
}

#[test]
fn aliases_set_the_same_parameter() {
    let config = Config::default();
    let (next, changed) = set(&config, &[("hash-max-ziplist-entries", "20")]).unwrap();
    assert_eq!(next.hash_max_listpack_entries, 20);
    assert_eq!(value(&next, "hash-max-listpack-entries"), "20");
    assert_eq!(changed, ["hash-max-listpack-entries"]);
    let (next, _) = set(&config, &[("lua-time-limit", "100")]).unwrap();
    assert_eq!(value(&next, "busy-reply-threshold"), "100");
    // A name and its alias are two parameters in Redis: no duplicate, the last wins.
    let (next, changed) =
        set(&config, &[("hash-max-listpack-entries", "1"), ("hash-max-ziplist-entries", "2")]).unwrap();
    assert_eq!(next.hash_max_listpack_entries, 2);
    assert_eq!(changed, ["hash-max-listpack-entries"]);
}

#[test]
fn set_errors_are_redis_texts() {
    let config = Config::default();
    let failed = |name: &str, reason: &str| {
        format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
    };
    assert_eq!(
        refused(&config, &[("nosuch", "1")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    );
    assert_eq!(refused(&config, &[("daemonize", "yes")]), failed("daemonize", "can't set immutable config"));
    assert_eq!(refused(&config, &[("Databases", "16")]), failed("Databases", "can't set immutable config"));
    assert_eq!(refused(&config, &[("dir", "/tmp")]), failed("dir", "can't set protected config"));
    assert_eq!(
        refused(&config, &[("maxclients", "1"), ("MAXCLIENTS", "2")]),
        failed("MAXCLIENTS", "duplicate parameter")
    );
    // The first failing pair decides.
    assert!(refused(&config, &[("nosuch", "1"), ("daemonize", "yes")]).starts_with("ERR Unknown option"));
    assert!(
        refused(&config, &[("daemonize", "yes"), ("nosuch", "1")]).ends_with("can't set immutable config")
    );
    // Value errors name the parameter as declared (lower case), with Redis's reason.
    for (name, value, reason) in [
        ("MAXCLIENTS", "abc", "argument couldn't be parsed into an integer"),
        ("maxclients", "0", "argument must be between 1 and 4294967295 inclusive"),
        ("maxclients", "-1", "argument must be between 1 and 4294967295 inclusive"),
        ("timeout", "99999999999", "argument must be between 0 and 2147483647 inclusive"),
        ("hz", "-1", "argument must be between 0 and 2147483647 inclusive"),
        ("maxmemory", "1.5mb", "argument must be a memory value"),
        ("maxmemory", "-1", "argument must be a memory value"),
        ("maxmemory-clients", "200%", "percentage argument must be less or equal to 100"),
        ("maxmemory-clients", "x", "argument must be a memory or percent value"),
        ("proto-max-bulk-len", "100", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        (
            "client-query-buffer-limit",
            "100",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        ("slowlog-log-slower-than", "-2", "argument must be between -1 and 9223372036854775807 inclusive"),
        ("hash-max-ziplist-entries", "-1", "argument must be between 0 and 9223372036854775807 inclusive"),
        ("protected-mode", "maybe", "argument must be 'yes' or 'no'"),
        ("appendfsync", "sometimes", "argument(s) must be one of the following: everysec, always, no"),
        ("loglevel", "loud", "argument(s) must be one of the following: debug, verbose, notice, warning"),
        ("save", "3600 1 300", "Invalid save parameters"),
        ("notify-keyspace-events", "q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        (
            "client-output-buffer-limit",
            "master 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "normal 1 2",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "latency-tracking-info-percentiles",
            "101",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        (
            "shutdown-on-sigterm",
            "save nosave",
            "shutdown options SAVE and NOSAVE can't be used simultaneously",
        ),
        // More cases checked on redis-server 7.0.15.
        ("replica-read-only", "1", "argument must be 'yes' or 'no'"),
        ("maxclients", " 5", "argument couldn't be parsed into an integer"),
        ("maxclients", "+5", "argument couldn't be parsed into an integer"),
        ("hz", "00", "argument couldn't be parsed into an integer"),
        ("save", "3600 1  300 100", "Invalid save parameters"),
        (
            "latency-tracking-info-percentiles",
            "50  99",
            "Invalid latency-tracking-info-percentiles parameters",
        ),
        ("notify-keyspace-events", "KEA x", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    ] {
        let canonical = lookup(name.as_bytes()).unwrap().1;
        assert_eq!(refused(&config, &[(name, value)]), failed(canonical, reason), "{name} {value:?}");
    }
    assert_eq!(
        refused(&config, &[("save", "3600 1"), ("save", "100 2")]),
        failed("save", "duplicate parameter")
    );
    assert_eq!(refused(&config, &[("slaveof", "no one")]), failed("slaveof", "can't set immutable config"));
    let policies = refused(&config, &[("maxmemory-policy", "foo")]);
    let names = "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, \
                 allkeys-random, noeviction, allkeys-ahe, volatile-ahe";
    assert!(policies.ends_with(names), "{policies}");
}

#[test]
fn set_is_atomic() {
    let config = Config::default();
    // Redis's "CONFIG SET rollback on set error": nothing changes, the first bad
    // value is named.
    let error = refused(
        &config,
        &[("maxmemory", "10000001"), ("maxmemory-clients", "200%"), ("client-query-buffer-limit", "invalid")],
    );
    let expected = "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
                    percentage argument must be less or equal to 100";
    assert_eq!(error, expected);
    assert_eq!(config, Config::default());
    // Redis's "CONFIG SET with multiple args".
    let (next, changed) =
        set(&config, &[("maxmemory", "10000001"), ("repl-backlog-size", "10000002"), ("save", "3000 5")])
            .unwrap();
    assert_eq!(
        (value(&next, "maxmemory"), value(&next, "repl-backlog-size"), value(&next, "save")),
        ("10000001".into(), "10000002".into(), "3000 5".into())
    );
    assert_eq!(changed, ["maxmemory", "repl-backlog-size", "save"]);
    // Unchanged values are not reported; each changed parameter once.
    let (_, changed) = set(
        &next,
        &[
            ("maxmemory", "10000001"),
            ("timeout", "5"),
            ("lua-time-limit", "1"),
            ("busy-reply-threshold", "2"),
        ],
    )
    .unwrap();
    assert_eq!(changed, ["timeout", "busy-reply-threshold"]);
}

#[test]
fn effects_and_access() {
    let effect = |name: &str| param(name).unwrap().effect;
    assert_eq!(effect("loglevel"), Effect::LogLevel);
    assert_eq!(effect("appendfsync"), Effect::FsyncPolicy);
    assert_eq!(effect("appendonly"), Effect::AppendOnly);
    assert_eq!(effect("maxmemory-policy"), Effect::CacheSettings);
    assert_eq!(effect("lfu-log-factor"), Effect::CacheSettings);
    assert_eq!(effect("maxmemory"), Effect::Eviction);
    assert_eq!(effect("hz"), Effect::Hz);
    assert_eq!(effect("port"), Effect::Listener);
    assert_eq!(effect("requirepass"), Effect::Password);
    assert_eq!(effect("notify-keyspace-events"), Effect::KeyspaceEvents);
    assert_eq!(effect("timeout"), Effect::None);
    for immutable in
        ["io-threads", "io-runtime", "databases", "appendfilename", "replicaof", "addr", "aof-path"]
    {
        assert_eq!(param(immutable).unwrap().access, Access::Immutable, "{immutable}");
    }
    // enable-protected-configs opens dir and dbfilename (to local clients with `local`).
    let dir = std::env::temp_dir().display().to_string();
    let open = Config { enable_protected_configs: Permission::Local, ..Config::default() };
    let pairs: &[(&[u8], &[u8])] = &[(b"dir", dir.as_bytes())];
    assert!(config_set_as(&open, pairs, Caller { local: false, loading: false }).is_err());
    let (next, changed) = config_set_as(&open, pairs, Caller { local: true, loading: false }).unwrap();
    assert_eq!(next.dir, Some(std::fs::canonicalize(&dir).unwrap()));
    assert_eq!(changed.iter().map(|p| p.effect).collect::<Vec<_>>(), [Effect::WorkingDir]);
    let pairs: &[(&[u8], &[u8])] = &[(b"dir", b"/no/such/dir")];
    assert_eq!(
        config_set_as(&open, pairs, Caller { local: true, loading: false }).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
    );
    // While loading, appendonly and dir are refused, loglevel is not.
    let loading = Caller { local: true, loading: true };
    assert_eq!(
        config_set_as(&open, &[(b"appendonly", b"yes")], loading).unwrap_err(),
        "LOADING Redis is loading the dataset in memory"
    );
    assert!(config_set_as(&open, &[(b"loglevel", b"debug")], loading).is_ok());
}

#[test]
fn appendonly_and_files() {
    let config = Config::default();
    let (next, changed) = set(&config, &[("appendonly", "yes")]).unwrap();
    assert_eq!(next.aof_path, Some(PathBuf::from("appendonly.aof")));
    assert_eq!(changed, ["appendonly"]);
    let (next, _) = set(&next, &[("appendonly", "no")]).unwrap();
    assert_eq!(next.aof_path, None);
    assert_eq!(value(&next, "appendfilename"), "appendonly.aof");
    let mut config = Config::default();
    config.set("aof-path", "/var/lib/ferrum/data.aof").unwrap();
    assert_eq!(config.aof_path, Some(PathBuf::from("/var/lib/ferrum/data.aof")));
    assert_eq!(value(&config, "appendonly"), "yes");
    assert_eq!(value(&config, "aof-path"), "/var/lib/ferrum/data.aof");
    assert!(refused(&Config::default(), &[("dbfilename", "a/b")]).ends_with("can't set protected config"));
}

/// Redis's `CONFIG sanity` (unit/introspection): every parameter `CONFIG GET *`
/// lists, but the ones it skips, takes its own value back through `CONFIG SET`.
#[test]
fn redis_config_sanity() {
    const SKIPPED: &[&str] = &[
        "rdbchecksum",
        "daemonize",
        "io-threads-do-reads",
        "tcp-backlog",
        "always-show-logo",
        "syslog-enabled",
        "cluster-enabled",
        "disable-thp",
        "aclfile",
        "unixsocket",
        "pidfile",
        "syslog-ident",
        "appendfilename",
        "appenddirname",
        "supervised",
        "syslog-facility",
        "databases",
        "io-threads",
        "logfile",
        "unixsocketperm",
        "replicaof",
        "slaveof",
        "requirepass",
        "server_cpulist",
        "bio_cpulist",
        "aof_rewrite_cpulist",
        "bgsave_cpulist",
        "set-proc-title",
        "cluster-config-file",
        "cluster-port",
        "oom-score-adj",
        "oom-score-adj-values",
        "enable-protected-configs",
        "enable-debug-command",
        "enable-module-command",
        "dbfilename",
        "dir",
        "socket-mark-id",
    ];
    let config = Config::default();
    let before: Vec<(String, String)> =
        get(&config, &["*"]).into_iter().filter(|(k, _)| !SKIPPED.contains(&k.as_str())).collect();
    let mut next = config.clone();
    for (k, v) in &before {
        next = set(&next, &[(k, v)]).unwrap_or_else(|e| panic!("CONFIG SET {k} {v:?}: {e}")).0;
    }
    let after: Vec<(String, String)> =
        get(&next, &["*"]).into_iter().filter(|(k, _)| !SKIPPED.contains(&k.as_str())).collect();
    assert_eq!(before, after);
}

#[test]
fn set_and_get_by_name() {
    let mut config = Config::default();
    assert_eq!(config.get("appendonly").as_deref(), Some("no"));
    config.set("maxclients", "5").unwrap();
    assert_eq!(config.maxclients, 5);
    assert!(config.set("maxclients", "lots").is_err());
    assert!(config.set("appendfsync", "sometimes").is_err());
    assert!(config.set("maxclients", "0").is_err());
}
