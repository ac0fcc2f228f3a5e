//! The reference: a real `redis-server` (the Debian package's binary, found on
//! `PATH`), started by the test on a free loopback port in a temp dir, without
//! persistence, and killed when the guard is dropped.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::free_port;

/// The program started as the reference.
pub const PROGRAM: &str = "redis-server";

/// Whether `redis-server --version` runs.
pub fn available() -> bool {
    Command::new(PROGRAM)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A running `redis-server`; SIGKILLed and reaped on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    // Its working directory (and log file) lives as long as the server.
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts `redis-server --save '' --appendonly no --port P --daemonize no` on a
    /// free port, retrying with another port if the first one was taken meanwhile;
    /// panics with the server's log if it never comes up.
    pub fn start() -> RedisServer {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match RedisServer::try_start(free_port()) {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("{PROGRAM} never came up:\n{}", failures.join("\n----\n"));
    }

    fn try_start(port: u16) -> Result<RedisServer, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("redis.log")).expect("create log file");
        let log_err = log.try_clone().expect("clone log file");
        let child = Command::new(PROGRAM)
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no", "--bind", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--dir", &dir.path().to_string_lossy()])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot run {PROGRAM}: {e}"))?;
        let mut server = RedisServer { child, port, dir };
        for _ in 0..400 {
            if let Some(status) = server.child.try_wait().expect("try_wait") {
                return Err(format!("{PROGRAM} exited with {status}; log:\n{}", server.log()));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(format!("{PROGRAM} not accepting on port {port} after 10 s; log:\n{}", server.log()))
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
