//! Persistence over the wire: data survives a restart (SIGTERM and kill -9 under
//! `appendfsync always`), TTLs keep falling across a restart, concurrent `INCR`s
//! during `BGREWRITEAOF` give the exact count live and after replay, and
//! `redis-check-aof` (from redis-tools; a loud skip locally, a failure in CI when
//! missing) accepts the file before and after a rewrite.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

use common::{missing_tool, Server};
use redis::Commands;

fn start(aof: &Path, policy: &str) -> Server {
    Server::start_with(&["--aof-path", aof.to_str().unwrap(), "--appendfsync", policy])
}

fn stop(mut server: Server) {
    server.signal("TERM");
    assert!(server.wait_exit().success(), "exit status; stderr:\n{}", server.stderr());
}

fn info_field(conn: &mut redis::Connection, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg("persistence").query(conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

fn wait_rewrite(conn: &mut redis::Connection) {
    for _ in 0..1000 {
        if info_field(conn, "aof_rewrite_in_progress") == "0" {
            return;
        }
        sleep(Duration::from_millis(10));
    }
    panic!("rewrite never finished");
}

fn aof_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("appendonly.aof")
}

#[test]
fn data_survives_a_graceful_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = aof_path(&dir);
    let server = start(&path, "everysec");
    let mut conn = server.conn();
    let _: () = conn.set("plain", "v").unwrap();
    let _: i64 = conn.incr("counter", 41).unwrap();
    let _: i64 = conn.incr("counter", 1).unwrap();
    let _: () = redis::cmd("MSET").arg("m1").arg("a").arg("m2").arg(b"\0\r\n\xff").query(&mut conn).unwrap();
    let _: () = redis::cmd("SELECT").arg(7).query(&mut conn).unwrap();
    let _: () = conn.set("in7", "seven").unwrap();
    let _: i64 = conn.append("in7", "!").unwrap();
    let _: () = redis::cmd("SELECT").arg(0).query(&mut conn).unwrap();
    let _: i64 = conn.del("plain").unwrap();
    let _: String = redis::cmd("INCRBYFLOAT").arg("f").arg("2.5").query(&mut conn).unwrap();
    drop(conn);
    stop(server);

    let server = start(&path, "everysec");
    let mut conn = server.conn();
    assert_eq!(conn.get::<_, Option<String>>("plain").unwrap(), None);
    assert_eq!(conn.get::<_, i64>("counter").unwrap(), 42);
    assert_eq!(conn.get::<_, Vec<u8>>("m2").unwrap(), b"\0\r\n\xff");
    assert_eq!(conn.get::<_, String>("f").unwrap(), "2.5");
    let _: () = redis::cmd("SELECT").arg(7).query(&mut conn).unwrap();
    assert_eq!(conn.get::<_, String>("in7").unwrap(), "seven!");
}

#[test]
fn acknowledged_writes_survive_kill_9_under_always() {
    let dir = tempfile::tempdir().unwrap();
    let path = aof_path(&dir);
    let mut acknowledged = 0i64;
    for _cycle in 0..3 {
        let server = start(&path, "always");
        let mut conn = server.conn();
        assert_eq!(conn.get::<_, Option<i64>>("n").unwrap().unwrap_or(0), acknowledged);
        for _ in 0..200 {
            acknowledged = conn.incr("n", 1).unwrap();
        }
        server.signal("KILL");
    }
    let server = start(&path, "always");
    assert_eq!(server.conn().get::<_, i64>("n").unwrap(), acknowledged);
}

#[test]
fn ttl_keeps_falling_across_a_restart_and_short_ttls_expire() {
    let dir = tempfile::tempdir().unwrap();
    let path = aof_path(&dir);
    let server = start(&path, "always");
    let mut conn = server.conn();
    let _: () = redis::cmd("SET").arg("long").arg("v").arg("EX").arg(100).query(&mut conn).unwrap();
    let _: () = redis::cmd("SET").arg("short").arg("v").arg("EX").arg(2).query(&mut conn).unwrap();
    let _: () = redis::cmd("SETEX").arg("also-short").arg(2).arg("v").query(&mut conn).unwrap();
    drop(conn);
    sleep(Duration::from_millis(3100));
    stop(server);

    let server = start(&path, "always");
    let mut conn = server.conn();
    let ttl: i64 = conn.ttl("long").unwrap();
    assert!((90..=97).contains(&ttl), "TTL did not keep falling across the restart: {ttl}");
    assert_eq!(conn.get::<_, Option<String>>("short").unwrap(), None);
    assert_eq!(conn.exists::<_, i64>("also-short").unwrap(), 0);
}

#[test]
fn concurrent_incr_during_bgrewriteaof_is_exact_live_and_after_replay() {
    const CLIENTS: usize = 20;
    const INCRS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let path = aof_path(&dir);
    let server = start(&path, "everysec");
    let client = server.client();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                let mut conn = client.get_connection().unwrap();
                for _ in 0..INCRS {
                    let _: i64 = conn.incr("hits", 1).unwrap();
                }
            })
        })
        .collect();
    let mut admin = server.conn();
    for _ in 0..3 {
        let reply: String = redis::cmd("BGREWRITEAOF").query(&mut admin).unwrap();
        assert_eq!(reply, "Background append only file rewriting started");
        wait_rewrite(&mut admin);
    }
    for worker in workers {
        worker.join().unwrap();
    }
    let expected = (CLIENTS * INCRS) as i64;
    assert_eq!(admin.get::<_, i64>("hits").unwrap(), expected);
    assert_eq!(info_field(&mut admin, "aof_last_bgrewrite_status"), "ok");
    drop(admin);
    stop(server);
    let server = start(&path, "everysec");
    assert_eq!(server.conn().get::<_, i64>("hits").unwrap(), expected);
}

#[test]
fn a_rewrite_already_running_is_refused_like_redis() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&aof_path(&dir), "no");
    let mut conn = server.conn();
    // Enough data that the rewrite takes a moment.
    for chunk in 0..20 {
        let mut pipe = redis::pipe();
        for i in 0..5000 {
            pipe.set(format!("k{chunk}:{i}"), "0123456789").ignore();
        }
        let _: () = pipe.query(&mut conn).unwrap();
    }
    let mut saw_refusal = false;
    for _ in 0..20 {
        let first: redis::RedisResult<String> = redis::cmd("BGREWRITEAOF").query(&mut conn);
        let second: redis::RedisResult<String> = redis::cmd("BGREWRITEAOF").query(&mut conn);
        if first.is_ok() {
            if let Err(e) = second {
                assert!(
                    e.to_string().contains("Background append only file rewriting already in progress"),
                    "{e}"
                );
                saw_refusal = true;
                break;
            }
        }
        wait_rewrite(&mut conn);
    }
    assert!(saw_refusal, "a second BGREWRITEAOF during a rewrite was never refused");
}

#[test]
fn redis_check_aof_accepts_the_file_before_and_after_a_rewrite() {
    if Command::new("redis-check-aof").arg("--help").output().is_err() {
        missing_tool("redis-check-aof (apt-get install redis-tools)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = aof_path(&dir);
    let server = start(&path, "always");
    let mut conn = server.conn();
    let _: () = conn.set("a", "1").unwrap();
    let _: () = redis::cmd("SET").arg("t").arg("v").arg("PX").arg(100_000).query(&mut conn).unwrap();
    let _: () = redis::cmd("SELECT").arg(3).query(&mut conn).unwrap();
    let _: () = redis::cmd("MSET").arg("x").arg("\r\n").arg("y").arg("").query(&mut conn).unwrap();
    let check = |when: &str| {
        let out = Command::new("redis-check-aof").arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.contains("is valid"), "{when}: {text}");
    };
    check("before the rewrite");
    let _: String = redis::cmd("BGREWRITEAOF").query(&mut conn).unwrap();
    wait_rewrite(&mut conn);
    let _: () = conn.set("after", "rewrite").unwrap();
    check("after the rewrite");
}

#[test]
fn a_corrupt_aof_refuses_to_start_naming_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = aof_path(&dir);
    std::fs::write(&path, b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\ngarbage\r\n*1\r\n$4\r\nPING\r\n")
        .unwrap();
    let port = common::free_port();
    let mut child = Command::new(common::binary())
        .args(["--addr", &format!("127.0.0.1:{port}"), "--aof-path", path.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("corrupt at offset 27"), "{stderr}");
}
