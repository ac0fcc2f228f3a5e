//! The config file and the command line.

use super::*;

/// A config file in a temp dir (kept alive by the returned guard).
fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferrum.conf");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Parses a command line (program name added).
fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("ferrum-kv").chain(args.iter().copied())).unwrap()
}

/// Loads a command line.
fn load(args: &[&str]) -> Result<Config, ConfigError> {
    Config::load(&cli(args))
}

/// The error a config file's text gives.
fn file_error(text: &str) -> String {
    let (_dir, path) = file(text);
    Config::load(&Cli { config: Some(path), ..Cli::default() }).unwrap_err().0
}

#[test]
fn file_then_flags() {
    let (_dir, path) = file(
        "# comment\nport 7000\nmaxclients 5\n\ntimeout \"30\"\nappendfsync always\n  # indented comment\r\n",
    );
    let config = load(&["--config", path.to_str().unwrap(), "--maxclients", "9"]).unwrap();
    assert_eq!(config.addr.port(), 7000);
    assert_eq!(config.maxclients, 9);
    assert_eq!(config.timeout, 30);
    assert_eq!(config.appendfsync, FsyncPolicy::Always);
    assert_eq!(config.config_file.as_deref(), Some(path.as_path()));
    // The file may also be the first argument, as for redis-server.
    let config = load(&[path.to_str().unwrap(), "--timeout", "3"]).unwrap();
    assert_eq!((config.addr.port(), config.timeout), (7000, 3));
}

#[test]
fn every_documented_flag_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let aof = dir.path().join("data.aof");
    let config = load(&[
        "--addr",
        "127.0.0.2:7001",
        "--aof-path",
        aof.to_str().unwrap(),
        "--appendfsync",
        "always",
        "--maxmemory",
        "100mb",
        "--maxmemory-policy",
        "allkeys-ahe",
        "--requirepass",
        "pw",
        "--protected-mode",
        "no",
        "--io-threads",
        "3",
        "--io-runtime",
        "work-stealing",
        "--maxclients",
        "7",
        "--timeout",
        "9",
        "--loglevel",
        "warning",
        "--port",
        "7002",
    ])
    .unwrap();
    assert_eq!(config.addr, "127.0.0.2:7002".parse().unwrap());
    assert_eq!(config.aof_path.as_deref(), Some(aof.as_path()));
    assert_eq!(config.appendfsync, FsyncPolicy::Always);
    assert_eq!(config.maxmemory, 100 << 20);
    assert_eq!(config.maxmemory_policy, crate::engine::evict::Policy::AllKeysAhe);
    assert_eq!(config.requirepass.as_deref(), Some("pw"));
    assert!(!config.protected_mode);
    assert_eq!((config.io_threads, config.io_runtime), (3, IoRuntime::WorkStealing));
    assert_eq!((config.maxclients, config.timeout), (7, 9));
    assert_eq!(config.log_filter(), log::LevelFilter::Warn);
}

#[test]
fn any_key_is_a_flag_as_with_redis_server() {
    let config = load(&[
        "--hash-max-ziplist-entries",
        "7",
        "--save",
        "900",
        "1",
        "--save",
        "300",
        "10",
        "--slaveof",
        "h",
        "6379",
    ])
    .unwrap();
    assert_eq!(config.hash_max_listpack_entries, 7);
    assert_eq!(config.save, vec![(900, 1), (300, 10)]);
    assert_eq!(config.compat.replicaof, Some(("h".into(), 6379)));
    // Name and value in one argument; a value starting with `--`; negative numbers.
    let config =
        load(&["--maxmemory 700mb", "--maxmemory-policy 'volatile-lru'", "--list-max-listpack-size", "-5"])
            .unwrap();
    assert_eq!(config.maxmemory, 734_003_200);
    assert_eq!(value(&config, "maxmemory-policy"), "volatile-lru");
    assert_eq!(config.list_max_listpack_size, -5);
    let config = load(&["--masterauth", "--my--secret", "--loglevel", "verbose"]).unwrap();
    assert_eq!((config.compat.masterauth.as_str(), config.loglevel.as_str()), ("--my--secret", "verbose"));
    // `--save` with nothing after it (or before another flag) is `save ""`.
    for args in [&["--save", "900", "1", "--save"][..], &["--save", "--loglevel", "verbose"], &["--save", ""]]
    {
        assert_eq!(load(args).unwrap().save, vec![], "{args:?}");
    }
    // One argument with spaces for a multi-word parameter.
    let config =
        load(&["--shutdown-on-sigint", "nosave", "force", "now", "--shutdown-on-sigterm", "nosave force"])
            .unwrap();
    assert_eq!(value(&config, "shutdown-on-sigint"), "nosave now force");
    assert_eq!(value(&config, "shutdown-on-sigterm"), "nosave force");
    // Values of a multi-word flag run up to the next `--` flag, `-` or not.
    let config = load(&["--bind", "127.0.0.1", "-::1", "--port", "7"]).unwrap();
    assert_eq!((value(&config, "bind").as_str(), config.addr.port()), ("127.0.0.1 -::1", 7));
    let config = load(&["--save", "-1", "2"]).unwrap_err().0;
    assert!(config.ends_with("Invalid save parameters"), "{config}");
    // Flags apply in the order given.
    assert_eq!(load(&["--port", "7000", "--addr", "127.0.0.1:6000"]).unwrap().addr.port(), 6000);
    assert_eq!(load(&["--addr", "127.0.0.1:6000", "--port", "7000"]).unwrap().addr.port(), 7000);
}

#[test]
fn flag_errors() {
    let err = |args: &[&str]| load(args).unwrap_err().0;
    assert_eq!(err(&["--port", "x"]), "--port \"x\": argument couldn't be parsed into an integer");
    assert_eq!(
        err(&["--loglevel", "--bla"]),
        "--loglevel \"--bla\": argument(s) must be one of the following: debug, verbose, notice, warning"
    );
    assert_eq!(
        err(&["--replicaof", "127.0.0.1", "abc"]),
        "--replicaof \"127.0.0.1\" \"abc\": Invalid master port"
    );
    assert!(err(&["--databases", "32"]).contains("exactly 16 databases"));
    assert!(err(&["--daemonize", "yes"]).contains("does not daemonize"));
    let clap_error = |args: &[&str]| {
        Cli::try_parse_from(std::iter::once("ferrum-kv").chain(args.iter().copied())).unwrap_err().to_string()
    };
    assert!(clap_error(&["--no-such-flag"]).contains("--no-such-flag"));
    assert!(clap_error(&["--port"]).contains("--port"));
    assert!(clap_error(&["--port", "6379", "6380"]).contains("6380"));
    assert!(clap_error(&["a.conf", "--config", "b.conf"]).contains("twice"));
    assert!(cli(&["--print-config-table"]).print_config_table);
}

#[test]
fn file_errors_name_the_file_and_line() {
    let error = file_error("port 7000\nfrobnicate yes\n");
    assert!(
        error.ends_with("ferrum.conf:2: 'frobnicate yes': Bad directive or wrong number of arguments"),
        "{error}"
    );
    let error = file_error("maxclients lots\n");
    assert!(
        error.ends_with("ferrum.conf:1: 'maxclients lots': argument couldn't be parsed into an integer"),
        "{error}"
    );
    let error = file_error("timeout 5\nloglevel \"warning\n");
    assert!(
        error.ends_with("ferrum.conf:2: 'loglevel \"warning': Unbalanced quotes in configuration line"),
        "{error}"
    );
    let error = file_error("port 6379 6380\n");
    assert!(error.ends_with("ferrum.conf:1: 'port 6379 6380': wrong number of arguments"), "{error}");
    let error = file_error("\n\nsave 3600\n");
    assert!(error.ends_with("ferrum.conf:3: 'save 3600': Invalid save parameters"), "{error}");
    let error = file_error("port 7000 # trailing comment\n");
    assert!(error.contains(":1:") && error.ends_with("wrong number of arguments"), "{error}");
    let error =
        Config::load(&Cli { config: Some("/no/such/ferrum.conf".into()), ..Cli::default() }).unwrap_err().0;
    assert!(error.contains("/no/such/ferrum.conf"), "{error}");
}

#[test]
fn redis_style_files_load() {
    // The Redis test suite's default.conf (with the dir it sets) loads.
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# Redis configuration for testing.\n\nalways-show-logo yes\nnotify-keyspace-events KEA\n\
         daemonize no\n\
         pidfile /var/run/redis.pid\nport 6379\ntimeout 0\nbind 127.0.0.1\nloglevel verbose\nlogfile ''\n\
         databases 16\nlatency-monitor-threshold 1\nrepl-diskless-sync-delay 0\nsave 900 1\n\
         rdbcompression yes\n\
         dbfilename dump.rdb\ndir {}\nslave-serve-stale-data yes\nappendonly no\nappendfsync everysec\n\
         no-appendfsync-on-rewrite no\nactiverehashing yes\nenable-protected-configs yes\n\
         enable-debug-command yes\n\
         enable-module-command yes\npropagation-error-behavior panic\nunixsocket /tmp/redis.sock\n",
        dir.path().display()
    );
    let (_guard, path) = file(&text);
    let config = load(&[path.to_str().unwrap()]).unwrap();
    assert_eq!(value(&config, "notify-keyspace-events"), "AKE");
    assert_eq!(config.addr, "127.0.0.1:6379".parse().unwrap());
    assert_eq!(config.save, vec![(900, 1)]);
    assert_eq!(config.dir, Some(std::fs::canonicalize(dir.path()).unwrap()));
    assert_eq!(config.enable_protected_configs, Permission::Yes);
    // Multi-word values quoted or not, several save lines adding up, aliases,
    // deprecated directives ignored.
    let (_guard, path) = file(
        "save \"3600 1 300 100\"\nsave 60 10000\nclient-output-buffer-limit normal 0 0 0\n\
         client-output-buffer-limit \"pubsub 1mb 1mb 0\"\nhash-max-ziplist-value 1kb\n\
         list-max-ziplist-entries 5\n\
         lua-replicate-commands yes\nbind \"127.0.0.1 -::1\"\n",
    );
    let config = load(&[path.to_str().unwrap()]).unwrap();
    assert_eq!(value(&config, "save"), "3600 1 300 100 60 10000");
    assert_eq!(
        value(&config, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1048576 0"
    );
    assert_eq!(config.hash_max_listpack_value, 1024);
    assert_eq!(config.bind, ["127.0.0.1", "-::1"]);
    // A flag's save adds to the file's; `--save ""` clears it.
    assert_eq!(load(&[path.to_str().unwrap(), "--save", "1", "2"]).unwrap().save.len(), 4);
    assert!(load(&[path.to_str().unwrap(), "--save", ""]).unwrap().save.is_empty());
}

#[test]
fn aof_files() {
    let (_guard, path) = file("appendonly yes\nappendfilename data.aof\n");
    assert_eq!(load(&[path.to_str().unwrap()]).unwrap().aof_path, Some(PathBuf::from("data.aof")));
    // `dir` holds relative files.
    let dir = tempfile::tempdir().unwrap();
    let config = load(&["--dir", dir.path().to_str().unwrap(), "--aof-path", "x.aof"]).unwrap();
    assert_eq!(config.aof_path, Some(std::fs::canonicalize(dir.path()).unwrap().join("x.aof")));
    // The flag after the file wins, as today: --aof-path turns persistence on.
    let (_guard, path) = file("appendonly no\n");
    assert!(load(&[path.to_str().unwrap(), "--aof-path", "a.aof"]).unwrap().aof_path.is_some());
    let (_guard, path) = file("aof-path a.aof\nappendonly no\n");
    assert!(load(&[path.to_str().unwrap()]).unwrap().aof_path.is_none());
}
