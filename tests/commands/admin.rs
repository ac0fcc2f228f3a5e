//! Server introspection: COMMAND (COUNT, INFO, DOCS, LIST), CONFIG (GET, SET,
//! RESETSTAT), INFO and TIME.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::{bulk, err, info_fields, int, Proto, RawConn, Server, OK};

/// Every command name in `src/command/table.rs`.
const TABLE: &[&str] = &[
    "get",
    "set",
    "setnx",
    "setex",
    "psetex",
    "getset",
    "getdel",
    "getex",
    "mset",
    "msetnx",
    "mget",
    "strlen",
    "append",
    "getrange",
    "substr",
    "setrange",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "del",
    "unlink",
    "exists",
    "type",
    "dbsize",
    "flushdb",
    "flushall",
    "select",
    "move",
    "swapdb",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "persist",
    "ttl",
    "pttl",
    "expiretime",
    "pexpiretime",
    "ping",
    "echo",
    "quit",
    "auth",
    "hello",
    "client",
    "command",
    "config",
    "info",
    "time",
];

/// The elements of a flat array of bulk strings.
fn bulk_array(reply: &str) -> Vec<String> {
    let mut lines = reply.split("\r\n");
    let header = lines.next().unwrap_or_default();
    let count: usize = header.strip_prefix('*').and_then(|n| n.parse().ok()).expect("an array");
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        let len = lines.next().expect("bulk header");
        assert!(len.starts_with('$'), "not a bulk string: {len:?}");
        items.push(lines.next().expect("bulk body").to_string());
    }
    items
}

/// The text of an INFO (or other verbatim) reply in either protocol.
fn info_text(c: &mut RawConn, p: Proto, line: &str) -> String {
    let reply = c.cmd(line);
    let body_start = reply.find("\r\n").expect("header") + 2;
    let text = &reply[body_start..reply.len() - 2];
    let text = match p {
        Proto::Resp2 => text,
        Proto::Resp3 => text.strip_prefix("txt:").expect("verbatim txt"),
    };
    assert_eq!(reply, p.verbatim(text), "framing of `{line}`");
    text.to_string()
}

fn command(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let names = bulk_array(&c.cmd("COMMAND LIST"));
    for name in TABLE {
        assert!(names.iter().any(|n| n == name), "COMMAND LIST lacks {name}: {names:?}");
    }
    // COMMAND LIST names subcommands too (`config|get`), COMMAND COUNT only commands.
    assert!(names.iter().any(|n| n == "config|get"), "{names:?}");
    let names: Vec<&String> = names.iter().filter(|n| !n.contains('|')).collect();
    c.expect("COMMAND COUNT", int(names.len() as i64));
    let all = c.cmd("COMMAND");
    assert!(all.starts_with(&format!("*{}\r\n*10\r\n", names.len())), "{:?}", &all[..40]);
    let set_header = |n: usize| match p {
        Proto::Resp2 => format!("*{n}\r\n"),
        Proto::Resp3 => format!("~{n}\r\n"),
    };
    let get_info =
        format!("*10\r\n{}:2\r\n{}+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n", bulk("get"), set_header(2));
    let reply = c.cmd("COMMAND INFO get");
    assert!(reply.starts_with(&format!("*1\r\n{get_info}")), "COMMAND INFO get: {reply:?}");
    let reply = c.cmd("COMMAND INFO GET mset");
    let mset_info =
        format!("*10\r\n{}:-3\r\n{}+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n", bulk("mset"), set_header(2));
    assert!(reply.starts_with(&format!("*2\r\n{get_info}")), "{reply:?}");
    assert!(reply.contains(&mset_info), "COMMAND INFO mset: {reply:?}");
    if p == Proto::Resp3 {
        c.expect("COMMAND INFO nosuch", "*1\r\n_\r\n");
    }
    // Documentation is optional: an array (RESP2) or map (RESP3), possibly empty.
    let docs = c.cmd("COMMAND DOCS");
    let kind = if p == Proto::Resp3 { '%' } else { '*' };
    assert!(docs.starts_with(kind), "COMMAND DOCS: {docs:?}");
    c.expect("COMMAND FOO", err("ERR unknown subcommand 'FOO'. Try COMMAND HELP."));
    c.expect("COMMAND COUNT x", err("ERR wrong number of arguments for 'command|count' command"));
}

fn config_get(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    // What redis-benchmark asks first: pairs whose value is a string.
    c.expect("CONFIG GET save", format!("{}{}{}", p.map(1), bulk("save"), bulk("")));
    c.expect("CONFIG GET appendonly", format!("{}{}{}", p.map(1), bulk("appendonly"), bulk("no")));
    c.expect("CONFIG GET maxclients", format!("{}{}{}", p.map(1), bulk("maxclients"), bulk("10000")));
    c.expect("CONFIG GET timeout", format!("{}{}{}", p.map(1), bulk("timeout"), bulk("0")));
    c.expect("CONFIG GET port", format!("{}{}{}", p.map(1), bulk("port"), bulk(&s.port().to_string())));
    c.expect("CONFIG GET databases", format!("{}{}{}", p.map(1), bulk("databases"), bulk("16")));
    c.expect("CONFIG GET nosuchparam", p.map(0));
    // Glob patterns.
    c.expect(
        "CONFIG GET *max-bulk*",
        format!("{}{}{}", p.map(1), bulk("proto-max-bulk-len"), bulk("536870912")),
    );
    c.expect("CONFIG GET a*only", format!("{}{}{}", p.map(1), bulk("appendonly"), bulk("no")));
    let reply = c.cmd("CONFIG GET max*");
    assert!(reply.contains(&format!("{}{}", bulk("maxclients"), bulk("10000"))), "{reply:?}");
    let reply = c.cmd("CONFIG GET *");
    assert!(reply.contains(&format!("{}{}", bulk("save"), bulk(""))), "{reply:?}");
    assert!(reply.contains(&format!("{}{}", bulk("appendonly"), bulk("no"))), "{reply:?}");
    // Several patterns; a name matched twice is listed once. (Order may differ.)
    let reply = c.cmd("CONFIG GET save appendonly");
    let save = format!("{}{}", bulk("save"), bulk(""));
    let aof = format!("{}{}", bulk("appendonly"), bulk("no"));
    assert!(
        reply == format!("{}{save}{aof}", p.map(2)) || reply == format!("{}{aof}{save}", p.map(2)),
        "{reply:?}"
    );
    c.expect("CONFIG GET timeout timeout", format!("{}{}{}", p.map(1), bulk("timeout"), bulk("0")));
    c.expect("CONFIG GET", err("ERR wrong number of arguments for 'config|get' command"));
    c.expect("CONFIG", err("ERR wrong number of arguments for 'config' command"));
    c.expect("CONFIG FOO", err("ERR unknown subcommand 'FOO'. Try CONFIG HELP."));
}

fn config_set(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("CONFIG SET timeout 300", OK);
    c.expect("CONFIG GET timeout", format!("{}{}{}", p.map(1), bulk("timeout"), bulk("300")));
    c.expect("CONFIG SET TIMEOUT 0 maxclients 500", OK);
    c.expect("CONFIG GET timeout", format!("{}{}{}", p.map(1), bulk("timeout"), bulk("0")));
    c.expect("CONFIG GET maxclients", format!("{}{}{}", p.map(1), bulk("maxclients"), bulk("500")));
    c.expect(
        "CONFIG SET nosuch 1",
        err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
    );
    let refused = c.cmd("CONFIG SET maxclients abc");
    assert!(
        refused.starts_with("-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "),
        "{refused:?}"
    );
    // A refused CONFIG SET changes nothing, not even the valid pairs before it.
    let refused = c.cmd("CONFIG SET timeout 7 maxclients abc");
    assert!(refused.starts_with("-ERR CONFIG SET failed"), "{refused:?}");
    c.expect("CONFIG GET timeout", format!("{}{}{}", p.map(1), bulk("timeout"), bulk("0")));
    c.expect("CONFIG SET", err("ERR wrong number of arguments for 'config|set' command"));
    c.expect("CONFIG SET maxclients", err("ERR wrong number of arguments for 'config|set' command"));
}

fn config_resetstat(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a 1", OK);
    c.expect("GET a", bulk("1"));
    c.expect("GET nosuch", p.nil());
    let stats = info_fields(&info_text(&mut c, p, "INFO stats"));
    let field = |stats: &[(String, String)], name: &str| {
        stats.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(field(&stats, "keyspace_hits"), "1");
    assert_eq!(field(&stats, "keyspace_misses"), "1");
    // Redis counts every read lookup: EXISTS, TYPE and the TTLs too (LOOKUP_NOTOUCH
    // skips the access time, not the statistics); MGET counts each key.
    c.expect("EXISTS a nosuch", ":1\r\n");
    c.expect("TYPE nosuch", "+none\r\n");
    c.expect("PTTL a", ":-1\r\n");
    c.expect("STRLEN a", ":1\r\n");
    c.expect("MGET a nosuch a", format!("*3\r\n{}{}{}", bulk("1"), p.nil(), bulk("1")));
    let stats = info_fields(&info_text(&mut c, p, "INFO stats"));
    assert_eq!(field(&stats, "keyspace_hits"), "6");
    assert_eq!(field(&stats, "keyspace_misses"), "4");
    assert_ne!(field(&stats, "total_commands_processed"), "0");
    c.expect("CONFIG RESETSTAT", OK);
    let stats = info_fields(&info_text(&mut c, p, "INFO stats"));
    assert_eq!(field(&stats, "keyspace_hits"), "0");
    assert_eq!(field(&stats, "keyspace_misses"), "0");
}

fn info(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let text = info_text(&mut c, p, "INFO");
    for needle in ["# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Persistence\r\n", "# Keyspace\r\n"] {
        assert!(text.contains(needle), "INFO lacks {needle:?}");
    }
    // Every line is blank, a `# Section` header or `field:value`, ended by CRLF.
    assert!(text.ends_with("\r\n"));
    for line in text.split("\r\n") {
        assert!(line.is_empty() || line.starts_with("# ") || line.contains(':'), "odd INFO line {line:?}");
        assert!(!line.contains('\n'), "bare LF in INFO line {line:?}");
    }
    let fields = info_fields(&text);
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(get("loading"), Some("0"), "ioredis waits for loading:0");
    assert!(get("redis_version").is_some_and(|v| v.starts_with('7')));
    assert!(get("used_memory").is_some_and(|v| v.parse::<u64>().is_ok()));
    assert_eq!(get("tcp_port"), Some(s.port().to_string().as_str()));
    assert_eq!(get("process_id"), Some(s.pid().to_string().as_str()));
    assert!(get("connected_clients").and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n >= 1));
    assert_eq!(get("role"), Some("master"));

    c.expect("SET a 1", OK);
    c.expect("SET b 1 EX 100", OK);
    c.expect("SELECT 3", OK);
    c.expect("SET c 1", OK);
    let keyspace = info_text(&mut c, p, "INFO keyspace");
    let lines: Vec<&str> = keyspace.split("\r\n").collect();
    assert_eq!(lines[0], "# Keyspace");
    assert!(lines[1].starts_with("db0:keys=2,expires=1,"), "{keyspace:?}");
    assert!(lines[2].starts_with("db3:keys=1,expires=0,"), "{keyspace:?}");
    assert_eq!(&lines[3..], [""], "{keyspace:?}");
    // Only the sections asked for, case-insensitively.
    let two = info_text(&mut c, p, "INFO SERVER clients");
    assert!(two.starts_with("# Server\r\n") && two.contains("\r\n# Clients\r\n"), "{two:?}");
    assert!(!two.contains("# Keyspace") && !two.contains("# Memory"), "{two:?}");
    assert_eq!(info_text(&mut c, p, "INFO nosuchsection"), "");
    for all in ["INFO all", "INFO everything", "INFO default"] {
        assert!(info_text(&mut c, p, all).contains("# Keyspace\r\n"), "{all}");
    }
}

fn time(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let reply = bulk_array(&c.cmd("TIME"));
    assert_eq!(reply.len(), 2, "{reply:?}");
    let secs: i64 = reply[0].parse().expect("seconds");
    let micros: i64 = reply[1].parse().expect("microseconds");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((secs - now).abs() < 600, "TIME says {secs}, the clock {now}");
    assert!((0..1_000_000).contains(&micros), "{micros}");
    c.expect("TIME x", err("ERR wrong number of arguments for 'time' command"));
}

both_protocols!(command, config_get, config_set, config_resetstat, info, time);

/// A missing command in `COMMAND INFO` is a null bulk (`$-1`) in RESP2 in Redis.
#[test]
fn command_info_unknown_resp2() {
    let s = Server::start();
    s.raw().expect("COMMAND INFO nosuch", "*1\r\n$-1\r\n");
}

/// Redis refuses the same parameter twice in one CONFIG SET, and an odd number of
/// arguments with a syntax error.
#[test]
fn config_set_duplicate_parameter() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect(
        "CONFIG SET timeout 5 timeout 6",
        err("ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"),
    );
    c.expect("CONFIG SET timeout 0 maxclients", err("ERR syntax error"));
}

/// `CONFIG RESETSTAT` takes no arguments.
#[test]
fn config_resetstat_arity() {
    let s = Server::start();
    s.raw().expect("CONFIG RESETSTAT x", err("ERR wrong number of arguments for 'config|resetstat' command"));
}
