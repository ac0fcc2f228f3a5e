//! The hash family over the wire: HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS,
//! HVALS, HLEN, HSTRLEN, HEXISTS, HDEL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN —
//! replies and error texts as redis-server 7.0.15 sends them, WRONGTYPE, the hash
//! going away with its last field, `OBJECT ENCODING` at the thresholds, MULTI/EXEC,
//! and the AOF: replay and rewrite give the same hashes back.

use crate::common::{array, bulk, err, int, Proto, Server, OK};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

fn set_get_and_friends(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("HSET h a 1 b 2", int(2));
    c.expect("HSET h a 10 c 3", int(1));
    c.expect("HGET h a", bulk("10"));
    c.expect("HGET h nosuch", p.nil());
    c.expect("HGET nosuch a", p.nil());
    c.expect("HMGET h a nosuch c", array(&[bulk("10"), p.nil().into(), bulk("3")]));
    c.expect("HMGET nosuch a b", array(&[p.nil().into(), p.nil().into()]));
    c.expect("HLEN h", int(3));
    c.expect("HLEN nosuch", int(0));
    c.expect("HSTRLEN h a", int(2));
    c.expect("HSTRLEN h nosuch", int(0));
    c.expect("HEXISTS h b", int(1));
    c.expect("HEXISTS h nosuch", int(0));
    c.expect("HSETNX h a 99", int(0));
    c.expect("HSETNX h d 4", int(1));
    c.expect("HMSET h e 5 f 6", OK);
    // A small hash lists its pairs in insertion order, as Redis's listpack does.
    let fields = ["a", "b", "c", "d", "e", "f"];
    let values = ["10", "2", "3", "4", "5", "6"];
    let mut pairs = p.map(6);
    for (field, value) in fields.iter().zip(values) {
        pairs += &bulk(field);
        pairs += &bulk(value);
    }
    c.expect("HGETALL h", pairs);
    c.expect("HKEYS h", array(&fields.map(bulk)));
    c.expect("HVALS h", array(&values.map(bulk)));
    c.expect("HGETALL nosuch", p.map(0));
    c.expect("HKEYS nosuch", "*0\r\n");
    c.expect("HVALS nosuch", "*0\r\n");
    // Binary-safe fields and values, the empty ones included.
    c.expect_args(&["HSET", "bin", "", "\r\n\0"], int(1));
    c.expect_args(&["HGET", "bin", ""], bulk("\r\n\0"));
}

fn arity_and_wrongtype(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    for (line, name) in [
        ("HSET h", "hset"),
        ("HSET h f", "hset"),
        ("HSET h f v g", "hset"),
        ("HMSET h f v g", "hmset"),
        ("HSETNX h f", "hsetnx"),
        ("HGET h", "hget"),
        ("HMGET h", "hmget"),
        ("HGETALL", "hgetall"),
        ("HDEL h", "hdel"),
        ("HINCRBY h f", "hincrby"),
        ("HINCRBYFLOAT h f 1 2", "hincrbyfloat"),
        ("HRANDFIELD", "hrandfield"),
        ("HSCAN h", "hscan"),
        ("HSTRLEN h", "hstrlen"),
    ] {
        c.expect(line, err(&format!("ERR wrong number of arguments for '{name}' command")));
    }
    c.expect("EXISTS h", int(0));
    c.expect("SET s v", OK);
    for line in [
        "HSET s f v",
        "HSETNX s f v",
        "HMSET s f v",
        "HGET s f",
        "HMGET s f",
        "HGETALL s",
        "HKEYS s",
        "HVALS s",
        "HLEN s",
        "HSTRLEN s f",
        "HEXISTS s f",
        "HDEL s f",
        "HINCRBY s f 1",
        "HINCRBYFLOAT s f 1",
        "HRANDFIELD s",
        "HRANDFIELD s 2",
        "HSCAN s 0",
    ] {
        c.expect(line, WRONGTYPE);
    }
    c.expect("GET s", bulk("v"));
    c.expect("HSET h f v", int(1));
    c.expect("GET h", WRONGTYPE);
    c.expect("TYPE h", "+hash\r\n");
}

fn hdel_removes_fields_and_the_emptied_key(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("HSET h a 1 b 2 c 3", int(3));
    c.expect("HDEL h a a nosuch", int(1));
    c.expect("HDEL h nosuch", int(0));
    c.expect("HDEL nosuch a", int(0));
    c.expect("HDEL h b c", int(2));
    c.expect("EXISTS h", int(0));
    c.expect("TYPE h", "+none\r\n");
}

fn counters(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("HINCRBY h n 5", int(5));
    c.expect("HINCRBY h n -7", int(-2));
    c.expect("HINCRBY h n x", NOT_INT);
    c.expect("HINCRBY h n 1.5", NOT_INT);
    c.expect("HSET h big 9223372036854775807 text abc f 1.5", int(3));
    c.expect_args(&["HSET", "h", "sp", " 1"], int(1));
    c.expect("HINCRBY h big 1", err("ERR increment or decrement would overflow"));
    c.expect("HINCRBY h big -1", int(9223372036854775806));
    c.expect("HINCRBY h text 1", err("ERR hash value is not an integer"));
    c.expect("HINCRBY h f 1", err("ERR hash value is not an integer"));
    c.expect("HINCRBYFLOAT h f 0.1", bulk("1.6"));
    c.expect("HINCRBYFLOAT h n 0.5", bulk("-1.5"));
    c.expect("HINCRBYFLOAT h fresh 3", bulk("3"));
    c.expect("HINCRBYFLOAT h fresh 1e3", bulk("1003"));
    c.expect("HINCRBYFLOAT h text 1", err("ERR hash value is not a float"));
    c.expect("HINCRBYFLOAT h sp 1", err("ERR hash value is not a float"));
    c.expect("HINCRBYFLOAT h f x", err("ERR value is not a valid float"));
    c.expect("HINCRBYFLOAT h f inf", err("ERR value is NaN or Infinity"));
    c.expect("HINCRBYFLOAT h f -inf", err("ERR value is NaN or Infinity"));
    c.expect("HINCRBYFLOAT h f nan", err("ERR value is not a valid float"));
    // Redis adds in `long double`: twice 1.7e308 is finite there; only a sum past
    // the long double's range is an error.
    c.expect("HSET h huge 1.7e308", int(1));
    let doubled = c.cmd("HINCRBYFLOAT h huge 1.7e308");
    assert!(doubled.starts_with("$309\r\n34000000000000000000627355"), "{doubled:?}");
    c.expect("HSET h top 1.18973149535723176502e+4932", int(1));
    c.expect(
        "HINCRBYFLOAT h top 1.18973149535723176502e+4932",
        err("ERR increment would produce NaN or Infinity"),
    );
    c.expect("HGET h f", bulk("1.6"));
}

fn hrandfield(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("HRANDFIELD nosuch", p.nil());
    c.expect("HRANDFIELD nosuch 5", "*0\r\n");
    c.expect("HRANDFIELD nosuch -5 WITHVALUES", "*0\r\n");
    c.expect("HSET h a 1", int(1));
    c.expect("HRANDFIELD h", bulk("a"));
    c.expect("HRANDFIELD h 0", "*0\r\n");
    c.expect("HRANDFIELD h -3", array(&[bulk("a"), bulk("a"), bulk("a")]));
    let pair = match p {
        Proto::Resp2 => bulk("a") + &bulk("1"),
        Proto::Resp3 => array(&[bulk("a"), bulk("1")]),
    };
    let header = |n: usize| if p == Proto::Resp2 { format!("*{}\r\n", 2 * n) } else { format!("*{n}\r\n") };
    c.expect("HRANDFIELD h 1 WITHVALUES", header(1) + &pair);
    c.expect("HRANDFIELD h -2 withvalues", header(2) + &pair + &pair);
    c.expect("HRANDFIELD h 9223372036854775807", array(&[bulk("a")]));
    c.expect("HRANDFIELD h 2 WITHSCORES", err("ERR syntax error"));
    c.expect("HRANDFIELD h x", NOT_INT);
    c.expect("HRANDFIELD h -9223372036854770000 WITHVALUES", err("ERR value is out of range"));
    c.expect(
        "HRANDFIELD h -9223372036854775808",
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
    );
}

fn a_huge_negative_count_is_cut_off_at_the_output_limit(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("HSET h a 1", int(1));
    c.expect_args(&["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"], OK);
    c.send(&crate::common::encode(&[b"HRANDFIELD", b"h", b"-9223372036854775807"]));
    // The connection closes past the hard limit, the half-built reply dropped (or,
    // had it been flushed, cut short), as Redis closes such a client.
    let received = c.read_until_closed();
    assert!(received.is_empty() || received.starts_with(b"*9223372036854775807\r\n"));
    assert!(received.len() < 4 << 20, "bounded: {} bytes", received.len());
    // The server goes on serving others.
    s.raw_proto(p).expect("HLEN h", int(1));
}

fn hscan(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("HSCAN nosuch 0", "*2\r\n$1\r\n0\r\n*0\r\n");
    c.expect("HSET h a 1 b 2 ab 3", int(3));
    let all = "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$2\r\nab\r\n$1\r\n3\r\n";
    c.expect("HSCAN h 0", all);
    c.expect("HSCAN h 0 COUNT 1", all);
    c.expect("HSCAN h 0 MATCH a*", "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$1\r\n3\r\n");
    c.expect("HSCAN h x", err("ERR invalid cursor"));
    c.expect("HSCAN h 0 COUNT 0", err("ERR syntax error"));
    c.expect("HSCAN h 0 COUNT x", NOT_INT);
    c.expect("HSCAN h 0 MATCH", err("ERR syntax error"));
    c.expect("HSCAN h 0 NOVALUES", err("ERR syntax error"));
}

fn encodings_follow_config_set(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("CONFIG SET hash-max-listpack-entries 2", OK);
    c.expect("HSET h a 1 b 2", int(2));
    c.expect("OBJECT ENCODING h", bulk("listpack"));
    c.expect("HSET h c 3", int(1));
    c.expect("OBJECT ENCODING h", bulk("hashtable"));
    c.expect("HDEL h a b", int(2));
    c.expect("OBJECT ENCODING h", bulk("hashtable"));
    c.expect("CONFIG SET hash-max-ziplist-value 3", OK);
    c.expect("HSET v f abc", int(1));
    c.expect("OBJECT ENCODING v", bulk("listpack"));
    c.expect("HSET v f abcd", int(0));
    c.expect("OBJECT ENCODING v", bulk("hashtable"));
    c.expect("HGET v f", bulk("abcd"));
    assert!(c.int("MEMORY USAGE v") > 0);
}

fn multi_exec(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("MULTI", OK);
    c.expect("HSET h a 1", "+QUEUED\r\n");
    c.expect("HINCRBY h a 2", "+QUEUED\r\n");
    c.expect("HDEL h a", "+QUEUED\r\n");
    c.expect("HLEN h", "+QUEUED\r\n");
    c.expect("EXEC", array(&[int(1), int(3), int(1), int(0)]));
    c.expect("EXISTS h", int(0));
}

both_protocols!(
    set_get_and_friends,
    arity_and_wrongtype,
    hdel_removes_fields_and_the_emptied_key,
    counters,
    hrandfield,
    a_huge_negative_count_is_cut_off_at_the_output_limit,
    hscan,
    encodings_follow_config_set,
    multi_exec,
);

/// Everything `HGETALL` says of `key`, sorted, over a fresh RESP2 connection.
fn sorted_pairs(server: &Server, key: &str) -> Vec<String> {
    let reply = server.raw().cmd(&format!("HGETALL {key}"));
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let texts: Vec<&str> = lines[1..].iter().skip(1).step_by(2).copied().collect();
    let mut pairs: Vec<String> =
        texts.chunks(2).filter(|c| c.len() == 2).map(|c| format!("{}={}", c[0], c[1])).collect();
    pairs.sort();
    pairs
}

#[test]
fn the_aof_replays_and_rewrites_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let args = ["--aof-path", path.to_str().unwrap(), "--appendfsync", "always"];
    let server = Server::start_with(&args);
    let mut c = server.raw();
    c.expect("CONFIG SET hash-max-listpack-entries 16", OK);
    let fields: Vec<String> = (0..100).map(|i| format!("f{i} {i}")).collect();
    c.expect(&format!("HSET big {}", fields.join(" ")), int(100));
    c.expect("HDEL big f0 f1 nosuch", int(2));
    c.expect("HSET small a 1", int(1));
    c.expect("HINCRBYFLOAT small a 0.1", bulk("1.1"));
    c.expect("HINCRBY small n 7", int(7));
    c.expect("HSETNX small a 9", int(0));
    c.expect("HMSET gone x 1", OK);
    c.expect("HDEL gone x", int(1));
    let (big, small) = (sorted_pairs(&server, "big"), sorted_pairs(&server, "small"));
    assert_eq!(big.len(), 98);
    assert_eq!(small, ["a=1.1", "n=7"]);
    let restart = |server: Server| {
        let mut server = server;
        server.signal("TERM");
        assert!(server.wait_exit().success(), "{}", server.stderr());
        Server::start_with(&args)
    };
    let server = restart(server);
    assert_eq!(sorted_pairs(&server, "big"), big, "after replay");
    assert_eq!(sorted_pairs(&server, "small"), small);
    server.raw().expect("EXISTS gone", int(0));
    let mut c = server.raw();
    c.expect("BGREWRITEAOF", "+Background append only file rewriting started\r\n");
    while c.cmd("INFO persistence").contains("aof_rewrite_in_progress:1") {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    assert!(text.contains("HSET") && !text.contains("HDEL"), "the rewrite writes HSETs only");
    let server = restart(server);
    assert_eq!(sorted_pairs(&server, "big"), big, "after the rewrite");
    assert_eq!(sorted_pairs(&server, "small"), small);
}
