//! Redis 7 functions over the wire: `FUNCTION LOAD|LIST|DELETE|FLUSH|DUMP|
//! RESTORE|STATS|KILL` and `FCALL`/`FCALL_RO` with 7.0.15's replies, a dump made
//! by redis-server restored here, libraries surviving a restart and an AOF
//! rewrite, `FUNCTION KILL` against a busy function, and the error statistics of
//! scripts.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::{bulk, err, eventually, info_field, int, Server, OK};

const LIB: &str = "#!lua name=mylib\n\
    redis.register_function('incrby', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\n\
    redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, \
    flags={'no-writes'}, description='reads a key'}";

#[test]
fn libraries_load_list_call_and_go() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect_args(&["FUNCTION", "LOAD", LIB], bulk("mylib"));
    c.expect_args(&["FUNCTION", "LOAD", LIB], err("ERR Library 'mylib' already exists"));
    c.expect_args(&["FUNCTION", "LOAD", "REPLACE", LIB], bulk("mylib"));
    c.expect_args(&["FUNCTION", "LOAD", "foo", LIB], err("ERR Unknown option given: foo"));
    // Function names match in any case; KEYS and ARGV are the arguments.
    c.expect("FCALL INCRBY 1 counter 5", int(5));
    c.expect("FCALL_RO peek 1 counter", bulk("5"));
    c.expect(
        "FCALL_RO incrby 1 counter 5",
        err("ERR Can not execute a script with write flag using *_ro command."),
    );
    c.expect("FCALL nope 0", err("ERR Function not found"));
    c.expect("FCALL incrby x", err("ERR Bad number of keys provided"));
    c.expect("FCALL incrby 3 a", err("ERR Number of keys can't be greater than number of args"));
    // A runtime error names the function and the line.
    let other =
        "#!lua name=other\nredis.register_function('boom', function() return redis.call('nosuch') end)";
    c.expect_args(&["FUNCTION", "LOAD", other], bulk("other"));
    c.expect(
        "FCALL boom 0",
        err("ERR Unknown Redis command called from script script: boom, on @user_function:2."),
    );
    let clash = "#!lua name=clash\nredis.register_function('PEEK', function() return 1 end)";
    c.expect_args(&["FUNCTION", "LOAD", clash], err("ERR Function PEEK already exists"));
    c.expect_args(
        &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', 'no')"],
        err("ERR Error registering functions: ERR second argument to redis.register_function must be a function"),
    );
    c.expect_args(
        &["FUNCTION", "LOAD", "#!lua name=x\nlocal a = 1 while true do a = a + 1 end"],
        err("ERR Error registering functions: ERR FUNCTION LOAD timeout"),
    );
    // LIST with a pattern and the code: names, descriptions, flags as a set.
    let listed = c.cmd("FUNCTION LIST LIBRARYNAME my* WITHCODE");
    for part in ["library_name", "mylib", "LUA", "incrby", "reads a key", "+no-writes", "library_code"] {
        assert!(listed.contains(part), "{part} in {listed}");
    }
    assert!(!listed.contains("boom"), "{listed}");
    c.expect("FUNCTION LIST bad", err("ERR Unknown argument bad"));
    c.expect("FUNCTION LIST LIBRARYNAME", err("ERR library name argument was not given"));
    let stats = c.cmd("FUNCTION STATS");
    assert!(stats.contains("libraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n"), "{stats}");
    c.expect("FUNCTION DELETE other", OK);
    c.expect("FUNCTION DELETE other", err("ERR Library not found"));
    c.expect("FCALL boom 0", err("ERR Function not found"));
    // SCRIPT FLUSH and FLUSHALL leave the libraries.
    c.expect("SCRIPT FLUSH", OK);
    c.expect("FLUSHALL", OK);
    c.expect("FCALL incrby 1 counter 1", int(1));
    c.expect("FUNCTION FLUSH bad", err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
    c.expect("FUNCTION FLUSH", OK);
    c.expect("FUNCTION LIST", "*0\r\n");
}

#[test]
fn dumps_restore_here_and_from_redis() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect_args(&["FUNCTION", "LOAD", LIB], bulk("mylib"));
    let dump = c.cmd_bytes(&[b"FUNCTION", b"DUMP"]);
    let payload = &dump[dump.iter().position(|&b| b == b'\n').unwrap() + 1..dump.len() - 2];
    c.expect("FUNCTION FLUSH", OK);
    let restore = |c: &mut common::RawConn, policy: &[u8]| {
        let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", payload];
        if !policy.is_empty() {
            args.push(policy);
        }
        String::from_utf8(c.cmd_bytes(&args)).unwrap()
    };
    assert_eq!(restore(&mut c, b""), OK);
    assert_eq!(restore(&mut c, b""), err("ERR Library mylib already exists"));
    assert_eq!(restore(&mut c, b"REPLACE"), OK);
    assert_eq!(restore(&mut c, b"FLUSH"), OK);
    assert_eq!(
        restore(&mut c, b"bad"),
        err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    );
    c.expect("FCALL incrby 1 k 2", int(2));
    c.expect("FUNCTION RESTORE bad_payload", err("ERR DUMP payload version or checksum are wrong"));
    // A payload redis-server 7.0.15 made (its code LZF-compressed).
    let hex = "f5c3405340631f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0b66756e6374696f6e\
               28276d79400b02272c20400660120f292072657475726e202768656c6c6f20e00805052720656e64290a008c0d0a5bad1b2fe4";
    let from_redis: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let reply = c.cmd_bytes(&[b"FUNCTION", b"RESTORE", &from_redis, b"FLUSH"]);
    assert_eq!(String::from_utf8(reply).unwrap(), OK);
    c.expect("FCALL myfunc 0", bulk("hello hello hello hello"));
}

#[test]
fn libraries_survive_a_restart_and_a_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let args = ["--aof-path", path.to_str().unwrap(), "--appendfsync", "always"];
    let mut server = Server::start_with(&args);
    let mut c = server.raw();
    c.expect_args(&["FUNCTION", "LOAD", LIB], bulk("mylib"));
    let gone = "#!lua name=gone\nredis.register_function('gone', function() return 1 end)";
    c.expect_args(&["FUNCTION", "LOAD", gone], bulk("gone"));
    c.expect("FCALL incrby 1 n 7", int(7));
    c.expect("FUNCTION DELETE gone", OK);
    server.signal("TERM");
    assert!(server.wait_exit().success());
    // Replay: the load, the call's effect and the delete.
    let mut server = Server::start_with(&args);
    let mut c = server.raw();
    c.expect("GET n", bulk("7"));
    c.expect("FCALL incrby 1 n 1", int(8));
    c.expect("FCALL gone 0", err("ERR Function not found"));
    // A rewrite writes the libraries first.
    c.expect("BGREWRITEAOF", "+Background append only file rewriting started\r\n");
    let mut conn = server.conn();
    eventually("the rewrite ends", || info_field(&mut conn, "persistence", "aof_rewrite_in_progress") == "0");
    drop(conn);
    let log = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&log);
    assert!(text.starts_with("*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"), "{text}");
    assert!(!text.contains("gone"), "{text}");
    server.signal("TERM");
    assert!(server.wait_exit().success());
    let server = Server::start_with(&args);
    let mut c = server.raw();
    c.expect("FCALL_RO peek 1 n", bulk("8"));
}

#[test]
fn function_kill_stops_a_busy_function_and_script_kill_does_not() {
    let s = Server::start_with(&["--io-threads", "1"]);
    let mut admin = s.raw();
    admin.expect("CONFIG SET busy-reply-threshold 100", OK);
    let spin = "#!lua name=spin\nredis.register_function('spin', function() while true do end end)";
    admin.expect_args(&["FUNCTION", "LOAD", spin], bulk("spin"));
    let client = s.client();
    let looping = std::thread::spawn(move || {
        let mut c = client.get_connection().unwrap();
        redis::cmd("FCALL").arg("spin").arg(0).query::<redis::Value>(&mut c).unwrap_err().to_string()
    });
    let busy = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
    let mut other = s.raw();
    let mut reply = other.cmd("PING");
    for _ in 0..200 {
        if reply.starts_with("-BUSY") {
            break;
        }
        sleep(Duration::from_millis(20));
        reply = other.cmd("PING");
    }
    assert_eq!(reply, err(busy));
    // FUNCTION STATS is allowed and names the running function.
    let stats = other.cmd("FUNCTION STATS");
    assert!(stats.contains("$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n"), "{stats}");
    other.expect("SCRIPT KILL", err(busy));
    other.expect("FUNCTION KILL", OK);
    let error = looping.join().unwrap();
    assert!(error.contains("Script killed by user with SCRIPT KILL..."), "{error}");
    other.expect("PING", "+PONG\r\n");
    other.expect("FUNCTION KILL", err("NOTBUSY No scripts in execution right now."));
}

#[test]
fn script_errors_are_counted_once() {
    let s = Server::start();
    let mut c = s.raw();
    let mut conn = s.conn();
    c.expect("CONFIG RESETSTAT", OK);
    // An error a command returned to the script: counted when it happened, not
    // again when the script ends with it; the script's command failed.
    let body = "return redis.call('select', 99)";
    let sha = ferrum_kv::scripting::sha1_hex(body.as_bytes());
    c.expect_args(
        &["EVAL", body, "0"],
        err(&format!("ERR DB index is out of range script: {sha}, on @user_script:1.")),
    );
    assert_eq!(info_field(&mut conn, "errorstats", "errorstat_ERR"), "count=1");
    let stats = info_field(&mut conn, "commandstats", "cmdstat_eval");
    assert!(stats.contains("failed_calls=1"), "{stats}");
    // A script's own error reply is counted under its code.
    c.expect_args(&["EVAL", "return redis.error_reply('MY_CODE custom')", "0"], err("MY_CODE custom"));
    assert_eq!(info_field(&mut conn, "errorstats", "errorstat_MY_CODE"), "count=1");
    assert_eq!(info_field(&mut conn, "stats", "total_error_replies"), "2");
}
