//! `COMMAND INFO`, `COMMAND GETKEYS`, `COMMAND GETKEYSANDFLAGS`, `COMMAND COUNT` and
//! `COMMAND LIST FILTERBY` for a few commands, byte for byte against what
//! redis-server 7.0.15 replied to the same requests (captured from a
//! `redis-server --port 7399 --save ''` over a raw socket).
//!
//! Where our reply legitimately differs, the test says so and checks our own
//! fields: `COMMAND COUNT` counts our table, `COMMAND LIST` lists names in table
//! order where Redis lists them in its hash table's order (compared as sets), and a
//! container lists its subcommands in Redis's dictionary order (compared one by one).

use super::Client;
use crate::command::table;
use crate::protocol::Protocol;

/// `COMMAND INFO GET` from redis-server 7.0.15 (RESP2).
const INFO_GET: &str = "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n\
+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\n\
type\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n\
$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

/// `COMMAND INFO MSET` from redis-server 7.0.15.
const INFO_MSET: &str = "*1\r\n*10\r\n$4\r\nmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n*3\r\n\
+@write\r\n+@string\r\n+@slow\r\n*2\r\n$26\r\nrequest_policy:multi_shard\r\n$29\r\nresponse_policy:all_succeeded\r\n\
*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\n\
spec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\n\
lastkey\r\n:-1\r\n$7\r\nkeystep\r\n:2\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

/// `COMMAND INFO RENAME` from redis-server 7.0.15.
const INFO_RENAME: &str = "*1\r\n*10\r\n$6\r\nrename\r\n:3\r\n*1\r\n+write\r\n:1\r\n:2\r\n:1\r\n*3\r\n+@keyspace\r\n\
+@write\r\n+@slow\r\n*0\r\n*2\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n*4\r\n\
$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\n\
range\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*6\r\n$5\r\nflags\r\n\
*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n\
:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\n\
keystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

/// `COMMAND INFO config|get` from redis-server 7.0.15.
const INFO_CONFIG_GET: &str =
    "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n\
+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n";

/// `COMMAND INFO object|encoding` from redis-server 7.0.15.
const INFO_OBJECT_ENCODING: &str = "*1\r\n*10\r\n$15\r\nobject|encoding\r\n:3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n\
:1\r\n*3\r\n+@keyspace\r\n+@read\r\n+@slow\r\n*1\r\n$23\r\nnondeterministic_output\r\n*1\r\n*6\r\n$5\r\nflags\r\n\
*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\n\
find_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n\
$5\r\nlimit\r\n:0\r\n*0\r\n";

/// `COMMAND INFO GET` from redis-server 7.0.15 after `HELLO 3`: flags, categories,
/// tips and key specs are sets, each key spec and its parts maps.
const INFO_GET_RESP3: &str = "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n\
+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n\
$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\n\
range\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";

/// `COMMAND INFO config|get` from redis-server 7.0.15 after `HELLO 3`.
const INFO_CONFIG_GET_RESP3: &str = "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n~4\r\n+admin\r\n+noscript\r\n\
+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n~0\r\n~0\r\n~0\r\n";

#[test]
fn command_info_matches_redis_byte_for_byte() {
    let mut client = Client::new();
    assert_eq!(client.run("COMMAND INFO GET"), INFO_GET);
    assert_eq!(client.run("COMMAND INFO get"), INFO_GET, "any case");
    assert_eq!(client.run("COMMAND INFO RENAME"), INFO_RENAME);
    assert_eq!(client.run("COMMAND INFO config|get"), INFO_CONFIG_GET);
    assert_eq!(client.run("COMMAND INFO CONFIG|GET"), INFO_CONFIG_GET);
    // Unknown names (and unknown subcommands) are nulls in place.
    let nosuch_then_get = format!("*2\r\n$-1\r\n{}", &INFO_GET["*1\r\n".len()..]);
    assert_eq!(client.run("COMMAND INFO nosuch GET"), nosuch_then_get);
    assert_eq!(client.run("COMMAND INFO get|x"), "*1\r\n$-1\r\n");
}

#[test]
fn command_info_matches_redis_with_its_tips() {
    let mut client = Client::new();
    // Redis's cluster routing tips and OBJECT's `nondeterministic_output`.
    assert_eq!(client.run("COMMAND INFO MSET"), INFO_MSET);
    assert_eq!(client.run("COMMAND INFO object|encoding"), INFO_OBJECT_ENCODING);
}

#[test]
fn command_info_matches_redis_in_resp3() {
    let mut client = Client::new();
    client.speak(Protocol::Resp3);
    assert_eq!(client.run("COMMAND INFO config|get"), INFO_CONFIG_GET_RESP3);
    assert_eq!(client.run("COMMAND INFO GET"), INFO_GET_RESP3);
}

#[test]
fn command_getkeysandflags_matches_redis_in_resp3() {
    let mut client = Client::new();
    client.speak(Protocol::Resp3);
    assert_eq!(
        client.run("COMMAND GETKEYSANDFLAGS RENAME a b"),
        "*2\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n~2\r\n+OW\r\n+update\r\n"
    );
    assert_eq!(client.run("COMMAND GETKEYS GET k"), "*1\r\n$1\r\nk\r\n");
}

#[test]
fn command_info_of_a_container_lists_every_subcommand() {
    let mut client = Client::new();
    let reply = client.run("COMMAND INFO config");
    // name, arity -2, no flags, no keys, @slow, no tips, no key specs, five subcommands.
    let head =
        "*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*5\r\n";
    assert!(reply.starts_with(head), "{reply:?}");
    // Redis lists them in its dictionary's order; each is the same entry as asked alone.
    for sub in ["get", "set", "resetstat", "rewrite", "help"] {
        let alone = client.run(&format!("COMMAND INFO config|{sub}"));
        assert!(reply.contains(&alone["*1\r\n".len()..]), "config|{sub} in {reply:?}");
    }
    assert_eq!(client.run("COMMAND INFO config|get"), INFO_CONFIG_GET);
}

#[test]
fn command_getkeys_matches_redis() {
    let mut client = Client::new();
    for (request, reply) in [
        ("COMMAND GETKEYS GET k", "*1\r\n$1\r\nk\r\n"),
        ("COMMAND GETKEYS MSET a 1 b 2", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYS MSET a 1 b", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYS RENAME a b", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYS OBJECT ENCODING k", "*1\r\n$1\r\nk\r\n"),
        ("COMMAND GETKEYS MEMORY USAGE k", "*1\r\n$1\r\nk\r\n"),
        ("COMMAND GETKEYS COPY a b DB 1 REPLACE", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYS EXISTS a b", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYSANDFLAGS GET k", "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n"),
        (
            "COMMAND GETKEYSANDFLAGS MSET a 1 b 2",
            "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n",
        ),
        (
            "COMMAND GETKEYSANDFLAGS RENAME a b",
            "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n",
        ),
        (
            "COMMAND GETKEYSANDFLAGS COPY a b",
            "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n",
        ),
        ("COMMAND GETKEYSANDFLAGS OBJECT encoding k", "*1\r\n*2\r\n$1\r\nk\r\n*1\r\n+RO\r\n"),
    ] {
        assert_eq!(client.run(request), reply, "{request}");
    }
}

#[test]
fn command_getkeys_errors_match_redis() {
    let mut client = Client::new();
    let arity = "-ERR wrong number of arguments for 'command|getkeys' command\r\n";
    for (request, reply) in [
        ("COMMAND GETKEYS", arity),
        (
            "COMMAND GETKEYSANDFLAGS",
            "-ERR wrong number of arguments for 'command|getkeysandflags' command\r\n",
        ),
        ("COMMAND GETKEYS config get x", "-ERR The command has no key arguments\r\n"),
        ("COMMAND GETKEYS object help", "-ERR The command has no key arguments\r\n"),
        ("COMMAND GETKEYS PING x", "-ERR The command has no key arguments\r\n"),
        ("COMMAND GETKEYS GET a b", "-ERR Invalid number of arguments specified for command\r\n"),
        ("COMMAND GETKEYS MSET a", "-ERR Invalid number of arguments specified for command\r\n"),
        ("COMMAND GETKEYS object encoding", "-ERR Invalid number of arguments specified for command\r\n"),
        ("COMMAND GETKEYS nosuch a", "-ERR Invalid command specified\r\n"),
        ("COMMAND GETKEYS OBJECT foo k", "-ERR Invalid command specified\r\n"),
        ("COMMAND GETKEYSANDFLAGS nosuch a", "-ERR Invalid command specified\r\n"),
    ] {
        assert_eq!(client.run(request), reply, "{request}");
    }
}

/// `COMMAND INFO command|getkeys command|getkeysandflags` from redis-server 7.0.15.
const INFO_GETKEYS: &str = "*2\r\n*10\r\n$15\r\ncommand|getkeys\r\n:-4\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n\
:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n*10\r\n$23\r\ncommand|getkeysandflags\r\n:-4\r\n*2\r\n\
+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n";

#[test]
fn command_getkeys_is_declared_as_redis() {
    let mut client = Client::new();
    assert_eq!(client.run("COMMAND INFO command|getkeys command|getkeysandflags"), INFO_GETKEYS);
    let arity = "-ERR wrong number of arguments for 'command|getkeys' command\r\n";
    for request in ["COMMAND GETKEYS GET", "COMMAND GETKEYS PING", "COMMAND GETKEYS object"] {
        assert_eq!(client.run(request), arity, "{request}");
    }
    let arity = "-ERR wrong number of arguments for 'command|getkeysandflags' command\r\n";
    assert_eq!(client.run("COMMAND GETKEYSANDFLAGS PING"), arity);
    assert_eq!(client.run("COMMAND GETKEYSANDFLAGS nosuch"), arity);
    let connection = names(&client.run("COMMAND LIST FILTERBY ACLCAT connection"));
    for sub in ["command|count", "command|info", "command|list", "command|docs", "command|help"] {
        assert!(connection.iter().any(|n| n == sub), "{sub} in @connection: {connection:?}");
    }
}

#[test]
fn set_key_spec_flags_vary_with_get_as_redis() {
    let mut client = Client::new();
    assert_eq!(
        client.run("COMMAND GETKEYSANDFLAGS SET k v"),
        "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n"
    );
    let reply = client.run("COMMAND INFO SET");
    assert!(
        reply.contains("$5\r\nnotes\r\n$48\r\nRW and ACCESS due to the optional `GET` argument\r\n"),
        "{reply:?}"
    );
    assert!(reply.contains("*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n"), "{reply:?}");
}

#[test]
fn command_count_counts_our_top_level_commands() {
    let mut client = Client::new();
    // Redis 7.0.15 answers :240; we count our own table, in the same format.
    let ours = table().top_level().count();
    assert_eq!(client.run("COMMAND COUNT"), format!(":{ours}\r\n"));
    assert_eq!(
        client.run("COMMAND COUNT x"),
        "-ERR wrong number of arguments for 'command|count' command\r\n"
    );
    let all = client.run("COMMAND");
    assert!(all.starts_with(&format!("*{ours}\r\n*10\r\n")), "COMMAND lists every top-level command");
}

/// The names of a `COMMAND LIST` reply, sorted (Redis's order is its hash table's).
fn names(reply: &str) -> Vec<String> {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    assert!(lines[0].starts_with('*'), "not an array: {reply:?}");
    let mut names: Vec<String> =
        lines[1..].chunks(2).filter(|c| c.len() == 2).map(|c| c[1].to_string()).collect();
    names.sort();
    names
}

#[test]
fn command_list_filterby_matches_redis_as_sets() {
    let mut client = Client::new();
    let config = ["config", "config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"];
    assert_eq!(names(&client.run("COMMAND LIST FILTERBY PATTERN config*")), config);
    assert_eq!(names(&client.run("COMMAND LIST FILTERBY PATTERN ren*")), ["rename", "renamenx"]);
    assert_eq!(names(&client.run("COMMAND LIST FILTERBY PATTERN object|enc*")), ["object|encoding"]);
    assert_eq!(names(&client.run("COMMAND LIST FILTERBY PATTERN GET")), ["get"], "the pattern ignores case");
    assert_eq!(
        names(&client.run("COMMAND LIST FILTERBY ACLCAT transaction")),
        ["discard", "exec", "multi", "unwatch", "watch"]
    );
    assert_eq!(client.run("COMMAND LIST FILTERBY MODULE x"), "*0\r\n");
    // Redis's @keyspace also holds DUMP, RESTORE, MIGRATE …, which we do not have;
    // every one we have is in it, subcommands included.
    let keyspace = names(&client.run("COMMAND LIST FILTERBY ACLCAT KEYSPACE"));
    for name in ["del", "expire", "object|encoding", "rename", "scan", "swapdb", "type"] {
        assert!(keyspace.iter().any(|n| n == name), "{name} in @keyspace: {keyspace:?}");
    }
    assert!(!keyspace.iter().any(|n| n == "get"), "GET is @string, not @keyspace");
    for request in ["COMMAND LIST FILTERBY foo bar", "COMMAND LIST FILTERBY", "COMMAND LIST x"] {
        assert_eq!(client.run(request), "-ERR syntax error\r\n", "{request}");
    }
    // Without a filter: every command and subcommand, as Redis lists them.
    let mut every: Vec<String> = table().all().map(|c| c.full_name.clone()).collect();
    every.sort();
    assert_eq!(names(&client.run("COMMAND LIST")), every);
}
