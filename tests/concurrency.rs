//! Many clients at once and the process's life cycle, against the real binary:
//! `MSET` is atomic for concurrent `MGET`s and `SORT … GET [STORE]`s; 500 concurrent clients doing `INCR` lose no
//! update; `--maxclients` refuses the client over the cap with Redis's error;
//! `--timeout` closes an idle client; SIGTERM/SIGINT shut down gracefully (exit 0,
//! replies to commands already read still arrive); `--config FILE` is applied, flags
//! override it, and a bad file stops the binary with the file and line in stderr; and
//! the harness itself reports a server that never comes up, with its stderr.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use common::{bulk, encode, info_fields, int, run_to_exit, RawConn, Server, OK};

const MAX_CLIENTS_REPLY: &str = "-ERR max number of clients reached\r\n";

#[test]
fn mset_is_atomic_for_concurrent_mget() {
    const KEYS: usize = 16;
    const ROUNDS: usize = 3_000;
    let s = Server::start();
    let keys: Vec<String> = (0..KEYS).map(|k| format!("key:{k}")).collect();
    let mut writer = s.raw();
    let mset = |round: usize| {
        let mut args = vec!["MSET".to_string()];
        for key in &keys {
            args.push(key.clone());
            args.push(round.to_string());
        }
        args
    };
    let first: Vec<String> = mset(0);
    writer.expect_args(&first.iter().map(String::as_str).collect::<Vec<_>>(), OK);

    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let done = done.clone();
            let mut c = s.raw();
            let mut mget = vec!["MGET"];
            mget.extend(keys.iter().map(String::as_str));
            let mget = encode(&mget.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
            thread::spawn(move || {
                let mut reads = 0u64;
                // Bounded: stops when the writer is done or after many reads.
                while !done.load(Ordering::Relaxed) && reads < 200_000 {
                    c.send(&mget);
                    let reply = c.read_reply_text();
                    let values: Vec<&str> = reply
                        .split("\r\n")
                        .skip(1)
                        .filter(|l| !l.starts_with('$') && !l.is_empty())
                        .collect();
                    assert_eq!(values.len(), KEYS, "MGET reply {reply:?}");
                    assert!(values.iter().all(|v| *v == values[0]), "MGET saw half an MSET: {values:?}");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for round in 1..=ROUNDS {
        let args = mset(round);
        writer.expect_args(&args.iter().map(String::as_str).collect::<Vec<_>>(), OK);
    }
    done.store(true, Ordering::Relaxed);
    let reads: u64 = readers.into_iter().map(|r| r.join().expect("reader panicked")).sum();
    assert!(reads > 0);
    writer.expect(&format!("GET {}", keys[KEYS - 1]), bulk(&ROUNDS.to_string()));
}

/// `SORT … BY/GET` reads keys named by the source's elements, and `STORE` writes
/// the result: one atomic operation, so a concurrent `MSET` of every `GET` key is
/// seen whole or not at all, whether the result is returned or stored (and read
/// back: only this reader writes its destination).
#[test]
fn sort_get_and_store_are_atomic_for_concurrent_mset() {
    const KEYS: usize = 16;
    const ROUNDS: usize = 3_000;
    let s = Server::start();
    let mut writer = s.raw();
    let elements: Vec<String> = (0..KEYS).map(|k| k.to_string()).collect();
    let mut rpush = vec!["RPUSH", "src"];
    rpush.extend(elements.iter().map(String::as_str));
    writer.expect_args(&rpush, int(KEYS as i64));
    let mset = |round: usize| {
        let mut args = vec!["MSET".to_string()];
        for element in &elements {
            args.push(format!("k_{element}"));
            args.push(round.to_string());
            args.push(format!("w_{element}"));
            args.push(round.to_string());
        }
        args
    };
    writer.expect_args(&mset(0).iter().map(String::as_str).collect::<Vec<_>>(), OK);

    let done = Arc::new(AtomicBool::new(false));
    let requests: [&[&str]; 3] = [
        &["SORT", "src", "BY", "nosort", "GET", "k_*"],
        &["SORT", "src", "BY", "w_*", "GET", "#", "GET", "k_*", "GET", "w_*"],
        &["SORT", "src", "BY", "nosort", "GET", "k_*", "STORE", "dst"],
    ];
    let readers: Vec<_> = requests
        .iter()
        .map(|request| {
            let done = done.clone();
            let mut c = s.raw();
            let stores = request.contains(&"STORE");
            let sort = encode(&request.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
            let lrange = encode(&[b"LRANGE", b"dst", b"0", b"-1"]);
            let by_weight = request.contains(&"w_*");
            thread::spawn(move || {
                let mut reads = 0u64;
                while !done.load(Ordering::Relaxed) && reads < 200_000 {
                    c.send(&sort);
                    let mut reply = c.read_reply_text();
                    if stores {
                        assert_eq!(reply, format!(":{KEYS}\r\n"));
                        c.send(&lrange);
                        reply = c.read_reply_text();
                    }
                    let values: Vec<&str> = reply
                        .split("\r\n")
                        .skip(1)
                        .filter(|l| !l.starts_with('$') && !l.is_empty())
                        .collect();
                    // With BY w_*, each element's own name comes first: skip it.
                    let values: Vec<&str> = if by_weight {
                        values.chunks(3).flat_map(|c| c[1..].iter().copied()).collect()
                    } else {
                        values
                    };
                    assert_eq!(values.len(), if by_weight { 2 * KEYS } else { KEYS }, "reply {reply:?}");
                    assert!(values.iter().all(|v| *v == values[0]), "SORT saw half an MSET: {values:?}");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for round in 1..=ROUNDS {
        writer.expect_args(&mset(round).iter().map(String::as_str).collect::<Vec<_>>(), OK);
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().expect("reader panicked") > 0);
    }
}

#[test]
fn five_hundred_clients_incr_without_losing_updates() {
    five_hundred_clients_incr(&[]);
}

#[test]
fn five_hundred_clients_incr_without_losing_updates_on_the_work_stealing_runtime() {
    five_hundred_clients_incr(&["--io-runtime", "work-stealing"]);
}

fn five_hundred_clients_incr(args: &[&str]) {
    const CLIENTS: usize = 500;
    const INCRS: usize = 20;
    const COUNTERS: usize = 5;
    let s = Server::start_with(args);
    let barrier = Arc::new(Barrier::new(CLIENTS + 1));
    let workers: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let barrier = barrier.clone();
            let port = s.port();
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut c = RawConn::connect(port);
                    c.expect("PING", "+PONG\r\n");
                    // Once everyone is connected (and counted), all start together.
                    barrier.wait();
                    barrier.wait();
                    let mut seen = Vec::with_capacity(INCRS);
                    for n in 0..INCRS {
                        let counter = (i + n) % COUNTERS;
                        seen.push((counter, c.int(&format!("INCR counter:{counter}"))));
                    }
                    seen
                })
                .expect("spawn client thread")
        })
        .collect();
    barrier.wait();
    // All 500 (and this one) are connected at the same time. The harness's start-up
    // probe may linger for a moment, so wait (bounded) for the count to settle.
    let mut c = s.raw();
    let mut connected = 0;
    for _ in 0..100 {
        let info = c.cmd("INFO clients");
        let fields = info_fields(&info);
        connected =
            fields.iter().find(|(k, _)| k == "connected_clients").map_or(0, |(_, v)| v.parse().unwrap());
        if connected <= CLIENTS + 1 {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    assert!(connected > CLIENTS, "connected_clients {connected} while {} are connected", CLIENTS + 1);
    barrier.wait();
    let mut replies: HashMap<usize, Vec<i64>> = HashMap::new();
    for worker in workers {
        for (counter, value) in worker.join().expect("client thread panicked") {
            replies.entry(counter).or_default().push(value);
        }
    }
    let per_counter = CLIENTS * INCRS / COUNTERS;
    for counter in 0..COUNTERS {
        c.expect(&format!("GET counter:{counter}"), bulk(&per_counter.to_string()));
        // Every INCR got its own value: no update was lost or applied twice.
        let mut values = replies.remove(&counter).unwrap_or_default();
        values.sort_unstable();
        assert_eq!(values, (1..=per_counter as i64).collect::<Vec<_>>(), "counter:{counter}");
    }
}

/// Connects and waits (bounded) until the server admits the client.
fn admitted_client(s: &Server) -> RawConn {
    for _ in 0..200 {
        let mut c = s.raw();
        c.send(b"PING\r\n");
        match c.try_read_reply() {
            Some(reply) if reply == b"+PONG\r\n" => return c,
            Some(reply) => assert_eq!(String::from_utf8_lossy(&reply), MAX_CLIENTS_REPLY),
            None => {}
        }
        thread::sleep(Duration::from_millis(25));
    }
    panic!("the server never admitted a client");
}

#[test]
fn maxclients_refuses_the_client_over_the_cap() {
    let s = Server::start_with(&["--maxclients", "2"]);
    let mut first = admitted_client(&s);
    let second = admitted_client(&s);
    first.expect("CONFIG GET maxclients", format!("*2\r\n{}{}", bulk("maxclients"), bulk("2")));
    // The third gets Redis's error and is disconnected, whatever it sends.
    for request in [&b""[..], b"PING\r\n"] {
        let mut third = s.raw();
        third.send(request);
        assert_eq!(String::from_utf8_lossy(&third.read_until_closed()), MAX_CLIENTS_REPLY);
    }
    let stats = info_fields(&first.cmd("INFO stats"));
    let rejected = stats.iter().find(|(k, _)| k == "rejected_connections").map(|(_, v)| v.as_str());
    assert!(rejected.is_some_and(|n| n.parse::<u64>().unwrap() >= 2), "{stats:?}");
    // A freed slot is given to the next client.
    drop(second);
    let mut again = admitted_client(&s);
    again.expect("SET a 1", OK);
    // The cap can be raised live.
    first.expect("CONFIG SET maxclients 3", OK);
    let mut third = admitted_client(&s);
    third.expect("GET a", bulk("1"));
    let mut fourth = s.raw();
    fourth.send(b"PING\r\n");
    assert_eq!(String::from_utf8_lossy(&fourth.read_until_closed()), MAX_CLIENTS_REPLY);
}

#[test]
fn idle_timeout_closes_idle_clients() {
    let s = Server::start_with(&["--timeout", "1"]);
    let mut c = s.raw();
    c.expect("CONFIG GET timeout", format!("*2\r\n{}{}", bulk("timeout"), bulk("1")));
    // A client that keeps talking stays connected past the timeout...
    let mut busy = s.raw();
    for _ in 0..10 {
        busy.expect("PING", "+PONG\r\n");
        thread::sleep(Duration::from_millis(200));
    }
    busy.expect("PING", "+PONG\r\n");
    // ...an idle one is closed without a reply.
    assert_eq!(c.read_until_closed(), b"");
    // `CONFIG SET timeout 0` turns it off for new reads.
    let mut other = s.raw();
    other.expect("CONFIG SET timeout 0", OK);
    other.assert_silent(Duration::from_millis(1500));
    other.expect("PING", "+PONG\r\n");
}

fn graceful_shutdown(signal: &str, args: &[&str]) {
    let mut s = Server::start_with(args);
    let mut idle = s.raw();
    idle.expect("PING", "+PONG\r\n");
    let mut busy = s.raw();
    const N: usize = 200;
    let pipeline: Vec<u8> = (0..N).flat_map(|_| encode(&[b"INCR", b"n"])).collect();
    busy.send(&pipeline);
    // The first reply shows the server has read the pipeline; then the signal comes.
    assert_eq!(busy.read_reply_text(), int(1));
    s.signal(signal);
    let rest = String::from_utf8_lossy(&busy.read_until_closed()).into_owned();
    let want: String = (2..=N as i64).map(int).collect();
    assert_eq!(rest, want, "replies to the commands already sent");
    assert_eq!(idle.read_until_closed(), b"", "idle client closed at shutdown");
    let status = s.wait_exit();
    assert!(status.success(), "exit status after SIG{signal}: {status}; stderr:\n{}", s.stderr());
    assert!(!s.stderr().contains("panicked"), "{}", s.stderr());
    // Nothing listens any more.
    assert!(std::net::TcpStream::connect(s.addr()).is_err());
}

#[test]
fn sigterm_shuts_down_gracefully() {
    graceful_shutdown("TERM", &[]);
}

#[test]
fn sigterm_shuts_down_gracefully_on_the_work_stealing_runtime() {
    graceful_shutdown("TERM", &["--io-runtime", "work-stealing", "--io-threads", "3"]);
}

#[test]
fn sigint_shuts_down_gracefully() {
    graceful_shutdown("INT", &[]);
}

#[test]
fn config_file_is_applied_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferrum.conf");
    std::fs::write(
        &path,
        "# FerrumKV test config\nmaxclients 7\n\ntimeout \"30\"\nloglevel warning\nappendfsync always\nio-runtime work-stealing\n",
    )
    .unwrap();
    let config = path.to_str().unwrap();
    let s = Server::start_with(&["--config", config, "--timeout", "3"]);
    let mut c = s.raw();
    for (name, value) in [
        ("maxclients", "7"),
        ("timeout", "3"),
        ("loglevel", "warning"),
        ("appendfsync", "always"),
        ("io-runtime", "work-stealing"),
    ] {
        c.expect(&format!("CONFIG GET {name}"), format!("*2\r\n{}{}", bulk(name), bulk(value)));
    }
    let info = info_fields(&c.cmd("INFO server"));
    assert!(info.contains(&("config_file".to_string(), config.to_string())), "{info:?}");
}

#[test]
fn config_file_port_and_port_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ports.conf");
    let file_port = common::free_port();
    std::fs::write(&path, format!("bind 127.0.0.1\nport {file_port}\n")).unwrap();
    let config = path.to_str().unwrap().to_string();
    // The file's port is used when no flag says otherwise...
    let s = Server::start_raw(&["--config".into(), config.clone()], file_port);
    s.raw().expect("CONFIG GET port", format!("*2\r\n{}{}", bulk("port"), bulk(&file_port.to_string())));
    drop(s);
    // ...and --port wins over it.
    let flag_port = common::free_port();
    let s =
        Server::start_raw(&["--config".into(), config, "--port".into(), flag_port.to_string()], flag_port);
    s.raw().expect("CONFIG GET port", format!("*2\r\n{}{}", bulk("port"), bulk(&flag_port.to_string())));
}

#[test]
fn bad_config_files_stop_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", common::free_port());
    let cases = [
        ("unknown.conf", "port 7000\nfrobnicate yes\n", vec!["unknown.conf:2", "frobnicate"]),
        ("value.conf", "maxclients lots\n", vec!["value.conf:1", "maxclients"]),
        ("quotes.conf", "timeout 5\nloglevel \"warning\n", vec!["quotes.conf:2"]),
    ];
    for (name, text, needles) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (status, stderr) =
            run_to_exit(&["--config".into(), path.display().to_string(), "--addr".into(), addr.clone()]);
        assert!(!status.success(), "{name}: exit status {status}");
        for needle in needles {
            assert!(stderr.contains(needle), "{name}: stderr lacks {needle:?}:\n{stderr}");
        }
    }
    let missing = dir.path().join("missing.conf");
    let (status, stderr) =
        run_to_exit(&["--config".into(), missing.display().to_string(), "--addr".into(), addr]);
    assert!(!status.success());
    assert!(stderr.contains("missing.conf"), "{stderr}");
}

#[test]
fn harness_reports_a_server_that_never_comes_up() {
    let failure = std::panic::catch_unwind(|| Server::start_with(&["--no-such-flag"]))
        .err()
        .expect("a server with an unknown flag must not come up");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| failure.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    // The panic carries the server's own stderr (clap's complaint about the flag).
    assert!(message.contains("ferrum-kv never came up"), "{message}");
    assert!(message.contains("--no-such-flag"), "{message}");
}
