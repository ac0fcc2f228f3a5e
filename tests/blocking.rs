//! The blocking room end to end: clients blocked on list keys, served by pushes
//! from other clients, in Redis's order and with Redis's semantics (`BLPOP`,
//! `BRPOP`, `BLMPOP`, `BLMOVE`, `BRPOPLPUSH`), the registry left empty by every way
//! a wait ends, what the AOF logs for a served client, a stress run with exact
//! delivery counts, and redis-py's blocking calls.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{bulk, encode, info_fields, RawConn, Server};

/// An `INFO` field of `conn`'s server.
fn info_field(conn: &mut RawConn, field: &str) -> String {
    let text = conn.cmd("INFO clients");
    info_fields(&text).into_iter().find(|(k, _)| k == field).map(|(_, v)| v).unwrap_or_default()
}

/// Polls `INFO` until `field` reads `want` (a bounded wait for the server to see
/// what the test's clients did; fails after a minute).
fn wait_for(conn: &mut RawConn, field: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = info_field(conn, field);
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{field} stayed {got}, wanted {want}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `line` on a fresh connection and waits until the server counts it blocked.
fn blocked_client(s: &Server, admin: &mut RawConn, line: &str) -> RawConn {
    let before: usize = info_field(admin, "blocked_clients").parse().unwrap();
    let mut c = s.raw();
    c.send(line.as_bytes());
    c.send(b"\r\n");
    wait_for(admin, "blocked_clients", &(before + 1).to_string());
    c
}

fn pair(key: &str, value: &str) -> String {
    format!("*2\r\n{}{}", bulk(key), bulk(value))
}

#[test]
fn a_push_serves_the_blocked_client_with_key_and_element() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut waiter = blocked_client(&s, &mut admin, "BLPOP q1 q2 0");
    admin.expect("RPUSH q2 a b", ":2\r\n");
    assert_eq!(waiter.read_reply_text(), pair("q2", "a"));
    admin.expect("LRANGE q2 0 -1", format!("*1\r\n{}", bulk("b")));
    // RESP3: the same pair, and a null on timeout.
    let mut resp3 = s.raw_resp3();
    resp3.send(b"BRPOP q3 0\r\n");
    wait_for(&mut admin, "blocked_clients", "1");
    admin.expect("LPUSH q3 x y", ":2\r\n");
    assert_eq!(resp3.read_reply_text(), pair("q3", "x"));
    resp3.expect("BLPOP nothing 0.01", "_\r\n");
    let mut resp2 = s.raw();
    resp2.expect("BLMOVE nothing dst LEFT LEFT 0.01", "*-1\r\n");
    wait_for(&mut admin, "total_blocking_keys", "0");
}

#[test]
fn one_push_of_three_serves_three_clients_first_come_first_served() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut clients: Vec<RawConn> = (0..4).map(|_| blocked_client(&s, &mut admin, "BLPOP jobs 0")).collect();
    admin.expect("RPUSH jobs 1 2 3", ":3\r\n");
    for (i, c) in clients.iter_mut().take(3).enumerate() {
        assert_eq!(c.read_reply_text(), pair("jobs", &(i + 1).to_string()));
    }
    clients[3].assert_silent(Duration::from_millis(100));
    assert_eq!(info_field(&mut admin, "blocked_clients"), "1");
    admin.expect("EXISTS jobs", ":0\r\n");
}

#[test]
fn lpush_and_del_in_one_transaction_wake_nobody() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut waiter = blocked_client(&s, &mut admin, "BLPOP k 0");
    admin.send(b"MULTI\r\nLPUSH k v\r\nDEL k\r\nEXEC\r\n");
    for want in ["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n:1\r\n:1\r\n"] {
        assert_eq!(admin.read_reply_text(), want);
    }
    waiter.assert_silent(Duration::from_millis(100));
    // A push inside EXEC that stays does serve it, after the EXEC.
    admin.send(b"MULTI\r\nLPUSH k a\r\nLPUSH k b\r\nEXEC\r\n");
    for want in ["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n:1\r\n:2\r\n"] {
        assert_eq!(admin.read_reply_text(), want);
    }
    assert_eq!(waiter.read_reply_text(), pair("k", "b"));
}

#[test]
fn chained_blmoves_and_a_circular_brpoplpush_settle_before_the_next_command() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut first = blocked_client(&s, &mut admin, "BLMOVE list1 list2 RIGHT LEFT 0");
    let mut second = blocked_client(&s, &mut admin, "BLMOVE list2 list3 LEFT RIGHT 0");
    // The pusher's very next command already sees the settled chain.
    admin.send(b"RPUSH list1 foo\r\nLRANGE list1 0 -1\r\nLRANGE list2 0 -1\r\nLRANGE list3 0 -1\r\n");
    assert_eq!(admin.read_reply_text(), ":1\r\n");
    assert_eq!(admin.read_reply_text(), "*0\r\n");
    assert_eq!(admin.read_reply_text(), "*0\r\n");
    assert_eq!(admin.read_reply_text(), format!("*1\r\n{}", bulk("foo")));
    assert_eq!(first.read_reply_text(), bulk("foo"));
    assert_eq!(second.read_reply_text(), bulk("foo"));

    let mut a = blocked_client(&s, &mut admin, "BRPOPLPUSH c1 c2 0");
    let mut b = blocked_client(&s, &mut admin, "BRPOPLPUSH c2 c1 0");
    admin.send(b"RPUSH c1 foo\r\nLRANGE c1 0 -1\r\nLRANGE c2 0 -1\r\n");
    assert_eq!(admin.read_reply_text(), ":1\r\n");
    assert_eq!(admin.read_reply_text(), format!("*1\r\n{}", bulk("foo")));
    assert_eq!(admin.read_reply_text(), "*0\r\n");
    assert_eq!(a.read_reply_text(), bulk("foo"));
    assert_eq!(b.read_reply_text(), bulk("foo"));
}

#[test]
fn blmpop_takes_up_to_count_from_the_first_ready_list() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut waiter = blocked_client(&s, &mut admin, "BLMPOP 0 2 z1 z2 RIGHT COUNT 3");
    admin.expect("RPUSH z2 1 2 3 4", ":4\r\n");
    let elements = format!("*3\r\n{}{}{}", bulk("4"), bulk("3"), bulk("2"));
    assert_eq!(waiter.read_reply_text(), format!("*2\r\n{}{elements}", bulk("z2")));
    admin.expect("LRANGE z2 0 -1", format!("*1\r\n{}", bulk("1")));
    // Its options are checked before its timeout, as Redis does.
    admin.expect("BLMPOP x 0 a LEFT", "-ERR numkeys should be greater than 0\r\n");
    admin.expect("BLMPOP x 1 a LEFT", "-ERR timeout is not a float or out of range\r\n");
    admin.expect("BLPOP a -1", "-ERR timeout is negative\r\n");
}

#[test]
fn inside_multi_a_blocking_command_acts_as_its_non_blocking_form() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("RPUSH full x", ":1\r\n");
    c.send(b"MULTI\r\nBLPOP empty 0\r\nBLPOP full 0\r\nBLMOVE empty d LEFT LEFT 0\r\nEXEC\r\n");
    for want in ["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n"] {
        assert_eq!(c.read_reply_text(), want);
    }
    assert_eq!(c.read_reply_text(), format!("*3\r\n*-1\r\n{}*-1\r\n", pair("full", "x")));
    assert_eq!(info_field(&mut c, "total_blocking_keys"), "0");
}

#[test]
fn a_key_of_another_type_keeps_a_list_waiter_waiting() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut waiter = blocked_client(&s, &mut admin, "BLPOP k 0");
    admin.expect("SET k text", "+OK\r\n");
    waiter.assert_silent(Duration::from_millis(100));
    admin.expect("DEL k", ":1\r\n");
    admin.expect("RPUSH k v", ":1\r\n");
    assert_eq!(waiter.read_reply_text(), pair("k", "v"));
    // A BLMOVE whose destination is of another type is answered WRONGTYPE; nothing moves.
    let mut mover = blocked_client(&s, &mut admin, "BLMOVE src dst LEFT LEFT 0");
    admin.expect("SET dst text", "+OK\r\n");
    admin.expect("RPUSH src e", ":1\r\n");
    assert!(mover.read_reply_text().starts_with("-WRONGTYPE"));
    admin.expect("LLEN src", ":1\r\n");
}

#[test]
fn swapdb_and_a_rename_bring_a_list_under_the_waiter() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut waiter = blocked_client(&s, &mut admin, "BLPOP k 0");
    admin.expect("SELECT 1", "+OK\r\n");
    admin.expect("RPUSH k from-db1", ":1\r\n");
    admin.expect("SWAPDB 0 1", "+OK\r\n");
    assert_eq!(waiter.read_reply_text(), pair("k", "from-db1"));
    admin.expect("SELECT 0", "+OK\r\n");
    let mut waiter = blocked_client(&s, &mut admin, "BLPOP target 0");
    admin.expect("RPUSH other v", ":1\r\n");
    admin.expect("RENAME other target", "+OK\r\n");
    assert_eq!(waiter.read_reply_text(), pair("target", "v"));
}

#[test]
fn every_way_a_wait_ends_leaves_the_registry_empty() {
    let s = Server::start();
    let mut admin = s.raw();
    // Timeout.
    let mut timed = s.raw();
    timed.expect("BLPOP a b c 0.05", "*-1\r\n");
    // CLIENT UNBLOCK, both ways.
    let mut unblocked = blocked_client(&s, &mut admin, "BLPOP a 0");
    let id = {
        let list = admin.cmd("CLIENT LIST");
        let line =
            list.lines().find(|l| l.contains("flags=b")).expect("a client listed as blocked").to_string();
        line.split_whitespace().find_map(|f| f.strip_prefix("id=")).unwrap().to_string()
    };
    admin.expect(&format!("CLIENT UNBLOCK {id} TIMEOUT"), ":1\r\n");
    assert_eq!(unblocked.read_reply_text(), "*-1\r\n");
    let mut errored = blocked_client(&s, &mut admin, "BLMOVE a b LEFT LEFT 0");
    // Pipelined behind the wait: it runs once the wait ends.
    errored.send(b"CLIENT ID\r\n");
    let list = admin.cmd("CLIENT LIST");
    let line = list.lines().find(|l| l.contains("flags=b")).unwrap().to_string();
    let id = line.split_whitespace().find_map(|f| f.strip_prefix("id=")).unwrap().to_string();
    admin.expect(&format!("CLIENT UNBLOCK {id} ERROR"), ":1\r\n");
    assert_eq!(errored.read_reply_text(), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    assert!(errored.read_reply_text().starts_with(':'), "the pipelined CLIENT ID runs after the wait");
    // CLIENT KILL and a disconnect.
    let _killed = blocked_client(&s, &mut admin, "BRPOP a 0");
    let list = admin.cmd("CLIENT LIST");
    let line = list.lines().find(|l| l.contains("flags=b")).unwrap().to_string();
    let id = line.split_whitespace().find_map(|f| f.strip_prefix("id=")).unwrap().to_string();
    admin.expect(&format!("CLIENT KILL ID {id}"), ":1\r\n");
    let gone = blocked_client(&s, &mut admin, "BLPOP a x y 0");
    drop(gone);
    wait_for(&mut admin, "blocked_clients", "0");
    wait_for(&mut admin, "total_blocking_keys", "0");
    // Nothing popped for the clients that went away.
    admin.expect("RPUSH a 1", ":1\r\n");
    admin.expect("LLEN a", ":1\r\n");
}

#[test]
fn the_idle_timeout_does_not_close_a_blocked_client() {
    let s = Server::start_with(&["--timeout", "1"]);
    let mut admin = s.raw();
    let mut waiter = blocked_client(&s, &mut admin, "BLPOP k 0");
    std::thread::sleep(Duration::from_millis(2500));
    let mut pusher = s.raw();
    pusher.expect("RPUSH k v", ":1\r\n");
    assert_eq!(waiter.read_reply_text(), pair("k", "v"));
}

#[test]
fn a_served_client_is_logged_as_its_effect_and_replays() {
    let dir = tempdir();
    let dir_arg = dir.to_str().unwrap();
    let s = Server::start_with(&["--appendonly", "yes", "--dir", dir_arg, "--appendfsync", "always"]);
    let mut admin = s.raw();
    let mut popper = blocked_client(&s, &mut admin, "BLPOP q 0");
    let mut mover = blocked_client(&s, &mut admin, "BLMOVE m dst RIGHT LEFT 0");
    let mut legacy = blocked_client(&s, &mut admin, "BRPOPLPUSH r dst 0");
    let mut multi = blocked_client(&s, &mut admin, "BLMPOP 0 1 p LEFT COUNT 5");
    admin.expect("RPUSH q a b", ":2\r\n");
    admin.expect("RPUSH m c", ":1\r\n");
    admin.expect("RPUSH r d", ":1\r\n");
    admin.expect("RPUSH p e f", ":2\r\n");
    assert_eq!(popper.read_reply_text(), pair("q", "a"));
    assert_eq!(mover.read_reply_text(), bulk("c"));
    assert_eq!(legacy.read_reply_text(), bulk("d"));
    assert_eq!(multi.read_reply_text(), format!("*2\r\n{}*2\r\n{}{}", bulk("p"), bulk("e"), bulk("f")));
    let log = aof_text(&dir);
    for effect in [
        "LPOP\r\n$1\r\nq\r\n",
        "LMOVE\r\n$1\r\nm\r\n$3\r\ndst\r\n$5\r\nRIGHT\r\n$4\r\nLEFT",
        "RPOPLPUSH\r\n$1\r\nr",
        "LPOP\r\n$1\r\np\r\n$1\r\n2",
    ] {
        assert!(log.contains(effect), "{effect:?} not logged:\n{log}");
    }
    for blocking in ["BLPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP"] {
        assert!(!log.contains(blocking), "{blocking} logged as itself");
    }
    drop(s);
    let s = Server::start_with(&["--appendonly", "yes", "--dir", dir_arg]);
    let mut c = s.raw();
    c.expect("LRANGE q 0 -1", format!("*1\r\n{}", bulk("b")));
    c.expect("LRANGE dst 0 -1", format!("*2\r\n{}{}", bulk("d"), bulk("c")));
    c.expect("EXISTS m r p", ":0\r\n");
}

/// A fresh directory under the target dir.
fn tempdir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ferrum-blocking-{}-{}", std::process::id(), common::free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every AOF file under `dir`, concatenated.
fn aof_text(dir: &std::path::Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains(".aof")
                && !path.to_string_lossy().ends_with(".manifest")
            {
                text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
    }
    text
}

#[test]
fn ten_thousand_clients_block_and_disconnect_and_nothing_is_left_behind() {
    let s = Server::start_with(&["--maxclients", "10100"]);
    let mut admin = s.raw();
    let request = encode(&[b"BLPOP", b"shared", b"own", b"0"]);
    let mut clients = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let mut c = TcpStream::connect(("127.0.0.1", s.port())).unwrap();
        c.write_all(&request).unwrap();
        clients.push(c);
    }
    wait_for(&mut admin, "blocked_clients", "10000");
    assert_eq!(info_field(&mut admin, "total_blocking_keys"), "2");
    drop(clients);
    wait_for(&mut admin, "blocked_clients", "0");
    wait_for(&mut admin, "total_blocking_keys", "0");
    admin.expect("RPUSH shared x", ":1\r\n");
    admin.expect("LLEN shared", ":1\r\n");
}

/// Reads one `BLPOP` reply from `stream`: `Some(element)` or `None` (timeout).
fn read_pop(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Some(len) = common::reply_len(buf) {
            let reply: Vec<u8> = buf.drain(..len).collect();
            if reply.starts_with(b"*-1") {
                return None;
            }
            // *2 $k key $n element: the element is the last bulk.
            let text = reply;
            let mut parts = text.split(|&b| b == b'\n');
            let lines: Vec<&[u8]> = parts.by_ref().collect();
            let element = lines[lines.len() - 2];
            return Some(element.strip_suffix(b"\r").unwrap_or(element).to_vec());
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).expect("a reply");
        assert!(n > 0, "the server closed a worker");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn a_thousand_workers_on_a_hundred_queues_get_every_element_exactly_once() {
    const WORKERS: usize = 1000;
    const QUEUES: usize = 100;
    const PRODUCERS: usize = 10;
    const PER_PRODUCER: usize = 2000;
    let total = PRODUCERS * PER_PRODUCER;
    let s = Server::start();
    let port = s.port();
    let delivered = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (delivered, received) = (delivered.clone(), received.clone());
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    let mut buf = Vec::new();
                    // Each worker waits on two queues, as a worker serving priorities does.
                    let (a, b) = (format!("q{}", w % QUEUES), format!("q{}", (w + 1) % QUEUES));
                    let request = encode(&[b"BLPOP", a.as_bytes(), b.as_bytes(), b"0.2"]);
                    let mut mine = Vec::new();
                    loop {
                        stream.write_all(&request).unwrap();
                        match read_pop(&mut stream, &mut buf) {
                            Some(element) => {
                                mine.push(element);
                                delivered.fetch_add(1, Ordering::SeqCst);
                            }
                            None if delivered.load(Ordering::SeqCst) >= total => break,
                            None => {}
                        }
                    }
                    received.lock().unwrap().extend(mine);
                })
                .unwrap()
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                // Pipelined in batches of 100 pushes.
                for batch in 0..PER_PRODUCER / 100 {
                    let mut out = Vec::new();
                    for i in 0..100 {
                        let n = batch * 100 + i;
                        let queue = format!("q{}", (p * 31 + n * 7) % QUEUES);
                        let element = format!("{p}:{n}");
                        out.extend(encode(&[b"RPUSH", queue.as_bytes(), element.as_bytes()]));
                    }
                    stream.write_all(&out).unwrap();
                    let mut buf = Vec::new();
                    let mut replies = 0;
                    while replies < 100 {
                        if let Some(len) = common::reply_len(&buf) {
                            assert_eq!(buf[0], b':', "{}", String::from_utf8_lossy(&buf));
                            buf.drain(..len);
                            replies += 1;
                            continue;
                        }
                        let mut chunk = [0u8; 4096];
                        let n = stream.read(&mut chunk).unwrap();
                        assert!(n > 0);
                        buf.extend_from_slice(&chunk[..n]);
                    }
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    for w in workers {
        w.join().unwrap();
    }
    let mut got = received.lock().unwrap().clone();
    assert_eq!(got.len(), total, "every element delivered once, none twice");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), total, "no element delivered twice");
    let mut admin = s.raw();
    for q in 0..QUEUES {
        admin.expect(&format!("EXISTS q{q}"), ":0\r\n");
    }
    wait_for(&mut admin, "blocked_clients", "0");
}

#[test]
fn redis_py_blocking_calls_over_resp2_and_resp3() {
    common::run_redis_py("blocking.py", "blocking ok");
}

#[test]
fn the_redis_crate_blocks_and_is_served() {
    let s = Server::start();
    let mut admin = s.raw();
    let client = s.client();
    let waiter = std::thread::spawn(move || {
        let mut conn = client.get_connection().unwrap();
        let popped: Option<(String, String)> =
            redis::cmd("BRPOP").arg("crate-q").arg(0).query(&mut conn).unwrap();
        let moved: Option<String> = redis::cmd("BLMOVE")
            .arg("crate-src")
            .arg("crate-dst")
            .arg("LEFT")
            .arg("RIGHT")
            .arg(0)
            .query(&mut conn)
            .unwrap();
        (popped, moved)
    });
    wait_for(&mut admin, "blocked_clients", "1");
    admin.expect("LPUSH crate-q job", ":1\r\n");
    wait_for(&mut admin, "blocked_clients", "1");
    admin.expect("RPUSH crate-src m", ":1\r\n");
    let (popped, moved) = waiter.join().unwrap();
    assert_eq!(popped, Some(("crate-q".to_string(), "job".to_string())));
    assert_eq!(moved.as_deref(), Some("m"));
    assert_eq!(admin.int("LLEN crate-dst"), 1);
}
