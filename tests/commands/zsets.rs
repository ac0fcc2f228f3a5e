//! The sorted-set family over the wire: scores printed as 7.0.15 prints them
//! (`%.17g`; RESP3 doubles), WITHSCORES pairs (flat in RESP2, two-element arrays
//! in RESP3), ranges with their bounds and LIMITs, the pops, the encodings as the
//! thresholds switch them, and the inputs that hurt Redis (NaN, `1e400`,
//! `inf + -inf`, i64 limits).

use crate::common::{array, bulk, err, int, Proto, Server};

/// A score as the protocol sends it.
fn score(p: Proto, text: &str) -> String {
    match p {
        Proto::Resp2 => bulk(text),
        Proto::Resp3 => format!(",{text}\r\n"),
    }
}

/// Member/score pairs as WITHSCORES sends them.
fn pairs(p: Proto, items: &[(&str, &str)]) -> String {
    match p {
        Proto::Resp2 => array(&items.iter().flat_map(|(m, s)| [bulk(m), score(p, s)]).collect::<Vec<_>>()),
        Proto::Resp3 => array(&items.iter().map(|(m, s)| array(&[bulk(m), score(p, s)])).collect::<Vec<_>>()),
    }
}

fn bulks(items: &[&str]) -> String {
    array(&items.iter().map(|i| bulk(i)).collect::<Vec<_>>())
}

fn scores_print_as_redis_7_0(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("ZADD z 1.1 m 2 n -inf lo +inf hi", int(4));
    c.expect("ZSCORE z m", score(p, "1.1000000000000001"));
    c.expect("ZSCORE z n", score(p, "2"));
    c.expect("ZSCORE z lo", score(p, "-inf"));
    c.expect("ZMSCORE z hi x", array(&[score(p, "inf"), p.nil().to_string()]));
    c.expect("ZINCRBY z 0.1 n", score(p, "2.1000000000000001"));
    c.expect(
        "ZRANGE z 0 -1 WITHSCORES",
        pairs(p, &[("lo", "-inf"), ("m", "1.1000000000000001"), ("n", "2.1000000000000001"), ("hi", "inf")]),
    );
    c.expect("ZADD z nan x", err("ERR value is not a valid float"));
    c.expect("ZADD z 1e400 x", err("ERR value is not a valid float"));
    c.expect("ZINCRBY z -inf hi", err("ERR resulting score is not a number (NaN)"));
    c.expect("ZADD z INCR -inf hi", err("ERR resulting score is not a number (NaN)"));
    c.expect("ZSCORE z hi", score(p, "inf"));
    c.expect(
        "ZSCAN z 0",
        array(&[
            bulk("0"),
            bulks(&["lo", "-inf", "m", "1.1000000000000001", "n", "2.1000000000000001", "hi", "inf"]),
        ]),
    );
}

fn equal_scores_order_by_member_bytes(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("ZADD z 0 b 0 a 0 c 0 aa", int(4));
    c.expect("ZRANGE z 0 -1", bulks(&["a", "aa", "b", "c"]));
    c.expect("ZRANGEBYLEX z [aa (c", bulks(&["aa", "b"]));
    c.expect("ZREVRANGEBYLEX z + - LIMIT 1 2", bulks(&["b", "aa"]));
    c.expect("ZLEXCOUNT z - +", int(4));
    c.expect("ZRANGEBYLEX z a +", err("ERR min or max not valid string range item"));
    c.expect("ZRANK z b", int(2));
    c.expect("ZREVRANK z b", int(1));
}

fn ranges_and_limits(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("ZADD z 1 a 2 b 3 c 4 d", int(4));
    c.expect("ZRANGEBYSCORE z (1 3", bulks(&["b", "c"]));
    c.expect("ZRANGE z (4 2 BYSCORE REV WITHSCORES", pairs(p, &[("c", "3"), ("b", "2")]));
    c.expect("ZRANGE z -inf +inf BYSCORE LIMIT 1 2", bulks(&["b", "c"]));
    c.expect("ZRANGE z -inf +inf BYSCORE LIMIT 1 -1", bulks(&["b", "c", "d"]));
    c.expect("ZRANGE z -inf +inf BYSCORE LIMIT -1 2", array(&[]));
    c.expect("ZRANGE z -inf +inf BYSCORE LIMIT 9223372036854775807 9223372036854775807", array(&[]));
    c.expect("ZRANGE z -9223372036854775808 9223372036854775807", bulks(&["a", "b", "c", "d"]));
    c.expect("ZREVRANGE z 0 1", bulks(&["d", "c"]));
    c.expect(
        "ZRANGE z 0 1 LIMIT 0 1",
        err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
    );
    c.expect(
        "ZRANGE z - + BYLEX WITHSCORES",
        err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
    );
    c.expect("ZCOUNT z x 1", err("ERR min or max is not a float"));
    c.expect("ZCOUNT z (1 +inf", int(3));
    c.expect("ZRANGESTORE d z 1 2", int(2));
    c.expect("ZRANGE d 0 -1", bulks(&["b", "c"]));
    c.expect("ZREMRANGEBYSCORE z -inf (2", int(1));
    c.expect("ZREMRANGEBYRANK z 0 0", int(1));
    c.expect("ZCARD z", int(2));
}

fn pops_and_random(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("ZADD z 1 a 2 b 3 c", int(3));
    c.expect("ZPOPMIN z", array(&[bulk("a"), score(p, "1")]));
    c.expect(
        "ZPOPMAX z 1",
        match p {
            Proto::Resp2 => array(&[bulk("c"), score(p, "3")]),
            Proto::Resp3 => array(&[array(&[bulk("c"), score(p, "3")])]),
        },
    );
    c.expect("ZPOPMIN z -1", err("ERR value is out of range, must be positive"));
    c.expect("ZMPOP 2 nx z MIN COUNT 9", array(&[bulk("z"), array(&[array(&[bulk("b"), score(p, "2")])])]));
    c.expect("EXISTS z", int(0));
    c.expect(
        "ZMPOP 1 z MIN",
        match p {
            Proto::Resp2 => "*-1\r\n".to_string(),
            Proto::Resp3 => "_\r\n".to_string(),
        },
    );
    c.expect("ZMPOP 0 z MIN", err("ERR numkeys should be greater than 0"));
    c.expect("ZMPOP 1 z MIN COUNT 0", err("ERR count should be greater than 0"));
    c.expect("ZADD r 1 a 2 b", int(2));
    c.expect(
        "ZRANDMEMBER r -9223372036854775808",
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
    );
    c.expect("ZRANDMEMBER r -4611686018427387905 WITHSCORES", err("ERR value is out of range"));
    c.expect("ZRANDMEMBER r 10 WITHSCORES", pairs(p, &[("b", "2"), ("a", "1")]));
    c.expect("ZRANDMEMBER r 0", array(&[]));
    c.expect("ZRANDMEMBER nx 5", array(&[]));
    c.expect("BZPOPMIN nx r 0", array(&[bulk("r"), bulk("a"), score(p, "1")]));
}

fn algebra_with_weights(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("ZADD a 1 x 2 y", int(2));
    c.expect("ZADD b 10 y 20 z", int(2));
    c.expect("SADD s x", int(1));
    c.expect("ZUNION 2 a b WITHSCORES", pairs(p, &[("x", "1"), ("y", "12"), ("z", "20")]));
    c.expect("ZINTER 2 a b WEIGHTS 2 0.5 AGGREGATE MAX WITHSCORES", pairs(p, &[("y", "5")]));
    c.expect("ZDIFF 2 a b", bulks(&["x"]));
    c.expect("ZINTER 2 a s WITHSCORES", pairs(p, &[("x", "2")]));
    c.expect("ZUNIONSTORE d 2 a b AGGREGATE MIN", int(3));
    c.expect("ZRANGE d 0 -1 WITHSCORES", pairs(p, &[("x", "1"), ("y", "2"), ("z", "20")]));
    c.expect("ZUNIONSTORE d 0 a", err("ERR at least 1 input key is needed for 'zunionstore' command"));
    c.expect("ZUNION 3 a b", err("ERR syntax error"));
    c.expect("ZUNION 2 a b WEIGHTS 1 x", err("ERR weight value is not a float"));
    c.expect("ZDIFF 2 a b WEIGHTS 1 2", err("ERR syntax error"));
    c.expect("ZINTERCARD 2 a b LIMIT 0", int(1));
    c.expect("ZINTERCARD 2 a b LIMIT -1", err("ERR LIMIT can't be negative"));
    c.expect("SET str v", "+OK\r\n");
    c.expect("ZUNION 2 a str", err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    // inf * 0 and inf + -inf count as 0, as in Redis.
    c.expect("ZADD i inf p", int(1));
    c.expect("ZADD j -inf p", int(1));
    c.expect("ZUNION 2 i j WITHSCORES", pairs(p, &[("p", "0")]));
    c.expect("ZUNION 1 i WEIGHTS 0 WITHSCORES", pairs(p, &[("p", "0")]));
}

fn encodings_switch_at_the_thresholds(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("ZADD z 1 a", int(1));
    c.expect("OBJECT ENCODING z", bulk("listpack"));
    c.expect(&format!("ZADD z 1 {}", "x".repeat(65)), int(1));
    c.expect("OBJECT ENCODING z", bulk("skiplist"));
    c.expect("CONFIG SET zset-max-ziplist-entries 2", "+OK\r\n");
    c.expect("ZADD y 1 a 2 b", int(2));
    c.expect("OBJECT ENCODING y", bulk("listpack"));
    c.expect("ZADD y 3 c", int(1));
    c.expect("OBJECT ENCODING y", bulk("skiplist"));
    c.expect("TYPE y", "+zset\r\n");
    c.expect("ZRANGE y 0 -1", bulks(&["a", "b", "c"]));
}

/// `ZUNIONSTORE` of many keys (RELIABILITY.md's quadratic-work case): 2,000 sources,
/// most missing, answered with the work bounded by the data.
fn union_of_many_keys(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("ZADD k7 1 a", int(1));
    c.expect("ZADD k1999 2 a 3 b", int(2));
    let keys: Vec<String> = (0..2000).map(|i| format!("k{i}")).collect();
    let mut args = vec!["ZUNIONSTORE", "d", "2000"];
    args.extend(keys.iter().map(String::as_str));
    c.expect_args(&args, int(2));
    c.expect("ZRANGE d 0 -1 WITHSCORES", pairs(p, &[("a", "3"), ("b", "3")]));
    args[0] = "ZINTERSTORE";
    c.expect_args(&args, int(0));
    c.expect("EXISTS d", int(0));
}

both_protocols!(
    union_of_many_keys,
    scores_print_as_redis_7_0,
    equal_scores_order_by_member_bytes,
    ranges_and_limits,
    pops_and_random,
    algebra_with_weights,
    encodings_switch_at_the_thresholds,
);
