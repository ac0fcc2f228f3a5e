//! Scripting over the wire: `EVAL`/`EVALSHA`/`SCRIPT` with 7.0.15's replies and
//! error decorations, both protocols, the sandbox, scripts touching every type,
//! concurrency (a script's keys change under no other client), and the AOF
//! replaying a script's effects.

mod common;

use std::path::Path;

use common::{bulk, err, int, RawConn, Server, OK};
use redis::Commands;

fn sha(body: &str) -> String {
    ferrum_kv::scripting::sha1_hex(body.as_bytes())
}

fn script(c: &mut RawConn, command: &str, body: &str, rest: &str, want: impl AsRef<str>) {
    let mut args = vec![command, body];
    args.extend(rest.split_whitespace());
    c.expect_args(&args, want);
}

fn decorated(msg: &str, body: &str, line: u32) -> String {
    err(&format!("{msg} script: {}, on @user_script:{line}.", sha(body)))
}

#[test]
fn replies_convert_as_redis() {
    let s = Server::start();
    let mut c = s.raw();
    script(
        &mut c,
        "EVAL",
        "return {1,2,3,'ciao',{1,2}}",
        "0",
        "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n",
    );
    script(&mut c, "EVAL", "return 3.99", "0", int(3));
    script(&mut c, "EVAL", "return true", "0", int(1));
    script(&mut c, "EVAL", "return false", "0", "$-1\r\n");
    script(&mut c, "EVAL", "return {1,nil,3}", "0", "*1\r\n:1\r\n");
    script(&mut c, "EVAL", "return {err='My Error'}", "0", err("My Error"));
    script(&mut c, "EVAL", "return redis.error_reply('My Error')", "0", err("My Error"));
    script(&mut c, "EVAL", "return {ok='fine'}", "0", "+fine\r\n");
    script(&mut c, "EVAL", "return redis.status_reply('X')", "0", "+X\r\n");
    script(
        &mut c,
        "EVAL",
        "return {KEYS[1], ARGV[1], #KEYS, #ARGV}",
        "1 k v",
        "*4\r\n$1\r\nk\r\n$1\r\nv\r\n:1\r\n:1\r\n",
    );
    script(&mut c, "EVAL", "return redis.call('set', KEYS[1], 3.5)", "1 f", "+OK\r\n");
    c.expect("GET f", bulk("3.5"));
    script(&mut c, "EVAL", "return redis.call('get', 'nothing')", "0", "$-1\r\n");
    script(&mut c, "EVAL", "return type(redis.call('get', 'nothing'))", "0", bulk("boolean"));
    script(&mut c, "EVAL", "return redis.sha1hex('')", "0", bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    script(&mut c, "EVAL", "return redis.REDIS_VERSION", "0", bulk("7.0.15"));
    script(&mut c, "EVAL", "return tostring(math.random())", "0", bulk("0.39646477363839"));
}

#[test]
fn resp3_after_setresp() {
    let s = Server::start();
    let mut c = s.raw_resp3();
    c.expect("HSET h a 1", int(1));
    script(
        &mut c,
        "EVAL",
        "redis.setresp(3) return redis.call('hgetall', 'h')",
        "0",
        "%1\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    script(&mut c, "EVAL", "return redis.call('hgetall', 'h')", "0", "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    script(&mut c, "EVAL", "redis.setresp(3) return true", "0", "#t\r\n");
    script(&mut c, "EVAL", "return {double=1.5}", "0", ",1.5\r\n");
    script(&mut c, "EVAL", "return {big_number='123'}", "0", "(123\r\n");
    script(&mut c, "EVAL", "redis.setresp(3) return redis.call('get', 'nothing') == nil", "0", "#t\r\n");
    script(
        &mut c,
        "EVAL",
        "redis.setresp(4)",
        "0",
        decorated("ERR RESP version must be 2 or 3.", "redis.setresp(4)", 1),
    );
}

#[test]
fn errors_carry_the_script_line() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("SET s str", OK);
    let body = "return redis.call('incr','s')";
    script(&mut c, "EVAL", body, "0", decorated("ERR value is not an integer or out of range", body, 1));
    script(
        &mut c,
        "EVAL",
        "return redis.pcall('incr','s')",
        "0",
        err("ERR value is not an integer or out of range"),
    );
    let body = "return redis.call('nosuch')";
    script(&mut c, "EVAL", body, "0", decorated("ERR Unknown Redis command called from script", body, 1));
    let body = "return redis.call('get')";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR Wrong number of args calling Redis command from script", body, 1),
    );
    let body = "return redis.call('multi')";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR This Redis command is not allowed from script", body, 1),
    );
    let body = "error('boom')";
    script(&mut c, "EVAL", body, "0", decorated("ERR user_script:1: boom", body, 1));
    let body = "local ok, e = pcall(function() redis.call('nosuch') end) return e";
    script(&mut c, "EVAL", body, "0", bulk("ERR Unknown Redis command called from script"));
    script(
        &mut c,
        "EVAL",
        "syntax error here",
        "0",
        err("ERR Error compiling script (new function): user_script:1: '=' expected near 'error'"),
    );
    script(&mut c, "EVAL", "return 1", "-1", err("ERR Number of keys can't be negative"));
    script(&mut c, "EVAL", "return 1", "3 a", err("ERR Number of keys can't be greater than number of args"));
    script(&mut c, "EVAL", "return 1", "x", err("ERR value is not an integer or out of range"));
}

#[test]
fn read_only_forms_and_shebang_flags() {
    let s = Server::start();
    let mut c = s.raw();
    let body = "return redis.call('set','a','b')";
    script(
        &mut c,
        "EVAL_RO",
        body,
        "0",
        decorated("ERR Write commands are not allowed from read-only scripts.", body, 1),
    );
    script(&mut c, "EVAL_RO", "return redis.call('get','a')", "0", "$-1\r\n");
    script(
        &mut c,
        "EVAL",
        "#!lua flags=bad\nreturn 1",
        "0",
        err("ERR Unexpected flag in script shebang: bad"),
    );
    script(&mut c, "EVAL", "#!lua foo=bad\nreturn 1", "0", err("ERR Unknown lua shebang option: foo=bad"));
    script(
        &mut c,
        "EVAL",
        "#!python\nreturn 1",
        "0",
        err("ERR Unexpected engine in script shebang: #!python"),
    );
    script(
        &mut c,
        "EVAL_RO",
        "#!lua\nreturn 1",
        "0",
        err("ERR Can not execute a script with write flag using *_ro command."),
    );
    script(&mut c, "EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0", int(1));
    let body = "#!lua flags=no-writes\nreturn redis.call('set','a','b')";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR Write commands are not allowed from read-only scripts.", body, 2),
    );
}

#[test]
fn sandbox_refuses_escapes() {
    let s = Server::start();
    let mut c = s.raw();
    let body = "a=1";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: Attempt to modify a readonly table", body, 1),
    );
    let body = "return y";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: Script attempted to access nonexistent global variable 'y'", body, 1),
    );
    for body in [
        "return os.time()",
        "return io.open('x')",
        "return require('x')",
        "return dofile('/etc/passwd')",
        "return loadfile('/etc/passwd')",
        "return debug.getinfo(1)",
    ] {
        let mut c2 = s.conn();
        let reply: redis::RedisResult<redis::Value> = redis::cmd("EVAL").arg(body).arg(0).query(&mut c2);
        let error = reply.unwrap_err().to_string();
        assert!(error.contains("Script attempted to access nonexistent global variable"), "{body}: {error}");
    }
    let body = "string.x = 1";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: Attempt to modify a readonly table", body, 1),
    );
    let body = "rawset(_G, 'x', 1)";
    script(&mut c, "EVAL", body, "0", decorated("ERR Attempt to modify a readonly table", body, 1));
    let body = "redis.call = nil";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: Attempt to modify a readonly table", body, 1),
    );
    script(
        &mut c,
        "EVAL",
        "setmetatable(_G, nil)",
        "0",
        decorated("ERR user_script:1: Attempt to modify a readonly table", "setmetatable(_G, nil)", 1),
    );
    script(&mut c, "EVAL", "return loadstring(string.dump(function() return 1 end))", "0", "$-1\r\n");
    script(&mut c, "EVAL", "return loadstring('return 7')()", "0", int(7));
}

#[test]
fn libraries_behave_as_redis() {
    let s = Server::start();
    let mut c = s.raw();
    script(&mut c, "EVAL", "return cjson.encode({})", "0", bulk("{}"));
    script(&mut c, "EVAL", "return cjson.encode({1,2.5,'a',{x=1}})", "0", bulk("[1,2.5,\"a\",{\"x\":1}]"));
    script(&mut c, "EVAL", "return cjson.decode('[1,2,3]')[2]", "0", int(2));
    script(&mut c, "EVAL", "return bit.band(7,3)", "0", int(3));
    script(&mut c, "EVAL", "return bit.tohex(255)", "0", bulk("000000ff"));
    // cmsgpack and struct: the bytes of Redis's bundled libraries, round trips,
    // their errors decorated like any other, and deep input refused.
    let hex = "local function hx(e) local h = '' for i = 1, #e do h = h .. string.format('%02x', string.byte(e, i)) end return h end ";
    let pack = format!("{hex}return hx(cmsgpack.pack(0.1, -1099511627776, {{1, 'a'}}, {{x = true}}))");
    script(&mut c, "EVAL", &pack, "0", bulk("cb3fb999999999999ad3ffffff00000000009201a16181a178c3"));
    script(
        &mut c,
        "EVAL",
        "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 'two', 3), 2)}",
        "0",
        "*3\r\n:5\r\n:1\r\n$3\r\ntwo\r\n",
    );
    let body = "return cmsgpack.unpack('\\146\\1')";
    script(&mut c, "EVAL", body, "0", decorated("ERR user_script:1: Missing bytes in input.", body, 1));
    let struct_pack =
        format!("{hex}return hx(struct.pack('>I2 <i4 !4 b i4 c0 s', 258, -2, 1, 2, 'ab', 'cd'))");
    script(&mut c, "EVAL", &struct_pack, "0", bulk("0102feffffff0100020000006162636400"));
    script(
        &mut c,
        "EVAL",
        "return {struct.unpack('>bHs', struct.pack('>bHs', -3, 65535, 'hi'))}",
        "0",
        "*4\r\n:-3\r\n:65535\r\n$2\r\nhi\r\n:7\r\n",
    );
    script(&mut c, "EVAL", "return struct.size('>!4 b i4 d')", "0", int(16));
    let body = "return struct.unpack('i4', 'ab')";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: bad argument #2 to 'unpack' (data string too short)", body, 1),
    );
    let body = "return struct.pack('q', 1)";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'q')", body, 1),
    );
    script(
        &mut c,
        "EVAL",
        "cmsgpack.pack = 1",
        "0",
        decorated("ERR user_script:1: Attempt to modify a readonly table", "cmsgpack.pack = 1", 1),
    );
    let deep = "return cmsgpack.unpack(string.rep('\\145', 100000) .. '\\1')";
    let error =
        redis::cmd("EVAL").arg(deep).arg(0).query::<redis::Value>(&mut s.conn()).unwrap_err().to_string();
    assert!(error.contains("stack overflow"), "{error}");
    let deep = format!("return cjson.decode('{}')", "[".repeat(5000));
    let mut c2 = s.conn();
    let error = redis::cmd("EVAL").arg(&deep).arg(0).query::<redis::Value>(&mut c2).unwrap_err().to_string();
    assert!(error.contains("Found too many nested data structures (129)"), "{error}");
    let deep = "local t = {} local c = t for i = 1, 100000 do c[1] = {} c = c[1] end return t";
    let reply = redis::cmd("EVAL").arg(deep).arg(0).query::<redis::Value>(&mut c2);
    assert!(reply.is_err(), "a reply nested past the limit is an error");
    let body = "return cjson.decode('[1,')";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: Expected value but found T_END at character 4", body, 1),
    );
    c.expect("PING", "+PONG\r\n");
}

#[test]
fn evalsha_and_script_commands() {
    let s = Server::start();
    let mut c = s.raw();
    let body = "return 'hi'";
    c.expect_args(&["SCRIPT", "LOAD", body], bulk(&sha(body)));
    c.expect(&format!("EVALSHA {} 0", sha(body)), bulk("hi"));
    c.expect(&format!("EVALSHA {} 0", sha(body).to_uppercase()), bulk("hi"));
    c.expect(
        &format!("SCRIPT EXISTS {} ffffffffffffffffffffffffffffffffffffffff", sha(body)),
        "*2\r\n:1\r\n:0\r\n",
    );
    c.expect(
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff 0",
        err("NOSCRIPT No matching script. Please use EVAL."),
    );
    c.expect("EVALSHA abc 0", err("NOSCRIPT No matching script. Please use EVAL."));
    c.expect("SCRIPT FLUSH BAD", err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    c.expect("SCRIPT FLUSH ASYNC", OK);
    c.expect(&format!("EVALSHA {} 0", sha(body)), err("NOSCRIPT No matching script. Please use EVAL."));
    c.expect("SCRIPT KILL", err("NOTBUSY No scripts in execution right now."));
    script(
        &mut c,
        "EVAL",
        "return redis.call('script','flush')",
        "0",
        decorated(
            "ERR This Redis command is not allowed from script",
            "return redis.call('script','flush')",
            1,
        ),
    );
}

#[test]
fn select_inside_a_script_stays_in_the_script() {
    let s = Server::start();
    let mut c = s.raw();
    script(&mut c, "EVAL", "redis.call('select', 5) return redis.call('set', 'k', 'five')", "0", OK);
    c.expect("EXISTS k", int(0));
    c.expect("SELECT 5", OK);
    c.expect("GET k", bulk("five"));
}

const EVERY_TYPE: &str = "redis.call('set', KEYS[1], 'v') redis.call('hset', KEYS[2], 'f', 'x') \
    redis.call('rpush', KEYS[3], 'a', 'b') redis.call('sadd', KEYS[4], 'm') \
    redis.call('zadd', KEYS[5], 2, 'z') redis.call('incr', KEYS[6]) \
    return {redis.call('get', KEYS[1]), redis.call('hget', KEYS[2], 'f'), redis.call('llen', KEYS[3]), \
    redis.call('scard', KEYS[4]), redis.call('zscore', KEYS[5], 'z'), redis.call('get', KEYS[6])}";

#[test]
fn a_script_touches_every_type_and_runs_inside_exec() {
    let s = Server::start();
    let mut c = s.conn();
    let reply: Vec<String> = redis::cmd("EVAL")
        .arg(EVERY_TYPE)
        .arg(6)
        .arg(&["s", "h", "l", "st", "z", "n"])
        .query(&mut c)
        .unwrap();
    assert_eq!(reply, ["v", "x", "2", "1", "2", "1"]);
    let mut raw = s.raw();
    raw.expect("MULTI", OK);
    raw.expect_args(&["EVAL", "return redis.call('incr', KEYS[1])", "1", "n"], "+QUEUED\r\n");
    raw.expect("EXEC", "*1\r\n:2\r\n");
}

#[test]
fn scripts_are_atomic_against_other_clients() {
    let s = Server::start();
    let body = "local v = tonumber(redis.call('get', KEYS[1]) or '0') \
        for i = 1, 200 do redis.call('get', KEYS[1]) end \
        redis.call('set', KEYS[1], v + 1) return v + 1";
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let client = s.client();
            let body = body.to_string();
            std::thread::spawn(move || {
                let mut c = client.get_connection().unwrap();
                for _ in 0..50 {
                    let _: i64 = redis::cmd("EVAL").arg(&body).arg(1).arg("counter").query(&mut c).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = s.conn();
    assert_eq!(c.get::<_, i64>("counter").unwrap(), 200);
}

fn start_aof(path: &Path) -> Server {
    Server::start_with(&["--aof-path", path.to_str().unwrap(), "--appendfsync", "always"])
}

#[test]
fn a_scripts_effects_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let mut server = start_aof(&path);
    let mut c = server.conn();
    let _: Vec<String> = redis::cmd("EVAL")
        .arg(EVERY_TYPE)
        .arg(6)
        .arg(&["s", "h", "l", "st", "z", "n"])
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("EVAL")
        .arg("redis.call('select', 3) redis.call('set', 'three', 3)")
        .arg(0)
        .query(&mut c)
        .unwrap();
    drop(c);
    server.signal("TERM");
    assert!(server.wait_exit().success());
    let log = std::fs::read_to_string(&path).unwrap();
    assert!(log.contains("MULTI") && log.contains("EXEC"), "{log}");
    let server = start_aof(&path);
    let mut c = server.conn();
    assert_eq!(c.get::<_, String>("s").unwrap(), "v");
    assert_eq!(c.hget::<_, _, String>("h", "f").unwrap(), "x");
    assert_eq!(c.llen::<_, i64>("l").unwrap(), 2);
    assert_eq!(c.zscore::<_, _, f64>("z", "z").unwrap(), 2.0);
    let _: () = redis::cmd("SELECT").arg(3).query(&mut c).unwrap();
    assert_eq!(c.get::<_, i64>("three").unwrap(), 3);
}

#[test]
fn a_runaway_table_gets_an_error_and_the_server_survives() {
    let s = Server::start();
    let mut c = s.conn();
    let body = "local t = {} local s = 'x' for i = 1, 40 do s = s .. s t[i] = s end return #t";
    let error = redis::cmd("EVAL").arg(body).arg(0).query::<i64>(&mut c).unwrap_err().to_string();
    assert!(error.contains("not enough memory"), "{error}");
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
    let again: i64 = redis::cmd("EVAL").arg("return 1").arg(0).query(&mut c).unwrap();
    assert_eq!(again, 1);
}

#[test]
fn a_busy_script_answers_busy_and_script_kill_stops_it() {
    // One I/O thread: the script runs off it, so the other clients still get -BUSY.
    let s = Server::start_with(&["--io-threads", "1"]);
    let mut admin = s.raw();
    admin.expect("CONFIG SET busy-reply-threshold 100", OK);
    let client = s.client();
    let looping = std::thread::spawn(move || {
        let mut c = client.get_connection().unwrap();
        redis::cmd("EVAL")
            .arg("while true do end")
            .arg(0)
            .query::<redis::Value>(&mut c)
            .unwrap_err()
            .to_string()
    });
    // Until the script is past the threshold a client waits; then it gets -BUSY.
    let mut other = s.raw();
    let mut reply = other.cmd("PING");
    for _ in 0..200 {
        if reply.starts_with("-BUSY") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        reply = other.cmd("PING");
    }
    assert_eq!(
        reply,
        err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
    );
    // MULTI may open (allow-busy); a refused command fails it and EXEC discards it.
    other.expect("MULTI", OK);
    other.expect(
        "INCR x",
        err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
    );
    other.expect(
        "EXEC",
        err("EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
    );
    other.expect("SCRIPT KILL", OK);
    let error = looping.join().unwrap();
    assert!(error.contains("Script killed by user with SCRIPT KILL..."), "{error}");
    other.expect("PING", "+PONG\r\n");
    other.expect("SCRIPT KILL", err("NOTBUSY No scripts in execution right now."));
}

#[test]
fn a_script_that_wrote_is_unkillable() {
    let s = Server::start_with(&["--io-threads", "4"]);
    let mut admin = s.raw();
    admin.expect("CONFIG SET busy-reply-threshold 100", OK);
    let client = s.client();
    let looping = std::thread::spawn(move || {
        let mut c = client.get_connection().unwrap();
        let body = "redis.call('set', 'w', 1) local t = redis.call('time') while true do \
            if tonumber(redis.call('time')[1]) > tonumber(t[1]) + 1 then return 'done' end end";
        redis::cmd("EVAL").arg(body).arg(0).query::<String>(&mut c).unwrap()
    });
    let mut other = s.raw();
    let mut reply = other.cmd("SCRIPT KILL");
    for _ in 0..200 {
        if !reply.starts_with("-NOTBUSY") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        reply = other.cmd("SCRIPT KILL");
    }
    assert!(reply.starts_with("-UNKILLABLE Sorry the script already executed write commands"), "{reply}");
    assert_eq!(looping.join().unwrap(), "done");
    other.expect("GET w", bulk("1"));
}

#[test]
fn info_counts_the_vm_and_the_cache() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect_args(&["SCRIPT", "LOAD", "return 1"], bulk(&sha("return 1")));
    c.expect_args(&["SCRIPT", "LOAD", "return 2"], bulk(&sha("return 2")));
    let info = c.cmd("INFO memory");
    assert!(info.contains("number_of_cached_scripts:2\r\n"), "{info}");
    let vm: u64 = info.lines().find_map(|l| l.strip_prefix("used_memory_vm_eval:")).unwrap().parse().unwrap();
    assert!(vm > 0, "{info}");
    // INFO from inside a script does not wait for the VM the script holds.
    let reply = c.cmd_args(&["EVAL", "return redis.call('info', 'memory')", "0"]);
    assert!(reply.contains("number_of_cached_scripts:3"), "{reply}");
    c.expect("SCRIPT FLUSH", OK);
    assert!(c.cmd("INFO memory").contains("number_of_cached_scripts:0\r\n"));
}

#[test]
fn monitor_shows_the_script_then_its_commands_from_lua() {
    let s = Server::start();
    let mut monitor = s.raw();
    monitor.expect("MONITOR", OK);
    let mut c = s.raw();
    c.expect_args(&["EVAL", "redis.call('set', KEYS[1], 'v') return 1", "1", "k"], int(1));
    let first = monitor.read_reply_text();
    assert!(first.contains(r#""EVAL" "redis.call('set', KEYS[1], 'v') return 1" "1" "k""#), "{first}");
    assert!(first.contains(" 127.0.0.1:"), "{first}");
    let second = monitor.read_reply_text();
    assert!(second.ends_with(" [0 lua] \"set\" \"k\" \"v\"\r\n"), "{second}");
}

#[test]
fn redis_py_lock_and_register_script() {
    common::run_redis_py("scripting.py", "scripting ok");
}

#[test]
fn the_globals_metatable_is_read_only_too() {
    let s = Server::start();
    let mut c = s.raw();
    let body = "setmetatable(_G, {})";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: Attempt to modify a readonly table", body, 1),
    );
    let body = "local g = getmetatable(_G) g.__index = {}";
    script(
        &mut c,
        "EVAL",
        body,
        "0",
        decorated("ERR user_script:1: Attempt to modify a readonly table", body, 1),
    );
    // Many scripts leave the VM small: garbage is collected as they run.
    for i in 0..2000 {
        c.expect_args(&["EVAL", &format!("return {{ {i} }}"), "0"], format!("*1\r\n:{i}\r\n"));
    }
}
