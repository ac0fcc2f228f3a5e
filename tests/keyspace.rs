//! Keyspace commands over the wire: `KEYS` with Redis's glob semantics (and a
//! pattern that would backtrack exponentially in a naive matcher), `SCAN`'s guarantee
//! while the tables grow, `RENAME`, `RENAMENX`, `COPY`, `TOUCH`, `RANDOMKEY`.

mod common;

use std::collections::HashSet;

use common::{err, int, Server, OK};
use redis::Commands;

#[test]
fn keys_follow_redis_glob_semantics() {
    let s = Server::start();
    let mut c = s.conn();
    let _: () = redis::cmd("MSET")
        .arg(&[
            "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1", "a*b", "1", "a?b", "1",
        ])
        .query(&mut c)
        .unwrap();
    let keys = |c: &mut redis::Connection, p: &str| -> Vec<String> {
        let mut k: Vec<String> = c.keys(p).unwrap();
        k.sort();
        k
    };
    assert_eq!(keys(&mut c, "h?llo"), ["hallo", "hello", "hxllo"]);
    assert_eq!(keys(&mut c, "h*llo"), ["hallo", "heeeello", "hello", "hllo", "hxllo"]);
    assert_eq!(keys(&mut c, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(keys(&mut c, "h[^e]llo"), ["hallo", "hxllo"]);
    assert_eq!(keys(&mut c, "h[a-b]llo"), ["hallo"]);
    assert_eq!(keys(&mut c, "a\\*b"), ["a*b"]);
    assert_eq!(keys(&mut c, "*").len(), 7);
}

#[test]
fn a_pathological_pattern_finishes() {
    let s = Server::start();
    let mut c = s.conn();
    let key = "a".repeat(50_000);
    let _: () = c.set(&key, "1").unwrap();
    let pattern = "*?".repeat(50_000);
    let found: Vec<String> = c.keys(&pattern).unwrap();
    assert_eq!(found.len(), 1);
    let none: Vec<String> = c.keys(format!("{}b", "a*".repeat(1000))).unwrap();
    assert!(none.is_empty());
}

#[test]
fn scan_returns_every_key_present_throughout_while_tables_grow() {
    let s = Server::start();
    let mut c = s.conn();
    let mut pipe = redis::pipe();
    for i in 0..5_000 {
        pipe.set(format!("stable:{i}"), i).ignore();
        pipe.set(format!("doomed:{i}"), i).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let mut writer = s.conn();
    let mut seen = HashSet::new();
    let mut cursor: u64 = 0;
    let mut round = 0;
    loop {
        let (next, batch): (u64, Vec<String>) =
            redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(100).query(&mut c).unwrap();
        seen.extend(batch);
        // Between calls: grow the tables a lot and delete other keys.
        let mut pipe = redis::pipe();
        for i in 0..2_000 {
            pipe.set(format!("new:{round}:{i}"), i).ignore();
        }
        pipe.del(format!("doomed:{round}")).ignore();
        let _: () = pipe.query(&mut writer).unwrap();
        round += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
        assert!(round < 10_000, "SCAN never finished");
    }
    for i in 0..5_000 {
        assert!(seen.contains(&format!("stable:{i}")), "stable:{i} was never returned");
    }
}

#[test]
fn scan_match_count_and_type() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("MSET user:1 a user:2 b other c", OK);
    let mut r = s.conn();
    let mut all: Vec<String> = r.scan_match("user:*").unwrap().collect();
    all.sort();
    assert_eq!(all, ["user:1", "user:2"]);
    let typed: Vec<String> = redis::cmd("SCAN")
        .arg(0)
        .arg("COUNT")
        .arg(1000)
        .arg("TYPE")
        .arg("hash")
        .query::<(u64, Vec<String>)>(&mut r)
        .unwrap()
        .1;
    assert!(typed.is_empty());
    c.expect("SCAN 0 COUNT 0", err("ERR syntax error"));
    c.expect("SCAN x", err("ERR invalid cursor"));
    c.expect("SCAN 0 FOO bar", err("ERR syntax error"));
}

#[test]
fn rename_copy_touch_randomkey() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("RANDOMKEY", "$-1\r\n");
    c.expect("SET a 1", OK);
    c.expect("PEXPIRE a 100000", int(1));
    c.expect("RENAME a b", OK);
    c.expect("EXISTS a", int(0));
    assert!(c.int("PTTL b") > 90_000, "the TTL moves with RENAME");
    c.expect("RENAME nope x", err("ERR no such key"));
    c.expect("SET c 3", OK);
    c.expect("RENAMENX b c", int(0));
    c.expect("RENAMENX b d", int(1));
    c.expect("RENAME d d", OK);
    c.expect("COPY d e", int(1));
    c.expect("COPY d e", int(0));
    c.expect("SET d changed", OK);
    c.expect("COPY d e REPLACE", int(1));
    c.expect("GET e", "$7\r\nchanged\r\n");
    c.expect("COPY d e DB 3", int(1));
    c.expect("SELECT 3", OK);
    c.expect("GET e", "$7\r\nchanged\r\n");
    c.expect("SELECT 0", OK);
    c.expect("COPY d d", err("ERR source and destination objects are the same"));
    c.expect("COPY d x DB 99", err("ERR DB index is out of range"));
    c.expect("COPY d x FOO", err("ERR syntax error"));
    c.expect("TOUCH c d nope", int(2));
    let key = c.cmd("RANDOMKEY");
    assert!(["$1\r\nc\r\n", "$1\r\nd\r\n", "$1\r\ne\r\n"].contains(&key.as_str()), "{key:?}");
}
