//! The list family: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX,
//! LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP — replies as
//! redis-server 7.0.15 sends them (null arrays `*-1` / `_`), errors word for word,
//! the bounds of RELIABILITY.md (indexes and counts at the i64 limits, LREM on a
//! long list, LPOS MAXLEN 0) and the encodings (Redis 7.2's names) as the node limit
//! switches them.

use crate::common::{array, bulk, err, info_fields, int, Proto, Server, OK};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const MAX: i64 = i64::MAX;
const MIN: i64 = i64::MIN;

/// An array reply of bulk strings.
fn bulks(items: &[&str]) -> String {
    array(&items.iter().map(|i| bulk(i)).collect::<Vec<_>>())
}

/// A null where an array was expected.
fn null_array(p: Proto) -> &'static str {
    match p {
        Proto::Resp2 => "*-1\r\n",
        Proto::Resp3 => "_\r\n",
    }
}

fn push_and_pop(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("LPUSH l b a", int(2));
    c.expect("RPUSH l c d e", int(5));
    c.expect("LRANGE l 0 -1", bulks(&["a", "b", "c", "d", "e"]));
    c.expect("LPUSHX l z", int(6));
    c.expect("RPUSHX l y", int(7));
    c.expect("LPUSHX nx z", int(0));
    c.expect("RPUSHX nx z", int(0));
    c.expect("EXISTS nx", int(0));
    c.expect("LLEN l", int(7));
    c.expect("LLEN nx", int(0));
    c.expect("LPOP l", bulk("z"));
    c.expect("RPOP l", bulk("y"));
    c.expect("LPOP l 2", bulks(&["a", "b"]));
    c.expect("RPOP l 2", bulks(&["e", "d"]));
    c.expect("LPOP l 0", "*0\r\n");
    c.expect("RPOP l 100", bulks(&["c"]));
    c.expect("EXISTS l", int(0));
    c.expect("LPOP l", p.nil());
    c.expect("LPOP l 1", null_array(p));
    c.expect("RPOP l 0", null_array(p));
    c.expect(&format!("LPOP l {MAX}"), null_array(p));
    c.expect("LPOP l -1", err("ERR value is out of range, must be positive"));
    c.expect("LPOP l x", err("ERR value is out of range, must be positive"));
    c.expect("LPOP l 1 2", err("ERR wrong number of arguments for 'lpop' command"));
    c.expect("RPOP l 1 2", err("ERR wrong number of arguments for 'rpop' command"));
    c.expect("LPUSH l", err("ERR wrong number of arguments for 'lpush' command"));
    c.expect("RPUSH l a", int(1));
    c.expect(&format!("RPOP l {MAX}"), bulks(&["a"]));
}

fn wrong_type_everywhere(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET str v", OK);
    c.expect("RPUSH l a", int(1));
    for line in [
        "LPUSH str a",
        "RPUSH str a",
        "LPUSHX str a",
        "RPUSHX str a",
        "LPOP str",
        "RPOP str 2",
        "LLEN str",
        "LRANGE str 0 -1",
        "LINDEX str 0",
        "LSET str 0 a",
        "LINSERT str BEFORE a b",
        "LREM str 0 a",
        "LTRIM str 0 1",
        "LPOS str a",
        "LMOVE str l LEFT LEFT",
        "LMOVE l str LEFT LEFT",
        "RPOPLPUSH str l",
        "RPOPLPUSH l str",
        "LMPOP 2 nx str LEFT",
    ] {
        c.expect(line, WRONGTYPE);
    }
    // Nothing moved when the destination was wrong; a list first wins in LMPOP.
    c.expect("LRANGE l 0 -1", bulks(&["a"]));
    c.expect("LMPOP 2 l str LEFT", array(&[bulk("l"), bulks(&["a"])]));
    c.expect("LMOVE nx str LEFT LEFT", p.nil());
}

fn ranges_and_indexes_at_the_limits(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l a b c d", int(4));
    c.expect(&format!("LRANGE l {MIN} {MAX}"), bulks(&["a", "b", "c", "d"]));
    c.expect(&format!("LRANGE l {MAX} {MIN}"), "*0\r\n");
    c.expect(&format!("LRANGE l {MIN} {MIN}"), "*0\r\n");
    c.expect(&format!("LRANGE l -2 {MAX}"), bulks(&["c", "d"]));
    c.expect("LRANGE l 2 1", "*0\r\n");
    c.expect("LRANGE l 4 10", "*0\r\n");
    c.expect("LRANGE l -100 0", bulks(&["a"]));
    c.expect("LRANGE nx 0 -1", "*0\r\n");
    c.expect("LRANGE l x 1", err("ERR value is not an integer or out of range"));
    c.expect("LRANGE l 0 99999999999999999999", err("ERR value is not an integer or out of range"));
    c.expect("LINDEX l 0", bulk("a"));
    c.expect("LINDEX l -1", bulk("d"));
    c.expect("LINDEX l -4", bulk("a"));
    c.expect("LINDEX l -5", p.nil());
    c.expect("LINDEX l 4", p.nil());
    c.expect(&format!("LINDEX l {MIN}"), p.nil());
    c.expect(&format!("LINDEX l {MAX}"), p.nil());
    c.expect("LINDEX l x", err("ERR value is not an integer or out of range"));
    // A missing key answers before the index is read, as in Redis.
    c.expect("LINDEX nx x", p.nil());
    c.expect(&format!("LTRIM l {MIN} {MAX}"), OK);
    c.expect("LLEN l", int(4));
    c.expect(&format!("LTRIM l 1 {MAX}"), OK);
    c.expect("LRANGE l 0 -1", bulks(&["b", "c", "d"]));
    c.expect(&format!("LTRIM l {MAX} 0"), OK);
    c.expect("EXISTS l", int(0));
    c.expect("LTRIM nx 0 1", OK);
    c.expect("LTRIM nx x 1", err("ERR value is not an integer or out of range"));
}

fn lset_and_linsert(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l a b c", int(3));
    c.expect("LSET l 0 A", OK);
    c.expect("LSET l -1 C", OK);
    c.expect("LSET l 3 x", err("ERR index out of range"));
    c.expect(&format!("LSET l {MIN} x"), err("ERR index out of range"));
    c.expect("LSET l x x", err("ERR value is not an integer or out of range"));
    c.expect("LSET nx 0 x", err("ERR no such key"));
    c.expect("LSET nx x x", err("ERR no such key"));
    c.expect("LINSERT l BEFORE b x", int(4));
    c.expect("LINSERT l after C y", int(5));
    c.expect("LINSERT l AFTER zz y", int(-1));
    c.expect("LINSERT nx AFTER a y", int(0));
    c.expect("LINSERT l MIDDLE a y", err("ERR syntax error"));
    c.expect("LINSERT nx MIDDLE a y", err("ERR syntax error"));
    c.expect("LRANGE l 0 -1", bulks(&["A", "x", "b", "C", "y"]));
}

fn lrem_and_a_long_list(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l a b a c a", int(5));
    c.expect("LREM l 1 a", int(1));
    c.expect("LREM l -1 a", int(1));
    c.expect("LRANGE l 0 -1", bulks(&["b", "a", "c"]));
    c.expect("LREM l 0 zz", int(0));
    c.expect("LREM l x a", err("ERR value is not an integer or out of range"));
    c.expect(&format!("LREM l {MIN} a"), int(1));
    c.expect(&format!("LREM l {MAX} b"), int(1));
    c.expect("LREM l 0 c", int(1));
    c.expect("EXISTS l", int(0));
    c.expect("LREM nx 0 a", int(0));
    // 100,000 elements over many nodes: every other one goes, in one pass each.
    for chunk in 0..100 {
        let mut args = vec!["RPUSH".to_string(), "long".to_string()];
        for i in 0..1000 {
            args.push(if i % 2 == 0 { "x".into() } else { format!("v{}", chunk * 1000 + i) });
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        c.cmd_args(&args);
    }
    c.expect("LLEN long", int(100_000));
    c.expect("OBJECT ENCODING long", bulk("quicklist"));
    c.expect("LREM long 0 x", int(50_000));
    c.expect("LLEN long", int(50_000));
    c.expect("LINDEX long 0", bulk("v1"));
    c.expect("LINDEX long -1", bulk("v99999"));
    c.expect("LINDEX long 25000", bulk("v50001"));
    c.expect("LRANGE long 24999 25000", bulks(&["v49999", "v50001"]));
    c.expect("LPOS long v99999", int(49_999));
    c.expect("LPOS long v1 RANK -1", int(0));
    c.expect("LREM long -2 v99999", int(1));
    c.expect("LTRIM long 10 19", OK);
    c.expect("LRANGE long 0 1", bulks(&["v21", "v23"]));
    c.expect("LLEN long", int(10));
}

fn lpos(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l a b c a d a", int(6));
    c.expect("LPOS l a", int(0));
    c.expect("LPOS l a RANK 2", int(3));
    c.expect("LPOS l a RANK -1", int(5));
    c.expect("LPOS l a RANK -3", int(0));
    c.expect("LPOS l a RANK 4", p.nil());
    c.expect("LPOS l a COUNT 0", array(&[int(0), int(3), int(5)]));
    c.expect("LPOS l a COUNT 2 RANK -1", array(&[int(5), int(3)]));
    c.expect("LPOS l a MAXLEN 3", int(0));
    c.expect("LPOS l a MAXLEN 3 RANK 2", p.nil());
    c.expect("LPOS l a MAXLEN 0 COUNT 0", array(&[int(0), int(3), int(5)]));
    c.expect("LPOS l zz COUNT 1", "*0\r\n");
    c.expect("LPOS nx a", p.nil());
    c.expect("LPOS nx a COUNT 1", "*0\r\n");
    c.expect(&format!("LPOS l a RANK {MAX}"), p.nil());
    c.expect(&format!("LPOS l a COUNT {MAX} MAXLEN {MAX} RANK 1"), array(&[int(0), int(3), int(5)]));
    // Redis negates the rank in C: i64::MIN stays negative, every match counts.
    c.expect(&format!("LPOS l a RANK {MIN}"), int(5));
    c.expect(&format!("LPOS l a RANK {MIN} COUNT 1"), array(&[int(5), int(3), int(0)]));
    c.expect(
        "LPOS l a RANK 0",
        err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"),
    );
    c.expect("LPOS l a RANK x", err("ERR value is not an integer or out of range"));
    c.expect("LPOS l a COUNT -1", err("ERR COUNT can't be negative"));
    c.expect("LPOS l a COUNT x", err("ERR COUNT can't be negative"));
    c.expect("LPOS l a MAXLEN -1", err("ERR MAXLEN can't be negative"));
    c.expect("LPOS l a RANK", err("ERR syntax error"));
    c.expect("LPOS l a FOO 1", err("ERR syntax error"));
    c.expect("LPOS nx a RANK 0", err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"));
}

fn moves(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH s 1 2 3", int(3));
    c.expect("LMOVE s d LEFT RIGHT", bulk("1"));
    c.expect("LMOVE s d right left", bulk("3"));
    c.expect("LRANGE d 0 -1", bulks(&["3", "1"]));
    c.expect("RPOPLPUSH d d", bulk("1"));
    c.expect("LRANGE d 0 -1", bulks(&["1", "3"]));
    c.expect("LMOVE d d LEFT LEFT", bulk("1"));
    c.expect("RPOPLPUSH s d", bulk("2"));
    c.expect("EXISTS s", int(0));
    c.expect("LRANGE d 0 -1", bulks(&["2", "1", "3"]));
    c.expect("LMOVE s d LEFT LEFT", p.nil());
    c.expect("RPOPLPUSH s d", p.nil());
    c.expect("LMOVE d s UP LEFT", err("ERR syntax error"));
    c.expect("LMOVE d s LEFT", err("ERR wrong number of arguments for 'lmove' command"));
    c.expect("RPOPLPUSH d", err("ERR wrong number of arguments for 'rpoplpush' command"));
}

fn lmpop(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH b 1 2 3", int(3));
    c.expect("LMPOP 2 a b LEFT", array(&[bulk("b"), bulks(&["1"])]));
    c.expect("LMPOP 2 a b right COUNT 5", array(&[bulk("b"), bulks(&["3", "2"])]));
    c.expect("LMPOP 2 a b LEFT", null_array(p));
    c.expect("LMPOP 0 a LEFT", err("ERR numkeys should be greater than 0"));
    c.expect("LMPOP x a LEFT", err("ERR numkeys should be greater than 0"));
    c.expect(&format!("LMPOP {MAX} a LEFT"), err("ERR syntax error"));
    c.expect("LMPOP 2 a b", err("ERR syntax error"));
    c.expect("LMPOP 1 a MIDDLE", err("ERR syntax error"));
    c.expect("LMPOP 1 a LEFT COUNT 0", err("ERR count should be greater than 0"));
    c.expect("LMPOP 1 a LEFT COUNT x", err("ERR count should be greater than 0"));
    c.expect("LMPOP 1 a LEFT COUNT 1 COUNT 1", err("ERR syntax error"));
    c.expect("LMPOP 1 a LEFT COUNT", err("ERR syntax error"));
    c.expect("RPUSH a x", int(1));
    c.expect(&format!("LMPOP 1 a LEFT COUNT {MAX}"), array(&[bulk("a"), bulks(&["x"])]));
}

fn encodings(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("RPUSH l a b c", int(3));
    c.expect("OBJECT ENCODING l", bulk("listpack"));
    c.expect("TYPE l", "+list\r\n");
    c.expect("CONFIG SET list-max-ziplist-size 4", OK);
    c.expect("CONFIG GET list-max-listpack-size", p.map(1) + &bulk("list-max-listpack-size") + &bulk("4"));
    c.expect("RPUSH l d", int(4));
    c.expect("OBJECT ENCODING l", bulk("listpack"));
    c.expect("RPUSH l e", int(5));
    c.expect("OBJECT ENCODING l", bulk("quicklist"));
    // Back to a listpack at half a node, in one node (7.2).
    c.expect("RPOP l 3", bulks(&["e", "d", "c"]));
    c.expect("OBJECT ENCODING l", bulk("listpack"));
    c.expect("CONFIG SET list-max-listpack-size -2", OK);
    let big = "x".repeat(5000);
    c.expect_args(&["RPUSH", "big", &big], int(1));
    c.expect("OBJECT ENCODING big", bulk("listpack"));
    c.expect_args(&["RPUSH", "big", &big], int(2));
    c.expect("OBJECT ENCODING big", bulk("quicklist"));
    c.expect("CONFIG SET list-compress-depth 2", OK);
    c.expect("CONFIG GET list-compress-depth", p.map(1) + &bulk("list-compress-depth") + &bulk("2"));
    let usage = c.int("MEMORY USAGE big");
    assert!(usage > 10_000, "MEMORY USAGE of 10 KB in a list: {usage}");
    c.expect("SET str v", OK);
    let scan = c.cmd("SCAN 0 TYPE list COUNT 1000");
    assert!(scan.contains("\r\nl\r\n") && scan.contains("\r\nbig\r\n") && !scan.contains("str"), "{scan}");
}

fn inside_multi(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("MULTI", OK);
    c.expect("RPUSH l 1 2", "+QUEUED\r\n");
    c.expect("LMOVE l d LEFT LEFT", "+QUEUED\r\n");
    c.expect("LPOP l 5", "+QUEUED\r\n");
    c.expect("LRANGE d 0 -1", "+QUEUED\r\n");
    c.expect("EXEC", format!("*4\r\n{}{}{}{}", int(2), bulk("1"), bulks(&["2"]), bulks(&["1"])));
    c.expect("EXISTS l", int(0));
}

both_protocols!(
    push_and_pop,
    wrong_type_everywhere,
    ranges_and_indexes_at_the_limits,
    lset_and_linsert,
    lrem_and_a_long_list,
    lpos,
    moves,
    lmpop,
    encodings,
    inside_multi
);

/// List reads count as keyspace hits and misses (`LLEN`, `LRANGE`, `LINDEX`,
/// `LPOS`), as Redis's `lookupKeyRead` counts them; writes do not.
#[test]
fn list_reads_count_keyspace_hits_and_misses() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("RPUSH l 1", int(1));
    c.expect("LLEN l", int(1));
    c.expect("LRANGE nx 0 1", "*0\r\n");
    c.expect("LINDEX l 0", bulk("1"));
    c.expect("LPOS nx 1", "$-1\r\n");
    c.expect("LPOP nx", "$-1\r\n");
    let info = c.cmd("INFO stats");
    let fields = info_fields(&info);
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(field("keyspace_hits").as_deref(), Some("2"));
    assert_eq!(field("keyspace_misses").as_deref(), Some("2"));
}
