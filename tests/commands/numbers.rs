//! The counters: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, including overflow at the
//! `i64` limits, values that are not numbers, and NaN or infinity.

use crate::common::{bulk, err, int, Proto, Server, OK};

const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
const OVERFLOW: &str = "-ERR increment or decrement would overflow\r\n";

fn incr_decr(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("INCR n", int(1));
    c.expect("INCR n", int(2));
    c.expect("DECR n", int(1));
    c.expect("INCRBY n 10", int(11));
    c.expect("DECRBY n 5", int(6));
    c.expect("INCRBY n -10", int(-4));
    c.expect("DECRBY n -4", int(0));
    c.expect("GET n", bulk("0"));
    c.expect("DECR fresh", int(-1));
    c.expect("DECRBY other 7", int(-7));
    // The result is stored as text and keeps the key's TTL.
    c.expect("SET t 5 EX 100", OK);
    c.expect("INCR t", int(6));
    assert!(c.int("TTL t") > 0);
    c.expect("GET t", bulk("6"));
    for line in ["INCR", "DECR", "INCRBY n", "DECRBY n", "INCR a b", "INCRBY a 1 2"] {
        let name = line.split_whitespace().next().unwrap().to_ascii_lowercase();
        c.expect(line, err(&format!("ERR wrong number of arguments for '{name}' command")));
    }
}

fn incr_rejects_non_integers(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET n 6", OK);
    for delta in ["abc", "1.5", "+1", "01", "1e3", "9223372036854775808"] {
        c.expect(&format!("INCRBY n {delta}"), NOT_INT);
        c.expect(&format!("DECRBY n {delta}"), NOT_INT);
    }
    c.expect_args(&["INCRBY", "n", " 1"], NOT_INT);
    c.expect_args(&["INCRBY", "n", ""], NOT_INT);
    for value in ["foo", " 1", "1 ", "1.0", "12345678901234567890", "", "0x10"] {
        c.expect_args(&["SET", "s", value], OK);
        c.expect("INCR s", NOT_INT);
        c.expect("DECR s", NOT_INT);
        c.expect("INCRBY s 2", NOT_INT);
        c.expect_args(&["GET", "s"], bulk(value));
    }
    c.expect("GET n", bulk("6"));
}

fn incr_overflow_at_i64_limits(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET n 9223372036854775807", OK);
    c.expect("INCR n", OVERFLOW);
    c.expect("INCRBY n 1", OVERFLOW);
    c.expect("DECRBY n -1", OVERFLOW);
    c.expect("GET n", bulk("9223372036854775807"));
    c.expect("DECR n", int(9223372036854775806));
    c.expect("SET n -9223372036854775808", OK);
    c.expect("DECR n", OVERFLOW);
    c.expect("DECRBY n 1", OVERFLOW);
    c.expect("INCRBY n -1", OVERFLOW);
    c.expect("GET n", bulk("-9223372036854775808"));
    c.expect("INCR n", int(-9223372036854775807));
    // Negating i64::MIN is its own error.
    c.expect("DECRBY x -9223372036854775808", err("ERR decrement would overflow"));
    c.expect("EXISTS x", int(0));
    c.expect("INCRBY x -9223372036854775808", int(i64::MIN));
    c.expect("DECRBY y 9223372036854775807", int(-i64::MAX));
    c.expect("DECRBY y 9223372036854775807", OVERFLOW);
}

fn incrbyfloat(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    // The reply is a bulk string in both protocols, as in Redis.
    c.expect("SET s 10", OK);
    c.expect("INCRBYFLOAT s 0.5", bulk("10.5"));
    c.expect("INCRBYFLOAT s -0.5", bulk("10"));
    c.expect("INCRBYFLOAT s 1e2", bulk("110"));
    c.expect("GET s", bulk("110"));
    c.expect("INCRBYFLOAT fresh 1.5", bulk("1.5"));
    c.expect("INCRBYFLOAT fresh 1.5", bulk("3"));
    c.expect("INCRBYFLOAT g 5.0e3", bulk("5000"));
    c.expect("INCRBYFLOAT i 10.5e-3", bulk("0.0105"));
    c.expect("INCRBYFLOAT i -10.5e-3", bulk("0"));
    c.expect("SET f 3.0e3", OK);
    c.expect("INCRBYFLOAT f 1", bulk("3001"));
    // An integer value is a float too; the TTL stays.
    c.expect("SET t 5 EX 100", OK);
    c.expect("INCRBYFLOAT t 1", bulk("6"));
    assert!(c.int("TTL t") > 0);
    c.expect("INCR t", int(7));
    c.expect("INCRBYFLOAT s", err("ERR wrong number of arguments for 'incrbyfloat' command"));
}

fn incrbyfloat_rejects_nan_inf_and_garbage(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET s 10", OK);
    for delta in ["abc", "nan", "NaN", "1.5x", "--1"] {
        c.expect(&format!("INCRBYFLOAT s {delta}"), NOT_FLOAT);
    }
    c.expect_args(&["INCRBYFLOAT", "s", " 1"], NOT_FLOAT);
    c.expect_args(&["INCRBYFLOAT", "s", "1 "], NOT_FLOAT);
    c.expect_args(&["INCRBYFLOAT", "s", ""], NOT_FLOAT);
    for delta in ["inf", "-inf", "+inf", "infinity"] {
        c.expect(&format!("INCRBYFLOAT s {delta}"), err("ERR increment would produce NaN or Infinity"));
    }
    c.expect("GET s", bulk("10"));
    for value in ["foo", "1.5.5", " 1"] {
        c.expect_args(&["SET", "v", value], OK);
        c.expect("INCRBYFLOAT v 1", NOT_FLOAT);
        c.expect_args(&["GET", "v"], bulk(value));
    }
    c.expect("INCRBYFLOAT missing inf", err("ERR increment would produce NaN or Infinity"));
    c.expect("EXISTS missing", int(0));
}

both_protocols!(
    incr_decr,
    incr_rejects_non_integers,
    incr_overflow_at_i64_limits,
    incrbyfloat,
    incrbyfloat_rejects_nan_inf_and_garbage,
);

/// Redis computes in `long double` and prints with `%.17Lf`, trailing zeros trimmed:
/// 0.1 + 0.2 is `0.3`, but 0.1 added to -873 shows the binary error in the 17th
/// decimal, and `strtold` reads hexadecimal (figures from redis-server 7.0.15).
#[test]
fn incrbyfloat_prints_like_redis() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("INCRBYFLOAT j 0.1", bulk("0.1"));
    c.expect("INCRBYFLOAT j 0.2", bulk("0.3"));
    c.expect("SET big 12345678901234567890", OK);
    c.expect("INCRBYFLOAT big 1", bulk("12345678901234567891"));
    c.expect("INCRBYFLOAT big 0.1", bulk("12345678901234567891"));
    c.expect("SET n -873", OK);
    c.expect("INCRBYFLOAT n 0.1", bulk("-872.90000000000000002"));
    c.expect("SET m 2147483648", OK);
    c.expect("INCRBYFLOAT m 0.1", bulk("2147483648.10000000009313226"));
    c.expect("SET h 0x10", OK);
    c.expect("INCRBYFLOAT h 1", bulk("17"));
}

/// Redis's `long double` does not overflow at `f64::MAX`.
#[test]
fn incrbyfloat_beyond_f64_max() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SET f 1.7976931348623157e308", OK);
    let reply = c.cmd("INCRBYFLOAT f 1.7976931348623157e308");
    assert!(reply.starts_with("$309\r\n3595386269724631"), "{reply:?}");
}
