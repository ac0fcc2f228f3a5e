//! The string type completed: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
//! BITFIELD_RO, PFADD, PFCOUNT, PFMERGE, LCS — replies, errors, and the
//! RELIABILITY cases (offsets near 2^32·8, a far SETBIT under `maxmemory`, corrupt
//! HyperLogLogs).

use crate::common::{bulk, err, int, Proto, Server, OK};

const BIT_OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// Every bit, HyperLogLog and LCS command against a key of another type (a set),
/// after the argument errors that come first in Redis.
fn other_types(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SADD set x", int(1));
    c.expect("SET str abc", OK);
    c.expect("SETBIT set 0 1", WRONGTYPE);
    c.expect("GETBIT set 0", WRONGTYPE);
    c.expect("BITCOUNT set", WRONGTYPE);
    c.expect("BITPOS set 1", WRONGTYPE);
    c.expect("BITOP AND d str set", WRONGTYPE);
    c.expect("EXISTS d", int(0));
    c.expect("BITFIELD set GET u64 0", err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."));
    c.expect("BITFIELD set GET u8 0", WRONGTYPE);
    c.expect("BITFIELD set SET u8 0 1", WRONGTYPE);
    c.expect("BITFIELD_RO set GET u8 0", WRONGTYPE);
    c.expect("PFADD set a", WRONGTYPE);
    c.expect("PFCOUNT set", WRONGTYPE);
    c.expect("PFCOUNT set str", WRONGTYPE);
    c.expect("PFMERGE d set", WRONGTYPE);
    c.expect("LCS str set", err("ERR The specified keys must contain string values"));
    c.expect("SMEMBERS set", "*1\r\n$1\r\nx\r\n".replace("*1", if p == Proto::Resp3 { "~1" } else { "*1" }));
}

fn setbit_getbit(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SETBIT b 7 1", int(0));
    c.expect("GET b", bulk("\x01"));
    c.expect("SETBIT b 7 1", int(1));
    c.expect("SETBIT b 1 1", int(0));
    c.expect("GET b", bulk("A"));
    c.expect("GETBIT b 1", int(1));
    c.expect("GETBIT b 2", int(0));
    c.expect("GETBIT b 100000", int(0));
    c.expect("GETBIT missing 3", int(0));
    c.expect("SETBIT b 15 1", int(0));
    c.expect("STRLEN b", int(2));
    c.expect("SETBIT b 7 0", int(1));
    c.expect("GET b", bulk("@\x01"));
    // Bit-changed strings are raw, as in Redis.
    c.expect("SET n 1", OK);
    c.expect("SETBIT n 6 1", int(0));
    c.expect("GET n", bulk("3"));
    c.expect("OBJECT ENCODING n", bulk("raw"));
    for bad in ["2", "-1", "x", ""] {
        c.expect_args(&["SETBIT", "b", "0", bad], err("ERR bit is not an integer or out of range"));
    }
    for bad in ["-1", "x", "4294967296", "#1"] {
        c.expect(&format!("SETBIT b {bad} 1"), BIT_OFFSET);
        c.expect(&format!("GETBIT b {bad}"), BIT_OFFSET);
    }
}

fn bitcount_and_bitpos(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET s foobar", OK);
    c.expect("BITCOUNT s", int(26));
    c.expect("BITCOUNT s 0 0", int(4));
    c.expect("BITCOUNT s 1 1", int(6));
    c.expect("BITCOUNT s 1 1 BYTE", int(6));
    c.expect("BITCOUNT s 5 30 BIT", int(17));
    c.expect("BITCOUNT s -2 -1", int(7));
    c.expect("BITCOUNT s -1 -2", int(0));
    // Redis 7.0 answers 0 for a missing key before looking at the arguments.
    c.expect("BITCOUNT missing 1", int(0));
    c.expect("BITCOUNT s 1", err("ERR syntax error"));
    c.expect("BITCOUNT s 0 1 BITS", err("ERR syntax error"));
    c.expect("BITCOUNT s a 1", err("ERR value is not an integer or out of range"));
    c.expect_args(&["SET", "z", "\x00\x00\x01"], OK);
    c.expect("BITPOS z 1", int(23));
    c.expect("BITPOS z 0", int(0));
    c.expect_args(&["SET", "f", "\u{7f}"], OK);
    c.expect("BITPOS f 0", int(0));
    c.expect_args(&["SET", "ones", "\u{7f}\u{7f}"], OK);
    c.expect("BITPOS ones 1 1", int(9));
    c.expect("SETBIT full 7 1", int(0));
    c.expect_args(&["SET", "full", "\x7f"], OK);
    c.expect("BITPOS full 0 1 7 BIT", int(-1));
    c.expect("BITPOS missing 0", int(0));
    c.expect("BITPOS missing 1", int(-1));
    c.expect("BITPOS z 2", err("ERR The bit argument must be 1 or 0."));
    c.expect("BITPOS z 1 0 1 BIT x", err("ERR syntax error"));
}

fn bitop(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a foo", OK);
    c.expect("SET b ba", OK);
    c.expect("BITOP AND d a b", int(3));
    c.expect_args(&["GET", "d"], bulk("ba\x00"));
    c.expect("BITOP OR d a b", int(3));
    c.expect("GET d", bulk("foo"));
    c.expect("BITOP XOR d a b", int(3));
    c.expect_args(&["GET", "d"], bulk("\x04\x0eo"));
    c.expect("BITOP NOT d a", int(3));
    c.expect("BITOP NOT d a b", err("ERR BITOP NOT must be called with a single source key."));
    c.expect("BITOP NAND d a b", err("ERR syntax error"));
    // An empty result deletes the destination.
    c.expect("BITOP AND d nothing none", int(0));
    c.expect("EXISTS d", int(0));
}

fn bitfield(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let ints = |values: &[i64]| {
        let mut out = format!("*{}\r\n", values.len());
        values.iter().for_each(|v| out.push_str(&int(*v)));
        out
    };
    c.expect("BITFIELD k SET i8 0 -100 GET i8 0", ints(&[0, -100]));
    c.expect("BITFIELD k SET u8 #1 65 GET u8 8", ints(&[0, 65]));
    c.expect("BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1", ints(&[1, 1]));
    c.expect("BITFIELD w SET u8 0 250 OVERFLOW WRAP INCRBY u8 0 10", ints(&[0, 4]));
    c.expect("BITFIELD w OVERFLOW SAT INCRBY u8 0 300", ints(&[255]));
    let fail = format!("*1\r\n{}", p.nil());
    c.expect("BITFIELD w OVERFLOW FAIL INCRBY u8 0 1", fail);
    c.expect("BITFIELD w GET u8 0", ints(&[255]));
    c.expect("BITFIELD v SET i64 0 -1 GET u63 1", ints(&[0, i64::MAX]));
    c.expect("BITFIELD missing GET u8 0", ints(&[0]));
    c.expect("EXISTS missing", int(0));
    c.expect("BITFIELD k", "*0\r\n");
    c.expect("BITFIELD_RO w GET i8 0", ints(&[-1]));
    c.expect("BITFIELD_RO w SET i8 0 1", err("ERR BITFIELD_RO only supports the GET subcommand"));
    let bad_type = err(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    );
    c.expect("BITFIELD k GET u64 0", &bad_type);
    c.expect("BITFIELD k GET i65 0", &bad_type);
    c.expect("BITFIELD k GET i0 0", &bad_type);
    c.expect("BITFIELD k OVERFLOW NONE", err("ERR Invalid OVERFLOW type specified"));
    c.expect("BITFIELD k FOO", err("ERR syntax error"));
    c.expect("BITFIELD k SET u8 0", err("ERR syntax error"));
    c.expect("BITFIELD k GET u8 -1", BIT_OFFSET);
    c.expect("BITFIELD k GET u8 #-1", BIT_OFFSET);
    c.expect("BITFIELD k SET u8 0 x", err("ERR value is not an integer or out of range"));
}

fn hyperloglog(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("PFADD h", int(1));
    c.expect("PFADD h", int(0));
    c.expect("PFCOUNT h", int(0));
    // Redis's empty HyperLogLog: sparse, one XZERO opcode over every register.
    let mut empty = b"$18\r\nHYLL\x01".to_vec();
    empty.extend_from_slice(&[0; 11]);
    empty.extend_from_slice(b"\x7f\xff\r\n");
    assert_eq!(c.cmd_bytes(&[b"GET", b"h"]), empty);
    c.expect("PFADD h a b c", int(1));
    c.expect("PFADD h a b c", int(0));
    c.expect("PFCOUNT h", int(3));
    c.expect("PFADD g c d e", int(1));
    c.expect("PFCOUNT h g", int(5));
    c.expect("PFMERGE m h g", OK);
    c.expect("PFCOUNT m", int(5));
    c.expect("PFCOUNT missing", int(0));
    c.expect("SET s hello", OK);
    let not_hll = err("WRONGTYPE Key is not a valid HyperLogLog string value.");
    c.expect("PFADD s a", &not_hll);
    c.expect("PFCOUNT s", &not_hll);
    c.expect("PFMERGE m s", &not_hll);
    // A cached count is answered from the header, as in Redis, even after a change
    // behind PFADD's back.
    assert!(c.int("APPEND h hello") > 18);
    c.expect("PFCOUNT h", int(3));
    // Corruption: bytes appended after the last opcode, with the cache stale.
    c.expect("PFADD c x y", int(1));
    assert!(c.int("APPEND c hello") > 18);
    c.expect("PFCOUNT c", err("INVALIDOBJ Corrupted HLL object detected"));
    c.expect("PING", "+PONG\r\n");
}

fn lcs(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("MSET a ohmytext b mynewtext", OK);
    c.expect("LCS a b", bulk("mytext"));
    c.expect("LCS a b LEN", int(6));
    let idx = format!(
        "{}$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
        p.map(2)
    );
    c.expect("LCS a b IDX", idx);
    let with_len = format!(
        "{}$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
        p.map(2)
    );
    c.expect("LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN", with_len);
    c.expect("LCS a missing", bulk(""));
    c.expect("LCS a b LEN IDX", err("ERR If you want both the length and indexes, please just use IDX."));
    c.expect("LCS a b FOO", err("ERR syntax error"));
    c.expect("LCS a b MINMATCHLEN", err("ERR syntax error"));
}

both_protocols!(setbit_getbit, bitcount_and_bitpos, bitop, bitfield, hyperloglog, lcs, other_types);

/// Offsets near 2^32·8: the last bit of a 512 MB string is addressable, one more is
/// Redis's error and allocates nothing; a `#` offset times the width overflowing
/// i64 is an error, not a panic.
#[test]
fn offsets_near_the_512mb_limit() {
    let s = Server::start();
    let mut c = s.raw();
    let rss_before = s.proc_status_kb("VmRSS");
    for offset in ["4294967296", "4294967297", "9223372036854775807", "18446744073709551616"] {
        c.expect(&format!("SETBIT far {offset} 1"), BIT_OFFSET);
        c.expect(&format!("BITFIELD far SET u8 {offset} 1"), BIT_OFFSET);
    }
    c.expect("BITFIELD far SET u8 #536870912 1", BIT_OFFSET);
    c.expect("BITFIELD far SET i64 #9223372036854775807 1", BIT_OFFSET);
    c.expect("EXISTS far", int(0));
    let grown_kb = s.proc_status_kb("VmRSS").saturating_sub(rss_before);
    assert!(grown_kb < 100 * 1024, "RSS grew by {grown_kb} kB on refused offsets");
    // A smaller cap moves the edge with it.
    c.expect("CONFIG SET proto-max-bulk-len 1mb", OK);
    c.expect("SETBIT edge 8388607 1", int(0));
    c.expect("STRLEN edge", int(1024 * 1024));
    c.expect("SETBIT edge 8388608 1", BIT_OFFSET);
    c.expect("BITCOUNT edge", int(1));
    c.expect("BITPOS edge 1", int(8388607));
    c.expect("BITFIELD edge GET u8 8388600", "*1\r\n:1\r\n");
    // A field straddling the end reads the missing bits as zeros.
    c.expect("BITFIELD edge GET u16 8388607", "*1\r\n:32768\r\n");
}

/// The very last bit of a 512 MB string (offset 2^32 - 1) can be set, as in Redis.
#[test]
fn the_last_bit_of_512mb() {
    let s = Server::start();
    let mut c = s.raw();
    // Zeroing and counting 512 MB takes seconds in a debug build on a busy machine.
    c.stream().set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
    c.expect("SETBIT big 4294967295 1", int(0));
    c.expect("STRLEN big", int(512 * 1024 * 1024));
    c.expect("GETBIT big 4294967295", int(1));
    c.expect("BITCOUNT big", int(1));
    c.expect("DEL big", int(1));
}

/// A far `SETBIT` is a `denyoom` write: over `maxmemory` (no eviction possible) it
/// is refused before it allocates.
#[test]
fn far_setbit_honours_maxmemory() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SETBIT a 8000000 1", int(0));
    c.expect("CONFIG SET maxmemory 1mb", OK);
    c.expect("CONFIG SET maxmemory-policy noeviction", OK);
    let oom = err("OOM command not allowed when used memory > 'maxmemory'.");
    c.expect("SETBIT b 4000000000 1", &oom);
    c.expect("BITFIELD b SET u8 #400000000 1", &oom);
    c.expect("BITOP NOT c a", &oom);
    c.expect("EXISTS b c", int(0));
    // Reads still work.
    c.expect("GETBIT a 8000000", int(1));
}

/// A HyperLogLog copied byte for byte (`GET`, `SET`) counts the same, and random
/// corruption of one is an error or a count, never a crash.
#[test]
fn hyperloglog_corruption_never_crashes() {
    let s = Server::start();
    let mut c = s.raw();
    let elements: Vec<String> = (0..400).map(|i| format!("e{i}")).collect();
    let mut add = vec!["PFADD", "h"];
    add.extend(elements.iter().map(String::as_str));
    c.expect_args(&add, int(1));
    let count = c.int("PFCOUNT h");
    assert!((380..=420).contains(&count), "{count}");
    let mut seed = 0x9e3779b97f4a7c15u64;
    for round in 0..300 {
        c.expect("DEL x", int(round.min(1)));
        c.expect_args(&add.iter().map(|a| if *a == "h" { "x" } else { a }).collect::<Vec<_>>(), int(1));
        for _ in 0..1 + round % 3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % 900).to_string();
            let byte = [((seed >> 40) as u8 % 0x7f).max(1)];
            let byte = std::str::from_utf8(&byte).unwrap().to_string();
            c.cmd_args(&["SETRANGE", "x", &at, &byte]);
        }
        let reply = c.cmd("PFCOUNT x");
        assert!(
            reply.starts_with(':') || reply.starts_with("-INVALIDOBJ") || reply.starts_with("-WRONGTYPE"),
            "{reply:?}"
        );
        let reply = c.cmd("PFADD x more");
        assert!(reply.starts_with(':') || reply.starts_with('-'), "{reply:?}");
        let reply = c.cmd("PFMERGE y x");
        assert!(reply.starts_with('+') || reply.starts_with('-'), "{reply:?}");
    }
    c.expect("PING", "+PONG\r\n");
}

/// LCS refuses a table larger than `proto-max-bulk-len`, with Redis's error.
#[test]
fn lcs_table_bound() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("CONFIG SET proto-max-bulk-len 1mb", OK);
    let a = "a".repeat(400);
    c.expect_args(&["SET", "a", &a], OK);
    c.expect_args(&["SET", "b", &a], OK);
    c.expect("LCS a b LEN", int(400));
    let long = "b".repeat(1000);
    c.expect_args(&["SET", "c", &long], OK);
    c.expect("LCS c a", err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
}
