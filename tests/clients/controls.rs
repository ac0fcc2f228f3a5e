//! The client controls over the wire, against Redis 7.0.15's replies: `CLIENT REPLY`
//! with pipelining, `CLIENT KILL` with every filter and error, `CLIENT PAUSE` /
//! `UNPAUSE` (writes held, reads through, expiry and eviction still), `RESET`,
//! `CLIENT NO-TOUCH`, `CLIENT NO-EVICT` under `maxmemory-clients`, and `CLIENT
//! LIST` fields that follow the connections' real buffers.
//!
//! Nothing here asserts a duration: waits poll a condition a bounded number of
//! times, and "held" is checked as "nothing arrived while the server was asked
//! something else".

use std::time::Duration;

use super::common::{bulk, err, int, simple, RawConn, Server, OK};

/// Polls `check` up to 400 times, 25 ms apart; panics with `what` if it never holds.
#[track_caller]
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..400 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("never happened: {what}");
}

/// The value of `field` in a `CLIENT LIST` line.
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}=");
    line.split(' ')
        .find_map(|f| f.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
}

/// The `CLIENT LIST` line of client `id`, as seen by `c`.
fn line_of(c: &mut RawConn, id: i64) -> String {
    let reply = c.cmd(&format!("CLIENT LIST ID {id}"));
    reply.lines().nth(1).unwrap_or_default().to_string()
}

/// An `INFO` field's value.
fn info(c: &mut RawConn, section: &str, name: &str) -> String {
    let text = c.cmd(&format!("INFO {section}"));
    let prefix = format!("{name}:");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
        .to_string()
}

#[test]
fn client_reply_off_and_skip_drop_replies_in_a_pipeline() {
    let s = Server::start();
    let mut c = s.raw();
    // OFF silences everything, errors included, until ON (which replies +OK).
    c.send(b"CLIENT REPLY OFF\r\nPING a\r\nNOSUCH\r\nSET k v\r\nCLIENT REPLY ON\r\nPING c\r\n");
    assert_eq!(c.read_reply_text(), OK);
    assert_eq!(c.read_reply_text(), bulk("c"));
    c.expect("GET k", bulk("v"));
    // SKIP silences exactly the next command.
    c.send(b"CLIENT REPLY SKIP\r\nPING a\r\nPING b\r\n");
    assert_eq!(c.read_reply_text(), bulk("b"));
    // ON right after SKIP clears it.
    c.send(b"CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING d\r\n");
    assert_eq!(c.read_reply_text(), OK);
    assert_eq!(c.read_reply_text(), bulk("d"));
    // SKIP under OFF changes nothing: still off.
    c.send(b"CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nPING e\r\nPING f\r\nCLIENT REPLY ON\r\n");
    assert_eq!(c.read_reply_text(), OK);
    // A transaction's reply is dropped whole.
    c.send(b"CLIENT REPLY SKIP\r\nMULTI\r\nCLIENT REPLY ON\r\nINCR n\r\nEXEC\r\nGET n\r\n");
    assert_eq!(c.read_reply_text(), simple("QUEUED"));
    assert_eq!(c.read_reply_text(), simple("QUEUED"));
    assert_eq!(c.read_reply_text(), format!("*2\r\n{OK}{}", int(1)));
    assert_eq!(c.read_reply_text(), bulk("1"));
    c.expect("CLIENT REPLY maybe", err("ERR syntax error"));
    c.expect("CLIENT REPLY", err("ERR wrong number of arguments for 'client|reply' command"));
    c.expect("CLIENT REPLY ON extra", err("ERR wrong number of arguments for 'client|reply' command"));
}

#[test]
fn client_kill_argument_errors_are_redis_7_0s() {
    let s = Server::start();
    let mut c = s.raw();
    for (line, want) in [
        ("CLIENT KILL", "ERR wrong number of arguments for 'client|kill' command"),
        ("CLIENT KILL id 10 wrong_arg", "ERR syntax error"),
        ("CLIENT KILL id str extra", "ERR client-id should be greater than 0"),
        ("CLIENT KILL id str", "ERR client-id should be greater than 0"),
        ("CLIENT KILL id -1", "ERR client-id should be greater than 0"),
        ("CLIENT KILL id 0", "ERR client-id should be greater than 0"),
        ("CLIENT KILL id 9223372036854775808", "ERR client-id should be greater than 0"),
        ("CLIENT KILL type wrong_type", "ERR Unknown client type 'wrong_type'"),
        ("CLIENT KILL user wrong_user", "ERR No such user 'wrong_user'"),
        ("CLIENT KILL skipme yes_or_no", "ERR syntax error"),
        ("CLIENT KILL maxage 10", "ERR syntax error"),
        ("CLIENT KILL id 1 id", "ERR syntax error"),
        ("CLIENT KILL 1.2.3.4:5", "ERR No such client"),
        ("CLIENT KILL addr", "ERR No such client"),
    ] {
        c.expect(line, err(want));
    }
    c.expect("CLIENT KILL id 9223372036854775807", int(0));
    c.expect("CLIENT KILL TYPE pubsub", int(0));
    for kind in ["master", "replica", "slave", "MASTER"] {
        c.expect(&format!("CLIENT KILL TYPE {kind}"), int(0));
    }
    c.expect("CLIENT KILL TYPE normal USER default", int(0));
    c.expect("PING", simple("PONG"));
}

#[test]
fn client_kill_filters_select_the_right_clients() {
    let s = Server::start();
    let mut me = s.raw();
    let mut others: Vec<RawConn> = (0..4).map(|_| s.raw()).collect();
    let ids: Vec<i64> = others.iter_mut().map(|o| o.int("CLIENT ID")).collect();
    let addr_of = |c: &mut RawConn| field(&c.cmd("CLIENT INFO"), "addr").to_string();
    // ID.
    me.expect(&format!("CLIENT KILL ID {}", ids[0]), int(1));
    assert!(others[0].read_until_closed().is_empty());
    // ADDR, with another filter that must match too.
    let addr = addr_of(&mut others[1]);
    me.expect(&format!("CLIENT KILL ADDR {addr} ID {}", ids[2]), int(0));
    me.expect(&format!("CLIENT KILL ADDR {addr} TYPE normal USER default"), int(1));
    assert!(others[1].read_until_closed().is_empty());
    // Old form: +OK.
    let addr = addr_of(&mut others[2]);
    me.expect(&format!("CLIENT KILL {addr}"), OK);
    assert!(others[2].read_until_closed().is_empty());
    // LADDR: every client of this listener but me (SKIPME defaults to yes).
    let laddr = field(&me.cmd("CLIENT INFO"), "laddr").to_string();
    me.expect(&format!("CLIENT KILL LADDR {laddr}"), int(1));
    assert!(others[3].read_until_closed().is_empty());
    eventually("the killed clients are gone", || info(&mut me, "clients", "connected_clients") == "1");
    // SKIPME no: the reply, then the connection closes; nothing after it runs.
    me.send(b"CLIENT KILL TYPE normal SKIPME no\r\nSET after-kill 1\r\n");
    assert_eq!(me.read_until_closed(), b":1\r\n");
    let mut fresh = s.raw();
    fresh.expect("EXISTS after-kill", int(0));
    // The old form may kill the caller too.
    let addr = addr_of(&mut fresh);
    fresh.send(format!("CLIENT KILL {addr}\r\nPING\r\n").as_bytes());
    assert_eq!(fresh.read_until_closed(), OK.as_bytes());
}

#[test]
fn client_pause_write_holds_writes_and_lets_reads_through() {
    let s = Server::start();
    let mut admin = s.raw();
    let mut writer = s.raw();
    let writer_id = writer.int("CLIENT ID");
    admin.expect("SET k old", OK);
    admin.expect("PFADD hll a", int(1));
    let mut queued = s.raw();
    queued.expect("MULTI", OK);
    queued.expect("SET m 1", simple("QUEUED"));
    admin.expect("CLIENT PAUSE 100000 WRITE", OK);
    // A write (and what follows it in the pipeline) waits; so do PFCOUNT (it may
    // replicate) and an EXEC whose queue writes.
    writer.send(b"SET k new\r\nGET k\r\n");
    let mut pf = s.raw();
    pf.send(b"PFCOUNT hll\r\n");
    queued.send(b"EXEC\r\n");
    eventually("three clients held", || info(&mut admin, "clients", "blocked_clients") == "3");
    let held = line_of(&mut admin, writer_id);
    assert_eq!(field(&held, "flags"), "b", "{held}");
    assert_eq!(field(&held, "cmd"), "set", "{held}");
    // Reads, INFO and a read-only transaction go through; errors answer at once.
    let mut reader = s.raw();
    reader.expect("GET k", bulk("old"));
    reader.expect("PING", simple("PONG"));
    reader.expect("MULTI", OK);
    reader.expect("GET k", simple("QUEUED"));
    reader.expect("EXEC", format!("*1\r\n{}", bulk("old")));
    reader.expect("SET k", err("ERR wrong number of arguments for 'set' command"));
    writer.assert_silent(Duration::from_millis(100));
    admin.expect("CLIENT UNPAUSE", OK);
    assert_eq!(writer.read_reply_text(), OK);
    assert_eq!(writer.read_reply_text(), bulk("new"));
    assert_eq!(pf.read_reply_text(), int(1));
    assert_eq!(queued.read_reply_text(), format!("*1\r\n{OK}"));
    eventually("nobody held", || info(&mut admin, "clients", "blocked_clients") == "0");
    admin.expect("CLIENT UNPAUSE extra", err("ERR wrong number of arguments for 'client|unpause' command"));
}

#[test]
fn client_pause_all_holds_everything_until_its_deadline() {
    let s = Server::start();
    let mut admin = s.raw();
    for (line, want) in [
        ("CLIENT PAUSE abc", "ERR timeout is not an integer or out of range"),
        ("CLIENT PAUSE -1", "ERR timeout is negative"),
        ("CLIENT PAUSE 10 foo", "ERR CLIENT PAUSE mode must be WRITE or ALL"),
        ("CLIENT PAUSE abc foo", "ERR CLIENT PAUSE mode must be WRITE or ALL"),
        (
            "CLIENT PAUSE 10 ALL x",
            "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
        ),
        ("CLIENT PAUSE", "ERR wrong number of arguments for 'client|pause' command"),
    ] {
        admin.expect(line, err(want));
    }
    // A timeout that overflows when added to now wraps into the past, as in Redis:
    // no pause at all; 0 likewise.
    admin.expect("CLIENT PAUSE 9223372036854775807 ALL", OK);
    admin.expect("PING", simple("PONG"));
    admin.expect("CLIENT PAUSE 0", OK);
    admin.expect("PING", simple("PONG"));
    // A short ALL pause: even PING waits, and runs once the deadline passes.
    let mut other = s.raw();
    admin.expect("CLIENT PAUSE 400", OK);
    other.send(b"PING\r\n");
    admin.send(b"CLIENT UNPAUSE\r\n");
    assert_eq!(other.read_reply_text(), simple("PONG"));
    assert_eq!(admin.read_reply_text(), OK);
    // The stricter kind and the later end win (see src/pause.rs's unit tests);
    // under WRITE after ALL+WRITE the rest of the test can still ask the server.
}

#[test]
fn expiry_and_eviction_stand_still_while_paused() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("MULTI", OK);
    c.expect("SET a 1 PX 50", simple("QUEUED"));
    c.expect("SET b 1 PX 50", simple("QUEUED"));
    c.expect("CLIENT PAUSE 100000 WRITE", simple("QUEUED"));
    // The pause starts once the transaction is over: the SET after it ran.
    c.expect("SET c 1", simple("QUEUED"));
    c.expect("EXEC", format!("*4\r\n{OK}{OK}{OK}{OK}"));
    let expired = info(&mut c, "stats", "expired_keys");
    eventually("the keys read as expired", || c.cmd("EXISTS a b") == int(0));
    c.expect("GET a", "$-1\r\n");
    // Neither lazy nor active expiry removed them.
    assert_eq!(info(&mut c, "stats", "expired_keys"), expired);
    c.expect("DBSIZE", int(3));
    c.expect("CLIENT UNPAUSE", OK);
    c.expect("GET a", "$-1\r\n");
    c.expect("GET b", "$-1\r\n");
    let after: u64 = info(&mut c, "stats", "expired_keys").parse().unwrap();
    assert_eq!(after, expired.parse::<u64>().unwrap() + 2);
    // Over maxmemory during a pause nothing is evicted and reads go on.
    // (Paused first: lowering maxmemory evicts at once, as Redis's CONFIG SET does.)
    c.expect("CONFIG SET maxmemory-policy allkeys-lru", OK);
    c.expect("CLIENT PAUSE 100000 WRITE", OK);
    c.expect("CONFIG SET maxmemory 1", OK);
    c.expect("GET c", bulk("1"));
    assert_eq!(info(&mut c, "stats", "evicted_keys"), "0");
    c.expect("CLIENT UNPAUSE", OK);
    c.expect("CONFIG SET maxmemory 0", OK);
}

#[test]
fn a_paused_client_that_keeps_sending_is_bounded_and_held_clients_leave_nothing() {
    let s = Server::start();
    let mut admin = s.raw();
    admin.expect("CONFIG SET client-query-buffer-limit 1mb", OK);
    admin.expect("CLIENT PAUSE 100000 WRITE", OK);
    let mut flood = s.raw();
    flood.send(b"SET k v\r\n");
    eventually("the flooding client is held", || info(&mut admin, "clients", "blocked_clients") == "1");
    let chunk = vec![b'x'; 64 * 1024];
    flood.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n");
    let mut sent = 0;
    while sent < 4_000_000 && flood.send_lossy(&chunk) {
        sent += chunk.len();
    }
    // Closed at the limit, without a reply (the held command never ran).
    assert!(flood.read_until_closed().is_empty());
    // Many held clients that go away leave nothing behind.
    let held: Vec<RawConn> = (0..200)
        .map(|_| {
            let mut c = s.raw();
            c.send(b"INCR n\r\n");
            c
        })
        .collect();
    eventually("two hundred held", || info(&mut admin, "clients", "blocked_clients") == "200");
    drop(held);
    eventually("none held", || info(&mut admin, "clients", "blocked_clients") == "0");
    eventually("only admin left", || info(&mut admin, "clients", "connected_clients") == "1");
    admin.expect("CLIENT UNPAUSE", OK);
    admin.expect("GET n", "$-1\r\n");
    admin.expect("EXISTS k", int(0));
}

#[test]
fn reset_makes_the_connection_new_again() {
    let s = Server::start();
    let mut c = s.raw();
    let mut other = s.raw();
    c.expect("SELECT 3", OK);
    c.expect("CLIENT SETNAME someone", OK);
    c.expect("CLIENT SETINFO LIB-NAME mylib", OK);
    c.expect("CLIENT NO-EVICT on", OK);
    c.expect("CLIENT NO-TOUCH on", OK);
    c.expect("WATCH w", OK);
    c.cmd("HELLO 3");
    c.expect("MULTI", OK);
    c.expect("SET x 1", simple("QUEUED"));
    // Inside MULTI, RESET runs at once and discards the transaction.
    c.expect("RESET", simple("RESET"));
    c.expect("EXEC", err("ERR EXEC without MULTI"));
    let line = c.cmd("CLIENT INFO");
    for (name, want) in
        [("db", "0"), ("name", ""), ("flags", "N"), ("multi", "-1"), ("resp", "2"), ("lib-name", "mylib")]
    {
        assert_eq!(field(&line, name), want, "{name} in {line}");
    }
    c.expect("GET x", "$-1\r\n");
    // The watch is gone: a change to w no longer fails a transaction.
    other.expect("SET w changed", OK);
    c.expect("MULTI", OK);
    c.expect("PING", simple("QUEUED"));
    c.expect("EXEC", format!("*1\r\n{}", simple("PONG")));
    // CLIENT REPLY goes back to ON before RESET replies.
    c.send(b"CLIENT REPLY OFF\r\nPING\r\nRESET\r\nPING\r\n");
    assert_eq!(c.read_reply_text(), simple("RESET"));
    assert_eq!(c.read_reply_text(), simple("PONG"));
    c.expect("RESET extra", err("ERR wrong number of arguments for 'reset' command"));
    // With a password, RESET logs the client out; RESET itself needs no AUTH.
    let s = Server::start_with(&["--requirepass", "secret"]);
    let mut c = s.raw();
    c.expect("RESET", simple("RESET"));
    c.expect("AUTH secret", OK);
    c.expect("SET k v", OK);
    c.expect("RESET", simple("RESET"));
    c.expect("GET k", err("NOAUTH Authentication required."));
}

#[test]
fn no_touch_leaves_lru_and_lfu_alone_except_for_touch() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("CONFIG SET maxmemory-policy allkeys-lfu", OK);
    c.expect("SET k v", OK);
    // A new key's counter is 5; the first access from 5 always increments.
    c.expect("OBJECT FREQ k", int(5));
    c.expect("CLIENT NO-TOUCH on", OK);
    assert_eq!(field(&c.cmd("CLIENT INFO"), "flags"), "T");
    for _ in 0..20 {
        c.expect("GET k", bulk("v"));
    }
    c.expect("MULTI", OK);
    c.expect("GET k", simple("QUEUED"));
    c.expect("EXEC", format!("*1\r\n{}", bulk("v")));
    c.expect("OBJECT FREQ k", int(5));
    // TOUCH still counts.
    c.expect("TOUCH k", int(1));
    c.expect("OBJECT FREQ k", int(6));
    c.expect("CLIENT NO-TOUCH off", OK);
    c.expect("GET k", bulk("v"));
    assert!(c.int("OBJECT FREQ k") >= 6);
    c.expect("CLIENT NO-TOUCH maybe", err("ERR syntax error"));
    c.expect("CLIENT NO-EVICT maybe", err("ERR syntax error"));
    c.expect("CLIENT NO-EVICT", err("ERR wrong number of arguments for 'client|no-evict' command"));
}

/// A request for `SET k <len bytes>` of which only `sent` value bytes are sent.
fn partial_set(c: &mut RawConn, len: usize, sent: usize) {
    c.send(format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${len}\r\n").as_bytes());
    c.send(&vec![b'x'; sent]);
}

#[test]
fn no_evict_protects_a_client_from_maxmemory_clients() {
    let s = Server::start();
    let mut admin = s.raw();
    admin.expect("CONFIG SET maxmemory-clients 4mb", OK);
    let mut protected = s.raw();
    protected.expect("CLIENT NO-EVICT on", OK);
    let protected_id = protected.int("CLIENT ID");
    assert!(field(&line_of(&mut admin, protected_id), "flags").contains('e'));
    let mut victim = s.raw();
    let victim_id = victim.int("CLIENT ID");
    // The protected client holds 1 MB of a request (with its buffer's spare room,
    // at most about 2 MB), the other 3 MB: together they pass the 4 MB limit.
    partial_set(&mut protected, 1_400_000, 1_000_000);
    eventually("the protected client's query buffer shows", || {
        field(&line_of(&mut admin, protected_id), "qbuf").parse::<usize>().unwrap_or(0) >= 1_000_000
    });
    victim.send(b"*3\r\n$3\r\nSET\r\n$1\r\nv\r\n$4000000\r\n");
    let chunk = vec![b'y'; 64 * 1024];
    let mut sent = 0;
    while sent < 3_200_000 && victim.send_lossy(&chunk) {
        sent += chunk.len();
    }
    // The evictable one goes; the protected one and the small admin stay.
    assert!(victim.read_until_closed().is_empty());
    assert_eq!(line_of(&mut admin, victim_id), "");
    assert_eq!(info(&mut admin, "stats", "evicted_clients"), "1");
    protected.send(&vec![b'x'; 400_000]);
    protected.send(b"\r\n");
    assert_eq!(protected.read_reply_text(), OK);
    admin.expect("STRLEN k", int(1_400_000));
    admin.expect("EXISTS v", int(0));
    admin.expect("CONFIG RESETSTAT", OK);
    assert_eq!(info(&mut admin, "stats", "evicted_clients"), "0");
    admin.expect("CONFIG SET maxmemory-clients 0", OK);
}

#[test]
fn client_list_fields_follow_the_real_buffers() {
    let s = Server::start();
    let mut c = s.raw();
    let me = c.int("CLIENT ID");
    // Our own line while CLIENT LIST runs: the request itself is the query buffer.
    let own = c.cmd("CLIENT LIST");
    let own = own.lines().find(|l| l.starts_with(&format!("id={me} "))).unwrap().to_string();
    for (name, want) in
        [("qbuf", "26"), ("cmd", "client|list"), ("flags", "N"), ("multi", "-1"), ("omem", "0")]
    {
        assert_eq!(field(&own, name), want, "{name} in {own}");
    }
    assert_eq!(field(&own, "argv-mem"), "10");
    let names: Vec<&str> = own.split(' ').map(|f| f.split('=').next().unwrap()).collect();
    assert_eq!(
        names.join(" "),
        "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem \
         rbs rbp obl oll omem tot-mem events cmd user redir resp lib-name lib-ver"
    );
    // In MULTI: x, the queue's length and bytes.
    let mut tx = s.raw();
    let tx_id = tx.int("CLIENT ID");
    tx.expect("MULTI", OK);
    tx.expect("SET k v", simple("QUEUED"));
    let line = line_of(&mut c, tx_id);
    assert_eq!(field(&line, "flags"), "x", "{line}");
    assert_eq!(field(&line, "multi"), "1");
    assert_eq!(field(&line, "multi-mem"), "5");
    assert_eq!(field(&line, "cmd"), "set");
    tx.expect("DISCARD", OK);
    drop(tx);
    // A big request on its way shows in another client's qbuf and argv-mem.
    let mut big = s.raw();
    let big_id = big.int("CLIENT ID");
    partial_set(&mut big, 300_000, 200_000);
    eventually("qbuf grows", || field(&line_of(&mut c, big_id), "qbuf").parse::<usize>().unwrap() >= 200_000);
    let line = line_of(&mut c, big_id);
    assert_eq!(field(&line, "argv-mem"), "4", "SET and k parsed: {line}");
    assert_eq!(field(&line, "cmd"), "client|id");
    assert!(field(&line, "tot-mem").parse::<usize>().unwrap() > 200_000);
    // A client that does not read its replies shows them in obl/oll/omem.
    c.expect("SET big", err("ERR wrong number of arguments for 'set' command"));
    c.cmd_args(&["SET", "big", &"v".repeat(1 << 20)]);
    let mut sink = s.raw();
    let sink_id = sink.int("CLIENT ID");
    for _ in 0..32 {
        sink.send(b"GET big\r\n");
    }
    eventually("omem grows", || field(&line_of(&mut c, sink_id), "omem").parse::<usize>().unwrap() > 0);
    let line = line_of(&mut c, sink_id);
    assert_eq!(field(&line, "obl"), "16384", "{line}");
    assert!(field(&line, "oll").parse::<usize>().unwrap() > 0, "{line}");
    assert_eq!(field(&line, "events"), "rw", "{line}");
    assert_eq!(field(&line, "cmd"), "get", "{line}");
    eventually("the output peak is sampled", || {
        info(&mut c, "clients", "client_recent_max_output_buffer") != "0"
    });
    // CLIENT KILL ends even a write the peer never reads.
    c.expect(&format!("CLIENT KILL ID {sink_id}"), int(1));
    eventually("the sink is gone", || line_of(&mut c, sink_id).is_empty());
    // Filters of CLIENT LIST.
    let listed = c.cmd(&format!("CLIENT LIST ID {big_id} {me} -5 999999"));
    let ids: Vec<&str> = listed.lines().skip(1).filter(|l| !l.is_empty()).map(|l| field(l, "id")).collect();
    assert_eq!(ids, [big_id.to_string(), me.to_string()]);
    c.expect("CLIENT LIST ID abc", err("ERR Invalid client ID"));
    c.expect("CLIENT LIST ID 99999999999999999999", err("ERR Invalid client ID"));
    c.expect("CLIENT LIST ID -9223372036854775808", bulk(""));
    c.expect("CLIENT LIST ID", err("ERR syntax error"));
    c.expect("CLIENT LIST TYPE foo", err("ERR Unknown client type 'foo'"));
    c.expect("CLIENT LIST TYPE normal extra", err("ERR syntax error"));
    c.expect("CLIENT LIST foo", err("ERR syntax error"));
    c.expect("CLIENT LIST TYPE pubsub", bulk(""));
    c.expect("CLIENT LIST TYPE replica", bulk(""));
    eventually("two normal clients left", || c.cmd("CLIENT LIST TYPE normal").matches("id=").count() == 2);
    // INFO clients has Redis 7.0's fields, in its order (and 7.2's total_blocking_keys).
    let text = c.cmd("INFO clients");
    let fields: Vec<&str> =
        text.lines().skip(2).filter_map(|l| l.split(':').next()).filter(|f| !f.is_empty()).collect();
    assert_eq!(
        fields,
        [
            "connected_clients",
            "cluster_connections",
            "maxclients",
            "client_recent_max_input_buffer",
            "client_recent_max_output_buffer",
            "blocked_clients",
            "tracking_clients",
            "clients_in_timeout_table",
            // Redis 7.2's, after 7.0's: the blocking registry's size.
            "total_blocking_keys"
        ]
    );
}
