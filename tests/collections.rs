//! Hashes, sets and lists through everything around them, over the wire: the AOF (replay
//! after a restart, the rewrite writing at most 64 elements per record, and
//! `redis-check-aof` accepting the file), `COPY`/`RENAME`/`MOVE`, expiry, `WATCH`,
//! eviction under `maxmemory`, and the lazyfree of big values (`UNLINK`,
//! `FLUSHALL ASYNC`) with its `INFO` counters.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

use common::{eventually, info_field, missing_tool, Server};

fn cmd(conn: &mut redis::Connection, args: &[&str]) -> redis::Value {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(conn).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn members(conn: &mut redis::Connection, key: &str) -> BTreeSet<String> {
    redis::cmd("SMEMBERS").arg(key).query(conn).unwrap()
}

fn hash(conn: &mut redis::Connection, key: &str) -> std::collections::BTreeMap<String, String> {
    redis::cmd("HGETALL").arg(key).query(conn).unwrap()
}

fn list(conn: &mut redis::Connection, key: &str) -> Vec<String> {
    redis::cmd("LRANGE").arg(key).arg(0).arg(-1).query(conn).unwrap()
}

/// Pushes `n` elements `e0`… onto the tail of `key` (`RPUSH` 1000 at a time).
fn fill_list(conn: &mut redis::Connection, key: &str, n: usize) {
    for start in (0..n).step_by(1000) {
        let mut c = redis::cmd("RPUSH");
        c.arg(key);
        for i in start..(start + 1000).min(n) {
            c.arg(format!("e{i:015}"));
        }
        let _: i64 = c.query(conn).unwrap();
    }
}

/// Fills `key` with `n` members `m0`… (`SADD` 1000 at a time).
fn fill_set(conn: &mut redis::Connection, key: &str, n: usize) {
    for start in (0..n).step_by(1000) {
        let mut c = redis::cmd("SADD");
        c.arg(key);
        for i in start..(start + 1000).min(n) {
            c.arg(format!("m{i}"));
        }
        let _: i64 = c.query(conn).unwrap();
    }
}

/// The commands of a RESP2 file, each as its arguments.
fn commands_in(path: &Path) -> Vec<Vec<Vec<u8>>> {
    let bytes = std::fs::read(path).unwrap();
    let mut at = 0;
    let line = |at: &mut usize| {
        let end = bytes[*at..].windows(2).position(|w| w == b"\r\n").unwrap() + *at;
        let text = std::str::from_utf8(&bytes[*at + 1..end]).unwrap().to_string();
        *at = end + 2;
        text
    };
    let mut commands = Vec::new();
    while at < bytes.len() {
        assert_eq!(bytes[at], b'*', "a command at byte {at}");
        let n: usize = line(&mut at).parse().unwrap();
        let mut args = Vec::new();
        for _ in 0..n {
            let len: usize = line(&mut at).parse().unwrap();
            args.push(bytes[at..at + len].to_vec());
            at += len + 2;
        }
        commands.push(args);
    }
    commands
}

/// What the AOF test compares before and after each restart.
type Contents = (
    std::collections::BTreeMap<String, String>,
    BTreeSet<String>,
    BTreeSet<String>,
    BTreeSet<String>,
    Vec<String>,
    Vec<String>,
);

fn contents(c: &mut redis::Connection) -> Contents {
    (hash(c, "h"), members(c, "words"), members(c, "big"), members(c, "both"), list(c, "l"), list(c, "long"))
}

/// Stops `server` gracefully and starts a new one with `args` (the same AOF).
fn restart(mut server: Server, args: &[&str]) -> Server {
    server.signal("TERM");
    assert!(server.wait_exit().success());
    Server::start_with(args)
}

#[test]
fn hashes_sets_and_lists_survive_a_restart_and_a_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let args = ["--aof-path", path.to_str().unwrap(), "--appendfsync", "always"];
    let server = Server::start_with(&args);
    let mut c = server.conn();
    cmd(&mut c, &["HSET", "h", "a", "1", "b", "2"]);
    cmd(&mut c, &["HINCRBYFLOAT", "h", "f", "0.1"]);
    cmd(&mut c, &["HINCRBYFLOAT", "h", "f", "0.2"]);
    cmd(&mut c, &["HDEL", "h", "a"]);
    cmd(&mut c, &["SADD", "ints", "1", "2", "3"]);
    cmd(&mut c, &["SADD", "words", "x", "y", "z"]);
    cmd(&mut c, &["SPOP", "words"]);
    fill_set(&mut c, "big", 300);
    cmd(&mut c, &["SINTERSTORE", "both", "ints", "ints"]);
    cmd(&mut c, &["EXPIRE", "h", "1000"]);
    cmd(&mut c, &["RPUSH", "l", "a", "b", "c", "d"]);
    cmd(&mut c, &["LPUSH", "l", "z"]);
    cmd(&mut c, &["LPOP", "l", "2"]);
    cmd(&mut c, &["LSET", "l", "0", "A"]);
    cmd(&mut c, &["LINSERT", "l", "AFTER", "A", "ins"]);
    cmd(&mut c, &["LMOVE", "l", "l", "LEFT", "RIGHT"]);
    fill_list(&mut c, "long", 3000);
    cmd(&mut c, &["LREM", "long", "0", "e000000000000007"]);
    cmd(&mut c, &["LTRIM", "long", "1", "-2"]);
    let before = contents(&mut c);
    assert_eq!(before.4, ["ins", "c", "d", "A"]);
    assert_eq!(before.5.len(), 2997);
    assert_eq!(before.0.get("f").map(String::as_str), Some("0.3"));
    drop(c);
    let server = restart(server, &args);
    let mut c = server.conn();
    let after = contents(&mut c);
    assert_eq!(after, before, "replayed");
    let ttl: i64 = redis::cmd("TTL").arg("h").query(&mut c).unwrap();
    assert!(ttl > 900, "{ttl}");

    let _: String = redis::cmd("BGREWRITEAOF").query(&mut c).unwrap();
    eventually("the rewrite ends", || info_field(&mut c, "persistence", "aof_rewrite_in_progress") == "0");
    for command in commands_in(&path) {
        let name = String::from_utf8_lossy(&command[0]).to_uppercase();
        let elements = command.len() - 2;
        match name.as_str() {
            "SADD" | "RPUSH" => assert!(elements <= 64, "{name} of {elements}"),
            "HSET" => assert!(elements <= 128, "HSET of {} fields", elements / 2),
            _ => {}
        }
    }
    if Command::new("redis-check-aof").arg("--help").output().is_err() {
        missing_tool("redis-check-aof (apt-get install redis-tools)");
    } else {
        let out = Command::new("redis-check-aof").arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.contains("is valid"), "{text}");
    }
    drop(c);
    let server = restart(server, &args);
    let mut c = server.conn();
    let rewritten = contents(&mut c);
    assert_eq!(rewritten, before, "replayed from the rewrite");
}

#[test]
fn copy_rename_and_move_carry_the_collection() {
    let server = Server::start();
    let mut c = server.conn();
    cmd(&mut c, &["HSET", "h", "f", "v"]);
    fill_set(&mut c, "s", 200);
    cmd(&mut c, &["COPY", "s", "s2"]);
    cmd(&mut c, &["SREM", "s2", "m0"]);
    assert_eq!(members(&mut c, "s").len(), 200, "the copy is its own");
    assert_eq!(members(&mut c, "s2").len(), 199);
    cmd(&mut c, &["RENAME", "h", "h2"]);
    assert_eq!(hash(&mut c, "h2").get("f").map(String::as_str), Some("v"));
    cmd(&mut c, &["MOVE", "h2", "3"]);
    cmd(&mut c, &["SELECT", "3"]);
    let kind: String = redis::cmd("TYPE").arg("h2").query(&mut c).unwrap();
    assert_eq!(kind, "hash");
    cmd(&mut c, &["SELECT", "0"]);
    fill_list(&mut c, "l", 2000);
    cmd(&mut c, &["COPY", "l", "l2"]);
    cmd(&mut c, &["RPOP", "l2"]);
    cmd(&mut c, &["LSET", "l2", "0", "changed"]);
    assert_eq!(list(&mut c, "l").len(), 2000, "the copy is its own");
    assert_eq!(list(&mut c, "l")[0], "e000000000000000");
    assert_eq!(list(&mut c, "l2").len(), 1999);
    cmd(&mut c, &["RENAME", "l2", "l3"]);
    cmd(&mut c, &["MOVE", "l3", "5"]);
    cmd(&mut c, &["SWAPDB", "5", "0"]);
    assert_eq!(list(&mut c, "l3")[0], "changed");
    let encoding: String = redis::cmd("OBJECT").arg("ENCODING").arg("l3").query(&mut c).unwrap();
    assert_eq!(encoding, "quicklist");
}

#[test]
fn a_watched_hash_changed_by_another_client_fails_the_exec() {
    let server = Server::start();
    let (mut a, mut b) = (server.conn(), server.conn());
    cmd(&mut a, &["HSET", "h", "f", "1"]);
    cmd(&mut a, &["WATCH", "h"]);
    cmd(&mut b, &["HINCRBY", "h", "f", "1"]);
    cmd(&mut a, &["MULTI"]);
    cmd(&mut a, &["HSET", "h", "f", "100"]);
    let exec: redis::Value = redis::cmd("EXEC").query(&mut a).unwrap();
    assert_eq!(exec, redis::Value::Nil);
    let f: String = redis::cmd("HGET").arg("h").arg("f").query(&mut a).unwrap();
    assert_eq!(f, "2");
}

#[test]
fn a_watched_list_changed_by_another_client_fails_the_exec() {
    let server = Server::start();
    let (mut a, mut b) = (server.conn(), server.conn());
    cmd(&mut a, &["RPUSH", "l", "1"]);
    cmd(&mut a, &["WATCH", "l"]);
    cmd(&mut b, &["LMOVE", "l", "other", "LEFT", "LEFT"]);
    cmd(&mut a, &["MULTI"]);
    cmd(&mut a, &["RPUSH", "l", "x"]);
    let exec: redis::Value = redis::cmd("EXEC").query(&mut a).unwrap();
    assert_eq!(exec, redis::Value::Nil);
    assert_eq!(list(&mut a, "other"), ["1"]);
    let exists: i64 = redis::cmd("EXISTS").arg("l").query(&mut a).unwrap();
    assert_eq!(exists, 0, "emptied by the move, not pushed to by the failed EXEC");
}

#[test]
fn a_big_list_is_unlinked_in_the_background() {
    let server = Server::start();
    let mut c = server.conn();
    // 50,000 elements of 16 bytes: about a hundred 8 KB nodes, one free effort each.
    fill_list(&mut c, "big", 50_000);
    let freed_before: u64 = info_field(&mut c, "stats", "lazyfreed_objects").parse().unwrap();
    let removed: i64 = redis::cmd("UNLINK").arg("big").query(&mut c).unwrap();
    assert_eq!(removed, 1);
    eventually("the list is freed", || {
        info_field(&mut c, "stats", "lazyfreed_objects").parse::<u64>().unwrap() > freed_before
    });
    // A small list is freed in place.
    fill_list(&mut c, "small", 100);
    let freed: u64 = info_field(&mut c, "stats", "lazyfreed_objects").parse().unwrap();
    cmd(&mut c, &["UNLINK", "small"]);
    assert_eq!(info_field(&mut c, "stats", "lazyfreed_objects").parse::<u64>().unwrap(), freed);
}

#[test]
fn eviction_removes_whole_lists_under_maxmemory() {
    // 400 lists of 2,000 16-byte elements take about 15 MB: three times the cap.
    let server = Server::start_with(&["--maxmemory", "5mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut c = server.conn();
    for i in 0..400 {
        fill_list(&mut c, &format!("l{i}"), 2000);
    }
    let keys: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert!(keys < 400, "some lists were evicted ({keys} left)");
    let used: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
    assert!(used < 8 << 20, "memory stays near the cap: {used}");
    let pushed = redis::cmd("RPUSH").arg("l399").arg("x").query::<i64>(&mut c);
    assert!(pushed.is_ok(), "a push evicts first: {pushed:?}");
}

#[test]
fn a_big_set_is_unlinked_and_flushed_in_the_background() {
    let server = Server::start();
    let mut c = server.conn();
    fill_set(&mut c, "big", 20_000);
    let freed_before: u64 = info_field(&mut c, "stats", "lazyfreed_objects").parse().unwrap();
    let removed: i64 = redis::cmd("UNLINK").arg("big").query(&mut c).unwrap();
    assert_eq!(removed, 1);
    eventually("the set is freed", || {
        info_field(&mut c, "stats", "lazyfreed_objects").parse::<u64>().unwrap() > freed_before
    });
    assert_eq!(info_field(&mut c, "memory", "lazyfree_pending_objects"), "0");

    fill_set(&mut c, "big", 20_000);
    cmd(&mut c, &["HSET", "h", "f", "v"]);
    cmd(&mut c, &["FLUSHALL", "ASYNC"]);
    let keys: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(keys, 0, "gone at once for every client");
    eventually("nothing pending", || info_field(&mut c, "memory", "lazyfree_pending_objects") == "0");
}

#[test]
fn eviction_removes_whole_collections_under_maxmemory() {
    // 400 sets of 1,000 members take about 10 MB: twice the cap.
    let server = Server::start_with(&["--maxmemory", "5mb", "--maxmemory-policy", "allkeys-random"]);
    let mut c = server.conn();
    for i in 0..400 {
        fill_set(&mut c, &format!("s{i}"), 1000);
    }
    let keys: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert!(keys < 400, "some sets were evicted ({keys} left)");
    let evicted: u64 = info_field(&mut c, "stats", "evicted_keys").parse().unwrap();
    assert!(evicted > 0);
    let used: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
    assert!(used < 8 << 20, "memory stays near the cap: {used}");
}

#[test]
fn an_expired_hash_is_gone() {
    let server = Server::start();
    let mut c = server.conn();
    cmd(&mut c, &["HSET", "h", "f", "v"]);
    cmd(&mut c, &["SADD", "s", "m"]);
    cmd(&mut c, &["RPUSH", "l", "e"]);
    cmd(&mut c, &["PEXPIRE", "h", "1"]);
    cmd(&mut c, &["PEXPIRE", "s", "1"]);
    cmd(&mut c, &["PEXPIRE", "l", "1"]);
    sleep(Duration::from_millis(20));
    let exists: i64 = redis::cmd("EXISTS").arg("h").arg("s").arg("l").query(&mut c).unwrap();
    assert_eq!(exists, 0);
    let popped: Option<String> = redis::cmd("LPOP").arg("l").query(&mut c).unwrap();
    assert_eq!(popped, None);
}

/// `ZRANGE key 0 -1 WITHSCORES` as its raw reply.
fn zrange_all(conn: &mut redis::Connection, key: &str) -> Vec<String> {
    redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES").query(conn).unwrap()
}

#[test]
fn sorted_sets_survive_a_restart_and_a_rewrite_and_move_like_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let args = ["--aof-path", path.to_str().unwrap(), "--appendfsync", "always"];
    let server = Server::start_with(&args);
    let mut c = server.conn();
    cmd(&mut c, &["ZADD", "small", "1.1", "a", "-inf", "lo", "+inf", "hi", "-0", "z"]);
    cmd(&mut c, &["ZINCRBY", "small", "0.1", "a"]);
    for start in (0..300).step_by(100) {
        let mut zadd = redis::cmd("ZADD");
        zadd.arg("big");
        for i in start..start + 100 {
            zadd.arg(i % 7).arg(format!("m{i}"));
        }
        let _: i64 = zadd.query(&mut c).unwrap();
    }
    cmd(&mut c, &["ZPOPMIN", "big", "3"]);
    cmd(&mut c, &["ZUNIONSTORE", "u", "2", "small", "big", "WEIGHTS", "2", "1"]);
    let before = (zrange_all(&mut c, "small"), zrange_all(&mut c, "big"), zrange_all(&mut c, "u"));
    assert_eq!(before.0[5], "1.2000000000000002", "{:?}", before.0);
    assert_eq!(before.0[3], "0", "a listpack spells -0 as 0");
    let encoding: String = redis::cmd("OBJECT").arg("ENCODING").arg("big").query(&mut c).unwrap();
    assert_eq!(encoding, "skiplist");
    let usage: i64 = redis::cmd("MEMORY").arg("USAGE").arg("big").query(&mut c).unwrap();
    assert!(usage > 297 * 16, "{usage}");
    let scanned: (String, Vec<String>) =
        redis::cmd("SCAN").arg(0).arg("TYPE").arg("zset").arg("COUNT").arg(1000).query(&mut c).unwrap();
    let mut keys = scanned.1;
    keys.sort();
    assert_eq!(keys, ["big", "small", "u"]);
    drop(c);
    let server = restart(server, &args);
    let mut c = server.conn();
    let after = (zrange_all(&mut c, "small"), zrange_all(&mut c, "big"), zrange_all(&mut c, "u"));
    assert_eq!(after, before, "replayed");

    let _: String = redis::cmd("BGREWRITEAOF").query(&mut c).unwrap();
    eventually("the rewrite ends", || info_field(&mut c, "persistence", "aof_rewrite_in_progress") == "0");
    let mut zadds = 0;
    for command in commands_in(&path) {
        if String::from_utf8_lossy(&command[0]).eq_ignore_ascii_case("ZADD") {
            zadds += 1;
            assert!(command.len() - 2 <= 128, "ZADD of {} members", (command.len() - 2) / 2);
        }
    }
    assert!(zadds >= 5, "{zadds} ZADD records");
    drop(c);
    let server = restart(server, &args);
    let mut c = server.conn();
    let rewritten = (zrange_all(&mut c, "small"), zrange_all(&mut c, "big"), zrange_all(&mut c, "u"));
    assert_eq!(rewritten, before, "replayed from the rewrite");

    cmd(&mut c, &["COPY", "big", "copy"]);
    cmd(&mut c, &["ZREM", "copy", "m10"]);
    assert_eq!(zrange_all(&mut c, "big").len(), 297 * 2, "the copy is its own");
    cmd(&mut c, &["RENAME", "copy", "renamed"]);
    cmd(&mut c, &["SWAPDB", "0", "5"]);
    cmd(&mut c, &["SELECT", "5"]);
    let kind: String = redis::cmd("TYPE").arg("renamed").query(&mut c).unwrap();
    assert_eq!(kind, "zset");
    assert_eq!(zrange_all(&mut c, "renamed").len(), 296 * 2);
}
