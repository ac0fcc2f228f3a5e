//! The command core over the wire: the `Block` outcome (`WAIT`, `CLIENT UNBLOCK`,
//! a pipeline waiting behind a blocked command, a blocked client going away),
//! `CONFIG SET` effects on the running server (`appendonly`, `port`, `hz`), the
//! transaction rules Redis 7.0 has for `maxmemory` and `no_multi` commands, and
//! `COMMAND GETKEYS`.

mod common;

use std::time::Duration;

use common::{err, info_fields, int, Server, OK};

/// The value of `field` in `INFO section`.
fn info(c: &mut common::RawConn, section: &str, field: &str) -> String {
    let text = c.cmd(&format!("INFO {section}"));
    info_fields(&text).into_iter().find(|(k, _)| k == field).map(|(_, v)| v).unwrap_or_default()
}

/// Polls `INFO clients` until `blocked_clients` is `n` (bounded).
fn wait_blocked(c: &mut common::RawConn, n: usize) {
    for _ in 0..400 {
        if info(c, "clients", "blocked_clients") == n.to_string() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("blocked_clients never reached {n}");
}

#[test]
fn wait_without_replicas_answers_zero_or_blocks_until_its_timeout() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("WAIT 0 0", int(0));
    c.expect("WAIT -1 100", int(0));
    c.expect("WAIT 1 50", int(0));
    c.expect("WAIT 1 -1", err("ERR timeout is negative"));
    c.expect("WAIT 1 abc", err("ERR timeout is not an integer or out of range"));
    c.expect("WAIT x 0", err("ERR value is not an integer or out of range"));
    c.expect("WAIT 1", err("ERR wrong number of arguments for 'wait' command"));
    // Inside MULTI it answers at once, as a blocking command acts non-blocking there.
    c.expect("MULTI", OK);
    c.expect("WAIT 1 0", "+QUEUED\r\n");
    c.expect("EXEC", "*1\r\n:0\r\n");
}

#[test]
fn a_waiting_client_holds_its_pipeline_until_client_unblock() {
    let s = Server::start();
    let mut waiter = s.raw();
    let mut other = s.raw();
    let id = waiter.int("CLIENT ID");
    waiter.send(b"WAIT 1 0\r\nPING\r\n");
    wait_blocked(&mut other, 1);
    waiter.assert_silent(Duration::from_millis(100));
    let list = other.cmd("CLIENT LIST");
    assert!(list.lines().any(|l| l.starts_with(&format!("id={id} ")) && l.contains(" flags=b ")), "{list}");
    other.expect(&format!("CLIENT UNBLOCK {id}"), int(1));
    assert_eq!(waiter.read_reply_text(), int(0));
    assert_eq!(waiter.read_reply_text(), "+PONG\r\n", "the rest of the pipeline ran after the wait");
    other.expect(&format!("CLIENT UNBLOCK {id}"), int(0));
    // ERROR ends it with Redis's error.
    waiter.send(b"WAIT 2 0\r\n");
    wait_blocked(&mut other, 1);
    other.expect(&format!("CLIENT UNBLOCK {id} ERROR"), int(1));
    assert_eq!(waiter.read_reply_text(), err("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
    other.expect(
        &format!("CLIENT UNBLOCK {id} SOMETIMES"),
        err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    );
    other.expect("CLIENT UNBLOCK 999999", int(0));
    wait_blocked(&mut other, 0);
}

#[test]
fn a_blocked_client_that_disconnects_or_is_killed_leaves_nothing_behind() {
    let s = Server::start();
    let mut other = s.raw();
    let mut gone = s.raw();
    gone.send(b"WAIT 1 0\r\n");
    wait_blocked(&mut other, 1);
    drop(gone);
    wait_blocked(&mut other, 0);
    let mut killed = s.raw();
    let id = killed.int("CLIENT ID");
    killed.send(b"WAIT 1 0\r\n");
    wait_blocked(&mut other, 1);
    other.expect(&format!("CLIENT KILL ID {id}"), int(1));
    wait_blocked(&mut other, 0);
    assert!(killed.read_until_closed().is_empty(), "a killed waiter gets no reply");
    let clients: usize = info(&mut other, "clients", "connected_clients").parse().unwrap();
    assert_eq!(clients, 1);
}

#[test]
fn the_idle_timeout_does_not_close_a_waiting_client() {
    let s = Server::start_with(&["--timeout", "1"]);
    let mut waiter = s.raw();
    waiter.send(b"WAIT 1 2500\r\n");
    assert_eq!(waiter.read_reply_text(), int(0), "still connected after more than `timeout` seconds");
    waiter.expect("PING", "+PONG\r\n");
}

#[test]
fn appendonly_can_be_turned_on_and_off_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().display().to_string();
    let s = Server::start_with(&["--dir", &dir_arg]);
    let mut c = s.raw();
    c.expect("SET before 1", OK);
    c.expect("CONFIG GET appendonly", "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    c.expect("CONFIG SET appendonly yes", OK);
    c.expect("SET after 2", OK);
    // The rewrite that starts the file runs in the background: wait for it.
    for _ in 0..400 {
        if info(&mut c, "persistence", "aof_rewrite_in_progress") == "0"
            && info(&mut c, "persistence", "aof_rewrites") == "1"
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(info(&mut c, "persistence", "aof_enabled"), "1");
    c.expect("CONFIG SET appendonly no", OK);
    assert_eq!(info(&mut c, "persistence", "aof_enabled"), "0");
    c.expect("SET later 3", OK);
    let file = dir.path().join("appendonly.aof");
    let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
    assert!(text.contains("before") && text.contains("after"), "the file holds the dataset: {text}");
    assert!(!text.contains("later"), "nothing is logged once it is off: {text}");
    // A server started on that file has what was logged.
    drop(s);
    let file_arg = file.display().to_string();
    let again = Server::start_with(&["--aof-path", &file_arg]);
    let mut c = again.raw();
    c.expect("MGET before after later", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
}

#[test]
fn config_set_port_moves_the_listener() {
    let s = Server::start();
    let mut c = s.raw();
    let port = common::free_port();
    c.expect(&format!("CONFIG SET port {port}"), OK);
    let mut moved = common::RawConn::connect(port);
    moved.expect("PING", "+PONG\r\n");
    c.expect("PING", "+PONG\r\n");
    // The accept loop drops the old socket once it has the new one.
    let closed = (0..400).any(|_| {
        std::thread::sleep(Duration::from_millis(5));
        std::net::TcpStream::connect(("127.0.0.1", s.port())).is_err()
    });
    assert!(closed, "the old port is closed");
    c.expect("CONFIG GET port", format!("*2\r\n$4\r\nport\r\n${}\r\n{port}\r\n", port.to_string().len()));
}

#[test]
fn config_set_is_all_or_nothing() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect(
        "CONFIG SET maxmemory 10mb hz notanumber",
        err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"),
    );
    c.expect("CONFIG GET maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    c.expect("CONFIG SET hz 50 maxmemory 1mb", OK);
    c.expect("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$2\r\n50\r\n");
    assert_eq!(info(&mut c, "server", "hz"), "50");
    c.expect(
        "CONFIG SET daemonize yes",
        err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
    );
    c.expect(
        "CONFIG SET nosuchkey 1",
        err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuchkey'"),
    );
}

#[test]
fn over_maxmemory_a_transaction_refuses_queueing_and_denyoom_exec() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut c = s.raw();
    c.expect("MULTI", OK);
    c.expect("SET x 1", "+QUEUED\r\n");
    admin.expect("CONFIG SET maxmemory 1", OK);
    c.expect("EXEC", err("EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'."));
    c.expect("MULTI", OK);
    c.expect("GET x", err("OOM command not allowed when used memory > 'maxmemory'."));
    c.expect("PING", err("OOM command not allowed when used memory > 'maxmemory'."));
    c.expect("DISCARD", OK);
    c.expect("GET x", "$-1\r\n");
    admin.expect("CONFIG SET maxmemory 0", OK);
    c.expect("MULTI", OK);
    c.expect("SHUTDOWN", err("ERR Command not allowed inside a transaction"));
    c.expect("EXEC", err("EXECABORT Transaction discarded because of previous errors."));
    c.expect("PING", "+PONG\r\n");
}

#[test]
fn command_getkeys_reads_the_key_specs() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("COMMAND GETKEYS MSET a 1 b 2", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    c.expect("COMMAND GETKEYS RENAME x y", "*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    c.expect("COMMAND GETKEYS OBJECT ENCODING k", "*1\r\n$1\r\nk\r\n");
    c.expect("COMMAND GETKEYS PING x", err("ERR The command has no key arguments"));
    c.expect("COMMAND GETKEYS GET", err("ERR wrong number of arguments for 'command|getkeys' command"));
    c.expect("COMMAND GETKEYS GET a b", err("ERR Invalid number of arguments specified for command"));
    c.expect("COMMAND GETKEYS NOSUCH x", err("ERR Invalid command specified"));
    c.expect("COMMAND INFO nosuch", "*1\r\n$-1\r\n");
}
