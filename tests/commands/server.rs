//! Connection commands: PING, ECHO, QUIT, HELLO, AUTH, CLIENT; plus the unknown-command
//! error and the wrong-arity error of every command in the table.

use crate::common::{bulk, err, int, Proto, Server, OK};

/// The `HELLO` reply in protocol `p` for client `id`, server version `version`.
fn hello_reply(p: Proto, id: i64, version: &str) -> String {
    let mut out = p.map(7);
    for (name, value) in [("server", bulk("redis")), ("version", bulk(version)), ("proto", int(p_version(p)))]
    {
        out.push_str(&bulk(name));
        out.push_str(&value);
    }
    out.push_str(&bulk("id"));
    out.push_str(&int(id));
    for (name, value) in [("mode", "standalone"), ("role", "master")] {
        out.push_str(&bulk(name));
        out.push_str(&bulk(value));
    }
    out.push_str(&bulk("modules"));
    out.push_str("*0\r\n");
    out
}

fn p_version(p: Proto) -> i64 {
    match p {
        Proto::Resp2 => 2,
        Proto::Resp3 => 3,
    }
}

/// The server's `redis_version` as `INFO server` reports it.
fn redis_version(c: &mut crate::common::RawConn) -> String {
    let info = c.cmd("INFO server");
    let line = info.lines().find_map(|l| l.strip_prefix("redis_version:")).expect("redis_version in INFO");
    assert!(line.starts_with('7'), "clients gate features on a Redis 7 version: {line}");
    line.to_string()
}

fn ping_echo(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("PING", "+PONG\r\n");
    c.expect("ping", "+PONG\r\n");
    c.expect("PING hello", bulk("hello"));
    c.expect_args(&["PING", "a b"], bulk("a b"));
    c.expect("PING a b", err("ERR wrong number of arguments for 'ping' command"));
    c.expect("ECHO hi", bulk("hi"));
    c.expect_args(&["ECHO", ""], bulk(""));
    c.expect("ECHO", err("ERR wrong number of arguments for 'echo' command"));
    c.expect("ECHO a b", err("ERR wrong number of arguments for 'echo' command"));
}

fn quit(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET q 1", OK);
    // Commands pipelined after QUIT are not run.
    c.send(b"QUIT\r\nSET after 1\r\n");
    assert_eq!(c.read_until_closed(), b"+OK\r\n");
    let mut other = s.raw_proto(p);
    other.expect("EXISTS q after", int(1));
    // QUIT takes (and ignores) arguments.
    other.send(b"QUIT now\r\n");
    assert_eq!(other.read_until_closed(), b"+OK\r\n");
}

fn hello(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let version = redis_version(&mut c);
    let id = c.int("CLIENT ID");
    // Without arguments HELLO describes the connection in its current protocol.
    c.expect("HELLO", hello_reply(p, id, &version));
    c.expect("HELLO 3", hello_reply(Proto::Resp3, id, &version));
    c.expect("GET nosuch", "_\r\n");
    c.expect("HELLO", hello_reply(Proto::Resp3, id, &version));
    c.expect("HELLO 2", hello_reply(Proto::Resp2, id, &version));
    c.expect("GET nosuch", "$-1\r\n");
    c.expect(&format!("HELLO {}", p_version(p)), hello_reply(p, id, &version));
    // Refused versions leave the protocol as it was.
    for version in ["4", "1", "0", "-1"] {
        c.expect(&format!("HELLO {version}"), err("NOPROTO unsupported protocol version"));
    }
    c.expect("HELLO 4 AUTH default x", err("NOPROTO unsupported protocol version"));
    for version in ["abc", "3.0", "9223372036854775808"] {
        c.expect(&format!("HELLO {version}"), err("ERR Protocol version is not an integer or out of range"));
    }
    c.expect("GET nosuch", p.nil());
}

fn hello_options(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let version = redis_version(&mut c);
    let id = c.int("CLIENT ID");
    let v = p_version(p);
    c.expect(&format!("HELLO {v} AUTH default anything SETNAME n1"), hello_reply(p, id, &version));
    c.expect("CLIENT GETNAME", bulk("n1"));
    c.expect(&format!("HELLO {v} SETNAME n2 AUTH default pw"), hello_reply(p, id, &version));
    c.expect("CLIENT GETNAME", bulk("n2"));
    c.expect(
        &format!("HELLO {v} AUTH bob x"),
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    c.expect(&format!("HELLO {v} FOO"), err("ERR Syntax error in HELLO option 'FOO'"));
    c.expect(&format!("HELLO {v} SETNAME"), err("ERR Syntax error in HELLO option 'SETNAME'"));
    c.expect(&format!("HELLO {v} AUTH default"), err("ERR Syntax error in HELLO option 'AUTH'"));
    c.expect_args(
        &["HELLO", &v.to_string(), "SETNAME", "a b"],
        err("ERR Client names cannot contain spaces, newlines or special characters."),
    );
    c.expect("CLIENT GETNAME", bulk("n2"));
}

fn auth(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(
        "AUTH secret",
        err("ERR AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?"),
    );
    c.expect("AUTH a b c", err("ERR syntax error"));
    c.expect("AUTH", err("ERR wrong number of arguments for 'auth' command"));
    c.expect("PING", "+PONG\r\n");
}

fn client(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let id = c.int("CLIENT ID");
    assert!(id > 0);
    let mut other = s.raw_proto(p);
    let other_id = other.int("CLIENT ID");
    assert!(other_id > id, "client ids increase: {id} then {other_id}");
    c.expect("CLIENT GETNAME", p.nil());
    c.expect("CLIENT SETNAME my-name", OK);
    c.expect("CLIENT GETNAME", bulk("my-name"));
    other.expect("CLIENT GETNAME", p.nil());
    c.expect_args(
        &["CLIENT", "SETNAME", "a b"],
        err("ERR Client names cannot contain spaces, newlines or special characters."),
    );
    c.expect_args(
        &["CLIENT", "SETNAME", "a\nb"],
        err("ERR Client names cannot contain spaces, newlines or special characters."),
    );
    c.expect("CLIENT GETNAME", bulk("my-name"));
    c.expect_args(&["CLIENT", "SETNAME", ""], OK);
    c.expect("CLIENT GETNAME", p.nil());
    c.expect("client setname again", OK);
    c.expect("CLIENT SETINFO LIB-NAME mylib", OK);
    c.expect("CLIENT SETINFO lib-ver 1.2.3", OK);
    let refused = c.cmd("CLIENT SETINFO FOO x");
    assert!(refused.starts_with("-ERR "), "CLIENT SETINFO FOO: {refused:?}");
    c.expect("CLIENT SETNAME", err("ERR wrong number of arguments for 'client|setname' command"));
    c.expect("CLIENT SETINFO LIB-NAME", err("ERR wrong number of arguments for 'client|setinfo' command"));
    c.expect("CLIENT ID x", err("ERR wrong number of arguments for 'client|id' command"));
    c.expect("CLIENT GETNAME x", err("ERR wrong number of arguments for 'client|getname' command"));
    c.expect("CLIENT INFO x", err("ERR wrong number of arguments for 'client|info' command"));
    c.expect("CLIENT FOO", err("ERR unknown subcommand 'FOO'. Try CLIENT HELP."));
    c.expect("CLIENT", err("ERR wrong number of arguments for 'client' command"));
    assert!(c.cmd("CLIENT HELP").starts_with("*"));

    c.expect("SELECT 5", OK);
    let info = c.cmd("CLIENT INFO");
    let header_len = info.find("id=").expect("CLIENT INFO text");
    let line = &info[header_len..info.len() - 2];
    assert_eq!(
        info,
        p.verbatim(line),
        "CLIENT INFO is {}",
        if p == Proto::Resp3 { "verbatim" } else { "bulk" }
    );
    assert!(line.starts_with(&format!("id={id} ")), "{line:?}");
    assert!(line.ends_with('\n') && line.matches('\n').count() == 1, "one line: {line:?}");
    for field in
        ["name=again ", "db=5 ", &format!("resp={} ", p_version(p)), "lib-name=mylib ", "lib-ver=1.2.3"]
    {
        assert!(line.contains(field), "CLIENT INFO lacks {field:?}: {line:?}");
    }
    let list = c.cmd("CLIENT LIST");
    let start = list.find("id=").expect("CLIENT LIST text");
    let text = &list[start..list.len() - 2];
    assert_eq!(list, p.verbatim(text));
    let lines: Vec<&str> = text.lines().collect();
    // (The harness's start-up probe may still be listed for a moment.)
    assert!(lines.len() >= 2, "both clients listed: {text:?}");
    assert!(lines.iter().any(|l| l.starts_with(&format!("id={id} ")) && l.contains(" name=again ")));
    assert!(lines.iter().any(|l| l.starts_with(&format!("id={other_id} "))));
    drop(other);
}

/// The error of a command with the wrong number of arguments, for every command.
fn wrong_arity(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    // (name, arity) as the command table declares them, except the commands with
    // arity -1, which take any number of arguments.
    let table: &[(&str, i32)] = &[
        ("get", 2),
        ("set", -3),
        ("setnx", 3),
        ("setex", 4),
        ("psetex", 4),
        ("getset", 3),
        ("getdel", 2),
        ("getex", -2),
        ("mset", -3),
        ("msetnx", -3),
        ("mget", -2),
        ("strlen", 2),
        ("append", 3),
        ("getrange", 4),
        ("substr", 4),
        ("setrange", 4),
        ("incr", 2),
        ("decr", 2),
        ("incrby", 3),
        ("decrby", 3),
        ("incrbyfloat", 3),
        ("del", -2),
        ("unlink", -2),
        ("exists", -2),
        ("type", 2),
        ("dbsize", 1),
        ("select", 2),
        ("move", 3),
        ("swapdb", 3),
        ("expire", -3),
        ("pexpire", -3),
        ("expireat", -3),
        ("pexpireat", -3),
        ("persist", 2),
        ("ttl", 2),
        ("pttl", 2),
        ("expiretime", 2),
        ("pexpiretime", 2),
        ("echo", 2),
        ("auth", -2),
        ("client", -2),
        ("config", -2),
        ("time", 1),
    ];
    for &(name, arity) in table {
        let want = err(&format!("ERR wrong number of arguments for '{name}' command"));
        let needed = arity.unsigned_abs() as usize;
        let upper = name.to_ascii_uppercase();
        let mut too_few = vec![upper.as_str()];
        too_few.extend(std::iter::repeat_n("x", needed.saturating_sub(2)));
        if needed > 1 {
            c.expect_args(&too_few, &want);
        }
        if arity > 0 {
            let mut too_many = vec![upper.as_str()];
            too_many.extend(std::iter::repeat_n("x", needed));
            c.expect_args(&too_many, &want);
        }
    }
    c.expect("PING", "+PONG\r\n");
}

fn unknown_command(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("FOO", err("ERR unknown command 'FOO', with args beginning with: "));
    c.expect("foo a", err("ERR unknown command 'foo', with args beginning with: 'a' "));
    c.expect_args(
        &["foo", "a", "b c"],
        err("ERR unknown command 'foo', with args beginning with: 'a' 'b c' "),
    );
    // The arguments shown are cut at 128 characters.
    let long = "a".repeat(200);
    c.expect_args(
        &["FOO", &long, "b"],
        err(&format!("ERR unknown command 'FOO', with args beginning with: '{}' ", &long[..128])),
    );
    // A CR or LF in the name cannot break the error line.
    let reply = c.cmd_args(&["A\r\nB", "x"]);
    assert_eq!(reply, err("ERR unknown command 'A  B', with args beginning with: 'x' "));
    c.expect("PING", "+PONG\r\n");
}

both_protocols!(ping_echo, quit, hello, hello_options, auth, client, wrong_arity, unknown_command);

/// The default user has no password, so Redis accepts `AUTH default <anything>`
/// (redis-py and others send it when a username is configured).
#[test]
fn auth_default_user() {
    let s = Server::start();
    let mut c = s.raw();
    c.expect("AUTH default x", OK);
}

/// `CLIENT LIST ID …` filters the list in Redis; FerrumKV ignores the filter.
#[test]
fn client_list_filter_by_id() {
    let s = Server::start();
    let mut c = s.raw();
    let _other = s.raw();
    let id = c.int("CLIENT ID");
    let list = c.cmd(&format!("CLIENT LIST ID {id}"));
    assert_eq!(list.matches("id=").count(), 1, "{list:?}");
    c.expect("CLIENT LIST ID 999999", bulk(""));
}

/// redis-rs, the Rust client, over both protocols: its connection handshake (a
/// pipelined `CLIENT SETINFO`, plus `HELLO 3` for RESP3) and the types it decodes.
#[test]
fn redis_rs_client() {
    use redis::{Commands, Value};
    let s = Server::start();
    let mut c2 = s.conn();
    let () = c2.set("k", "v").unwrap();
    assert_eq!(c2.get::<_, String>("k").unwrap(), "v");
    assert_eq!(c2.get::<_, Option<String>>("nosuch").unwrap(), None);
    assert_eq!(c2.incr::<_, _, i64>("n", 5).unwrap(), 5);
    let hello: Value = redis::cmd("HELLO").query(&mut c2).unwrap();
    assert!(matches!(&hello, Value::Array(items) if items.len() == 14), "{hello:?}");
    let info: String = redis::cmd("CLIENT").arg("INFO").query(&mut c2).unwrap();
    assert!(info.contains(" lib-name=redis-rs "), "redis-rs sends CLIENT SETINFO: {info:?}");

    let mut c3 = s.conn_resp3();
    let hello: Value = redis::cmd("HELLO").query(&mut c3).unwrap();
    let Value::Map(pairs) = hello else { panic!("HELLO in RESP3 is a map: {hello:?}") };
    assert!(pairs.contains(&(Value::BulkString(b"proto".to_vec()), Value::Int(3))), "{pairs:?}");
    assert!(pairs.contains(&(Value::BulkString(b"server".to_vec()), Value::BulkString(b"redis".to_vec()))));
    let nil: Value = redis::cmd("GET").arg("nosuch").query(&mut c3).unwrap();
    assert_eq!(nil, Value::Nil);
    assert_eq!(c3.get::<_, String>("k").unwrap(), "v");
    let info: Value = redis::cmd("INFO").query(&mut c3).unwrap();
    assert!(
        matches!(&info, Value::VerbatimString { text, .. } if text.contains("loading:0\r\n")),
        "INFO in RESP3 is a verbatim string: {info:?}"
    );
    let config: Value = redis::cmd("CONFIG").arg("GET").arg("save").query(&mut c3).unwrap();
    assert_eq!(
        config,
        Value::Map(vec![(Value::BulkString(b"save".to_vec()), Value::BulkString(Vec::new()))])
    );
}
