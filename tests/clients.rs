//! Real clients against the real binary: Debian's `redis-cli` (plain, `-3`, `--pipe`,
//! `-x`, `-n`), `redis-benchmark` (its `CONFIG GET` probe and inline `PING`), and
//! redis-py through `tests/py/smoke.py`, once at the library's default settings
//! (RESP2 up to redis-py 7, RESP3 from 8) and once each with `protocol=2` and `3`.
//!
//! The tools come from outside Cargo. When one is missing the test prints a loud
//! `SKIPPED: … missing` line to stderr and passes, unless the environment variable `CI`
//! is set, in which case it fails. Setup:
//! - `apt-get install redis-tools` (redis-cli, redis-benchmark);
//! - `python3 -m venv .venv && .venv/bin/pip install redis`, then run the tests with
//!   `FERRUM_PYTHON=$PWD/.venv/bin/python` (default: `python3`).

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{bulk, manifest_dir, missing_tool, RawConn, Server, OK};

/// Runs `program args…` with `stdin` fed in, failing the test if it cannot be run or
/// does not finish within a minute.
fn run(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let pid = child.id();
    // A watchdog so that a hung client cannot hang the test run.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(std::time::Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
    });
    let output = child.wait_with_output().expect("wait for client");
    let _ = done_tx.send(());
    let _ = watchdog.join();
    let _ = feeder.join();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `program --version` runs.
fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `redis-cli -p PORT args…` with `stdin`; asserts it exited 0 and returns stdout.
fn cli(s: &Server, args: &[&str], stdin: &[u8]) -> String {
    let port = s.port().to_string();
    let mut all = vec!["-h", "127.0.0.1", "-p", &port];
    all.extend_from_slice(args);
    let out = run("redis-cli", &all, stdin);
    assert!(out.status.success(), "redis-cli {args:?}: {}\n{}", out.status, text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn redis_cli_commands() {
    if !available("redis-cli") {
        return missing_tool("redis-cli (apt-get install redis-tools)");
    }
    let s = Server::start();
    assert_eq!(cli(&s, &["SET", "a", "b"], b""), "OK\n");
    assert_eq!(cli(&s, &["GET", "a"], b""), "b\n");
    assert_eq!(cli(&s, &["--no-raw", "GET", "a"], b""), "\"b\"\n");
    assert_eq!(cli(&s, &["GET", "missing"], b""), "\n");
    assert_eq!(cli(&s, &["INCR", "n"], b""), "1\n");
    assert_eq!(cli(&s, &["--no-raw", "INCR", "n"], b""), "(integer) 2\n");
    assert_eq!(cli(&s, &["PING"], b""), "PONG\n");
    assert_eq!(cli(&s, &["MGET", "a", "missing", "n"], b""), "b\n\n2\n");
    assert_eq!(
        cli(&s, &["FOO", "x"], b"").trim_end(),
        "ERR unknown command 'FOO', with args beginning with: 'x'"
    );
    // Commands read from stdin, one per line.
    assert_eq!(cli(&s, &[], b"SET k 1\nINCR k\nGET k\nEXPIRE k 100\nTTL k\n"), "OK\n2\n2\n1\n100\n");
    let info = cli(&s, &["INFO", "server"], b"");
    assert!(info.contains("redis_version:7"), "{info}");
    // -n selects a database.
    assert_eq!(cli(&s, &["-n", "3", "SET", "in3", "yes"], b""), "OK\n");
    let mut c = s.raw();
    c.expect("EXISTS in3", ":0\r\n");
    c.expect("SELECT 3", OK);
    c.expect("GET in3", bulk("yes"));
}

#[test]
fn redis_cli_resp3() {
    if !available("redis-cli") {
        return missing_tool("redis-cli (apt-get install redis-tools)");
    }
    let s = Server::start();
    let hello = cli(&s, &["-3", "HELLO", "3"], b"");
    assert!(hello.contains("proto\n3\n") || hello.contains("proto 3"), "{hello:?}");
    assert_eq!(cli(&s, &["-3", "SET", "a", "b"], b""), "OK\n");
    assert_eq!(cli(&s, &["-3", "GET", "a"], b""), "b\n");
    assert_eq!(cli(&s, &["-3", "--no-raw", "GET", "missing"], b""), "(nil)\n");
    let config = cli(&s, &["-3", "--no-raw", "CONFIG", "GET", "save"], b"");
    assert!(config.contains("\"save\"") && config.contains("=>"), "a RESP3 map: {config:?}");
}

#[test]
fn redis_cli_pipe_and_binary_stdin() {
    if !available("redis-cli") {
        return missing_tool("redis-cli (apt-get install redis-tools)");
    }
    let s = Server::start();
    // Mass insertion: RESP on stdin.
    let mut input = Vec::new();
    for i in 0..1000 {
        input.extend(common::encode(&[b"SET", format!("key:{i}").as_bytes(), format!("{i}").as_bytes()]));
    }
    let out = cli(&s, &["--pipe"], &input);
    assert!(out.contains("errors: 0, replies: 1000"), "{out}");
    let mut c = s.raw();
    c.expect("DBSIZE", ":1000\r\n");
    c.expect("GET key:999", bulk("999"));
    // -x: the last argument is stdin, byte for byte.
    let value: Vec<u8> = (0..=255u8).chain(b"\r\n\x00end".iter().copied()).collect();
    assert_eq!(cli(&s, &["-x", "SET", "bin"], &value), "OK\n");
    let mut want = format!("${}\r\n", value.len()).into_bytes();
    want.extend_from_slice(&value);
    want.extend_from_slice(b"\r\n");
    assert_eq!(c.cmd_bytes(&[b"GET", b"bin"]), want);
}

#[test]
fn redis_benchmark_runs_clean() {
    if !available("redis-benchmark") {
        return missing_tool("redis-benchmark (apt-get install redis-tools)");
    }
    let s = Server::start();
    let port = s.port().to_string();
    let out = run(
        "redis-benchmark",
        &["-h", "127.0.0.1", "-p", &port, "-n", "2000", "-c", "4", "-t", "ping,set,get,incr,mset", "-q"],
        b"",
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{}\n{stdout}\n{stderr}", out.status);
    // Each test prints its result; the CONFIG GET probe must not have warned.
    // (Progress updates are separated by CR, results by LF.)
    let results: Vec<&str> = stdout.split(['\r', '\n']).map(str::trim).collect();
    for test in ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"] {
        let prefix = format!("{test}: ");
        assert!(
            results.iter().any(|r| r.starts_with(&prefix) && r.contains("requests per second")),
            "no result for {test}:\n{stdout}"
        );
    }
    assert!(!stdout.contains("WARN") && !stderr.contains("WARN"), "{stdout}\n{stderr}");
    assert!(!stdout.contains("ERR") && !stderr.contains("ERR"), "{stdout}\n{stderr}");
    let mut c = RawConn::connect(s.port());
    c.expect("PING", "+PONG\r\n");
}

/// The Python to run `smoke.py` with: `FERRUM_PYTHON`, else `python3`; `None` (after
/// reporting) when it cannot `import redis`.
fn python_with_redis() -> Option<String> {
    let python = std::env::var("FERRUM_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let ok = Command::new(&python)
        .args(["-c", "import redis"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(python)
    } else {
        missing_tool(&format!(
            "redis-py for {python} (python3 -m venv .venv && .venv/bin/pip install redis; \
             FERRUM_PYTHON=.venv/bin/python)"
        ));
        None
    }
}

/// Runs `tests/py/smoke.py` against a fresh server and returns its success line.
fn smoke(protocol: &str) -> Option<String> {
    let python = python_with_redis()?;
    let s = Server::start();
    let script = manifest_dir().join("tests/py/smoke.py");
    let port = s.port().to_string();
    let out = run(&python, &[script.to_str().unwrap(), "--port", &port, "--protocol", protocol], b"");
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "smoke.py --protocol {protocol}: {}\n{stdout}\n{}\nserver stderr:\n{}",
        out.status,
        text(&out.stderr),
        s.stderr()
    );
    let line = stdout.lines().find(|l| l.starts_with("smoke ok ")).expect("smoke ok line").to_string();
    eprintln!("{line}");
    Some(line)
}

#[test]
fn redis_py_defaults() {
    if let Some(line) = smoke("default") {
        assert!(line.contains("protocol=2") || line.contains("protocol=3"), "{line}");
    }
}

#[test]
fn redis_py_resp3() {
    if let Some(line) = smoke("3") {
        assert!(line.contains("protocol=3"), "{line}");
    }
}

#[test]
fn redis_py_resp2() {
    if let Some(line) = smoke("2") {
        assert!(line.contains("protocol=2"), "{line}");
    }
}

/// The client controls (`CLIENT REPLY`, `KILL`, `PAUSE`, `LIST`, `RESET` …).
#[path = "clients/controls.rs"]
mod controls;
