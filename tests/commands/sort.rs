//! SORT and SORT_RO over the wire: numeric and ALPHA sorts of lists, sets and
//! sorted sets, BY weight keys and hash fields, `BY nosort` keeping the native
//! order, GET (`#`, missing keys as nulls), LIMIT (clamped, at the i64 limits),
//! STORE (a list; an empty result deletes), the error texts, and RELIABILITY.md's
//! many-GETs case.

use crate::common::{array, bulk, err, int, Proto, Server};

fn bulks(items: &[&str]) -> String {
    array(&items.iter().map(|i| bulk(i)).collect::<Vec<_>>())
}

fn sorts_and_orders(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l 3 1 2 10 -1 1.5", int(6));
    c.expect("SORT l", bulks(&["-1", "1", "1.5", "2", "3", "10"]));
    c.expect("SORT l DESC", bulks(&["10", "3", "2", "1.5", "1", "-1"]));
    c.expect("SORT l ALPHA", bulks(&["-1", "1", "1.5", "10", "2", "3"]));
    c.expect("SORT_RO l LIMIT 1 2 DESC", bulks(&["3", "2"]));
    c.expect("SORT l BY nosort", bulks(&["3", "1", "2", "10", "-1", "1.5"]));
    c.expect("SORT l BY nosort DESC LIMIT 1 2", bulks(&["-1", "10"]));
    c.expect("SADD s 5 3 9 1", int(4));
    c.expect("SORT s DESC", bulks(&["9", "5", "3", "1"]));
    c.expect("ZADD z 1 c 2 b 3 a", int(3));
    c.expect("SORT z ALPHA", bulks(&["a", "b", "c"]));
    c.expect("SORT z BY nosort", bulks(&["c", "b", "a"]));
    c.expect("SORT z BY nosort DESC LIMIT 1 1", bulks(&["b"]));
    c.expect("SORT nokey", "*0\r\n");
    c.expect("RPUSH bad 1 x", int(2));
    c.expect("SORT bad", err("ERR One or more scores can't be converted into double"));
    c.expect("SORT bad ALPHA", bulks(&["1", "x"]));
}

fn by_and_get_patterns(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l 1 2 3", int(3));
    c.expect("MSET w_1 30 w_2 10 w_3 20", "+OK\r\n");
    c.expect("HSET h_1 f c", int(1));
    c.expect("HSET h_2 f a", int(1));
    c.expect("SORT l BY w_*", bulks(&["2", "3", "1"]));
    c.expect("SORT l BY h_*->f ALPHA DESC", bulks(&["1", "2", "3"]));
    c.expect(
        "SORT l BY w_* GET # GET w_* GET h_*->f",
        array(&[
            bulk("2"),
            bulk("10"),
            bulk("a"),
            bulk("3"),
            bulk("20"),
            p.nil().into(),
            bulk("1"),
            bulk("30"),
            bulk("c"),
        ]),
    );
    c.expect("SORT l GET const LIMIT 0 1", array(&[p.nil().into()]));
    c.expect("SORT l BY nope_* GET #", bulks(&["1", "2", "3"]));
    c.expect("SORT l BY w_* foo", err("ERR syntax error"));
    c.expect("SORT l LIMIT 1", err("ERR syntax error"));
    c.expect("SORT l LIMIT x 1", err("ERR value is not an integer or out of range"));
    c.expect("SET str v", "+OK\r\n");
    c.expect("SORT str", err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    c.expect("SORT str foo", err("ERR syntax error"));
}

fn store(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l 2 1", int(2));
    c.expect("SET dst x", "+OK\r\n");
    c.expect("EXPIRE dst 100", int(1));
    c.expect("SORT l GET # GET nope_* STORE dst", int(4));
    c.expect("LRANGE dst 0 -1", bulks(&["1", "", "2", ""]));
    c.expect("TTL dst", int(-1));
    c.expect("SORT_RO l STORE dst", err("ERR syntax error"));
    c.expect("SADD s b a c", int(3));
    c.expect("SORT s BY nosort STORE dst", int(3));
    c.expect("LRANGE dst 0 -1", bulks(&["a", "b", "c"]));
    c.expect("SORT nokey STORE dst", int(0));
    c.expect("EXISTS dst", int(0));
    c.expect("COMMAND GETKEYS SORT l STORE a GET x STORE b", bulks(&["l", "b"]));
}

/// RELIABILITY.md: LIMIT offsets and counts at the i64 limits are clamped, never
/// overflow; many GET patterns per element give a reply as long as elements × GETs.
fn limits_and_many_gets(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l 3 1 2", int(3));
    c.expect("SORT l LIMIT 9223372036854775807 9223372036854775807", "*0\r\n");
    c.expect("SORT l LIMIT -9223372036854775808 -9223372036854775808", bulks(&["1", "2", "3"]));
    c.expect("SORT l LIMIT 1 9223372036854775807", bulks(&["2", "3"]));
    c.expect("SORT l BY nosort LIMIT 2 9223372036854775807 DESC", bulks(&["3"]));
    c.expect("SORT l LIMIT 0 0", "*0\r\n");
    c.expect("SORT l LIMIT 9223372036854775808 1", err("ERR value is not an integer or out of range"));
    let elements: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let mut push = vec!["RPUSH", "big"];
    push.extend(elements.iter().map(String::as_str));
    c.expect_args(&push, int(1000));
    let mut sort = vec!["SORT", "big", "BY", "w_*"];
    for _ in 0..100 {
        sort.extend(["GET", "#"]);
    }
    sort.extend(["LIMIT", "0", "2", "STORE", "out"]);
    c.expect_args(&sort, int(200));
    sort.truncate(sort.len() - 5);
    sort.push("STORE");
    sort.push("out");
    c.expect_args(&sort, int(100_000));
    c.expect("LLEN out", int(100_000));
    c.expect("LINDEX out 99999", bulk("999"));
}

both_protocols!(sorts_and_orders, by_and_get_patterns, store, limits_and_many_gets);
