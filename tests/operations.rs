//! Operating the server over the wire: `SLOWLOG`, `INFO commandstats`, `CLIENT
//! KILL`, `SHUTDOWN`, `LASTSAVE`, `DEBUG SLEEP`, `CONFIG REWRITE`.

mod common;

use common::{err, int, Server, OK};

#[test]
fn slowlog_records_commands_over_the_threshold() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SLOWLOG LEN", int(0));
    c.expect("CONFIG SET slowlog-log-slower-than 0", OK);
    c.expect("SET slow-key value", OK);
    assert!(c.int("SLOWLOG LEN") >= 1);
    let entries = c.cmd("SLOWLOG GET 1");
    assert!(entries.starts_with("*1\r\n*6\r\n:"), "{entries:?}");
    assert!(entries.contains("$8\r\nslow-key\r\n") || entries.contains("SLOWLOG"), "{entries:?}");
    c.expect("CONFIG SET slowlog-log-slower-than -1", OK);
    c.expect("SLOWLOG RESET", OK);
    c.expect("SLOWLOG LEN", int(0));
    c.expect("SLOWLOG GET -2", err("ERR count should be greater than or equal to -1"));
}

#[test]
fn commandstats_count_calls() {
    let s = Server::start();
    let mut c = s.raw();
    for _ in 0..3 {
        c.expect("SET a 1", OK);
    }
    c.cmd("INCR a");
    let info = c.cmd("INFO commandstats");
    assert!(info.contains("cmdstat_set:calls=3,"), "{info:?}");
    assert!(info.contains("cmdstat_incr:calls=1,"), "{info:?}");
    assert!(!c.cmd("INFO").contains("cmdstat_"), "commandstats is not a default section");
    assert!(c.cmd("INFO all").contains("cmdstat_set"));
    c.expect("CONFIG RESETSTAT", OK);
    assert!(!c.cmd("INFO commandstats").contains("cmdstat_set"));
}

#[test]
fn client_kill_closes_the_chosen_client() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut victim = s.raw();
    let id = victim.int("CLIENT ID");
    admin.expect(&format!("CLIENT KILL ID {id}"), int(1));
    assert!(victim.read_until_closed().is_empty());
    admin.expect("CLIENT KILL ID 999999", int(0));
    let mut second = s.raw();
    let info = second.cmd("CLIENT INFO");
    let addr = info.split_whitespace().find_map(|f| f.strip_prefix("addr=")).unwrap().to_string();
    admin.expect(&format!("CLIENT KILL {addr}"), OK);
    admin.expect("CLIENT KILL 1.2.3.4:5", err("ERR No such client"));
    // SKIPME yes (the default) spares the caller.
    let me = admin.int("CLIENT ID");
    admin.expect(&format!("CLIENT KILL ID {me}"), int(0));
    admin.expect("PING", "+PONG\r\n");
}

#[test]
fn shutdown_stops_the_server_cleanly_and_keeps_the_aof() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shutdown.aof");
    let path = path.to_str().unwrap();
    let mut s = Server::start_with(&["--aof-path", path, "--appendfsync", "no"]);
    let mut c = s.raw();
    c.expect("SET kept yes", OK);
    c.expect("SHUTDOWN FOO", err("ERR syntax error"));
    c.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(c.read_until_closed().is_empty());
    assert!(s.wait_exit().success());
    let s = Server::start_with(&["--aof-path", path]);
    s.raw().expect("GET kept", "$3\r\nyes\r\n");
}

#[test]
fn lastsave_and_debug_sleep() {
    let s = Server::start();
    let mut c = s.raw();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let lastsave = c.int("LASTSAVE");
    assert!((now - 60..=now + 1).contains(&lastsave), "{lastsave} vs {now}");
    c.expect("DEBUG SLEEP 0", OK);
    c.expect("DEBUG SLEEP -1", err("ERR sleep time out of range"));
    c.expect("DEBUG RELOAD", err("ERR unknown subcommand 'RELOAD'. Try DEBUG HELP."));
}

#[test]
fn config_rewrite_persists_live_changes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ferrum.conf");
    std::fs::write(&file, "# my settings\nmaxclients 50\ntimeout 0\n").unwrap();
    let file_arg = file.to_str().unwrap();
    let s = Server::start_with(&["--config", file_arg]);
    let mut c = s.raw();
    c.expect("CONFIG SET maxclients 77", OK);
    c.expect("CONFIG SET maxmemory-policy allkeys-lru", OK);
    c.expect("CONFIG REWRITE", OK);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# my settings\nmaxclients 77\n"), "{text}");
    assert!(text.contains("maxmemory-policy allkeys-lru"), "{text}");
    drop(c);
    drop(s);
    let port = common::free_port();
    let s = Server::start_raw(
        &["--config".into(), file_arg.into(), "--addr".into(), format!("127.0.0.1:{port}")],
        port,
    );
    s.raw().expect("CONFIG GET maxclients", "*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n");
    let plain = Server::start();
    plain.raw().expect("CONFIG REWRITE", err("ERR The server is running without a config file"));
}

#[test]
fn info_keyspace_reports_expires_and_avg_ttl() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SET plain v", OK);
    c.expect("SET t1 v EX 100", OK);
    c.expect("SET t2 v EX 200", OK);
    // `avg_ttl` is Redis's estimate, kept by the active expiry cycle as it samples
    // keys (ten times a second): wait for the first sample.
    let mut line = String::new();
    for _ in 0..100 {
        let info = c.cmd("INFO keyspace");
        line = info.lines().find(|l| l.starts_with("db0:")).unwrap().trim().to_string();
        if !line.ends_with("avg_ttl=0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(line.starts_with("db0:keys=3,expires=2,avg_ttl="), "{line}");
    // A cycle may sample between the two SETs (only t1's 100 s), so any blend of
    // the two remaining TTLs is right; a wrong unit or an unfolded sum is not.
    let avg: u64 = line.rsplit('=').next().unwrap().parse().unwrap();
    assert!((90_000..=200_000).contains(&avg), "{line}");
}
