//! The wire protocol over raw TCP, against the real binary: every malformed request
//! from Redis's `tests/unit/protocol.tcl` and `RELIABILITY.md` gets Redis's exact
//! `-ERR Protocol error: …` line and the connection is closed; requests the parser must
//! skip (`*-10`, `*0`, blank lines); inline commands with quotes and escapes;
//! binary-safe keys and values; a 10,000-command pipeline answered in order; a request
//! split byte by byte; and a declared 512 MB bulk that must not make the server allocate
//! (CVE-2021-32675) while other clients are still served.

mod common;

use std::io::Write;
use std::thread;
use std::time::Duration;

use common::{bulk, encode, int, reply_len, Server, OK};

/// Sends `request` on a fresh connection and returns everything the server sends
/// until it closes the connection.
fn reply_then_close(s: &Server, request: &[u8]) -> String {
    let mut c = s.raw();
    c.send(request);
    String::from_utf8_lossy(&c.read_until_closed()).into_owned()
}

fn protocol_error(text: &str) -> String {
    format!("-ERR Protocol error: {text}\r\n")
}

#[test]
fn protocol_errors_close_the_connection() {
    let s = Server::start();
    let cases: &[(&[u8], &str)] = &[
        // protocol.tcl
        (b"*3000000000\r\n", "invalid multibulk length"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "expected '$', got 'f'"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "invalid bulk length"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", "invalid bulk length"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "invalid bulk length"),
        (b"*1\r\nfoo\r\n", "expected '$', got 'f'"),
        // Malformed counts and lengths.
        (b"*blabla\r\n", "invalid multibulk length"),
        (b"*\r\n", "invalid multibulk length"),
        (b"*+1\r\n$4\r\nPING\r\n", "invalid multibulk length"),
        (b"*01\r\n$4\r\nPING\r\n", "invalid multibulk length"),
        (b"*1\n$4\r\nPING\r\n", "invalid multibulk length"),
        (b"*2147483648\r\n", "invalid multibulk length"),
        (b"*1\r\n$-1\r\n", "invalid bulk length"),
        (b"*1\r\n$\r\n", "invalid bulk length"),
        (b"*1\r\n$+4\r\nPING\r\n", "invalid bulk length"),
        (b"*1\r\n$04\r\nPING\r\n", "invalid bulk length"),
        (b"*1\r\n$4 \r\nPING\r\n", "invalid bulk length"),
        // One byte over proto-max-bulk-len (512 MB).
        (b"*1\r\n$536870913\r\n", "invalid bulk length"),
        (b"*1\r\n$9223372036854775807\r\n", "invalid bulk length"),
        (b"*1\r\n*1\r\n", "expected '$', got '*'"),
        (b"*1\r\n:1\r\n", "expected '$', got ':'"),
        // A CR where a type byte belongs is shown as a space, keeping the line whole.
        (b"*1\r\n\r\n", "expected '$', got ' '"),
        // Inline requests.
        (b"PING \"unbalanced\r\n", "unbalanced quotes in request"),
        (b"SET a 'b\r\n", "unbalanced quotes in request"),
        (b"SET a \"b\"c\r\n", "unbalanced quotes in request"),
        (b"ECHO a\"b\r\n", "unbalanced quotes in request"),
        (b"ECHO \"a\\\"\r\n", "unbalanced quotes in request"),
    ];
    for (request, error) in cases {
        let got = reply_then_close(&s, request);
        assert_eq!(got, protocol_error(error), "request {:?}", String::from_utf8_lossy(request));
    }
    // The server is still fine.
    s.raw().expect("PING", "+PONG\r\n");
}

/// FerrumKV keeps Redis's historical cap of 1,048,576 arguments (DESIGN.md,
/// invariant 5; `protocol.tcl` before Redis 7 sent `*20000000`). Redis 7 itself accepts
/// counts up to `INT_MAX` and waits for the arguments.
#[test]
fn multibulk_count_cap() {
    let s = Server::start();
    for request in [&b"*20000000\r\n"[..], b"*1048577\r\n"] {
        assert_eq!(reply_then_close(&s, request), protocol_error("invalid multibulk length"));
    }
    // The largest allowed count is accepted and waits for its arguments.
    let mut c = s.raw();
    c.send(b"*1048576\r\n");
    c.assert_silent(Duration::from_millis(300));
}

#[test]
fn oversized_headers_and_inline_requests() {
    let s = Server::start();
    let long = vec![b'1'; 70 * 1024];
    let mut inline = vec![b'A'; 70 * 1024];
    assert_eq!(reply_then_close(&s, &inline), protocol_error("too big inline request"));
    let mut count = b"*".to_vec();
    count.extend_from_slice(&long);
    assert_eq!(reply_then_close(&s, &count), protocol_error("too big mbulk count string"));
    let mut len = b"*1\r\n$".to_vec();
    len.extend_from_slice(&long);
    assert_eq!(reply_then_close(&s, &len), protocol_error("too big bulk count string"));
    // A complete command before the bad one is still answered.
    inline.splice(0..0, b"PING\r\n".iter().copied());
    assert_eq!(
        reply_then_close(&s, &inline),
        format!("+PONG\r\n{}", protocol_error("too big inline request"))
    );
    // An inline request just under the limit is fine.
    let mut c = s.raw();
    let mut big_echo = b"ECHO ".to_vec();
    big_echo.extend(std::iter::repeat_n(b'x', 60 * 1024));
    big_echo.extend_from_slice(b"\r\n");
    c.send(&big_echo);
    assert_eq!(c.read_reply(), encode_bulk(&vec![b'x'; 60 * 1024]));
}

fn encode_bulk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn replies_before_a_protocol_error_are_sent() {
    let s = Server::start();
    let got = reply_then_close(&s, b"PING\r\nSET k v\r\n*1\r\nfoo\r\nPING\r\n");
    assert_eq!(got, format!("+PONG\r\n{OK}{}", protocol_error("expected '$', got 'f'")));
    // The command after the error never ran, the one before it did.
    s.raw().expect("GET k", bulk("v"));
}

/// `protocol.tcl`'s "Protocol desync regression test": a NUL (alone, or after `*` or
/// `$`) followed by an endless stream without a newline must end in a protocol error
/// once the inline or header limit is passed, not in an ever-growing buffer.
#[test]
fn protocol_desync_regression() {
    let s = Server::start();
    for seq in [&b"\x00"[..], b"*\x00", b"$\x00"] {
        let mut c = s.raw();
        c.send(seq);
        let chunk = b"payload".repeat(1024);
        let mut sent = 0;
        while sent < 1024 * 1024 && c.send_lossy(&chunk) {
            sent += chunk.len();
        }
        let got = String::from_utf8_lossy(&c.read_until_closed()).into_owned();
        assert!(got.starts_with("-ERR Protocol error: too big"), "after {seq:?}: {got:?}");
    }
}

#[test]
fn requests_that_are_skipped() {
    let s = Server::start();
    let mut c = s.raw();
    // protocol.tcl: "Handle an empty query" and "Negative multibulk length".
    c.send(b"\r\n");
    c.expect("PING", "+PONG\r\n");
    c.send(b"*-10\r\n");
    c.expect("PING", "+PONG\r\n");
    c.send(b"*0\r\n*-1\r\n  \r\n\n\n");
    c.expect("PING", "+PONG\r\n");
    c.send(b"*-10\r\nPING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    // Like Redis, the two bytes after a bulk are taken as its CRLF, unchecked.
    c.send(b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n");
    assert_eq!(c.read_reply(), bulk("abc").as_bytes());
    assert_eq!(c.read_reply(), b"+PONG\r\n");
}

#[test]
fn inline_commands() {
    let s = Server::start();
    let mut c = s.raw();
    let cases: &[(&[u8], &[u8])] = &[
        (b"PING\r\n", b"+PONG\r\n"),
        (b"PING\n", b"+PONG\r\n"),
        (b"\tSET\t\tk  v \r\n", b"+OK\r\n"),
        (b"GET k\r\n", b"$1\r\nv\r\n"),
        (b"SET k 'v' x\r\n", b"-ERR syntax error\r\n"),
        (b"SET k \"a\\x41b\"\r\n", b"+OK\r\n"),
        (b"GET k\r\n", b"$3\r\naAb\r\n"),
        (b"ECHO \"\\\"q\\\"\"\r\n", b"$3\r\n\"q\"\r\n"),
        (b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n"),
        (b"ECHO \"tab\\there\\n\"\r\n", b"$9\r\ntab\there\n\r\n"),
        (b"ECHO \"\\xff\\x00\\x41\"\r\n", b"$3\r\n\xff\x00A\r\n"),
        (b"ECHO \"\"\r\n", b"$0\r\n\r\n"),
        (b"ECHO ''\r\n", b"$0\r\n\r\n"),
        (b"SET \"a b\" \"c d\"\r\n", b"+OK\r\n"),
        (b"ping extra words\r\n", b"-ERR wrong number of arguments for 'ping' command\r\n"),
    ];
    for (request, want) in cases {
        c.send(request);
        let got = c.read_reply();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "inline {:?}",
            String::from_utf8_lossy(request)
        );
    }
    // An inline key with a space is the same key as a multibulk one.
    assert_eq!(c.cmd_args(&["GET", "a b"]), bulk("c d"));
    // Inline and multibulk requests mixed in one write, answered in order.
    let mut batch = b"INCR n\r\n".to_vec();
    batch.extend(encode(&[b"INCR", b"n"]));
    batch.extend_from_slice(b"INCR n\nGET n\r\n");
    c.send(&batch);
    for want in [int(1), int(2), int(3), bulk("3")] {
        assert_eq!(c.read_reply_text(), want);
    }
}

#[test]
fn binary_safe_keys_and_values() {
    let s = Server::start();
    let mut c = s.raw();
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let keys: Vec<Vec<u8>> = vec![
        b"nul\x00inside".to_vec(),
        b"crlf\r\nkey".to_vec(),
        b"\xff\xfe\xfd invalid utf-8".to_vec(),
        b"*1\r\n$4\r\nPING\r\n".to_vec(),
        Vec::new(),
        all_bytes.clone(),
    ];
    let values: Vec<Vec<u8>> = vec![
        all_bytes.clone(),
        b"\r\n".to_vec(),
        b"\x00".to_vec(),
        Vec::new(),
        b"$-1\r\n".to_vec(),
        vec![0xc3, 0x28, 0xa0, 0xa1],
    ];
    for (key, value) in keys.iter().zip(&values) {
        assert_eq!(c.cmd_bytes(&[b"SET", key, value]), OK.as_bytes());
        assert_eq!(c.cmd_bytes(&[b"GET", key]), encode_bulk(value));
        assert_eq!(c.cmd_bytes(&[b"STRLEN", key]), int(value.len() as i64).as_bytes());
        assert_eq!(c.cmd_bytes(&[b"EXISTS", key]), b":1\r\n");
    }
    // Keys that differ only in bytes after a NUL or in invalid UTF-8 are distinct.
    assert_eq!(c.cmd_bytes(&[b"SET", b"nul\x00other", b"x"]), OK.as_bytes());
    assert_eq!(c.cmd_bytes(&[b"GET", &keys[0]]), encode_bulk(&values[0]));
    assert_eq!(c.cmd_bytes(&[b"SET", b"\xff\xfe\xfc invalid utf-8", b"y"]), OK.as_bytes());
    assert_eq!(c.cmd_bytes(&[b"GET", &keys[2]]), encode_bulk(&values[2]));
    // MGET, APPEND, GETRANGE and SETRANGE on binary data.
    let mut mget = vec![&b"MGET"[..]];
    mget.extend(keys.iter().map(|k| &k[..]));
    let mut want = format!("*{}\r\n", keys.len()).into_bytes();
    for value in &values {
        want.extend(encode_bulk(value));
    }
    assert_eq!(c.cmd_bytes(&mget), want);
    assert_eq!(c.cmd_bytes(&[b"APPEND", &keys[1], b"\x00\xff"]), b":4\r\n");
    assert_eq!(c.cmd_bytes(&[b"GET", &keys[1]]), encode_bulk(b"\r\n\x00\xff"));
    assert_eq!(c.cmd_bytes(&[b"GETRANGE", &keys[0], b"10", b"14"]), encode_bulk(&all_bytes[10..=14]));
    assert_eq!(c.cmd_bytes(&[b"SETRANGE", &keys[0], b"0", b"\r\n\x00"]), b":256\r\n");
    let mut patched = all_bytes.clone();
    patched[..3].copy_from_slice(b"\r\n\x00");
    assert_eq!(c.cmd_bytes(&[b"GET", &keys[0]]), encode_bulk(&patched));
    // A large binary value survives the round trip byte for byte.
    let big: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    assert_eq!(c.cmd_bytes(&[b"SET", b"big", &big]), OK.as_bytes());
    assert_eq!(c.cmd_bytes(&[b"GET", b"big"]), encode_bulk(&big));
    assert_eq!(c.cmd_bytes(&[b"DBSIZE"]), int(keys.len() as i64 + 3).as_bytes());
}

#[test]
fn pipeline_of_ten_thousand_commands() {
    const N: usize = 10_000;
    let s = Server::start();
    let mut c = s.raw();
    let mut writer = c.stream().try_clone().expect("clone stream");
    // Write from another thread so neither side can block the other on full buffers.
    let sender = thread::spawn(move || {
        let mut batch = Vec::new();
        for i in 0..N {
            match i % 3 {
                0 => batch.extend(encode(&[b"INCR", b"counter"])),
                1 => batch.extend(encode(&[b"SET", format!("k{i}").as_bytes(), format!("v{i}").as_bytes()])),
                _ => batch.extend(encode(&[b"GET", format!("k{}", i - 1).as_bytes()])),
            }
            if batch.len() > 64 * 1024 {
                writer.write_all(&batch).expect("write pipeline");
                batch.clear();
            }
        }
        writer.write_all(&batch).expect("write pipeline");
    });
    let mut incrs = 0;
    for i in 0..N {
        let reply = c.read_reply_text();
        let want = match i % 3 {
            0 => {
                incrs += 1;
                int(incrs)
            }
            1 => OK.to_string(),
            _ => bulk(&format!("v{}", i - 1)),
        };
        assert_eq!(reply, want, "reply #{i}");
    }
    sender.join().expect("writer thread");
    c.expect("GET counter", bulk(&incrs.to_string()));
    c.expect("DBSIZE", int(N as i64 / 3 + 1));
}

#[test]
fn request_split_byte_by_byte() {
    let s = Server::start();
    let mut c = s.raw();
    let mut pipeline = encode(&[b"SET", b"key", b"value\r\nwith crlf"]);
    pipeline.extend_from_slice(b"GET key\r\n");
    pipeline.extend(encode(&[b"APPEND", b"key", b"!"]));
    let (last, head) = pipeline.split_last().expect("bytes");
    for byte in head {
        c.send(std::slice::from_ref(byte));
        thread::sleep(Duration::from_millis(1));
    }
    // The first two requests are complete by now; the third waits for its last byte.
    assert_eq!(c.read_reply_text(), OK);
    assert_eq!(c.read_reply_text(), bulk("value\r\nwith crlf"));
    c.assert_silent(Duration::from_millis(200));
    c.send(std::slice::from_ref(last));
    assert_eq!(c.read_reply_text(), int(17));
}

/// CVE-2021-32675: `*1\r\n$536870912\r\n` then silence. The server must not reserve
/// the declared 512 MB (RSS, nor address space), and keeps serving everyone else.
#[test]
fn declared_lengths_do_not_allocate() {
    let s = Server::start();
    s.raw().expect("PING", "+PONG\r\n");
    let rss_before = s.proc_status_kb("VmRSS");
    let virtual_before = s.proc_status_kb("VmSize");
    let mut idle = Vec::new();
    for _ in 0..4 {
        let mut c = s.raw();
        c.send(b"*1\r\n$536870912\r\n");
        idle.push(c);
    }
    for _ in 0..2 {
        let mut c = s.raw();
        c.send(b"*1048576\r\n$536870912\r\n");
        idle.push(c);
    }
    // One of them also sends the first megabyte of its bulk.
    idle[0].send(&vec![b'x'; 1024 * 1024]);
    let mut other = s.raw();
    other.expect("SET a b", OK);
    other.expect("GET a", bulk("b"));
    for c in &mut idle {
        c.assert_silent(Duration::from_millis(100));
    }
    let rss_growth = s.proc_status_kb("VmRSS").saturating_sub(rss_before);
    let virtual_growth = s.proc_status_kb("VmSize").saturating_sub(virtual_before);
    assert!(rss_growth < 100 * 1024, "RSS grew by {rss_growth} kB");
    assert!(virtual_growth < 1024 * 1024, "address space grew by {virtual_growth} kB");
    // Still serving, new clients included.
    s.raw().expect("PING", "+PONG\r\n");
    other.expect("DBSIZE", int(1));
}

#[test]
fn reply_framing_helper_is_exact() {
    // The harness's own reply splitter, on every RESP type it must understand.
    assert_eq!(reply_len(b"+OK\r\n:1\r\n"), Some(5));
    assert_eq!(reply_len(b"$3\r\na\r\n\r\n"), Some(9));
    assert_eq!(reply_len(b"$3\r\nab"), None);
    assert_eq!(reply_len(b"*2\r\n$-1\r\n_\r\n"), Some(12));
    assert_eq!(reply_len(b"%1\r\n+a\r\n*0\r\n"), Some(12));
    assert_eq!(reply_len(b"=6\r\ntxt:hi\r\n"), Some(12));
    assert_eq!(reply_len(b"%1\r\n+a\r\n"), None);
}
