//! The harness every integration test shares: start the real `ferrum-kv` binary on a
//! free loopback port, talk to it (with `redis-rs`, or with raw bytes over TCP), send
//! it signals, and kill it when the test is over.
//!
//! Nothing here waits without a bound: sockets carry read and write timeouts, start-up
//! and exit are polled a limited number of times, and a server that does not come up
//! makes the test panic with what the server wrote to stderr.

// Each test crate uses a different part of the harness.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::Duration;

/// How long a socket read or write may block before the test fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How often, and how far apart, the harness polls for the server to come up or exit.
const POLL_TRIES: u32 = 600;
const POLL_EVERY: Duration = Duration::from_millis(25);

/// The binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_ferrum-kv")
}

/// A loopback port that was free a moment ago: bind port 0, read the port, let it go.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// Sends `signal` (a name such as `TERM` or `INT`) to `pid` with the `kill` command.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run the kill command");
    assert!(status.success(), "kill -{signal} {pid} failed: {status}");
}

/// A running `ferrum-kv`; killed (SIGKILL) when dropped unless it already exited.
pub struct Server {
    child: Child,
    port: u16,
    stderr: PathBuf,
    // Keeps the directory holding the stderr file alive as long as the server.
    _dir: tempfile::TempDir,
    exited: Option<ExitStatus>,
}

impl Server {
    /// Starts a server with default settings on a free port.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts a server on a free port (`--addr 127.0.0.1:PORT`) with `args` added.
    /// Retries with another port if the chosen one was taken in the meantime.
    pub fn start_with(args: &[&str]) -> Server {
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let mut all = vec!["--addr".to_string(), format!("127.0.0.1:{port}")];
            all.extend(args.iter().map(|a| a.to_string()));
            match Server::try_start(&all, port) {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("ferrum-kv never came up:\n{}", failures.join("\n----\n"));
    }

    /// Starts the binary with exactly `args` (no `--addr` added) and waits until it
    /// accepts connections on `port`; panics with its stderr if it never does.
    pub fn start_raw(args: &[String], port: u16) -> Server {
        match Server::try_start(args, port) {
            Ok(server) => server,
            Err(failure) => panic!("ferrum-kv never came up: {failure}"),
        }
    }

    fn try_start(args: &[String], port: u16) -> Result<Server, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let stderr = dir.path().join("stderr.log");
        let stderr_file = std::fs::File::create(&stderr).expect("create stderr file");
        let child = Command::new(binary())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr_file)
            .spawn()
            .expect("spawn ferrum-kv");
        let mut server = Server { child, port, stderr, _dir: dir, exited: None };
        for _ in 0..POLL_TRIES {
            if let Some(status) = server.child.try_wait().expect("try_wait") {
                server.exited = Some(status);
                return Err(format!("exited with {status} before accepting; stderr:\n{}", server.stderr()));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            sleep(POLL_EVERY);
        }
        Err(format!("not accepting on port {port} after {POLL_TRIES} tries; stderr:\n{}", server.stderr()))
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server has written to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// A `redis-rs` client speaking RESP2.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("redis client")
    }

    /// A `redis-rs` client speaking RESP3 (`HELLO 3` on connect).
    pub fn client_resp3(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/?protocol=resp3", self.port)).expect("redis client")
    }

    /// A synchronous RESP2 `redis-rs` connection with I/O timeouts.
    pub fn conn(&self) -> redis::Connection {
        with_timeouts(self.client().get_connection_with_timeout(IO_TIMEOUT).expect("connect"))
    }

    /// A synchronous RESP3 `redis-rs` connection with I/O timeouts.
    pub fn conn_resp3(&self) -> redis::Connection {
        with_timeouts(self.client_resp3().get_connection_with_timeout(IO_TIMEOUT).expect("connect"))
    }

    /// A raw TCP connection (RESP2 until the test says otherwise).
    pub fn raw(&self) -> RawConn {
        RawConn::connect(self.port)
    }

    /// A raw TCP connection that has switched to RESP3 with `HELLO 3`.
    pub fn raw_resp3(&self) -> RawConn {
        let mut conn = self.raw();
        let hello = conn.cmd("HELLO 3");
        assert!(hello.starts_with("%7\r\n"), "HELLO 3 did not answer a map: {hello:?}");
        conn
    }

    /// A raw connection speaking `proto`.
    pub fn raw_proto(&self, proto: Proto) -> RawConn {
        match proto {
            Proto::Resp2 => self.raw(),
            Proto::Resp3 => self.raw_resp3(),
        }
    }

    /// A field of the server's `/proc/PID/status` in kB (`VmRSS`, `VmSize`).
    pub fn proc_status_kb(&self, field: &str) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("read /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.pid()))
    }

    /// Sends `signal` to the server.
    pub fn signal(&self, signal: &str) {
        send_signal(self.pid(), signal);
    }

    /// Waits (bounded) for the server to exit; panics if it does not.
    pub fn wait_exit(&mut self) -> ExitStatus {
        if let Some(status) = self.exited {
            return status;
        }
        for _ in 0..POLL_TRIES {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.exited = Some(status);
                return status;
            }
            sleep(POLL_EVERY);
        }
        let _ = self.child.kill();
        panic!("ferrum-kv did not exit; stderr:\n{}", self.stderr());
    }

    /// Whether the process has exited (without waiting).
    pub fn has_exited(&mut self) -> bool {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().expect("try_wait");
        }
        self.exited.is_some()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn with_timeouts(conn: redis::Connection) -> redis::Connection {
    conn.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
    conn.set_write_timeout(Some(IO_TIMEOUT)).expect("write timeout");
    conn
}

/// Runs the binary with `args` until it exits by itself (bounded), returning its exit
/// status and stderr; for start-up failures such as a bad config file.
pub fn run_to_exit(args: &[String]) -> (ExitStatus, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("stderr.log");
    let file = std::fs::File::create(&path).expect("create stderr file");
    let mut child = Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("spawn ferrum-kv");
    for _ in 0..POLL_TRIES {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status, std::fs::read_to_string(&path).unwrap_or_default());
        }
        sleep(POLL_EVERY);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "ferrum-kv {args:?} kept running; stderr:\n{}",
        std::fs::read_to_string(&path).unwrap_or_default()
    );
}

/// The reply protocol a test connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// RESP2, every connection's start.
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

impl Proto {
    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn nil(self) -> &'static str {
        match self {
            Proto::Resp2 => "$-1\r\n",
            Proto::Resp3 => "_\r\n",
        }
    }

    /// The header of a map of `pairs` pairs: a flat array in RESP2, `%` in RESP3.
    pub fn map(self, pairs: usize) -> String {
        match self {
            Proto::Resp2 => format!("*{}\r\n", pairs * 2),
            Proto::Resp3 => format!("%{pairs}\r\n"),
        }
    }

    /// A verbatim text reply: a bulk string in RESP2, `=len\r\ntxt:` in RESP3.
    pub fn verbatim(self, text: &str) -> String {
        match self {
            Proto::Resp2 => bulk(text),
            Proto::Resp3 => format!("={}\r\ntxt:{text}\r\n", text.len() + 4),
        }
    }

    /// The header of a verbatim text reply of `len` text bytes.
    pub fn verbatim_header(self, len: usize) -> String {
        match self {
            Proto::Resp2 => format!("${len}\r\n"),
            Proto::Resp3 => format!("={}\r\ntxt:", len + 4),
        }
    }
}

/// `+OK`.
pub const OK: &str = "+OK\r\n";

/// A bulk string reply.
pub fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// An integer reply.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// An error reply; `line` holds the code and message (`ERR syntax error`).
pub fn err(line: &str) -> String {
    format!("-{line}\r\n")
}

/// A simple string reply.
pub fn simple(text: &str) -> String {
    format!("+{text}\r\n")
}

/// An array of already-encoded elements.
pub fn array(items: &[String]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(item);
    }
    out
}

/// Encodes a request as a RESP multibulk.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The length of the first complete RESP2/RESP3 reply in `buf`, or `None` if more
/// bytes are needed. Panics on bytes that cannot start a reply.
pub fn reply_len(buf: &[u8]) -> Option<usize> {
    fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
        let end = buf.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
        Some((&buf[at + 1..at + end], at + end + 2))
    }
    fn number(text: &[u8]) -> i64 {
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("bad length in reply: {:?}", String::from_utf8_lossy(text)))
    }
    fn frame(buf: &[u8], at: usize) -> Option<usize> {
        let kind = *buf.get(at)?;
        let (body, next) = line(buf, at)?;
        match kind {
            b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => Some(next),
            b'$' | b'!' | b'=' => {
                let len = number(body);
                if len < 0 {
                    return Some(next);
                }
                let end = next + len as usize + 2;
                (buf.len() >= end).then_some(end)
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let mut count = number(body);
                if matches!(kind, b'%' | b'|') {
                    count *= 2;
                }
                let mut at = next;
                for _ in 0..count.max(0) {
                    at = frame(buf, at)?;
                }
                Some(at)
            }
            other => panic!(
                "not a RESP reply (type byte {:?}): {:?}",
                other as char,
                String::from_utf8_lossy(&buf[at..buf.len().min(at + 80)])
            ),
        }
    }
    frame(buf, 0)
}

/// A raw TCP connection: writes bytes, reads whole replies.
pub struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    /// Connects to the server on `port`, with read and write timeouts.
    pub fn connect(port: u16) -> RawConn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("write timeout");
        let _ = stream.set_nodelay(true);
        RawConn { stream, buf: Vec::new() }
    }

    /// The underlying stream (to clone it for a writer thread, say).
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Writes `bytes` as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to server");
    }

    /// Writes `bytes`, tolerating a connection the server has already closed.
    pub fn send_lossy(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// Stops writing (the server sees end of stream).
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads more bytes into the buffer; 0 means end of stream.
    fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one complete reply; `None` if the server closed the connection first.
    pub fn try_read_reply(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(len) = reply_len(&self.buf) {
                return Some(self.buf.drain(..len).collect());
            }
            match self.fill() {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
                Err(e) => panic!(
                    "no complete reply within {IO_TIMEOUT:?} ({e}); have {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }

    /// Reads one complete reply; panics if the connection closes first.
    pub fn read_reply(&mut self) -> Vec<u8> {
        match self.try_read_reply() {
            Some(reply) => reply,
            None => panic!("connection closed; unparsed bytes: {:?}", String::from_utf8_lossy(&self.buf)),
        }
    }

    /// Reads one reply as text (invalid UTF-8 replaced).
    pub fn read_reply_text(&mut self) -> String {
        String::from_utf8_lossy(&self.read_reply()).into_owned()
    }

    /// Reads until the server closes the connection and returns everything read
    /// (unparsed bytes included); panics if it stays open for [`IO_TIMEOUT`].
    pub fn read_until_closed(&mut self) -> Vec<u8> {
        loop {
            match self.fill() {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => panic!(
                    "connection still open after {IO_TIMEOUT:?} ({e}); read {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
        std::mem::take(&mut self.buf)
    }

    /// Asserts that nothing arrives and the connection stays open for `wait`.
    #[track_caller]
    pub fn assert_silent(&mut self, wait: Duration) {
        assert!(self.buf.is_empty(), "unread reply bytes: {:?}", String::from_utf8_lossy(&self.buf));
        self.stream.set_read_timeout(Some(wait)).expect("read timeout");
        let mut byte = [0u8; 1];
        let result = self.stream.read(&mut byte);
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        match result {
            Ok(0) => panic!("the server closed the connection"),
            Ok(_) => panic!("unexpected reply byte {:?}", byte[0] as char),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("connection failed: {e}"),
        }
    }

    /// Sends a command given as binary arguments and returns its reply.
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(&encode(args));
        self.read_reply()
    }

    /// Sends a command given as text arguments and returns its reply as text.
    pub fn cmd_args(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&self.cmd_bytes(&args)).into_owned()
    }

    /// Sends `line` split on white space as a multibulk and returns the reply as text.
    pub fn cmd(&mut self, line: &str) -> String {
        let args: Vec<&str> = line.split_whitespace().collect();
        self.cmd_args(&args)
    }

    /// Runs `line` (split on white space) and asserts the exact reply.
    #[track_caller]
    pub fn expect(&mut self, line: &str, want: impl AsRef<str>) {
        let got = self.cmd(line);
        assert_eq!(got, want.as_ref(), "reply to `{line}`");
    }

    /// Runs a command given as arguments and asserts the exact reply.
    #[track_caller]
    pub fn expect_args(&mut self, args: &[&str], want: impl AsRef<str>) {
        let got = self.cmd_args(args);
        assert_eq!(got, want.as_ref(), "reply to {args:?}");
    }

    /// Runs `line` and returns its integer reply; panics on anything else.
    #[track_caller]
    pub fn int(&mut self, line: &str) -> i64 {
        let got = self.cmd(line);
        got.strip_prefix(':')
            .and_then(|rest| rest.strip_suffix("\r\n"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("`{line}` did not reply an integer: {got:?}"))
    }
}

/// The `field:value` lines of an `INFO` text, as pairs.
pub fn info_fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim_end_matches('\r').to_string()))
        .collect()
}

/// The directory of the package under test (for scripts under `tests/`).
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether tests run in CI, where a missing tool is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// The Python that runs redis-py's tests (`FERRUM_PYTHON`, else `python3`), or
/// `None` after [`missing_tool`] when it cannot import `redis`.
pub fn python_with_redis() -> Option<String> {
    let python = std::env::var("FERRUM_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import redis"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        missing_tool(&format!("redis-py for {python} (FERRUM_PYTHON=.venv/bin/python)"));
        None
    }
}

/// Runs `tests/py/<script>` (a redis-py program taking `--port` and
/// `--protocol`) against a fresh server in RESP2 and then RESP3, and asserts it
/// exits 0 having printed `marker`. Reports redis-py missing instead when it is.
pub fn run_redis_py(script: &str, marker: &str) {
    let Some(python) = python_with_redis() else { return };
    for protocol in ["2", "3"] {
        let s = Server::start();
        let out = std::process::Command::new(&python)
            .arg(manifest_dir().join("tests/py").join(script))
            .args(["--port", &s.port().to_string(), "--protocol", protocol])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{script} --protocol {protocol}:\n{stdout}\n{stderr}");
        assert!(stdout.contains(marker), "{script} --protocol {protocol}: no {marker:?} in\n{stdout}");
    }
}

/// Reports a missing tool: a failure in CI, a loud skip line elsewhere. Returns so the
/// caller can `return` right after.
pub fn missing_tool(what: &str) {
    if in_ci() {
        panic!("CI is set but {what} is missing: install it (see tests/clients.rs)");
    }
    eprintln!("\n*** SKIPPED: {what} missing (set CI=1 to make this a failure) ***\n");
}

/// The value of `field` in `INFO section`; panics if it is missing.
pub fn info_field(conn: &mut redis::Connection, section: &str, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg(section).query(conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

/// Waits, boundedly (10 s), until `done` holds.
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("never: {what}");
}
