//! The string family: SET and its options, SETNX, SETEX, PSETEX, GET, GETSET, GETDEL,
//! GETEX, MSET, MSETNX, MGET, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::{bulk, err, int, Proto, Server, OK};

const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn set_conditions_and_get(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a b", OK);
    c.expect("GET a", bulk("b"));
    c.expect("SET a c NX", p.nil());
    c.expect("GET a", bulk("b"));
    c.expect("SET fresh v NX", OK);
    c.expect("SET absent v XX", p.nil());
    c.expect("EXISTS absent", int(0));
    c.expect("SET a c XX", OK);
    c.expect("GET a", bulk("c"));
    // GET returns the old value, or a null when there was none.
    c.expect("SET a d GET", bulk("c"));
    c.expect("SET missing d GET", p.nil());
    c.expect("GET missing", bulk("d"));
    // NX/XX with GET: the old value comes back whether or not the write happened.
    c.expect("SET a e NX GET", bulk("d"));
    c.expect("GET a", bulk("d"));
    c.expect("SET a e XX GET", bulk("d"));
    c.expect("GET a", bulk("e"));
    c.expect("SET gone v XX GET", p.nil());
    c.expect("EXISTS gone", int(0));
    c.expect("SET new v NX GET", p.nil());
    c.expect("GET new", bulk("v"));
    // Options and command names are case-insensitive.
    c.expect("sEt a f nx", p.nil());
    c.expect("set a f xx get", bulk("e"));
    c.expect("GET nosuch", p.nil());
}

fn set_errors(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a keep", OK);
    for line in [
        "SET a v NX XX",
        "SET a v XX NX",
        "SET a v EX 10 PX 100",
        "SET a v PX 100 EXAT 10",
        "SET a v EX 10 KEEPTTL",
        "SET a v KEEPTTL EX 10",
        "SET a v KEEPTTL PXAT 10",
        "SET a v EX",
        "SET a v PX",
        "SET a v FOO",
        "SET a v NX FOO",
    ] {
        c.expect(line, SYNTAX);
    }
    for line in [
        "SET a v EX 0",
        "SET a v EX -1",
        "SET a v PX 0",
        "SET a v PX -100",
        "SET a v EXAT 0",
        "SET a v PXAT -5",
        "SET a v EX 9223372036854775807",
        "SET a v PX 9223372036854775807",
        "SET a v EXAT 9223372036854775807",
    ] {
        c.expect(line, err("ERR invalid expire time in 'set' command"));
    }
    c.expect("SET a v EX abc", NOT_INT);
    c.expect("SET a v PX 1.5", NOT_INT);
    c.expect("SET a", err("ERR wrong number of arguments for 'set' command"));
    c.expect("SET", err("ERR wrong number of arguments for 'set' command"));
    // None of the refused writes touched the key.
    c.expect("GET a", bulk("keep"));
    c.expect("TTL a", int(-1));
}

fn set_expiry_options(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET t v EX 100", OK);
    let ttl = c.int("TTL t");
    assert!((99..=100).contains(&ttl), "TTL after EX 100: {ttl}");
    c.expect("SET t v PX 100000", OK);
    let pttl = c.int("PTTL t");
    assert!((90_000..=100_000).contains(&pttl), "PTTL after PX 100000: {pttl}");
    let at = now_ms() / 1000 + 1000;
    c.expect(&format!("SET t v EXAT {at}"), OK);
    c.expect("EXPIRETIME t", int(at));
    let at_ms = now_ms() + 500_000;
    c.expect(&format!("SET t v PXAT {at_ms}"), OK);
    c.expect("PEXPIRETIME t", int(at_ms));
    // KEEPTTL keeps it, a plain SET clears it.
    c.expect("SET t w KEEPTTL", OK);
    c.expect("PEXPIRETIME t", int(at_ms));
    c.expect("GET t", bulk("w"));
    c.expect("SET t x XX KEEPTTL GET", bulk("w"));
    c.expect("PEXPIRETIME t", int(at_ms));
    c.expect("SET t y", OK);
    c.expect("TTL t", int(-1));
    // An absolute time in the past stores a key that is already gone.
    c.expect("SET past v EXAT 1", OK);
    c.expect("GET past", p.nil());
    c.expect("SET past v PXAT 1", OK);
    c.expect("EXISTS past", int(0));
}

fn setnx_setex_psetex(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SETNX a 1", int(1));
    c.expect("SETNX a 2", int(0));
    c.expect("GET a", bulk("1"));
    c.expect("SETEX a 100 v", OK);
    let ttl = c.int("TTL a");
    assert!((99..=100).contains(&ttl), "TTL after SETEX 100: {ttl}");
    c.expect("GET a", bulk("v"));
    c.expect("PSETEX a 100000 w", OK);
    let pttl = c.int("PTTL a");
    assert!((90_000..=100_000).contains(&pttl), "PTTL after PSETEX: {pttl}");
    // SETNX on an existing key leaves value and TTL alone.
    c.expect("SETNX a x", int(0));
    c.expect("GET a", bulk("w"));
    assert!(c.int("PTTL a") > 0);
    for bad in ["0", "-5", "9223372036854775807"] {
        c.expect(&format!("SETEX a {bad} v"), err("ERR invalid expire time in 'setex' command"));
    }
    for bad in ["0", "-5", "9223372036854775807"] {
        c.expect(&format!("PSETEX a {bad} v"), err("ERR invalid expire time in 'psetex' command"));
    }
    c.expect("SETEX a abc v", NOT_INT);
    c.expect("PSETEX a 1.5 v", NOT_INT);
    c.expect("SETEX a 10", err("ERR wrong number of arguments for 'setex' command"));
    c.expect("PSETEX a 10", err("ERR wrong number of arguments for 'psetex' command"));
    c.expect("SETNX a", err("ERR wrong number of arguments for 'setnx' command"));
    c.expect("GET a", bulk("w"));
}

fn getset_getdel(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a v EX 100", OK);
    c.expect("GETSET a z", bulk("v"));
    c.expect("TTL a", int(-1));
    c.expect("GET a", bulk("z"));
    c.expect("GETSET fresh z", p.nil());
    c.expect("GET fresh", bulk("z"));
    c.expect("GETDEL a", bulk("z"));
    c.expect("GETDEL a", p.nil());
    c.expect("EXISTS a", int(0));
    c.expect("GETSET a", err("ERR wrong number of arguments for 'getset' command"));
    c.expect("GETDEL a b", err("ERR wrong number of arguments for 'getdel' command"));
    c.expect("GET a b", err("ERR wrong number of arguments for 'get' command"));
}

fn getex(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET k v EX 100", OK);
    c.expect("GETEX k", bulk("v"));
    assert!(c.int("TTL k") > 0, "plain GETEX keeps the TTL");
    c.expect("GETEX k PERSIST", bulk("v"));
    c.expect("TTL k", int(-1));
    c.expect("GETEX k EX 50", bulk("v"));
    let ttl = c.int("TTL k");
    assert!((49..=50).contains(&ttl), "TTL after GETEX EX 50: {ttl}");
    c.expect("GETEX k PX 60000", bulk("v"));
    assert!((50_000..=60_000).contains(&c.int("PTTL k")));
    let at = now_ms() / 1000 + 2000;
    c.expect(&format!("GETEX k EXAT {at}"), bulk("v"));
    c.expect("EXPIRETIME k", int(at));
    let at_ms = now_ms() + 3_000_000;
    c.expect(&format!("GETEX k PXAT {at_ms}"), bulk("v"));
    c.expect("PEXPIRETIME k", int(at_ms));
    for line in
        ["GETEX k EX 10 PX 10", "GETEX k PERSIST EX 10", "GETEX k FOO", "GETEX k EX", "GETEX nosuch FOO"]
    {
        c.expect(line, SYNTAX);
    }
    for line in ["GETEX k EX 0", "GETEX k EX -1", "GETEX k PX 0", "GETEX k EX 9223372036854775807"] {
        c.expect(line, err("ERR invalid expire time in 'getex' command"));
    }
    c.expect("GETEX k EX abc", NOT_INT);
    c.expect("PEXPIRETIME k", int(at_ms));
    c.expect("GETEX nosuch EX 10", p.nil());
    c.expect("GETEX nosuch", p.nil());
    // An absolute time in the past removes the key after returning it.
    c.expect("GETEX k PXAT 1", bulk("v"));
    c.expect("GET k", p.nil());
    c.expect("GETEX", err("ERR wrong number of arguments for 'getex' command"));
}

fn mset_msetnx_mget(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a old EX 100", OK);
    c.expect("MSET a 1 b 2", OK);
    c.expect("TTL a", int(-1));
    c.expect("MSET a 1 b", err("ERR wrong number of arguments for 'mset' command"));
    c.expect("MSET a", err("ERR wrong number of arguments for 'mset' command"));
    // The last of repeated keys wins.
    c.expect("MSET d x d y", OK);
    c.expect("GET d", bulk("y"));
    c.expect("MSETNX a 9 c 3", int(0));
    c.expect("EXISTS c", int(0));
    c.expect("GET a", bulk("1"));
    c.expect("MSETNX c 3 e 4", int(1));
    c.expect("MSETNX c 3 e", err("ERR wrong number of arguments for 'msetnx' command"));
    c.expect("MSETNX", err("ERR wrong number of arguments for 'msetnx' command"));
    let nil = p.nil();
    c.expect(
        "MGET a b c nosuch e a",
        format!("*6\r\n{}{}{}{nil}{}{}", bulk("1"), bulk("2"), bulk("3"), bulk("4"), bulk("1")),
    );
    c.expect("MGET nosuch", format!("*1\r\n{nil}"));
    c.expect("MGET", err("ERR wrong number of arguments for 'mget' command"));
}

fn append_strlen(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("APPEND s hello", int(5));
    c.expect("APPEND s world", int(10));
    c.expect("GET s", bulk("helloworld"));
    c.expect("STRLEN s", int(10));
    c.expect("STRLEN nosuch", int(0));
    c.expect_args(&["APPEND", "empty", ""], int(0));
    c.expect("EXISTS empty", int(1));
    c.expect("STRLEN empty", int(0));
    // APPEND keeps the TTL.
    c.expect("SET t 5 EX 100", OK);
    c.expect("APPEND t x", int(2));
    assert!(c.int("TTL t") > 0);
    c.expect("APPEND s", err("ERR wrong number of arguments for 'append' command"));
    c.expect("STRLEN", err("ERR wrong number of arguments for 'strlen' command"));
}

fn getrange_substr(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET s helloworld", OK);
    for (range, want) in [
        ("0 3", "hell"),
        ("-3 -1", "rld"),
        ("0 -1", "helloworld"),
        ("5 3", ""),
        ("-1 -5", ""),
        ("0 100", "helloworld"),
        ("-100 0", "h"),
        ("50 100", ""),
        ("2 -3", "llowor"),
        ("0 9223372036854775807", "helloworld"),
        ("-9223372036854775808 -1", "helloworld"),
    ] {
        c.expect(&format!("GETRANGE s {range}"), bulk(want));
        c.expect(&format!("SUBSTR s {range}"), bulk(want));
    }
    c.expect("GETRANGE nosuch 0 -1", bulk(""));
    c.expect("GETRANGE s a 1", NOT_INT);
    c.expect("GETRANGE s 0 1.5", NOT_INT);
    c.expect("GETRANGE s 0", err("ERR wrong number of arguments for 'getrange' command"));
    c.expect("SUBSTR s 0", err("ERR wrong number of arguments for 'substr' command"));
}

fn setrange(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET s hello", OK);
    c.expect("SETRANGE s 0 HE", int(5));
    c.expect("GET s", bulk("HEllo"));
    c.expect("SETRANGE s 8 X", int(9));
    c.expect("GET s", bulk("HEllo\0\0\0X"));
    c.expect("SETRANGE z 3 ab", int(5));
    c.expect("GET z", bulk("\0\0\0ab"));
    // An empty patch changes nothing and creates nothing.
    c.expect_args(&["SETRANGE", "s", "100", ""], int(9));
    c.expect_args(&["SETRANGE", "new", "0", ""], int(0));
    c.expect_args(&["SETRANGE", "new", "5", ""], int(0));
    c.expect("EXISTS new", int(0));
    c.expect("SETRANGE s -1 x", err("ERR offset is out of range"));
    c.expect("SETRANGE s abc x", NOT_INT);
    c.expect("SETRANGE s 1", err("ERR wrong number of arguments for 'setrange' command"));
    // SETRANGE keeps the TTL.
    c.expect("SET t abc EX 100", OK);
    c.expect("SETRANGE t 1 Z", int(3));
    assert!(c.int("TTL t") > 0);
    c.expect("GET t", bulk("aZc"));
}

/// CVE-2022-35977: a huge offset is refused before anything is allocated.
fn setrange_huge_offset(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET s hello", OK);
    let rss_before = s.proc_status_kb("VmRSS");
    let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    for offset in ["9223372036854775807", "9223372036854775806", "536870912", "4294967296"] {
        c.expect(&format!("SETRANGE s {offset} x"), &too_long);
        c.expect(&format!("SETRANGE fresh {offset} x"), &too_long);
    }
    c.expect("GET s", bulk("hello"));
    c.expect("EXISTS fresh", int(0));
    c.expect("PING", "+PONG\r\n");
    let grown_kb = s.proc_status_kb("VmRSS").saturating_sub(rss_before);
    assert!(grown_kb < 100 * 1024, "RSS grew by {grown_kb} kB on refused SETRANGEs");
}

both_protocols!(
    set_conditions_and_get,
    set_errors,
    set_expiry_options,
    setnx_setex_psetex,
    getset_getdel,
    getex,
    mset_msetnx_mget,
    append_strlen,
    getrange_substr,
    setrange,
    setrange_huge_offset,
);

/// Redis accepts the same expiry option twice (`t_string.c` only refuses a second,
/// different unit); FerrumKV replies `-ERR syntax error`.
#[test]
fn set_repeated_expiry_option() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SET a v EX 10 EX 10", OK);
    c.expect("SET a v PX 10000 PX 10000", OK);
}
