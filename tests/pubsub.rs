//! Pub/Sub, keyspace notifications and `MONITOR` over the wire: Redis 7.0's reply
//! bytes in RESP2 and RESP3, the subscribed-mode gate, sharded channels (Redis's own
//! `unit/pubsubshard` skips external servers), slow subscribers and monitors that
//! never read (dropped at their output limit, memory bounded), pathological
//! patterns, and redis-py's `PubSub` (`run_in_thread`, pattern handlers) in RESP2
//! and RESP3 (`tests/py/pubsub.py`; `FERRUM_PYTHON` picks the interpreter).

mod common;

use std::process::Command;

use common::*;

fn push3(items: &[String]) -> String {
    format!(">{}\r\n{}", items.len(), items.concat())
}

fn message(channel: &str, payload: &str) -> String {
    array(&[bulk("message"), bulk(channel), bulk(payload)])
}

#[test]
fn subscribe_publish_and_unsubscribe_in_resp2() {
    let s = Server::start();
    let mut sub = s.raw();
    let mut publisher = s.raw();
    assert_eq!(sub.cmd("SUBSCRIBE a b"), array(&[bulk("subscribe"), bulk("a"), int(1)]));
    assert_eq!(sub.read_reply_text(), array(&[bulk("subscribe"), bulk("b"), int(2)]));
    // Subscribing twice counts once.
    assert_eq!(sub.cmd("SUBSCRIBE a"), array(&[bulk("subscribe"), bulk("a"), int(2)]));
    publisher.expect("PUBLISH a hello", int(1));
    publisher.expect("PUBLISH nobody hello", int(0));
    assert_eq!(sub.read_reply_text(), message("a", "hello"));
    // Only the subscription commands, PING, QUIT and RESET are allowed.
    assert_eq!(
        sub.cmd("GET k"),
        err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(
        sub.cmd("CONFIG GET maxmemory"),
        err("ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(sub.cmd("PING"), array(&[bulk("pong"), bulk("")]));
    assert_eq!(sub.cmd("PING hi"), array(&[bulk("pong"), bulk("hi")]));
    publisher
        .expect("PUBSUB NUMSUB a b c", array(&[bulk("a"), int(1), bulk("b"), int(1), bulk("c"), int(0)]));
    publisher.expect("PUBSUB CHANNELS a*", array(&[bulk("a")]));
    publisher.expect(
        "PUBSUB CHANNELS a b",
        err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."),
    );
    // UNSUBSCRIBE with no argument leaves every channel, one reply each.
    sub.send(&encode(&[b"UNSUBSCRIBE"]));
    let mut left = vec![sub.read_reply_text(), sub.read_reply_text()];
    left.sort();
    assert!(left[0].contains("$1\r\na\r\n") && left[1].contains("$1\r\nb\r\n"), "{left:?}");
    assert!(left.iter().any(|r| r.ends_with(":0\r\n")));
    assert_eq!(sub.cmd("UNSUBSCRIBE"), array(&[bulk("unsubscribe"), "$-1\r\n".into(), int(0)]));
    // Out of subscribed mode, commands work again.
    sub.expect("PING", "+PONG\r\n");
    publisher.expect("PUBSUB NUMSUB a", array(&[bulk("a"), int(0)]));
}

#[test]
fn patterns_and_channels_both_deliver_and_count() {
    let s = Server::start();
    let mut sub = s.raw();
    let mut publisher = s.raw();
    sub.cmd("SUBSCRIBE news.tech");
    assert_eq!(sub.cmd("PSUBSCRIBE news.*"), array(&[bulk("psubscribe"), bulk("news.*"), int(2)]));
    publisher.expect("PUBSUB NUMPAT", int(1));
    publisher.expect("PUBLISH news.tech x", int(2));
    assert_eq!(sub.read_reply_text(), message("news.tech", "x"));
    assert_eq!(
        sub.read_reply_text(),
        array(&[bulk("pmessage"), bulk("news.*"), bulk("news.tech"), bulk("x")])
    );
    publisher.expect("PUBLISH news.art y", int(1));
    assert_eq!(
        sub.read_reply_text(),
        array(&[bulk("pmessage"), bulk("news.*"), bulk("news.art"), bulk("y")])
    );
    assert_eq!(sub.cmd("PUNSUBSCRIBE news.*"), array(&[bulk("punsubscribe"), bulk("news.*"), int(1)]));
    assert_eq!(sub.cmd("PUNSUBSCRIBE"), array(&[bulk("punsubscribe"), "$-1\r\n".into(), int(1)]));
    publisher.expect("PUBSUB NUMPAT", int(0));
    // Order per publisher is kept.
    let mut pipeline = Vec::new();
    for i in 0..200 {
        pipeline.extend(encode(&[b"PUBLISH", b"news.tech", i.to_string().as_bytes()]));
    }
    publisher.send(&pipeline);
    for i in 0..200 {
        assert_eq!(publisher.read_reply_text(), int(1));
        assert_eq!(sub.read_reply_text(), message("news.tech", &i.to_string()));
    }
}

#[test]
fn resp3_subscribers_get_push_frames_and_keep_running_commands() {
    let s = Server::start();
    let mut sub = s.raw_resp3();
    let mut publisher = s.raw();
    assert_eq!(sub.cmd("SUBSCRIBE c"), push3(&[bulk("subscribe"), bulk("c"), int(1)]));
    sub.expect("SET k v", "+OK\r\n");
    sub.expect("GET k", bulk("v"));
    sub.expect("PING", "+PONG\r\n");
    publisher.expect("PUBLISH c m", int(1));
    assert_eq!(sub.read_reply_text(), push3(&[bulk("message"), bulk("c"), bulk("m")]));
    assert_eq!(sub.cmd("UNSUBSCRIBE d"), push3(&[bulk("unsubscribe"), bulk("d"), int(1)]));
    assert_eq!(sub.cmd("UNSUBSCRIBE"), push3(&[bulk("unsubscribe"), bulk("c"), int(0)]));
    assert_eq!(sub.cmd("UNSUBSCRIBE"), push3(&[bulk("unsubscribe"), "_\r\n".into(), int(0)]));
}

#[test]
fn shard_channels_have_their_own_subscriptions_and_counts() {
    let s = Server::start();
    let mut sub = s.raw();
    let mut publisher = s.raw();
    assert_eq!(sub.cmd("SSUBSCRIBE s1 s2"), array(&[bulk("ssubscribe"), bulk("s1"), int(1)]));
    assert_eq!(sub.read_reply_text(), array(&[bulk("ssubscribe"), bulk("s2"), int(2)]));
    // The shard count is apart from channels and patterns.
    assert_eq!(sub.cmd("SUBSCRIBE c"), array(&[bulk("subscribe"), bulk("c"), int(1)]));
    publisher.expect("SPUBLISH s1 hi", int(1));
    assert_eq!(sub.read_reply_text(), array(&[bulk("smessage"), bulk("s1"), bulk("hi")]));
    // PUBLISH does not reach shard channels, nor SPUBLISH ordinary ones.
    publisher.expect("PUBLISH s1 hi", int(0));
    publisher.expect("SPUBLISH c hi", int(0));
    publisher.expect("PUBSUB SHARDNUMSUB s1 s3", array(&[bulk("s1"), int(1), bulk("s3"), int(0)]));
    let channels = publisher.cmd("PUBSUB SHARDCHANNELS");
    assert!(
        channels.starts_with("*2\r\n") && channels.contains("s1") && channels.contains("s2"),
        "{channels}"
    );
    publisher.expect("PUBSUB SHARDCHANNELS s2*", array(&[bulk("s2")]));
    publisher.expect("PUBSUB CHANNELS", array(&[bulk("c")]));
    assert_eq!(sub.cmd("SUNSUBSCRIBE s1"), array(&[bulk("sunsubscribe"), bulk("s1"), int(1)]));
    assert_eq!(sub.cmd("SUNSUBSCRIBE"), array(&[bulk("sunsubscribe"), bulk("s2"), int(0)]));
    assert_eq!(sub.cmd("SUNSUBSCRIBE"), array(&[bulk("sunsubscribe"), "$-1\r\n".into(), int(0)]));
    publisher.expect("PUBSUB SHARDNUMSUB s1", array(&[bulk("s1"), int(0)]));
    let info = publisher.cmd("INFO stats");
    assert!(info.contains("pubsub_channels:1\r\n") && info.contains("pubsubshard_channels:0\r\n"), "{info}");
}

#[test]
fn a_disconnected_subscriber_leaves_nothing_behind() {
    let s = Server::start();
    let mut publisher = s.raw();
    for _ in 0..50 {
        let mut sub = s.raw();
        sub.cmd("SUBSCRIBE gone");
        sub.cmd("PSUBSCRIBE g*");
        drop(sub);
    }
    let mut tries = 0;
    while publisher.cmd("PUBLISH gone x") != int(0) {
        tries += 1;
        assert!(tries < 500, "subscribers outlived their connections");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    publisher.expect("PUBSUB NUMPAT", int(0));
    publisher.expect("PUBSUB CHANNELS", "*0\r\n");
}

#[test]
fn keyspace_notifications_follow_every_write() {
    let s = Server::start();
    let mut c = s.raw();
    let mut sub = s.raw();
    c.expect("CONFIG SET notify-keyspace-events KEA", "+OK\r\n");
    sub.cmd("PSUBSCRIBE __key*__:*");
    let mut next = || {
        let reply = sub.read_reply_text();
        let parts: Vec<&str> = reply.split("\r\n").collect();
        format!("{} {}", parts[6], parts[8])
    };
    c.cmd("SET foo bar");
    assert_eq!(next(), "__keyspace@0__:foo set");
    assert_eq!(next(), "__keyevent@0__:set foo");
    c.cmd("HSET h f v");
    assert_eq!(next(), "__keyspace@0__:h hset");
    assert_eq!(next(), "__keyevent@0__:hset h");
    c.cmd("SADD s m");
    assert_eq!(next(), "__keyspace@0__:s sadd");
    assert_eq!(next(), "__keyevent@0__:sadd s");
    c.cmd("DEL foo");
    assert_eq!(next(), "__keyspace@0__:foo del");
    assert_eq!(next(), "__keyevent@0__:del foo");
    // Only some classes; `n` for new keys is not part of `A`.
    c.expect("CONFIG SET notify-keyspace-events Egn", "+OK\r\n");
    c.cmd("SET fresh 1");
    c.cmd("EXPIRE fresh 100");
    assert_eq!(next(), "__keyevent@0__:new fresh");
    assert_eq!(next(), "__keyevent@0__:expire fresh");
    c.expect("CONFIG SET notify-keyspace-events Ex", "+OK\r\n");
    c.cmd("PSETEX short 1 v");
    assert_eq!(next(), "__keyevent@0__:expired short", "the active cycle expires it");
    c.cmd("SELECT 3");
    c.expect("CONFIG SET notify-keyspace-events Ksx", "+OK\r\n");
    c.cmd("SADD s3 m");
    assert_eq!(next(), "__keyspace@3__:s3 sadd");
    c.expect("CONFIG SET notify-keyspace-events Ee", "+OK\r\n");
    c.cmd("FLUSHALL");
    c.expect("CONFIG SET maxmemory-policy allkeys-random", "+OK\r\n");
    c.cmd("SET victim v");
    c.expect("CONFIG SET maxmemory 1", "+OK\r\n");
    assert_eq!(next(), "__keyevent@3__:evicted victim");
    c.expect("CONFIG SET maxmemory 0", "+OK\r\n");
    assert_eq!(c.cmd_args(&["CONFIG", "SET", "notify-keyspace-events", ""]), "+OK\r\n");
    c.cmd("SET quiet 1");
    sub.assert_silent(std::time::Duration::from_millis(200));
}

#[test]
fn key_misses_are_published_with_m_only() {
    let s = Server::start();
    let mut c = s.raw();
    let mut sub = s.raw();
    sub.cmd("PSUBSCRIBE __key*__:*");
    let mut next = || {
        let reply = sub.read_reply_text();
        let parts: Vec<&str> = reply.split("\r\n").collect();
        format!("{} {}", parts[6], parts[8])
    };
    // `A` leaves key misses out, as in Redis.
    c.expect("CONFIG SET notify-keyspace-events KEA", "+OK\r\n");
    c.cmd("GET nosuch");
    c.cmd("SET marker 1");
    assert_eq!(next(), "__keyspace@0__:marker set", "no keymiss under A");
    assert_eq!(next(), "__keyevent@0__:set marker");
    c.expect("CONFIG SET notify-keyspace-events KEm", "+OK\r\n");
    c.cmd("GET nosuch");
    assert_eq!(next(), "__keyspace@0__:nosuch keymiss");
    assert_eq!(next(), "__keyevent@0__:keymiss nosuch");
    c.expect("CONFIG SET notify-keyspace-events Em", "+OK\r\n");
    // Every read lookup that misses: multi-key reads name each missing key once.
    c.cmd("MGET marker gone1 gone2");
    assert_eq!(next(), "__keyevent@0__:keymiss gone1");
    assert_eq!(next(), "__keyevent@0__:keymiss gone2");
    for read in [
        "EXISTS e1",
        "TYPE e2",
        "TTL e3",
        "STRLEN e4",
        "HGET e5 f",
        "LRANGE e6 0 -1",
        "SMEMBERS e7",
        "ZSCORE e8 m",
    ] {
        c.cmd(read);
        let key = read.split(' ').nth(1).unwrap();
        assert_eq!(next(), format!("__keyevent@0__:keymiss {key}"), "{read}");
    }
    c.cmd("SELECT 2");
    c.cmd("GET other");
    assert_eq!(next(), "__keyevent@2__:keymiss other");
    // A write to a missing key is no miss; a found key is none either.
    c.cmd("SET created 1");
    c.cmd("GET created");
    c.cmd("LPUSH l x");
    sub.assert_silent(std::time::Duration::from_millis(200));
}

#[test]
fn monitor_shows_commands_as_redis_does() {
    let s = Server::start();
    let mut monitor = s.raw();
    let mut c = s.raw();
    monitor.expect("MONITOR", "+OK\r\n");
    c.cmd_bytes(&[b"SET", b"k", b"a \"q\"\n\x01"]);
    c.cmd("AUTH secret");
    c.cmd("CONFIG GET maxmemory");
    c.cmd("MULTI");
    c.cmd("INCR n");
    c.cmd("EXEC");
    c.cmd("SELECT 2");
    let line = |m: &mut RawConn| {
        let text = m.read_reply_text();
        assert!(text.starts_with('+') && text.ends_with("\r\n"), "{text:?}");
        // +<secs>.<usec> [db addr] args
        let (stamp, rest) = text[1..].split_once(' ').unwrap();
        let (secs, usec) = stamp.split_once('.').unwrap();
        assert!(secs.parse::<u64>().is_ok() && usec.len() == 6, "{stamp}");
        let (db_addr, args) = rest.split_once("] ").unwrap();
        assert!(db_addr.starts_with('[') && db_addr.contains(" 127.0.0.1:"), "{db_addr}");
        format!("{} {}", &db_addr[1..2], args.trim_end())
    };
    assert_eq!(line(&mut monitor), r#"0 "SET" "k" "a \"q\"\n\x01""#);
    assert_eq!(line(&mut monitor), r#"0 "AUTH" "(redacted)""#);
    // CONFIG is admin: not shown. MULTI, the queued commands as they run, then EXEC.
    assert_eq!(line(&mut monitor), r#"0 "MULTI""#);
    assert_eq!(line(&mut monitor), r#"0 "INCR" "n""#);
    assert_eq!(line(&mut monitor), r#"0 "EXEC""#);
    assert_eq!(line(&mut monitor), r#"2 "SELECT" "2""#);
    // A monitor is a replica to Redis 7.0: no keyspace commands.
    monitor.expect("GET k", err("ERR Replica can't interact with the keyspace"));
    monitor.expect("PUBLISH c m", err("ERR Replica can't interact with the keyspace"));
}

#[test]
fn a_subscriber_that_never_reads_is_dropped_and_memory_stays_bounded() {
    let s = Server::start();
    let mut publisher = s.raw();
    let mut sub = s.raw();
    sub.cmd("SUBSCRIBE flood");
    let rss_before = s.proc_status_kb("VmRSS");
    // 1 GB in 1 MB messages; the subscriber reads none of it. Its limit
    // (client-output-buffer-limit pubsub 32mb 8mb 60) drops it after ~32 MB, and
    // from then on the messages have no receiver.
    let payload = vec![b'x'; 1 << 20];
    let request = encode(&[b"PUBLISH", b"flood", &payload]);
    let mut delivered = 0;
    for _ in 0..1024 {
        publisher.send(&request);
        let reply = publisher.read_reply_text();
        delivered += (reply == int(1)) as usize;
    }
    assert!(delivered < 100, "{delivered} deliveries: the subscriber was not dropped");
    let rss_after = s.proc_status_kb("VmRSS");
    assert!(rss_after < rss_before + 300 * 1024, "RSS grew from {rss_before} kB to {rss_after} kB");
    publisher.expect("PUBSUB NUMSUB flood", array(&[bulk("flood"), int(0)]));
    sub.read_until_closed();
}

#[test]
fn a_monitor_that_never_reads_is_dropped_at_the_normal_limit() {
    let s = Server::start();
    let mut c = s.raw();
    let limit = c.cmd_args(&["CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 1mb 60"]);
    assert_eq!(limit, "+OK\r\n");
    let mut monitor = s.raw();
    monitor.expect("MONITOR", "+OK\r\n");
    let value = vec![b'v'; 64 * 1024];
    let request = encode(&[b"SET", b"k", &value]);
    for _ in 0..400 {
        c.send(&request);
        assert_eq!(c.read_reply_text(), "+OK\r\n");
    }
    // About 26 MB of lines against a 4 MB limit: the monitor is closed.
    monitor.read_until_closed();
    c.expect("PING", "+PONG\r\n");
}

#[test]
fn thousands_of_stars_in_a_pattern_stay_fast() {
    let s = Server::start();
    let mut sub = s.raw();
    let mut publisher = s.raw();
    let pattern = format!("{}x", "*".repeat(20_000));
    sub.cmd_args(&["PSUBSCRIBE", &pattern]);
    let channel = "a".repeat(20_000);
    // The iterative glob bounds each match by pattern × channel length; an
    // exponential matcher would never answer.
    for _ in 0..5 {
        publisher.expect(&format!("PUBLISH {channel} m"), int(0));
    }
    publisher.expect(&format!("PUBLISH {channel}x m"), int(1));
}

/// Runs `tests/py/pubsub.py` (redis-py's `PubSub`) in `protocol`.
fn redis_py(protocol: &str) {
    let python = std::env::var("FERRUM_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has_redis =
        Command::new(&python).args(["-c", "import redis"]).output().is_ok_and(|o| o.status.success());
    if !has_redis {
        missing_tool(&format!("redis-py for {python} (FERRUM_PYTHON=.venv/bin/python)"));
        return;
    }
    let s = Server::start();
    let script = manifest_dir().join("tests/py/pubsub.py");
    let out = Command::new(&python)
        .args([script.to_str().unwrap(), "--port", &s.port().to_string(), "--protocol", protocol])
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("pubsub ok"),
        "pubsub.py --protocol {protocol}: {}\n{stdout}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        s.stderr()
    );
}

#[test]
fn redis_py_pubsub_resp2() {
    redis_py("2");
}

#[test]
fn redis_py_pubsub_resp3() {
    redis_py("3");
}
