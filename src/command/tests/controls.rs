//! The client controls at the dispatcher: what `CLIENT PAUSE` holds (nothing is
//! replied, nothing runs), what it lets through, and `CLIENT REPLY`'s modes.

use super::{Client, NOW};
use crate::command::ReplyMode;
use crate::protocol::{Protocol, ReplyWriter};

#[test]
fn a_write_pause_holds_writes_and_may_replicate_commands_only() {
    let mut c = Client::new();
    c.setup(&["SET k v", "PFADD h a", "CLIENT PAUSE 100000 WRITE"]);
    c.recorder.take();
    // Held: nothing is replied and nothing changes.
    assert_eq!(c.run("SET k other"), "");
    assert_eq!(c.run("PFCOUNT h"), "");
    assert!(c.recorder.take().is_empty());
    // Through: reads, admin commands, and every error the dispatcher finds first.
    assert_eq!(c.run("GET k"), "$1\r\nv\r\n");
    assert_eq!(c.run("SET k"), "-ERR wrong number of arguments for 'set' command\r\n");
    assert_eq!(c.run("NOSUCH"), "-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    // MULTI with a write queued: the write itself is held, as in Redis.
    assert_eq!(c.run("MULTI"), "+OK\r\n");
    assert_eq!(c.run("GET k"), "+QUEUED\r\n");
    assert_eq!(c.run("SET k x"), "");
    assert_eq!(c.run("EXEC"), "*1\r\n$1\r\nv\r\n");
    assert_eq!(c.run("CLIENT UNPAUSE"), "+OK\r\n");
    assert_eq!(c.run("SET k other"), "+OK\r\n");
}

#[test]
fn an_all_pause_holds_everything_and_ends_at_its_deadline() {
    let mut c = Client::new();
    // The end is 100 s after the test clock's now (NOW).
    c.setup(&["CLIENT PAUSE 100000 ALL"]);
    assert_eq!(c.run("PING"), "");
    assert_eq!(c.run("CLIENT UNPAUSE"), "");
    assert!(c.state.pause.is_paused(NOW as i64 + 100_000));
    assert!(!c.state.pause.is_paused(NOW as i64 + 100_001));
    // Expiry is held until the same end.
    assert!(c.state.engine.hooks().expiry_held(NOW + 100_000));
    assert!(!c.state.engine.hooks().expiry_held(NOW + 100_001));
    c.state.unpause_clients();
    assert_eq!(c.run("PING"), "+PONG\r\n");
    assert!(!c.state.engine.hooks().expiry_held(NOW));
}

#[test]
fn reply_modes_drop_what_redis_drops() {
    let mut out = ReplyWriter::new(Protocol::Resp2);
    let mut mode = ReplyMode::SkipNext;
    // The command that said SKIP keeps its (empty) reply; the next one loses its.
    mode.after_command(&mut out, 0, false);
    assert_eq!(mode, ReplyMode::Skip);
    out.ok();
    mode.after_command(&mut out, 0, false);
    assert!(out.is_empty());
    assert_eq!(mode, ReplyMode::On);
    out.ok();
    mode.after_command(&mut out, 0, false);
    assert_eq!(out.as_bytes(), b"+OK\r\n");
    let mut mode = ReplyMode::Off;
    out.integer(1);
    mode.after_command(&mut out, 5, false);
    assert_eq!(out.as_bytes(), b"+OK\r\n");
    assert_eq!(mode, ReplyMode::Off);
    // A (un)subscribe confirmation is a push: kept under OFF and SKIP alike.
    out.integer(2);
    mode.after_command(&mut out, 5, true);
    assert_eq!(out.as_bytes(), b"+OK\r\n:2\r\n");
    let mut mode = ReplyMode::Skip;
    mode.after_command(&mut out, 5, true);
    assert_eq!(out.as_bytes(), b"+OK\r\n:2\r\n");
    assert_eq!(mode, ReplyMode::On, "SKIP is spent all the same");
}
