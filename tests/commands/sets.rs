//! The set family: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
//! SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF,
//! SDIFFSTORE, SSCAN — replies as redis-server 7.0.15 sends them (RESP3 sets as `~`
//! where Redis uses a set reply, arrays where it uses an array), errors word for
//! word, and the encodings (Redis 7.2's names) as the thresholds switch them.
//!
//! Members are integers where the order of a reply matters: an intset replies in
//! ascending order in both servers.

use crate::common::{array, bulk, err, info_fields, int, Proto, Server, OK};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A set reply of bulk strings: `~n` in RESP3, an array in RESP2.
fn set(p: Proto, items: &[&str]) -> String {
    let head = match p {
        Proto::Resp2 => format!("*{}\r\n", items.len()),
        Proto::Resp3 => format!("~{}\r\n", items.len()),
    };
    items.iter().fold(head, |out, item| out + &bulk(item))
}

/// An array reply of bulk strings.
fn bulks(items: &[&str]) -> String {
    array(&items.iter().map(|i| bulk(i)).collect::<Vec<_>>())
}

/// The elements of a flat reply of bulk strings (after its header), sorted.
fn sorted_members(reply: &str) -> Vec<String> {
    let mut lines = reply.split("\r\n").skip(1).filter(|l| !l.is_empty() && !l.starts_with('$'));
    let mut out: Vec<String> = lines.by_ref().map(str::to_string).collect();
    out.sort();
    out
}

fn add_remove_members(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SADD s 3 1 2 1", int(3));
    c.expect("SADD s 2 4", int(1));
    c.expect("SCARD s", int(4));
    c.expect("SMEMBERS s", set(p, &["1", "2", "3", "4"]));
    c.expect("SISMEMBER s 2", int(1));
    c.expect("SISMEMBER s 02", int(0));
    c.expect("SMISMEMBER s 1 9 4", array(&[int(1), int(0), int(1)]));
    c.expect("SMISMEMBER nx 1", array(&[int(0)]));
    c.expect("SREM s 1 9 2", int(2));
    c.expect("SMEMBERS s", set(p, &["3", "4"]));
    c.expect("SREM s 3 4", int(2));
    c.expect("EXISTS s", int(0));
    c.expect("SREM s 3", int(0));
    c.expect("SMEMBERS nx", set(p, &[]));
    c.expect("SCARD nx", int(0));
    c.expect("SISMEMBER nx a", int(0));
    c.expect("SADD s", err("ERR wrong number of arguments for 'sadd' command"));
    c.expect("SISMEMBER s", err("ERR wrong number of arguments for 'sismember' command"));
}

fn wrong_type_everywhere(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET str v", OK);
    c.expect("SADD s 1", int(1));
    for line in [
        "SADD str a",
        "SREM str a",
        "SMEMBERS str",
        "SISMEMBER str a",
        "SMISMEMBER str a",
        "SCARD str",
        "SPOP str",
        "SPOP str 1",
        "SRANDMEMBER str",
        "SRANDMEMBER str 2",
        "SMOVE str s a",
        "SMOVE s str 1",
        "SINTER s nx str",
        "SINTERCARD 2 nx str",
        "SUNION s str",
        "SDIFF nx str",
        "SINTERSTORE d nx str",
        "SUNIONSTORE d s str",
        "SDIFFSTORE d s str",
        "SSCAN str 0",
    ] {
        c.expect(line, WRONGTYPE);
    }
    // A missing source answers 0 before the destination's type is looked at.
    c.expect("SMOVE nx str a", int(0));
    c.expect("GET str", bulk("v"));
    c.expect("SUNIONSTORE str s", int(1));
    c.expect("TYPE str", "+set\r\n");
}

fn spop_and_srandmember(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SPOP nx", p.nil());
    c.expect("SPOP nx 3", set(p, &[]));
    c.expect("SRANDMEMBER nx", p.nil());
    c.expect("SRANDMEMBER nx 3", array(&[]));
    c.expect("SRANDMEMBER nx -3", array(&[]));
    c.expect("SADD s 1 2 3", int(3));
    c.expect("SPOP s 0", set(p, &[]));
    c.expect("SRANDMEMBER s 0", array(&[]));
    c.expect("SRANDMEMBER s 5", bulks(&["1", "2", "3"]));
    let out_of_range = err("ERR value is out of range, must be positive");
    c.expect("SPOP s -1", &out_of_range);
    c.expect("SPOP s x", &out_of_range);
    c.expect("SPOP s 1 2", err("ERR syntax error"));
    c.expect("SRANDMEMBER s x", err("ERR value is not an integer or out of range"));
    c.expect("SRANDMEMBER s 1 2", err("ERR syntax error"));
    c.expect(
        "SRANDMEMBER s -9223372036854775808",
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
    );
    // Repeats: exactly as many as asked, each a member.
    let picks = c.cmd("SRANDMEMBER s -20");
    assert!(picks.starts_with("*20\r\n"), "{picks}");
    assert!(sorted_members(&picks).iter().all(|m| ["1", "2", "3"].contains(&m.as_str())));
    // Distinct: as many as asked, no repeats.
    let two = sorted_members(&c.cmd("SRANDMEMBER s 2"));
    assert!(two.len() == 2 && two[0] != two[1]);
    let one = c.cmd("SPOP s");
    let popped = one.lines().nth(1).unwrap().to_string();
    c.expect(&format!("SISMEMBER s {popped}"), int(0));
    c.expect("SCARD s", int(2));
    let rest = sorted_members(&c.cmd("SPOP s 2"));
    assert_eq!(rest.len(), 2);
    c.expect("EXISTS s", int(0));
}

fn a_huge_negative_srandmember_is_cut_off_at_the_output_limit(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SADD s a", int(1));
    c.expect_args(&["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"], OK);
    c.send(&crate::common::encode(&[b"SRANDMEMBER", b"s", b"-9223372036854775807"]));
    // Picks are written until the hard limit, then the connection closes (the
    // half-built reply dropped, or cut short had it been flushed), as Redis closes
    // such a client; memory stays bounded.
    let received = c.read_until_closed();
    assert!(received.is_empty() || received.starts_with(b"*9223372036854775807\r\n"));
    assert!(received.len() < 4 << 20, "bounded: {} bytes", received.len());
    s.raw_proto(p).expect("SCARD s", int(1));
}

fn smove(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SADD a 1 2", int(2));
    c.expect("SMOVE a b 1", int(1));
    c.expect("SMEMBERS a", set(p, &["2"]));
    c.expect("SMEMBERS b", set(p, &["1"]));
    c.expect("SMOVE a b 9", int(0));
    c.expect("SMOVE a a 2", int(1));
    c.expect("SMOVE a a 9", int(0));
    c.expect("SADD b 2", int(1));
    c.expect("SMOVE a b 2", int(1));
    c.expect("EXISTS a", int(0));
    c.expect("SMEMBERS b", set(p, &["1", "2"]));
    c.expect("SMOVE nx b 1", int(0));
}

fn algebra(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SADD a 1 2 3 4", int(4));
    c.expect("SADD b 3 4 5", int(3));
    c.expect("SADD c 4 5 6", int(3));
    c.expect("SINTER a b", set(p, &["3", "4"]));
    c.expect("SINTER a b c", set(p, &["4"]));
    c.expect("SINTER a nx", set(p, &[]));
    c.expect("SINTER a a", set(p, &["1", "2", "3", "4"]));
    c.expect("SUNION a c nx", set(p, &["1", "2", "3", "4", "5", "6"]));
    c.expect("SDIFF a b", set(p, &["1", "2"]));
    c.expect("SDIFF a b c", set(p, &["1", "2"]));
    c.expect("SDIFF a a", set(p, &[]));
    c.expect("SDIFF nx a", set(p, &[]));
    c.expect("SDIFF a nx", set(p, &["1", "2", "3", "4"]));
    c.expect("SINTERCARD 2 a b", int(2));
    c.expect("SINTERCARD 2 a b LIMIT 1", int(1));
    c.expect("SINTERCARD 2 a b limit 0", int(2));
    c.expect("SINTERCARD 2 a nx", int(0));
    c.expect("SINTERCARD 0 a", err("ERR numkeys should be greater than 0"));
    c.expect("SINTERCARD x a", err("ERR numkeys should be greater than 0"));
    c.expect("SINTERCARD 3 a b", err("ERR Number of keys can't be greater than number of args"));
    c.expect("SINTERCARD 1 a LIMIT -1", err("ERR LIMIT can't be negative"));
    c.expect("SINTERCARD 1 a LIMIT x", err("ERR LIMIT can't be negative"));
    c.expect("SINTERCARD 1 a LIMIT", err("ERR syntax error"));
    c.expect("SINTERCARD 1 a FOO 1", err("ERR syntax error"));
    c.expect("SINTERSTORE d a b", int(2));
    c.expect("SMEMBERS d", set(p, &["3", "4"]));
    c.expect("SUNIONSTORE d a c", int(6));
    c.expect("SCARD d", int(6));
    c.expect("SDIFFSTORE d a b c", int(2));
    c.expect("SMEMBERS d", set(p, &["1", "2"]));
    // The destination may be a source, and an empty result deletes it.
    c.expect("SINTERSTORE a a b", int(2));
    c.expect("SMEMBERS a", set(p, &["3", "4"]));
    c.expect("SET d v EX 100", OK);
    c.expect("SUNIONSTORE d a", int(2));
    c.expect("TTL d", int(-1));
    c.expect("SINTERSTORE d a nx", int(0));
    c.expect("EXISTS d", int(0));
    c.expect("SADD d x", int(1));
    c.expect("SDIFFSTORE d a a", int(0));
    c.expect("EXISTS d", int(0));
}

fn sscan(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SSCAN nx 0", array(&[bulk("0"), array(&[])]));
    c.expect("SSCAN nx 0 FOO", array(&[bulk("0"), array(&[])]));
    c.expect("SSCAN nx x", err("ERR invalid cursor"));
    c.expect("SADD s 1 2 3 10", int(4));
    c.expect("SSCAN s 0", array(&[bulk("0"), bulks(&["1", "2", "3", "10"])]));
    c.expect("SSCAN s 5 COUNT 1", array(&[bulk("0"), bulks(&["1", "2", "3", "10"])]));
    c.expect("SSCAN s 0 MATCH 1*", array(&[bulk("0"), bulks(&["1", "10"])]));
    c.expect("SSCAN s -1", array(&[bulk("0"), bulks(&["1", "2", "3", "10"])]));
    c.expect("SSCAN s 18446744073709551616", err("ERR invalid cursor"));
    for line in ["SSCAN s 0 FOO", "SSCAN s 0 COUNT 0", "SSCAN s 0 TYPE set", "SSCAN s 0 MATCH"] {
        c.expect(line, err("ERR syntax error"));
    }
    c.expect("SSCAN s 0 COUNT x", err("ERR value is not an integer or out of range"));
    // A table: cursors until 0, every member seen.
    let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD", "big"];
    sadd.extend(members.iter().map(String::as_str));
    c.expect_args(&sadd, int(300));
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let reply = c.cmd(&format!("SSCAN big {cursor} COUNT 20"));
        let lines: Vec<&str> = reply.split("\r\n").collect();
        cursor = lines[2].to_string();
        seen.extend(lines[4..].iter().filter(|l| l.starts_with('m')).map(|l| l.to_string()));
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 1, "a table scans in steps");
    assert_eq!(seen.len(), 300);
}

fn encodings(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SADD s 1 2 3", int(3));
    c.expect("OBJECT ENCODING s", bulk("intset"));
    c.expect("SADD s a", int(1));
    c.expect("OBJECT ENCODING s", bulk("listpack"));
    c.expect("SADD t a", int(1));
    c.expect("OBJECT ENCODING t", bulk("listpack"));
    let long = "x".repeat(65);
    c.expect(&format!("SADD t {long}"), int(1));
    c.expect("OBJECT ENCODING t", bulk("hashtable"));
    c.expect("CONFIG SET set-max-intset-entries 2", OK);
    c.expect("SADD i 1 2", int(2));
    c.expect("OBJECT ENCODING i", bulk("intset"));
    c.expect("SADD i 3", int(1));
    c.expect("OBJECT ENCODING i", bulk("hashtable"));
    c.expect("CONFIG SET set-max-listpack-entries 3", OK);
    c.expect("SADD l a b c d", int(4));
    c.expect("OBJECT ENCODING l", bulk("hashtable"));
    c.expect("SADD k a b c", int(3));
    c.expect("OBJECT ENCODING k", bulk("listpack"));
    c.expect("SREM k a b c", int(3));
    c.expect("EXISTS k", int(0));
}

fn inside_multi(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("MULTI", OK);
    c.expect("SADD s 1 2", "+QUEUED\r\n");
    c.expect("SMOVE s d 1", "+QUEUED\r\n");
    c.expect("SUNIONSTORE u s d", "+QUEUED\r\n");
    c.expect("SMEMBERS u", "+QUEUED\r\n");
    c.expect("EXEC", format!("*4\r\n{}{}{}{}", int(2), int(1), int(2), set(p, &["1", "2"])));
}

both_protocols!(
    add_remove_members,
    wrong_type_everywhere,
    spop_and_srandmember,
    a_huge_negative_srandmember_is_cut_off_at_the_output_limit,
    smove,
    algebra,
    sscan,
    encodings,
    inside_multi
);

/// Reads of sets count as keyspace hits and misses, as Redis's `lookupKeyRead`
/// counts them (every key of a multi-key read, the sources of a store); writes do
/// not.
#[test]
fn set_reads_count_keyspace_hits_and_misses() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SADD s 1", int(1));
    c.expect("SCARD s", int(1));
    c.expect("SCARD nx", int(0));
    c.expect("SINTER s nx", "*0\r\n");
    c.expect("SINTERSTORE d s nx", int(0));
    c.expect("SPOP nx", "$-1\r\n");
    let info = c.cmd("INFO stats");
    let fields = info_fields(&info);
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(field("keyspace_hits").as_deref(), Some("3"));
    assert_eq!(field("keyspace_misses").as_deref(), Some("3"));
}
