//! Transactions over the wire: `MULTI`/`EXEC`/`DISCARD`/`WATCH`/`UNWATCH` with Redis's
//! replies, `EXECABORT` after a queueing error, `WATCH` aborting `EXEC` (null array in
//! RESP2 and RESP3), atomicity against concurrent clients, and the AOF replaying a
//! transaction whole.

mod common;

use common::{err, int, Server, OK};
use redis::Commands;

#[test]
fn queued_commands_run_on_exec_and_reply_in_order() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("MULTI", OK);
    c.expect("SET a 1", "+QUEUED\r\n");
    c.expect("INCR a", "+QUEUED\r\n");
    c.expect("GET a", "+QUEUED\r\n");
    c.expect("GET nothing", "+QUEUED\r\n");
    c.expect("EXEC", "*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n");
}

#[test]
fn errors_follow_redis() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("EXEC", err("ERR EXEC without MULTI"));
    c.expect("DISCARD", err("ERR DISCARD without MULTI"));
    c.expect("MULTI", OK);
    c.expect("MULTI", err("ERR MULTI calls can not be nested"));
    c.expect("WATCH x", err("ERR WATCH inside MULTI is not allowed"));
    c.expect("SET a", err("ERR wrong number of arguments for 'set' command"));
    c.expect("SET b 1", "+QUEUED\r\n");
    c.expect("EXEC", err("EXECABORT Transaction discarded because of previous errors."));
    c.expect("EXISTS b", int(0));
    // A runtime error is one of the replies, not an abort.
    c.expect("SET s notanumber", OK);
    c.expect("MULTI", OK);
    c.expect("INCR s", "+QUEUED\r\n");
    c.expect("SET t 1", "+QUEUED\r\n");
    c.expect("EXEC", "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n");
    c.expect("MULTI", OK);
    c.expect("SET u 1", "+QUEUED\r\n");
    c.expect("DISCARD", OK);
    c.expect("EXISTS u", int(0));
}

#[test]
fn watch_aborts_exec_when_another_client_changes_the_key() {
    let s = Server::start();
    let mut c = s.raw();
    let mut other = s.raw();
    c.expect("SET k 1", OK);
    c.expect("WATCH k", OK);
    other.expect("SET k 2", OK);
    c.expect("MULTI", OK);
    c.expect("SET k 3", "+QUEUED\r\n");
    c.expect("EXEC", "*-1\r\n");
    c.expect("GET k", "$1\r\n2\r\n");
    // After EXEC the watch is gone: the next transaction runs.
    c.expect("MULTI", OK);
    c.expect("SET k 4", "+QUEUED\r\n");
    c.expect("EXEC", "*1\r\n+OK\r\n");
    // An untouched watched key does not abort; UNWATCH forgets.
    c.expect("WATCH k", OK);
    c.expect("UNWATCH", OK);
    other.expect("SET k 5", OK);
    c.expect("MULTI", OK);
    c.expect("GET k", "+QUEUED\r\n");
    c.expect("EXEC", "*1\r\n$1\r\n5\r\n");
    // Deleting and expiring count as changes; RESP3 aborts with a null.
    let mut c3 = s.raw_resp3();
    c3.expect("SET e v", OK);
    c3.expect("WATCH e", OK);
    other.expect("DEL e", int(1));
    c3.expect("MULTI", OK);
    c3.expect("GET e", "+QUEUED\r\n");
    c3.expect("EXEC", "_\r\n");
}

#[test]
fn a_transaction_is_atomic_against_other_clients() {
    let s = Server::start();
    let client = s.client();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                let mut conn = client.get_connection().unwrap();
                for _ in 0..200 {
                    let (): () = redis::pipe()
                        .atomic()
                        .incr("x", 1)
                        .ignore()
                        .incr("y", 1)
                        .ignore()
                        .query(&mut conn)
                        .unwrap();
                }
            })
        })
        .collect();
    let mut reader = s.conn();
    for _ in 0..300 {
        let (x, y): (Option<i64>, Option<i64>) =
            redis::pipe().atomic().get("x").get("y").query(&mut reader).unwrap();
        assert_eq!(x, y, "a transaction was seen half done");
    }
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(reader.get::<_, i64>("x").unwrap(), 800);
}

#[test]
fn the_aof_replays_a_transaction_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tx.aof");
    let path_arg = path.to_str().unwrap();
    let mut server = Server::start_with(&["--aof-path", path_arg, "--appendfsync", "always"]);
    let mut conn = server.conn();
    let (): () = redis::pipe().atomic().set("a", 1).ignore().incr("a", 5).ignore().query(&mut conn).unwrap();
    drop(conn);
    server.signal("TERM");
    assert!(server.wait_exit().success());
    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    assert!(text.contains("MULTI") && text.contains("EXEC"), "{text}");
    // A transaction cut off before its EXEC is dropped whole at the next start.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n1\r\n");
    std::fs::write(&path, &bytes).unwrap();
    let server = Server::start_with(&["--aof-path", path_arg]);
    let mut conn = server.conn();
    assert_eq!(conn.get::<_, i64>("a").unwrap(), 6);
    assert_eq!(conn.exists::<_, i64>("b").unwrap(), 0);
    let (): () = conn.set("c", 1).unwrap();
}
