//! Key lifetimes: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX | XX | GT | LT,
//! PERSIST, TTL, PTTL, EXPIRETIME, PEXPIRETIME, and keys actually expiring.

use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{bulk, err, int, Proto, Server, OK};

const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn expire_and_ttl(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a 1", OK);
    c.expect("TTL a", int(-1));
    c.expect("PTTL a", int(-1));
    c.expect("EXPIRETIME a", int(-1));
    c.expect("PEXPIRETIME a", int(-1));
    c.expect("TTL nosuch", int(-2));
    c.expect("PTTL nosuch", int(-2));
    c.expect("EXPIRETIME nosuch", int(-2));
    c.expect("PEXPIRETIME nosuch", int(-2));
    c.expect("EXPIRE a 100", int(1));
    assert!((99..=100).contains(&c.int("TTL a")));
    assert!((90_000..=100_000).contains(&c.int("PTTL a")));
    c.expect("PEXPIRE a 200000", int(1));
    assert!((199..=200).contains(&c.int("TTL a")));
    let at = now_secs() + 3600;
    c.expect(&format!("EXPIREAT a {at}"), int(1));
    c.expect("EXPIRETIME a", int(at));
    c.expect("PEXPIRETIME a", int(at * 1000));
    c.expect("PEXPIREAT a 4102444800123", int(1));
    c.expect("PEXPIRETIME a", int(4102444800123));
    c.expect("EXPIRETIME a", int(4102444800));
    c.expect("EXPIRE nosuch 100", int(0));
    c.expect("PEXPIREAT nosuch 4102444800123", int(0));
    c.expect("EXISTS nosuch", int(0));
    c.expect("GET a", bulk("1"));
    for line in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "TTL a b"] {
        let name = line.split_whitespace().next().unwrap().to_ascii_lowercase();
        c.expect(line, err(&format!("ERR wrong number of arguments for '{name}' command")));
    }
    for name in ["expire", "pexpire", "expireat", "pexpireat"] {
        c.expect(&format!("{name} a"), err(&format!("ERR wrong number of arguments for '{name}' command")));
    }
}

fn expire_in_the_past_deletes(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    for line in ["EXPIRE c -1", "EXPIRE c 0", "PEXPIRE c -100", "EXPIREAT c 1", "PEXPIREAT c 1"] {
        c.expect("SET c 1", OK);
        c.expect(line, int(1));
        c.expect("EXISTS c", int(0));
        c.expect("GET c", p.nil());
    }
}

fn expire_conditions(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a 1", OK);
    // No TTL yet: XX and GT never apply, NX and LT do (no TTL counts as infinite).
    c.expect("EXPIRE a 100 XX", int(0));
    c.expect("EXPIRE a 100 GT", int(0));
    c.expect("TTL a", int(-1));
    c.expect("EXPIRE a 100 NX", int(1));
    c.expect("EXPIRE a 100 NX", int(0));
    c.expect("EXPIRE a 200 XX", int(1));
    assert!((199..=200).contains(&c.int("TTL a")));
    c.expect("EXPIRE a 50 GT", int(0));
    c.expect("EXPIRE a 300 GT", int(1));
    c.expect("EXPIRE a 500 LT", int(0));
    c.expect("EXPIRE a 50 LT", int(1));
    assert!((49..=50).contains(&c.int("TTL a")));
    // Options are case-insensitive and XX combines with GT or LT.
    c.expect("EXPIRE a 100 xx gt", int(1));
    c.expect("PEXPIRE a 1000 xx GT", int(0));
    c.expect("SET b 1", OK);
    c.expect("EXPIRE b 100 LT", int(1));
    c.expect("SET n 1", OK);
    c.expect("PEXPIRE n 100000 GT", int(0));
    let at = now_secs() + 1000;
    c.expect(&format!("EXPIREAT n {at} NX"), int(1));
    c.expect(&format!("EXPIREAT n {} GT", at - 10), int(0));
    c.expect(&format!("PEXPIREAT n {} LT", (at - 10) * 1000), int(1));
    c.expect("EXPIRETIME n", int(at - 10));
    // A past time under GT does not apply (the key stays); under LT it deletes.
    c.expect("SET d 1 EX 100", OK);
    c.expect("EXPIRE d -1 GT", int(0));
    c.expect("EXISTS d", int(1));
    c.expect("EXPIRE d -1 LT", int(1));
    c.expect("EXISTS d", int(0));
}

fn expire_option_errors(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a 1", OK);
    let nx_and = err("ERR NX and XX, GT or LT options at the same time are not compatible");
    let gt_and_lt = err("ERR GT and LT options at the same time are not compatible");
    for name in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        c.expect(&format!("{name} a 100 NX XX"), &nx_and);
        c.expect(&format!("{name} a 100 NX GT"), &nx_and);
        c.expect(&format!("{name} a 100 NX LT"), &nx_and);
        c.expect(&format!("{name} a 100 GT LT"), &gt_and_lt);
        c.expect(&format!("{name} a 100 FOO"), err("ERR Unsupported option FOO"));
        c.expect(&format!("{name} a 100 nx foo"), err("ERR Unsupported option foo"));
        c.expect(&format!("{name} a abc"), NOT_INT);
        c.expect(&format!("{name} a 1.5"), NOT_INT);
        // The options are checked even when the key does not exist.
        c.expect(&format!("{name} nosuch 10 NX XX"), &nx_and);
    }
    c.expect("TTL a", int(-1));
}

fn expire_overflow(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a 1", OK);
    for (name, value) in [
        ("expire", "9223372036854775807"),
        ("expire", "-9223372036854775808"),
        ("expire", "9223372036854775"),
        ("pexpire", "9223372036854775807"),
        ("pexpire", "9223372036854775000"),
        ("expireat", "9223372036854775807"),
    ] {
        c.expect(
            &format!("{} a {value}", name.to_ascii_uppercase()),
            err(&format!("ERR invalid expire time in '{name}' command")),
        );
    }
    c.expect("TTL a", int(-1));
    // The largest absolute time in milliseconds is accepted as it is.
    c.expect("PEXPIREAT a 9223372036854775807", int(1));
    c.expect("PEXPIRETIME a", int(i64::MAX));
    c.expect("EXPIRE a 9223372036854", int(1));
    let ttl = c.int("TTL a");
    assert!((9223372036853..=9223372036854).contains(&ttl), "TTL: {ttl}");
}

fn persist(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a 1 EX 100", OK);
    c.expect("PERSIST a", int(1));
    c.expect("TTL a", int(-1));
    c.expect("PERSIST a", int(0));
    c.expect("PERSIST nosuch", int(0));
    c.expect("GET a", bulk("1"));
}

fn keys_expire(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("PSETEX short 30 v", OK);
    c.expect("SET other v PX 30", OK);
    c.expect("SET stays v", OK);
    c.expect("PEXPIRE stays 100000", int(1));
    // Bounded wait for the keys to go; only the outcome is asserted, not the time.
    let mut gone = false;
    for _ in 0..200 {
        if c.cmd("EXISTS short other") == int(0) {
            gone = true;
            break;
        }
        sleep(Duration::from_millis(20));
    }
    assert!(gone, "keys with a 30 ms TTL still exist after 4 s");
    c.expect("GET short", p.nil());
    c.expect("TTL short", int(-2));
    c.expect("GET stays", bulk("v"));
    // Active expiry eventually drops them from DBSIZE and INFO keyspace too. (It
    // visits one lock stripe per tick: a full round takes seconds, hence the bound.)
    let mut swept = false;
    for _ in 0..1000 {
        if c.cmd("DBSIZE") == int(1) {
            swept = true;
            break;
        }
        sleep(Duration::from_millis(20));
    }
    assert!(swept, "expired keys still counted by DBSIZE after 20 s: {}", c.cmd("DBSIZE"));
    let keyspace = c.cmd("INFO keyspace");
    assert!(keyspace.contains("db0:keys=1,expires=1,"), "{keyspace:?}");
}

both_protocols!(
    expire_and_ttl,
    expire_in_the_past_deletes,
    expire_conditions,
    expire_option_errors,
    expire_overflow,
    persist,
    keys_expire,
);

/// An expired key is removed as soon as a read finds it (lazy expiry), as in Redis,
/// so DBSIZE and `INFO keyspace` stop counting it at once.
#[test]
fn expired_keys_leave_dbsize() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("PSETEX short 30 v", OK);
    c.expect("SET stays v", OK);
    let mut gone = false;
    for _ in 0..200 {
        if c.cmd("EXISTS short") == int(0) {
            gone = true;
            break;
        }
        sleep(Duration::from_millis(20));
    }
    assert!(gone);
    c.expect("DBSIZE", int(1));
    let keyspace = c.cmd("INFO keyspace");
    assert!(keyspace.contains("db0:keys=1,expires=0,"), "{keyspace:?}");
}
