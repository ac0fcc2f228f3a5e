//! The hash family at the command level: its change records (joined to the table
//! of `changes`), the encoding switch at both thresholds as `CONFIG SET` moves them,
//! the reply shapes in RESP3, and a hash emptied by `HDEL` going away. Events and
//! their order are redis-server 7.0.15's (`hset` after `new`, `del` after the
//! `hdel` that emptied the hash).

use super::changes::{event, logged, Case, EXPIRED_K};
use super::Client;
use crate::protocol::Protocol;

/// The hash family's change-record cases (one line per record, so not formatted).
#[rustfmt::skip]
pub(super) static CASES: &[Case] = &[
    Case { command: "hset", setup: &[], run: "HSET h f v", reply: ":1\r\n",
        records: &[logged(0, "HSET h f v", &[(0, "h", "new"), (0, "h", "hset")])] },
    Case { command: "hset", setup: &["HSET h f old"], run: "HSET h f v g w", reply: ":1\r\n",
        records: &[logged(0, "HSET h f v g w", &[(0, "h", "hset")])] },
    Case { command: "hset", setup: &[EXPIRED_K], run: "HSET k f v", reply: ":1\r\n",
        records: &[
            logged(0, "DEL k", &[(0, "k", "expired")]),
            logged(0, "HSET k f v", &[(0, "k", "new"), (0, "k", "hset")]),
        ] },
    Case { command: "hset", setup: &["SET s v"], run: "HSET s f v",
        reply: "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", records: &[] },
    Case { command: "hset", setup: &[], run: "HSET h f v g",
        reply: "-ERR wrong number of arguments for 'hset' command\r\n", records: &[] },
    Case { command: "hmset", setup: &[], run: "HMSET h f v g w", reply: "+OK\r\n",
        records: &[logged(0, "HSET h f v g w", &[(0, "h", "new"), (0, "h", "hset")])] },
    Case { command: "hsetnx", setup: &[], run: "HSETNX h f v", reply: ":1\r\n",
        records: &[logged(0, "HSET h f v", &[(0, "h", "new"), (0, "h", "hset")])] },
    Case { command: "hsetnx", setup: &["HSET h g w"], run: "HSETNX h f v", reply: ":1\r\n",
        records: &[logged(0, "HSET h f v", &[(0, "h", "hset")])] },
    Case { command: "hsetnx", setup: &["HSET h f old"], run: "HSETNX h f v", reply: ":0\r\n", records: &[] },
    Case { command: "hdel", setup: &["HSET h a 1 b 2 c 3"], run: "HDEL h a x a", reply: ":1\r\n",
        records: &[logged(0, "HDEL h a", &[(0, "h", "hdel")])] },
    Case { command: "hdel", setup: &["HSET h a 1 b 2"], run: "HDEL h b x a c", reply: ":2\r\n",
        records: &[
            logged(0, "HDEL h b a", &[(0, "h", "hdel")]),
            event(&[(0, "h", "del")]),
        ] },
    Case { command: "hdel", setup: &["HSET h a 1"], run: "HDEL h x", reply: ":0\r\n", records: &[] },
    Case { command: "hdel", setup: &[], run: "HDEL h x", reply: ":0\r\n", records: &[] },
    Case { command: "hincrby", setup: &[], run: "HINCRBY h f 5", reply: ":5\r\n",
        records: &[logged(0, "HINCRBY h f 5", &[(0, "h", "new"), (0, "h", "hincrby")])] },
    Case { command: "hincrby", setup: &["HSET h f -3"], run: "HINCRBY h f 1", reply: ":-2\r\n",
        records: &[logged(0, "HINCRBY h f 1", &[(0, "h", "hincrby")])] },
    Case { command: "hincrby", setup: &["HSET h f x"], run: "HINCRBY h f 1",
        reply: "-ERR hash value is not an integer\r\n", records: &[] },
    Case { command: "hincrby", setup: &["HSET h f 9223372036854775807"], run: "HINCRBY h f 1",
        reply: "-ERR increment or decrement would overflow\r\n", records: &[] },
    Case { command: "hincrby", setup: &[], run: "HINCRBY h f x",
        reply: "-ERR value is not an integer or out of range\r\n", records: &[] },
    Case { command: "hincrbyfloat", setup: &[], run: "HINCRBYFLOAT h f 1.5", reply: "$3\r\n1.5\r\n",
        records: &[logged(0, "HSET h f 1.5", &[(0, "h", "new"), (0, "h", "hincrbyfloat")])] },
    Case { command: "hincrbyfloat", setup: &["HSET h f 0.1"], run: "HINCRBYFLOAT h f 0.2", reply: "$3\r\n0.3\r\n",
        records: &[logged(0, "HSET h f 0.3", &[(0, "h", "hincrbyfloat")])] },
    Case { command: "hincrbyfloat", setup: &["HSET h f 5.0e3"], run: "HINCRBYFLOAT h f 2.0e3", reply: "$4\r\n7000\r\n",
        records: &[logged(0, "HSET h f 7000", &[(0, "h", "hincrbyfloat")])] },
    Case { command: "hincrbyfloat", setup: &["HSET h f x"], run: "HINCRBYFLOAT h f 1",
        reply: "-ERR hash value is not a float\r\n", records: &[] },
    Case { command: "hincrbyfloat", setup: &[], run: "HINCRBYFLOAT h f inf",
        reply: "-ERR value is NaN or Infinity\r\n", records: &[] },
    Case { command: "hincrbyfloat", setup: &["HSET h f 1.18973149535723176502e+4932"], run: "HINCRBYFLOAT h f 1.18973149535723176502e+4932",
        reply: "-ERR increment would produce NaN or Infinity\r\n", records: &[] },
];

/// `OBJECT ENCODING key` as text.
fn encoding(client: &mut Client, key: &str) -> String {
    client.run(&format!("OBJECT ENCODING {key}"))
}

const LISTPACK: &str = "$8\r\nlistpack\r\n";
const HASHTABLE: &str = "$9\r\nhashtable\r\n";

#[test]
fn the_encoding_follows_the_live_thresholds_one_way() {
    let mut client = Client::new();
    client.setup(&["CONFIG SET hash-max-listpack-entries 3", "CONFIG SET hash-max-listpack-value 4"]);
    client.setup(&["HSET h a 1 b 2 c 3"]);
    assert_eq!(encoding(&mut client, "h"), LISTPACK, "at the entry limit");
    client.setup(&["HSET h d 4"]);
    assert_eq!(encoding(&mut client, "h"), HASHTABLE, "past the entry limit");
    client.setup(&["HDEL h a b c"]);
    assert_eq!(encoding(&mut client, "h"), HASHTABLE, "a hash never packs again");

    client.setup(&["HSET v f 1234"]);
    assert_eq!(encoding(&mut client, "v"), LISTPACK, "a value at the length limit");
    client.setup(&["HSET v f 12345"]);
    assert_eq!(encoding(&mut client, "v"), HASHTABLE, "a value past the length limit");
    client.setup(&["HSET w abcde 1"]);
    assert_eq!(encoding(&mut client, "w"), HASHTABLE, "a field past the length limit");
    // The counters convert too, as Redis 7.0's hashTypeSet does.
    client.setup(&["HINCRBY x f 12345"]);
    assert_eq!(encoding(&mut client, "x"), HASHTABLE);
    client.setup(&["HINCRBYFLOAT y f 1.25"]);
    assert_eq!(encoding(&mut client, "y"), LISTPACK);
    client.setup(&["HINCRBYFLOAT y f 10"]);
    assert_eq!(encoding(&mut client, "y"), HASHTABLE, "11.25 is five bytes");
    // The aliases are the same parameters.
    client.setup(&["CONFIG SET hash-max-ziplist-entries 100", "HSET z a 1 b 2 c 3 d 4 e 5"]);
    assert_eq!(encoding(&mut client, "z"), LISTPACK);
    assert_eq!(client.run("TYPE z"), "+hash\r\n");
}

#[test]
fn hdel_of_the_last_field_deletes_the_key() {
    let mut client = Client::new();
    client.setup(&["HSET h a 1 b 2"]);
    assert_eq!(client.run("HDEL h a b"), ":2\r\n");
    assert_eq!(client.run("EXISTS h"), ":0\r\n");
    assert_eq!(client.run("HLEN h"), ":0\r\n");
    // An HSET of an odd argument count creates nothing.
    assert_eq!(client.run("HSET g f"), "-ERR wrong number of arguments for 'hset' command\r\n");
    assert_eq!(client.run("EXISTS g"), ":0\r\n");
    // A failed counter on a missing key leaves no empty hash behind.
    assert_eq!(client.run("HINCRBYFLOAT g f inf"), "-ERR value is NaN or Infinity\r\n");
    assert_eq!(client.run("EXISTS g"), ":0\r\n");
}

#[test]
fn replies_take_their_resp3_shapes() {
    let mut client = Client::new();
    client.speak(Protocol::Resp3);
    assert_eq!(client.run("HGETALL nosuch"), "%0\r\n");
    assert_eq!(client.run("HKEYS nosuch"), "*0\r\n");
    assert_eq!(client.run("HGET nosuch f"), "_\r\n");
    assert_eq!(client.run("HRANDFIELD nosuch"), "_\r\n");
    assert_eq!(client.run("HRANDFIELD nosuch 3"), "*0\r\n");
    assert_eq!(client.run("HMGET nosuch a b"), "*2\r\n_\r\n_\r\n");
    client.setup(&["HSET h a 1 b 2"]);
    assert_eq!(client.run("HGETALL h"), "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(client.run("HVALS h"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert_eq!(
        client.run("HRANDFIELD h 5 WITHVALUES"),
        "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(client.run("HINCRBYFLOAT h a 0.5"), "$3\r\n1.5\r\n", "a bulk string, not a double");
    assert_eq!(
        client.run("HSCAN h 0"),
        "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    client.speak(Protocol::Resp2);
    assert_eq!(client.run("HGETALL h"), "*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(
        client.run("HRANDFIELD h 5 WITHVALUES"),
        "*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
}

/// The fields of an `HRANDFIELD … WITHVALUES` reply in RESP2 (`*n`, then `$len`
/// and text lines), checked to come with their own values.
fn picked_fields(reply: &str) -> Vec<String> {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let texts: Vec<&str> = lines[1..].iter().skip(1).step_by(2).copied().collect();
    texts
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| {
            assert_eq!(&c[0][1..], &c[1][1..], "field {} with another field's value", c[0]);
            c[0].to_string()
        })
        .collect()
}

#[test]
fn hrandfield_picks_by_redis_cases_in_both_encodings() {
    for entries in ["512", "4"] {
        let mut client = Client::new();
        client.setup(&[&format!("CONFIG SET hash-max-listpack-entries {entries}")]);
        let fields: Vec<String> = (0..20).map(|i| format!("f{i} v{i}")).collect();
        client.setup(&[&format!("HSET h {}", fields.join(" "))]);
        // Distinct picks, in both strategies (more and less than a third).
        for count in [2usize, 5, 15, 19] {
            let mut picked = picked_fields(&client.run(&format!("HRANDFIELD h {count} WITHVALUES")));
            assert_eq!(picked.len(), count);
            picked.sort();
            picked.dedup();
            assert_eq!(picked.len(), count, "distinct for a positive count ({entries})");
        }
        assert_eq!(picked_fields(&client.run("HRANDFIELD h 100 WITHVALUES")).len(), 20);
        // With repetition: exactly as many as asked.
        assert_eq!(picked_fields(&client.run("HRANDFIELD h -50 WITHVALUES")).len(), 50);
        assert!(client.run("HRANDFIELD h -3").starts_with("*3\r\n"));
        assert_eq!(client.run("HRANDFIELD h 0"), "*0\r\n");
        let one = client.run("HRANDFIELD h");
        assert!(one.starts_with('$') && one.contains("\r\nf"), "{one:?}");
    }
}

#[test]
fn hrandfield_refuses_counts_redis_refuses() {
    let mut client = Client::new();
    client.setup(&["HSET h a 1", "SET s v"]);
    let range =
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n";
    assert_eq!(client.run("HRANDFIELD h -9223372036854775808"), range);
    assert_eq!(client.run("HRANDFIELD h -9223372036854775808 WITHVALUES"), range);
    assert_eq!(client.run("HRANDFIELD h -9223372036854770000 WITHVALUES"), "-ERR value is out of range\r\n");
    assert_eq!(client.run("HRANDFIELD h 4611686018427387904 WITHVALUES"), "-ERR value is out of range\r\n");
    assert_eq!(client.run("HRANDFIELD h 1 FOO"), "-ERR syntax error\r\n");
    assert_eq!(client.run("HRANDFIELD h 1 WITHVALUES x"), "-ERR syntax error\r\n");
    assert_eq!(client.run("HRANDFIELD h x"), "-ERR value is not an integer or out of range\r\n");
    assert!(client.run("HRANDFIELD s 0").starts_with("-WRONGTYPE"));
    // A huge positive count is bounded by the hash.
    assert_eq!(client.run("HRANDFIELD h 9223372036854775807"), "*1\r\n$1\r\na\r\n");
}

#[test]
fn a_huge_negative_count_stops_at_the_output_limit_and_closes() {
    let mut client = Client::new();
    client.setup(&["HSET h a 1"]);
    client.call(&[b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 1mb 0 0"]);
    let reply = client.run("HRANDFIELD h -9223372036854775807");
    assert!(reply.starts_with("*9223372036854775807\r\n"));
    assert!(reply.len() > 1 << 20 && reply.len() < 2 << 20, "stopped past 1 MB: {} bytes", reply.len());
}

#[test]
fn hscan_walks_a_dense_hash_and_filters_by_field() {
    let mut client = Client::new();
    client.setup(&["CONFIG SET hash-max-listpack-entries 8"]);
    let fields: Vec<String> = (0..100).map(|i| format!("f{i} {i}")).collect();
    client.setup(&[&format!("HSET h {}", fields.join(" "))]);
    let mut cursor = "0".to_string();
    let mut seen = std::collections::BTreeSet::new();
    let mut calls = 0;
    loop {
        let reply = client.run(&format!("HSCAN h {cursor} MATCH f1* COUNT 10"));
        let lines: Vec<&str> = reply.split("\r\n").collect();
        cursor = lines[2].to_string();
        let texts: Vec<&str> = lines[4..].iter().skip(1).step_by(2).copied().collect();
        for pair in texts.chunks(2).filter(|c| c.len() == 2) {
            assert!(pair[0].starts_with("f1"), "{pair:?} does not match");
            assert_eq!(&pair[0][1..], pair[1]);
            seen.insert(pair[0].to_string());
        }
        calls += 1;
        if cursor == "0" {
            break;
        }
        assert!(calls < 200);
    }
    assert!(calls > 1);
    let expected: std::collections::BTreeSet<String> =
        (0..100).map(|i| format!("f{i}")).filter(|f| f.starts_with("f1")).collect();
    assert_eq!(seen, expected);
    // Options: checked after the key, as in Redis.
    assert_eq!(client.run("HSCAN nosuch 0 FOO"), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(client.run("HSCAN h 0 COUNT 0"), "-ERR syntax error\r\n");
    assert_eq!(client.run("HSCAN h 0 COUNT"), "-ERR syntax error\r\n");
    assert_eq!(client.run("HSCAN h 0 TYPE hash"), "-ERR syntax error\r\n");
    assert_eq!(client.run("HSCAN h x"), "-ERR invalid cursor\r\n");
}
