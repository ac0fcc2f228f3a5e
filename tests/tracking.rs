//! Client-side caching over the wire (`CLIENT TRACKING`, Redis 7.0's
//! `tracking.c`): RESP3 invalidation pushes after the reply, `REDIRECT` to a RESP2
//! subscriber of `__redis__:invalidate`, `BCAST` with prefixes (one message per
//! prefix for a whole `EXEC`), `OPTIN`/`OPTOUT` with `CLIENT CACHING`, `NOLOOP`,
//! flushes (the null invalidation), `tracking-table-max-keys`, `CLIENT GETREDIR`,
//! `CLIENT TRACKINGINFO`, the `INFO` counters, and redis-py's client-side cache
//! (`tests/py/tracking.py`; `FERRUM_PYTHON` picks the interpreter).

mod common;

use std::process::Command;

use common::*;

fn push3(items: &[String]) -> String {
    format!(">{}\r\n{}", items.len(), items.concat())
}

fn invalidate(keys: &[&str]) -> String {
    let keys: Vec<String> = keys.iter().map(|k| bulk(k)).collect();
    push3(&[bulk("invalidate"), array(&keys)])
}

fn redirected(keys: &[&str]) -> String {
    let keys: Vec<String> = keys.iter().map(|k| bulk(k)).collect();
    array(&[bulk("message"), bulk("__redis__:invalidate"), array(&keys)])
}

#[test]
fn resp3_reads_are_invalidated_by_any_write_after_the_reply() {
    let s = Server::start();
    let mut c = s.raw_resp3();
    let mut other = s.raw();
    c.expect("CLIENT TRACKING on", "+OK\r\n");
    other.cmd("SET k 1");
    c.expect("GET k", bulk("1"));
    other.cmd("SET k 2");
    assert_eq!(c.read_reply_text(), invalidate(&["k"]));
    // Invalidated once: forgotten until read again.
    other.cmd("SET k 3");
    c.expect("GET k", bulk("3"));
    // The client's own write: the invalidation follows the reply.
    c.send(&encode(&[b"DEL", b"k"]));
    assert_eq!(c.read_reply_text(), int(1));
    assert_eq!(c.read_reply_text(), invalidate(&["k"]));
    let info = other.cmd("INFO");
    assert!(info.contains("tracking_clients:1\r\n") && info.contains("tracking_total_keys:0\r\n"), "{info}");
    // Expiry invalidates too.
    c.expect("SET e v PX 20", "+OK\r\n");
    c.expect("GET e", bulk("v"));
    assert_eq!(c.read_reply_text(), invalidate(&["e"]));
    c.expect("CLIENT TRACKING off", "+OK\r\n");
    assert!(other.cmd("INFO").contains("tracking_clients:0\r\n"));
}

#[test]
fn redirect_to_a_resp2_subscriber_and_broken_redirects() {
    let s = Server::start();
    let mut target = s.raw();
    let id = target.cmd("CLIENT ID");
    let id = id.trim_start_matches(':').trim();
    target.cmd("SUBSCRIBE __redis__:invalidate");
    let mut c = s.raw_resp3();
    let mut writer = s.raw();
    c.expect(&format!("CLIENT TRACKING on REDIRECT {id}"), "+OK\r\n");
    c.expect("CLIENT GETREDIR", int(id.parse().unwrap()));
    writer.cmd("MSET a 1 b 2");
    c.cmd("MGET a b");
    writer.cmd("SET b 3");
    assert_eq!(target.read_reply_text(), redirected(&["b"]));
    writer.cmd("FLUSHALL");
    assert_eq!(
        target.read_reply_text(),
        array(&[bulk("message"), bulk("__redis__:invalidate"), "$-1\r\n".into()])
    );
    // The redirect client goes away: the tracking client is told.
    c.cmd("GET a");
    drop(target);
    let mut tries = 0;
    while writer.cmd("CLIENT LIST").matches("id=").count() > 2 {
        tries += 1;
        assert!(tries < 500, "the redirect client did not go");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    writer.cmd("SET a 9");
    assert_eq!(c.cmd("PING"), push3(&[bulk("tracking-redir-broken"), int(id.parse().unwrap())]));
    assert_eq!(c.read_reply_text(), "+PONG\r\n");
    assert!(c.cmd("CLIENT TRACKINGINFO").contains("broken_redirect"));
}

#[test]
fn bcast_sends_one_message_per_prefix_after_exec() {
    let s = Server::start();
    let mut c = s.raw_resp3();
    let mut writer = s.raw();
    c.expect("CLIENT TRACKING on BCAST PREFIX a: PREFIX b:", "+OK\r\n");
    writer.cmd("MULTI");
    for key in ["a:1", "a:2", "b:1", "c:1"] {
        writer.cmd(&format!("INCR {key}"));
    }
    writer.cmd("EXEC");
    let mut messages = vec![c.read_reply_text(), c.read_reply_text()];
    messages.sort();
    let mut expected = vec![invalidate(&["a:1", "a:2"]), invalidate(&["b:1"])];
    expected.sort();
    assert_eq!(messages, expected);
    assert_eq!(
        c.cmd("CLIENT TRACKING on BCAST PREFIX a"),
        err("ERR Prefix 'a' overlaps with an existing prefix 'a:'. Prefixes for a single client must not overlap.")
    );
    assert_eq!(
        c.cmd("CLIENT TRACKING on BCAST PREFIX x PREFIX xy"),
        err("ERR Prefix 'x' overlaps with another provided prefix 'xy'. Prefixes for a single client must not overlap.")
    );
    assert_eq!(
        c.cmd("CLIENT TRACKING on"),
        err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
    );
    let info = c.cmd("CLIENT TRACKINGINFO");
    assert_eq!(
        info,
        format!(
            "%3\r\n{}~2\r\n{}{}{}:0\r\n{}*2\r\n{}{}",
            bulk("flags"),
            bulk("on"),
            bulk("bcast"),
            bulk("redirect"),
            bulk("prefixes"),
            bulk("a:"),
            bulk("b:")
        )
    );
    assert!(writer.cmd("INFO stats").contains("tracking_total_prefixes:2\r\n"));
    // NOLOOP leaves out the client's own changes.
    c.expect("CLIENT TRACKING off", "+OK\r\n");
    c.expect("CLIENT TRACKING on BCAST NOLOOP", "+OK\r\n");
    c.expect("SET mine 1", "+OK\r\n");
    writer.cmd("SET theirs 1");
    assert_eq!(c.read_reply_text(), invalidate(&["theirs"]));
}

#[test]
fn optin_optout_and_caching() {
    let s = Server::start();
    let mut c = s.raw_resp3();
    let mut writer = s.raw();
    assert_eq!(
        c.cmd("CLIENT CACHING yes"),
        err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
    );
    assert_eq!(
        c.cmd("CLIENT TRACKING on OPTIN OPTOUT"),
        err("ERR You can't specify both OPTIN mode and OPTOUT mode")
    );
    assert_eq!(
        c.cmd("CLIENT TRACKING on PREFIX p"),
        err("ERR PREFIX option requires BCAST mode to be enabled")
    );
    assert_eq!(
        c.cmd("CLIENT TRACKING on REDIRECT 999999"),
        err("ERR The client ID you want redirect to does not exist")
    );
    assert_eq!(c.cmd("CLIENT TRACKING maybe"), err("ERR syntax error"));
    c.expect("CLIENT TRACKING on OPTIN", "+OK\r\n");
    assert_eq!(
        c.cmd("CLIENT CACHING no"),
        err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    );
    c.cmd("GET untracked");
    c.expect("CLIENT CACHING yes", "+OK\r\n");
    c.cmd("GET tracked");
    writer.cmd("MSET untracked 1 tracked 1");
    assert_eq!(c.read_reply_text(), invalidate(&["tracked"]));
    c.expect("CLIENT TRACKING off", "+OK\r\n");
    c.expect("CLIENT TRACKING on OPTOUT", "+OK\r\n");
    c.expect("CLIENT CACHING no", "+OK\r\n");
    c.cmd("GET untracked");
    c.cmd("GET tracked");
    writer.cmd("MSET untracked 2 tracked 2");
    assert_eq!(c.read_reply_text(), invalidate(&["tracked"]));
}

#[test]
fn the_table_keeps_within_tracking_table_max_keys() {
    let s = Server::start();
    let mut c = s.raw_resp3();
    let mut admin = s.raw();
    c.expect("CLIENT TRACKING on", "+OK\r\n");
    for i in 0..50 {
        c.cmd(&format!("GET key{i}"));
    }
    assert!(admin.cmd("INFO stats").contains("tracking_total_keys:50\r\n"));
    admin.expect("CONFIG SET tracking-table-max-keys 10", "+OK\r\n");
    // The next command brings the table within the limit, each key dropped
    // invalidated.
    c.send(&encode(&[b"PING"]));
    let mut invalidated = 0;
    loop {
        let reply = c.read_reply_text();
        if reply == "+PONG\r\n" {
            break;
        }
        assert!(reply.starts_with(">2\r\n$10\r\ninvalidate\r\n"), "{reply}");
        invalidated += 1;
    }
    assert_eq!(invalidated, 40);
    assert!(admin.cmd("INFO stats").contains("tracking_total_keys:10\r\n"));
    // FLUSHDB sends the null invalidation after its reply.
    c.send(&encode(&[b"FLUSHDB"]));
    assert_eq!(c.read_reply_text(), "+OK\r\n");
    assert_eq!(c.read_reply_text(), push3(&[bulk("invalidate"), "_\r\n".into()]));
}

#[test]
fn redis_py_client_side_cache() {
    let python = std::env::var("FERRUM_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has_cache = Command::new(&python)
        .args(["-c", "from redis.cache import CacheConfig"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cache {
        missing_tool(&format!(
            "redis-py with client-side caching for {python} (FERRUM_PYTHON=.venv/bin/python)"
        ));
        return;
    }
    let s = Server::start();
    let script = manifest_dir().join("tests/py/tracking.py");
    let out = Command::new(&python)
        .args([script.to_str().unwrap(), "--port", &s.port().to_string()])
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("tracking ok"),
        "tracking.py: {}\n{stdout}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        s.stderr()
    );
}
