//! Auth and limits over the wire: `requirepass` (flag and `CONFIG SET`), `AUTH` and
//! `HELLO … AUTH`, `-NOAUTH` before authentication, Redis's small frames for
//! unauthenticated clients, the query-buffer limit, and a client that pipelines
//! without reading being disconnected by the output-buffer limit.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{err, Server, OK};

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";

#[test]
fn requirepass_gates_every_command_until_auth() {
    let s = Server::start_with(&["--requirepass", "s3cret"]);
    let mut c = s.raw();
    c.expect("GET a", NOAUTH);
    c.expect("PING", NOAUTH);
    c.expect("AUTH wrong", err("WRONGPASS invalid username-password pair or user is disabled."));
    c.expect("AUTH someone s3cret", err("WRONGPASS invalid username-password pair or user is disabled."));
    c.expect(
        "HELLO 3",
        err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH \
             <user> <pass> option can be used to authenticate the client and select the RESP protocol version at \
             the same time"),
    );
    c.expect("AUTH s3cret", OK);
    c.expect("SET a 1", OK);
    let mut other = s.raw();
    let hello = other.cmd("HELLO 2 AUTH default s3cret");
    assert!(hello.starts_with("*14\r\n$6\r\nserver\r\n"), "{hello:?}");
    other.expect("GET a", "$1\r\n1\r\n");
    let mut third = s.raw();
    third.expect("AUTH default s3cret", OK);
    third.expect("QUIT", OK);
}

#[test]
fn config_set_requirepass_applies_to_new_connections() {
    let s = Server::start();
    let mut admin = s.raw();
    admin.expect("CONFIG SET requirepass pw", OK);
    admin.expect("PING", "+PONG\r\n");
    let mut fresh = s.raw();
    fresh.expect("PING", NOAUTH);
    fresh.expect("AUTH pw", OK);
    fresh.expect("CONFIG GET requirepass", "*2\r\n$11\r\nrequirepass\r\n$2\r\npw\r\n");
    fresh.expect_args(&["CONFIG", "SET", "requirepass", ""], OK);
    s.raw().expect("PING", "+PONG\r\n");
}

#[test]
fn unauthenticated_clients_get_small_frames() {
    let s = Server::start_with(&["--requirepass", "pw"]);
    let mut c = s.raw();
    let eleven: String = format!("*11\r\n{}", "$1\r\na\r\n".repeat(11));
    c.send(eleven.as_bytes());
    assert_eq!(c.read_reply_text(), err("ERR Protocol error: unauthenticated multibulk length"));
    assert!(c.read_until_closed().is_empty());
    let mut c = s.raw();
    c.send(b"*1\r\n$16385\r\n");
    assert_eq!(c.read_reply_text(), err("ERR Protocol error: unauthenticated bulk length"));
    // After AUTH the full limits apply.
    let mut c = s.raw();
    c.expect("AUTH pw", OK);
    let big = "x".repeat(100_000);
    c.expect(&format!("SET big {big}"), OK);
}

#[test]
fn the_query_buffer_limit_closes_the_connection() {
    let s = Server::start();
    s.raw().expect("CONFIG SET client-query-buffer-limit 1mb", OK);
    let mut stream = std::net::TcpStream::connect(s.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A declared 10 MB argument, then 2 MB of it: over the 1 MB limit.
    stream.write_all(b"*2\r\n$3\r\nSET\r\n$10000000\r\n").unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut closed = false;
    for _ in 0..32 {
        if stream.write_all(&chunk).is_err() {
            closed = true;
            break;
        }
    }
    if !closed {
        let mut buf = [0u8; 16];
        closed = matches!(stream.read(&mut buf), Ok(0) | Err(_));
    }
    assert!(closed, "the server kept a client over its query buffer limit");
    s.raw().expect("PING", "+PONG\r\n");
}

#[test]
fn a_client_that_never_reads_is_disconnected() {
    let s = Server::start();
    let mut admin = s.raw();
    admin.expect_args(&["CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 1"], OK);
    admin.expect(&format!("SET big {}", "x".repeat(100_000)), OK);
    let before: usize = admin.cmd("CLIENT LIST").matches("id=").count();
    let mut stream = std::net::TcpStream::connect(s.addr()).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    // 2,000 GETs of 100 KB each: 200 MB of replies that are never read.
    let request = "GET big\r\n".repeat(2_000);
    let _ = stream.write_all(request.as_bytes());
    let mut gone = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        if admin.cmd("CLIENT LIST").matches("id=").count() < before + 1 {
            gone = true;
            break;
        }
    }
    assert!(gone, "the non-reading client was never disconnected");
    let used: u64 = admin
        .cmd("INFO memory")
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:").map(|v| v.trim().parse().unwrap()))
        .unwrap();
    assert!(used < 100 << 20, "the server buffered {used} bytes for a client that never read");
}
