//! Streams across restarts and waits: the AOF replays what XADD, trims and the
//! consumer groups did (pending entries included) and so does a rewrite; a
//! consumer group survives kill -9 under `appendfsync always` and XAUTOCLAIM
//! recovers its entries; XREAD/XREADGROUP BLOCK are served by the XADD that makes
//! them ready; redis-py's stream API parses every reply it asks for.

mod common;

use std::time::{Duration, Instant};

use common::{array, bulk, Server};

fn cmd(c: &mut redis::Connection, args: &[&str]) -> redis::Value {
    let mut command = redis::cmd(args[0]);
    for a in &args[1..] {
        command.arg(*a);
    }
    command.query(c).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn text(c: &mut redis::Connection, args: &[&str]) -> String {
    format!("{:?}", cmd(c, args))
}

fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `text` with every run of digits as one `#` (idle times move on).
fn without_numbers(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        if !ch.is_ascii_digit() {
            out.push(ch);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// What the tests compare across restarts: entries, XINFO counters, groups, PELs.
fn snapshot(c: &mut redis::Connection) -> Vec<String> {
    vec![
        text(c, &["XRANGE", "s", "-", "+"]),
        text(c, &["XLEN", "s"]),
        text(c, &["XPENDING", "s", "g"]),
        without_numbers(&text(c, &["XPENDING", "s", "g", "-", "+", "100", "alice"])),
        text(c, &["XINFO", "GROUPS", "s"]),
        text(c, &["XRANGE", "e", "-", "+"]),
        text(c, &["TYPE", "e"]),
        text(c, &["XINFO", "STREAM", "e"]),
    ]
}

/// Compares two snapshots part by part, naming the part that differs.
fn same(after: &[String], before: &[String], what: &str) {
    for (i, (a, b)) in after.iter().zip(before).enumerate() {
        assert!(a == b, "{what}: part {i} differs:\n{}\n{}", &a[..a.len().min(600)], &b[..b.len().min(600)]);
    }
}

fn restart(mut server: Server, args: &[&str]) -> Server {
    server.signal("TERM");
    assert!(server.wait_exit().success());
    Server::start_with(args)
}

#[test]
fn streams_and_groups_survive_a_restart_and_a_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let args = ["--aof-path", path.to_str().unwrap(), "--appendfsync", "always"];
    let server = Server::start_with(&args);
    let mut c = server.conn();
    for i in 0..300 {
        cmd(&mut c, &["XADD", "s", "MAXLEN", "~", "150", "*", "f", &i.to_string()]);
    }
    // Trimmed first: pending entries of deleted entries do not survive a rewrite
    // (its XCLAIM of a missing entry drops it, as in Redis).
    cmd(&mut c, &["XTRIM", "s", "MAXLEN", "=", "140"]);
    cmd(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]);
    cmd(&mut c, &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"]);
    cmd(&mut c, &["XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "NOACK", "STREAMS", "s", ">"]);
    let first = text(&mut c, &["XPENDING", "s", "g", "-", "+", "1"]);
    assert!(first.contains("alice"), "{first}");
    cmd(&mut c, &["XADD", "e", "1-1", "x", "y"]);
    cmd(&mut c, &["XDEL", "e", "1-1"]);
    let before = snapshot(&mut c);
    drop(c);
    let server = restart(server, &args);
    let mut c = server.conn();
    same(&snapshot(&mut c), &before, "replayed");
    let _: String = redis::cmd("BGREWRITEAOF").query(&mut c).unwrap();
    eventually("the rewrite ends", || {
        let info: String = redis::cmd("INFO").arg("persistence").query(&mut c).unwrap();
        info.contains("aof_rewrite_in_progress:0")
    });
    drop(c);
    let server = restart(server, &args);
    let mut c = server.conn();
    same(&snapshot(&mut c), &before, "rewritten");
    drop(server);
}

#[test]
fn pending_entries_survive_kill_9_and_xautoclaim_recovers_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let args = ["--aof-path", path.to_str().unwrap(), "--appendfsync", "always"];
    let server = Server::start_with(&args);
    let mut c = server.conn();
    for i in 1..=5 {
        cmd(&mut c, &["XADD", "jobs", &format!("{i}-0"), "job", &i.to_string()]);
    }
    cmd(&mut c, &["XGROUP", "CREATE", "jobs", "workers", "0"]);
    cmd(&mut c, &["XREADGROUP", "GROUP", "workers", "w1", "COUNT", "3", "STREAMS", "jobs", ">"]);
    cmd(&mut c, &["XACK", "jobs", "workers", "1-0"]);
    drop(c);
    server.signal("KILL");
    let mut server = server;
    server.wait_exit();
    let server = Server::start_with(&args);
    let mut c = server.conn();
    let pending = text(&mut c, &["XPENDING", "jobs", "workers", "-", "+", "10"]);
    assert!(pending.contains("2-0") && pending.contains("3-0") && !pending.contains("1-0"), "{pending}");
    let claimed = text(&mut c, &["XAUTOCLAIM", "jobs", "workers", "w2", "0", "-", "JUSTID"]);
    assert!(claimed.contains("2-0") && claimed.contains("3-0"), "{claimed}");
    let next = text(&mut c, &["XREADGROUP", "GROUP", "workers", "w2", "STREAMS", "jobs", ">"]);
    assert!(next.contains("4-0") && next.contains("5-0") && !next.contains("3-0"), "{next}");
}

#[test]
fn blocked_reads_are_served_by_the_xadd() {
    let server = Server::start();
    let mut waiter = server.raw();
    let mut group_waiter = server.raw();
    let mut c = server.conn();
    cmd(&mut c, &["XADD", "s", "1-0", "a", "1"]);
    cmd(&mut c, &["XGROUP", "CREATE", "s", "g", "$"]);
    waiter.send(b"XREAD BLOCK 0 STREAMS s $\r\n");
    group_waiter.send(b"XREADGROUP GROUP g c BLOCK 0 STREAMS s >\r\n");
    eventually("both block", || {
        let info: String = redis::cmd("INFO").arg("clients").query(&mut c).unwrap();
        info.contains("blocked_clients:2")
    });
    cmd(&mut c, &["XADD", "s", "2-0", "b", "2"]);
    let want = array(&[array(&[bulk("s"), array(&[array(&[bulk("2-0"), array(&[bulk("b"), bulk("2")])])])])]);
    assert_eq!(waiter.read_reply_text(), want);
    assert_eq!(group_waiter.read_reply_text(), want);
    let pending = text(&mut c, &["XPENDING", "s", "g"]);
    assert!(pending.contains("2-0"), "{pending}");
    // A timeout answers a null array.
    waiter.send(b"XREAD BLOCK 50 STREAMS s $\r\n");
    assert_eq!(waiter.read_reply_text(), "*-1\r\n");
}

#[test]
fn a_blocked_xreadgroup_answered_nogroup_counts_as_a_failed_call() {
    let server = Server::start();
    let mut waiter = server.raw();
    let mut c = server.conn();
    cmd(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    cmd(&mut c, &["CONFIG", "RESETSTAT"]);
    waiter.send(b"XREADGROUP GROUP g c BLOCK 0 STREAMS s >\r\n");
    eventually("the read blocks", || {
        let info: String = redis::cmd("INFO").arg("clients").query(&mut c).unwrap();
        info.contains("blocked_clients:1")
    });
    cmd(&mut c, &["XGROUP", "DESTROY", "s", "g"]);
    let reply = waiter.read_reply_text();
    assert!(reply.starts_with("-NOGROUP "), "{reply}");
    // As Redis counts an unblocked client's error: an error reply of its kind and
    // a failed call of the blocked command (its call counted when it blocked).
    let info: String = redis::cmd("INFO").arg("all").query(&mut c).unwrap();
    assert!(info.contains("errorstat_NOGROUP:count=1"), "{info}");
    assert!(info.contains("total_error_replies:1"), "{info}");
    let stat = info.lines().find(|l| l.starts_with("cmdstat_xreadgroup:")).expect("xreadgroup stats");
    assert!(stat.contains("calls=1,") && stat.ends_with("rejected_calls=0,failed_calls=1"), "{stat}");
}

#[test]
fn redis_py_stream_api_over_resp2_and_resp3() {
    common::run_redis_py("streams.py", "streams ok");
}
