//! The memory cap over the wire: `noeviction` answers writes with `-OOM` while reads
//! keep working; the evicting policies keep `used_memory` at the cap; `volatile-*`
//! touch only keys with a TTL; `CONFIG SET maxmemory` applies live; evictions reach
//! the AOF as `DEL`; `INFO`, `MEMORY USAGE` and `OBJECT` report what Redis does.

mod common;

use common::{err, Server, OK};
use redis::Commands;

fn info(conn: &mut redis::Connection, section: &str, field: &str) -> String {
    let text: String = redis::cmd("INFO").arg(section).query(conn).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
}

fn used(conn: &mut redis::Connection) -> u64 {
    info(conn, "memory", "used_memory").parse().unwrap()
}

/// Writes `count` keys `prefix:i` with 100-byte values, pipelined.
fn fill(conn: &mut redis::Connection, prefix: &str, count: usize, ttl: Option<u64>) -> Vec<redis::Value> {
    let value = "v".repeat(100);
    let mut replies = Vec::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let mut pipe = redis::pipe();
        for i in chunk {
            let mut cmd = redis::cmd("SET");
            cmd.arg(format!("{prefix}:{i}")).arg(&value);
            if let Some(ttl) = ttl {
                cmd.arg("EX").arg(ttl);
            }
            pipe.add_command(cmd);
        }
        let chunk_replies: Vec<redis::Value> = pipe.query(conn).unwrap_or_default();
        replies.extend(chunk_replies);
    }
    replies
}

/// A cap a few megabytes above what the empty server uses.
fn cap_above(conn: &mut redis::Connection, extra: u64) -> u64 {
    used(conn) + extra
}

#[test]
fn noeviction_refuses_writes_with_oom_and_keeps_reads() {
    let s = Server::start();
    let mut conn = s.conn();
    let _: () = conn.set("before", "1").unwrap();
    let cap = cap_above(&mut conn, 2 << 20);
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(cap).query(&mut conn).unwrap();
    let mut raw = s.raw();
    let mut refused = false;
    for i in 0..100_000 {
        let reply = raw.cmd(&format!("SET key:{i} {}", "x".repeat(100)));
        if reply != OK {
            assert_eq!(reply, err("OOM command not allowed when used memory > 'maxmemory'."));
            refused = true;
            break;
        }
    }
    assert!(refused, "writes were never refused");
    raw.expect("GET before", "$1\r\n1\r\n");
    raw.expect("DEL before", ":1\r\n");
    assert_eq!(info(&mut conn, "stats", "evicted_keys"), "0");
    assert!(used(&mut conn) <= cap + (1 << 20));
}

#[test]
fn evicting_policies_hold_memory_at_the_cap() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random", "allkeys-ahe"] {
        let s = Server::start_with(&["--maxmemory-policy", policy]);
        let mut conn = s.conn();
        let cap = cap_above(&mut conn, 4 << 20);
        let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(cap).query(&mut conn).unwrap();
        let replies = fill(&mut conn, "k", 100_000, None);
        assert!(replies.iter().all(|r| *r == redis::Value::Okay), "{policy}: a write was refused");
        let used = used(&mut conn);
        assert!(used <= cap + cap / 50, "{policy}: used {used} over cap {cap}");
        let evicted: u64 = info(&mut conn, "stats", "evicted_keys").parse().unwrap();
        assert!(evicted > 10_000, "{policy}: only {evicted} evicted");
        let keys: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
        assert!(keys > 5_000 && keys < 100_000, "{policy}: {keys} keys left");
        assert_eq!(info(&mut conn, "memory", "maxmemory_policy"), policy);
    }
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    for policy in ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "volatile-ahe"] {
        let s = Server::start_with(&["--maxmemory-policy", policy]);
        let mut conn = s.conn();
        fill(&mut conn, "persistent", 2_000, None);
        let cap = cap_above(&mut conn, 3 << 20);
        let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(cap).query(&mut conn).unwrap();
        fill(&mut conn, "volatile", 60_000, Some(10_000));
        let persistent: Vec<Option<String>> =
            conn.mget((0..2_000).map(|i| format!("persistent:{i}")).collect::<Vec<_>>()).unwrap();
        assert!(persistent.iter().all(Option::is_some), "{policy} evicted a key without TTL");
        let evicted: u64 = info(&mut conn, "stats", "evicted_keys").parse().unwrap();
        assert!(evicted > 0, "{policy} evicted nothing");
        // With only persistent keys left to grow, writes are refused.
        let mut raw = s.raw();
        let mut refused = false;
        for i in 0..200_000 {
            let reply = raw.cmd(&format!("SET more:{i} {}", "x".repeat(100)));
            if reply.starts_with("-OOM") {
                refused = true;
                break;
            }
        }
        assert!(refused, "{policy}: persistent writes were never refused");
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let s = Server::start_with(&["--maxmemory-policy", "volatile-ttl"]);
    let mut conn = s.conn();
    fill(&mut conn, "late", 5_000, Some(100_000));
    let cap = cap_above(&mut conn, 2 << 20);
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(cap).query(&mut conn).unwrap();
    fill(&mut conn, "soon", 30_000, Some(1_000));
    let late_left: usize =
        (0..5_000).filter(|i| conn.exists::<_, bool>(format!("late:{i}")).unwrap()).count();
    assert!(late_left > 4_500, "volatile-ttl evicted {} far-expiring keys", 5_000 - late_left);
}

#[test]
fn evictions_are_logged_as_del_and_replay_stays_under_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evict.aof");
    let path = path.to_str().unwrap();
    let mut s = Server::start_with(&["--aof-path", path, "--maxmemory-policy", "allkeys-lru"]);
    let mut conn = s.conn();
    let cap = cap_above(&mut conn, 3 << 20);
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(cap).query(&mut conn).unwrap();
    fill(&mut conn, "k", 60_000, None);
    let keys_live: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    drop(conn);
    s.signal("TERM");
    assert!(s.wait_exit().success());
    let text = std::fs::read(path).unwrap();
    let dels = text.windows(9).filter(|w| w == b"$3\r\nDEL\r\n").count();
    assert!(dels > 1_000, "only {dels} DEL records");
    let s = Server::start_with(&["--aof-path", path]);
    let mut conn = s.conn();
    let keys_replayed: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert_eq!(keys_replayed, keys_live);
}

#[test]
fn memory_usage_and_object_report_like_redis() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SET small 12345", OK);
    c.expect(&format!("SET big {}", "x".repeat(1000)), OK);
    let small = c.int("MEMORY USAGE small");
    let big = c.int("MEMORY USAGE big");
    // One 32-byte block (header, key, value) plus the table slot; Redis says 48–56.
    assert!((32..200).contains(&small), "{small}");
    assert!(big > 1000 && big < 1300, "{big}");
    c.expect("MEMORY USAGE missing", "$-1\r\n");
    c.expect("OBJECT ENCODING small", "$3\r\nint\r\n");
    c.expect("OBJECT ENCODING big", "$3\r\nraw\r\n");
    c.expect("SET s hello", OK);
    c.expect("OBJECT ENCODING s", "$6\r\nembstr\r\n");
    c.expect("OBJECT ENCODING missing", "$-1\r\n");
    assert!(c.int("OBJECT IDLETIME small") <= 1);
    let freq = c.cmd("OBJECT FREQ small");
    assert!(freq.starts_with("-ERR An LFU maxmemory policy is not selected"), "{freq}");
    c.expect("CONFIG SET maxmemory-policy allkeys-lfu", OK);
    for _ in 0..50 {
        c.cmd("GET small");
    }
    assert!(c.int("OBJECT FREQ small") >= 5);
    let idle = c.cmd("OBJECT IDLETIME small");
    assert!(idle.starts_with("-ERR An LFU maxmemory policy is selected"), "{idle}");
    c.expect(
        "CONFIG SET maxmemory-policy allkeys-mru",
        err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of \
             the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, \
             allkeys-random, noeviction, allkeys-ahe, volatile-ahe"),
    );
}

#[test]
fn info_reports_memory_and_cache_figures() {
    let s = Server::start_with(&["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-ahe"]);
    let mut conn = s.conn();
    let _: () = conn.set("a", "1").unwrap();
    let _: Option<String> = conn.get("a").unwrap();
    let _: Option<String> = conn.get("nope").unwrap();
    assert_eq!(info(&mut conn, "memory", "maxmemory"), (100u64 << 20).to_string());
    assert_eq!(info(&mut conn, "memory", "maxmemory_human"), "100.00M");
    assert_eq!(info(&mut conn, "memory", "maxmemory_policy"), "allkeys-ahe");
    let alpha: f64 = info(&mut conn, "memory", "ahe_alpha").parse().unwrap();
    assert!((0.0..=1.0).contains(&alpha));
    for field in ["used_memory_rss", "used_memory_peak", "mem_fragmentation_ratio", "used_memory_human"] {
        info(&mut conn, "memory", field);
    }
    assert_eq!(info(&mut conn, "stats", "keyspace_hits"), "1");
    assert_eq!(info(&mut conn, "stats", "keyspace_misses"), "1");
    for field in ["evicted_keys", "expired_keys", "total_commands_processed", "instantaneous_ops_per_sec"] {
        info(&mut conn, "stats", field);
    }
}
