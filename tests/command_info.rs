//! `COMMAND INFO`, `COMMAND GETKEYSANDFLAGS`, `COMMAND LIST` and `COMMAND COUNT`
//! against a real `redis-server` 7.0 (the reference), for every command and
//! subcommand FerrumKV has.
//!
//! How it works:
//! - The test starts `redis-server` itself (found on `PATH`, on a free port, no
//!   persistence; killed when the test ends, see `differential/reference.rs`) and a
//!   FerrumKV through the harness. Without `redis-server` it prints a loud
//!   `*** SKIPPED ***` line and passes, unless `CI` is set, where it fails.
//! - For every name in FerrumKV's `COMMAND LIST FILTERBY PATTERN *` (commands and
//!   `container|sub`), in RESP2 and in RESP3, `COMMAND INFO name` must be Redis's
//!   reply byte for byte. For a container, Redis's entry lists subcommands FerrumKV
//!   does not have, in its hash table's (random) order: the reply is parsed, Redis's
//!   subcommands are cut down to ours, both are sorted by name, and the rest must be
//!   equal exactly (each subcommand is also compared byte for byte on its own).
//! - FerrumKV's commands that Redis 7.0 does not know (Redis 7.2's, listed in
//!   [`NEWER_THAN_7_0`]) are compared with their 7.2 entries, written out here; any
//!   other command Redis answers null for fails the test.
//! - `COMMAND GETKEYSANDFLAGS` and `COMMAND GETKEYS` of [`KEY_REQUESTS`] (every
//!   command with keys must have one) and the error cases, `COMMAND INFO` of
//!   unknown names, `COMMAND LIST` with and without each filter (as sets, restricted
//!   to our names) and `COMMAND COUNT` are compared too.
//!
//! A new command or subcommand whose specs (flags, ACL categories, tips, key specs,
//! arity) differ from Redis's makes this test fail.

mod common;

#[path = "differential/reference.rs"]
mod reference;

use std::collections::BTreeSet;

use common::{missing_tool, Proto, RawConn, Server};
use ferrum_kv::command::introspection::CATEGORY_ORDER;
use reference::RedisServer;

/// FerrumKV's subcommands that came after Redis 7.0, with their `COMMAND INFO`
/// entry (RESP2) as Redis 7.2's `src/commands/*.json` declares them.
const NEWER_THAN_7_0: &[(&str, &str)] = &[
    (
        "client|setinfo",
        "*10\r\n$14\r\nclient|setinfo\r\n:4\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n\
         *2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
    ),
    (
        "client|no-touch",
        "*10\r\n$15\r\nclient|no-touch\r\n:3\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n\
         *2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
    ),
];

/// One request per command with keys (at least), for `COMMAND GETKEYS` and
/// `COMMAND GETKEYSANDFLAGS`; several where the keys or their flags depend on the
/// arguments.
const KEY_REQUESTS: &[&str] = &[
    "eval s 2 k1 k2 a",
    "evalsha s 1 k a",
    "eval_ro s 2 k1 k2",
    "evalsha_ro s 0 a",
    "fcall f 2 k1 k2 a",
    "fcall_ro f 1 k a",
    "spublish ch m",
    "ssubscribe a b",
    "sunsubscribe a",
    "get k",
    "set k v",
    "set k v GET",
    "set k v get",
    "set k v EX 10 GET",
    "set k v NX PX 5",
    "set k get",
    "set k v getx",
    "setnx k v",
    "setex k 10 v",
    "psetex k 10 v",
    "getset k v",
    "getdel k",
    "getex k",
    "getex k PERSIST",
    "mset a 1 b 2",
    "mset a 1 b",
    "msetnx a 1 b 2",
    "mget a b c",
    "strlen k",
    "append k v",
    "getrange k 0 1",
    "substr k 0 1",
    "setrange k 0 v",
    "incr k",
    "decr k",
    "incrby k 1",
    "decrby k 1",
    "incrbyfloat k 1.5",
    "setbit k 7 1",
    "getbit k 7",
    "bitcount k",
    "bitcount k 0 -1 BIT",
    "bitpos k 1 0",
    "bitop AND d a b",
    "bitop NOT d a",
    "bitfield k GET u8 0",
    "bitfield k OVERFLOW SAT GET u8 0",
    "bitfield k SET u8 0 1",
    "bitfield k INCRBY u8 0 1 GET u8 0",
    "bitfield k FOO",
    "bitfield_ro k GET u8 0",
    "lcs a b",
    "lcs a b LEN",
    "pfadd h a",
    "pfcount a b",
    "pfmerge d a b",
    "hset h f v",
    "hset h f v g w",
    "hsetnx h f v",
    "hmset h f v",
    "hget h f",
    "hmget h f g",
    "hgetall h",
    "hkeys h",
    "hvals h",
    "hlen h",
    "hstrlen h f",
    "hexists h f",
    "hdel h f g",
    "hincrby h f 1",
    "hincrbyfloat h f 1.5",
    "hrandfield h",
    "hrandfield h 2 WITHVALUES",
    "hscan h 0 COUNT 5",
    "del a b",
    "unlink a b",
    "exists a b",
    "type k",
    "move k 1",
    "rename a b",
    "renamenx a b",
    "copy a b",
    "copy a b DB 1 REPLACE",
    "touch a b",
    "expire k 10",
    "pexpire k 10 NX",
    "expireat k 10",
    "pexpireat k 10",
    "persist k",
    "ttl k",
    "pttl k",
    "expiretime k",
    "pexpiretime k",
    "watch a b",
    "object encoding k",
    "object freq k",
    "object idletime k",
    "object refcount k",
    "memory usage k",
    "memory usage k SAMPLES 5",
    // The set family.
    "lpush k a b",
    "rpush k a",
    "lpushx k a",
    "rpushx k a",
    "lpop k",
    "lpop k 2",
    "rpop k",
    "llen k",
    "lrange k 0 -1",
    "lindex k 0",
    "lset k 0 v",
    "linsert k before p v",
    "lrem k 0 v",
    "ltrim k 0 1",
    "lpos k v rank 1",
    "lmove a b left right",
    "rpoplpush a b",
    "lmpop 2 a b left",
    "lmpop 1 a right count 3",
    "blpop a b 0",
    "brpop a 1.5",
    "blmove a b left right 0",
    "brpoplpush a b 0",
    "blmpop 0 2 a b left",
    "blmpop 1 1 a right count 3",
    "sadd k a b",
    "srem k a",
    "smembers k",
    "sismember k a",
    "smismember k a b",
    "scard k",
    "spop k",
    "spop k 2",
    "srandmember k -2",
    "smove a b m",
    "sinter a b c",
    "sintercard 2 a b",
    "sintercard 2 a b LIMIT 1",
    "sintercard 1 a b c",
    "zadd z 1 m",
    "zincrby z 1 m",
    "zrem z m",
    "zcard z",
    "zscore z m",
    "zmscore z m n",
    "zrank z m",
    "zrevrank z m",
    "zscan z 0",
    "zcount z 0 1",
    "zlexcount z - +",
    "zrange z 0 -1",
    "zrangestore d z 0 -1",
    "zrevrange z 0 -1",
    "zrangebyscore z 0 1",
    "zrevrangebyscore z 1 0",
    "zrangebylex z - +",
    "zrevrangebylex z + -",
    "zremrangebyrank z 0 1",
    "zremrangebyscore z 0 1",
    "zremrangebylex z - +",
    "zpopmin z",
    "zpopmax z 2",
    "zmpop 2 a b MIN",
    "zmpop 1 a max count 2",
    "bzpopmin a b 0",
    "bzpopmax a 0",
    "bzmpop 0 2 a b MIN",
    "zrandmember z",
    "zunion 2 a b",
    "zinter 2 a b WEIGHTS 1 2",
    "zdiff 1 a",
    "zunionstore d 2 a b",
    "zinterstore d 1 a",
    "zdiffstore d 2 a b",
    "zintercard 2 a b",
    "zintercard 1 a b c",
    "sinterstore d a b",
    "sunion a b",
    "sunionstore d a b",
    "sdiff a b",
    "sdiffstore d a",
    "sscan k 0 COUNT 5",
    "geoadd g 1 2 m",
    "geopos g m",
    "geodist g a b km",
    "geohash g m",
    "xadd s * f v",
    "xadd s NOMKSTREAM MAXLEN ~ 10 * f v",
    "xlen s",
    "xrange s - +",
    "xrevrange s + - COUNT 1",
    "xdel s 1-1",
    "xtrim s MAXLEN 10",
    "xsetid s 1-1",
    "xread COUNT 1 STREAMS a b 0 0",
    "xread BLOCK 0 STREAMS a $",
    "xreadgroup GROUP g c COUNT 1 STREAMS a b > >",
    "xgroup CREATE s g $",
    "xgroup CREATE s g $ MKSTREAM",
    "xgroup SETID s g 0",
    "xgroup DESTROY s g",
    "xgroup CREATECONSUMER s g c",
    "xgroup DELCONSUMER s g c",
    "xack s g 1-1",
    "xpending s g",
    "xpending s g - + 10 c",
    "xclaim s g c 0 1-1",
    "xautoclaim s g c 0 0",
    "xinfo STREAM s",
    "xinfo GROUPS s",
    "xinfo CONSUMERS s g",
    "geosearch g FROMLONLAT 1 2 BYRADIUS 1 km",
    "geosearchstore d g FROMLONLAT 1 2 BYRADIUS 1 km",
    "georadius g 1 2 1 km",
    "georadius g 1 2 1 km STORE d",
    "georadius g 1 2 1 km STOREDIST d",
    "georadius_ro g 1 2 1 km",
    "georadiusbymember g m 1 km STORE d",
    "georadiusbymember_ro g m 1 km",
    "sort l",
    "sort l BY w_* GET # STORE d",
    "sort l STORE a LIMIT 0 1 STORE b",
    "sort l limit store x",
    "sort_ro l BY w_*",
];

/// `COMMAND GETKEYS` (and `GETKEYSANDFLAGS`) requests that are errors, or have no
/// keys.
const KEY_ERRORS: &[&str] = &[
    "",
    "get",
    "ping",
    "ping x",
    "nosuch x",
    "get a b",
    "mset a",
    "exists",
    "config get x",
    "object",
    "object encoding",
    "object nosuch k",
    "client",
    "client kill",
    "command info",
    "memory usage",
    "flushall",
    "keys *",
    "sintercard 0 a",
    "sintercard 3 a b",
    "sintercard x a",
];

/// `COMMAND INFO` requests of unknown names, or of several names at once.
const INFO_REQUESTS: &[&str] = &[
    "nosuch",
    "get|key",
    "config|nosuch",
    "nosuch|get",
    "|",
    "GET",
    "CONFIG|GET",
    "Object|Encoding",
    "nosuch get config|set",
];

/// Spellings of categories to ask for besides every category Redis 7.0 has
/// ([`CATEGORY_ORDER`]): case does not matter, unknown and `@`-prefixed names list
/// nothing.
const ODD_CATEGORIES: &[&str] = &["STRING", "Connection", "nosuch", "@string"];

/// Patterns for `COMMAND LIST FILTERBY PATTERN`.
const PATTERNS: &[&str] = &["*", "*|*", "client*", "CLIENT|*", "*|help", "g?t", "[a-c]*", "*ex*", "nosuch"];

/// A parsed RESP2/RESP3 reply that keeps every type byte, so that encoding it
/// again gives the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Resp {
    /// `+ - : _ # , (`: the type byte and the line.
    Line(u8, Vec<u8>),
    /// `$ = !`: the type byte and the body (`None`: `$-1`).
    Bulk(u8, Option<Vec<u8>>),
    /// `* ~ > % |`: the type byte and the elements (a map's keys and values
    /// flattened; `None`: `*-1`).
    Aggregate(u8, Option<Vec<Resp>>),
}

impl Resp {
    fn parse(bytes: &[u8]) -> Resp {
        let (value, end) = Resp::parse_at(bytes, 0);
        assert_eq!(end, bytes.len(), "trailing bytes after a reply: {:?}", String::from_utf8_lossy(bytes));
        value
    }

    fn parse_at(bytes: &[u8], at: usize) -> (Resp, usize) {
        let line_end = at + bytes[at..].windows(2).position(|w| w == b"\r\n").expect("a complete line");
        let (kind, line) = (bytes[at], bytes[at + 1..line_end].to_vec());
        let next = line_end + 2;
        let number = || -> i64 { String::from_utf8_lossy(&line).parse().expect("a length") };
        match kind {
            b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => (Resp::Line(kind, line), next),
            b'$' | b'=' | b'!' => match usize::try_from(number()) {
                Ok(len) => (Resp::Bulk(kind, Some(bytes[next..next + len].to_vec())), next + len + 2),
                Err(_) => (Resp::Bulk(kind, None), next),
            },
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let Ok(count) = usize::try_from(number()) else {
                    return (Resp::Aggregate(kind, None), next);
                };
                let count = if matches!(kind, b'%' | b'|') { count * 2 } else { count };
                let mut items = Vec::with_capacity(count);
                let mut at = next;
                for _ in 0..count {
                    let (item, end) = Resp::parse_at(bytes, at);
                    items.push(item);
                    at = end;
                }
                (Resp::Aggregate(kind, Some(items)), at)
            }
            other => panic!("not a RESP type byte: {:?}", other as char),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Resp::Line(kind, line) => {
                out.push(*kind);
                out.extend_from_slice(line);
                out.extend_from_slice(b"\r\n");
            }
            Resp::Bulk(kind, None) => out.extend_from_slice(format!("{}-1\r\n", *kind as char).as_bytes()),
            Resp::Bulk(kind, Some(body)) => {
                out.extend_from_slice(format!("{}{}\r\n", *kind as char, body.len()).as_bytes());
                out.extend_from_slice(body);
                out.extend_from_slice(b"\r\n");
            }
            Resp::Aggregate(kind, None) => {
                out.extend_from_slice(format!("{}-1\r\n", *kind as char).as_bytes())
            }
            Resp::Aggregate(kind, Some(items)) => {
                let count = if matches!(kind, b'%' | b'|') { items.len() / 2 } else { items.len() };
                out.extend_from_slice(format!("{}{count}\r\n", *kind as char).as_bytes());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }

    fn to_text(&self) -> String {
        let mut out = Vec::new();
        self.encode(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn items(&self) -> &[Resp] {
        match self {
            Resp::Aggregate(_, Some(items)) => items,
            other => panic!("not an aggregate: {other:?}"),
        }
    }

    fn text(&self) -> String {
        match self {
            Resp::Bulk(_, Some(body)) | Resp::Line(_, body) => String::from_utf8_lossy(body).into_owned(),
            other => panic!("not a string: {other:?}"),
        }
    }
}

/// Both servers, or `None` (after saying so) when `redis-server` is missing.
fn servers() -> Option<(RedisServer, Server)> {
    if !reference::available() {
        missing_tool(reference::PROGRAM);
        return None;
    }
    Some((RedisServer::start(), Server::start()))
}

/// A connection to each, speaking `proto`.
fn connections(redis: &RedisServer, ferrum: &Server, proto: Proto) -> (RawConn, RawConn) {
    let mut ours = ferrum.raw_proto(proto);
    let mut theirs = RawConn::connect(redis.port());
    if proto == Proto::Resp3 {
        let hello = theirs.cmd("HELLO 3");
        assert!(hello.starts_with('%'), "redis-server HELLO 3: {hello:?}");
    }
    // Both answer: the same request reaches the same kind of server.
    ours.expect("PING", "+PONG\r\n");
    theirs.expect("PING", "+PONG\r\n");
    (theirs, ours)
}

fn request(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The names of a `COMMAND LIST` reply.
fn names(reply: &[u8]) -> BTreeSet<String> {
    Resp::parse(reply).items().iter().map(Resp::text).collect()
}

/// The names FerrumKV has (commands and `container|sub`).
fn our_names(ours: &mut RawConn) -> BTreeSet<String> {
    names(&ours.cmd_bytes(&[b"COMMAND", b"LIST", b"FILTERBY", b"PATTERN", b"*"]))
}

/// Whether `name` is one of Redis 7.2's that 7.0 lacks.
fn newer(name: &str) -> bool {
    NEWER_THAN_7_0.iter().any(|(newer, _)| *newer == name)
}

/// A `COMMAND INFO` entry with its subcommands restricted to `keep` and sorted by
/// name (Redis lists them in its dictionary's order, which changes between runs).
fn normalize(entry: &Resp, keep: &dyn Fn(&str) -> bool) -> Resp {
    let Resp::Aggregate(kind, Some(fields)) = entry else {
        return entry.clone();
    };
    let mut fields = fields.clone();
    if let Some(Resp::Aggregate(sub_kind, Some(subs))) = fields.get(9) {
        let mut subs: Vec<Resp> = subs.iter().filter(|sub| keep(&sub.items()[0].text())).cloned().collect();
        subs.sort_by_key(|sub| sub.items()[0].text());
        fields[9] = Resp::Aggregate(*sub_kind, Some(subs));
    }
    Resp::Aggregate(*kind, Some(fields))
}

/// The same reply of both servers, or a description of the difference.
fn compare(what: &str, theirs: &[u8], ours: &[u8], failures: &mut Vec<String>) {
    if theirs != ours {
        failures.push(format!(
            "{what}:\n  redis:    {:?}\n  ferrumkv: {:?}",
            String::from_utf8_lossy(theirs),
            String::from_utf8_lossy(ours)
        ));
    }
}

#[track_caller]
fn assert_no_failures(failures: &[String], proto: Proto) {
    assert!(
        failures.is_empty(),
        "{} difference(s) from redis-server ({proto:?}):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn every_command_info(proto: Proto) {
    let Some((redis, ferrum)) = servers() else { return };
    let (mut theirs, mut ours) = connections(&redis, &ferrum, proto);
    let all = our_names(&mut ours);
    assert!(all.len() > 50 && all.contains("get") && all.contains("config|get"), "{all:?}");
    let mut failures = Vec::new();
    for name in &all {
        let args: [&[u8]; 3] = [b"COMMAND", b"INFO", name.as_bytes()];
        let (redis_reply, our_reply) = (theirs.cmd_bytes(&args), ours.cmd_bytes(&args));
        let (redis_info, our_info) = (Resp::parse(&redis_reply), Resp::parse(&our_reply));
        let (redis_entry, our_entry) = (&redis_info.items()[0], &our_info.items()[0]);
        if let Some((_, entry)) = NEWER_THAN_7_0.iter().find(|(newer, _)| newer == name) {
            assert!(
                matches!(redis_entry, Resp::Bulk(_, None) | Resp::Line(b'_', _)),
                "{name} is in Redis 7.0"
            );
            if proto == Proto::Resp2 {
                compare(
                    &format!("COMMAND INFO {name} (Redis 7.2's)"),
                    entry.as_bytes(),
                    &our_reply[4..],
                    &mut failures,
                );
            }
            continue;
        }
        if matches!(redis_entry, Resp::Bulk(_, None) | Resp::Line(b'_', _)) {
            failures.push(format!(
                "COMMAND INFO {name}: redis-server 7.0 has no such command (add it to NEWER_THAN_7_0?)"
            ));
            continue;
        }
        let has_subcommands = our_entry.items().get(9).is_some_and(|subs| !subs.items().is_empty());
        if !has_subcommands {
            compare(&format!("COMMAND INFO {name}"), &redis_reply, &our_reply, &mut failures);
            continue;
        }
        // A container: Redis's subcommands cut down to ours (but Redis 7.2's), both sorted.
        let redis_entry = normalize(redis_entry, &|sub| all.contains(sub) && !newer(sub));
        let our_entry = normalize(our_entry, &|sub| !newer(sub));
        compare(
            &format!("COMMAND INFO {name} (subcommands restricted to ours, sorted)"),
            redis_entry.to_text().as_bytes(),
            our_entry.to_text().as_bytes(),
            &mut failures,
        );
    }
    assert_no_failures(&failures, proto);
}

#[test]
fn every_command_info_matches_redis_resp2() {
    every_command_info(Proto::Resp2);
}

#[test]
fn every_command_info_matches_redis_resp3() {
    every_command_info(Proto::Resp3);
}

fn keys_and_errors(proto: Proto) {
    let Some((redis, ferrum)) = servers() else { return };
    let (mut theirs, mut ours) = connections(&redis, &ferrum, proto);
    let mut failures = Vec::new();
    // Every command with key specs has a request here.
    for name in our_names(&mut ours) {
        let info = Resp::parse(&ours.cmd_args(&["COMMAND", "INFO", &name]).into_bytes());
        let has_keys = !info.items()[0].items()[8].items().is_empty();
        let words: Vec<&str> = name.split('|').collect();
        let covered = KEY_REQUESTS.iter().any(|line| {
            let request = request(line);
            request.len() >= words.len() && request.iter().zip(&words).all(|(a, b)| a.eq_ignore_ascii_case(b))
        });
        if has_keys && !covered {
            failures.push(format!("{name} has keys but no request in KEY_REQUESTS"));
        }
    }
    let mut same = |args: &[&str]| {
        compare(
            &args.join(" "),
            theirs.cmd_args(args).as_bytes(),
            ours.cmd_args(args).as_bytes(),
            &mut failures,
        )
    };
    for line in KEY_REQUESTS.iter().chain(KEY_ERRORS) {
        for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
            let mut args = vec!["COMMAND", sub];
            args.extend(request(line));
            same(&args);
        }
    }
    for line in INFO_REQUESTS {
        let mut args = vec!["COMMAND", "INFO"];
        args.extend(request(line));
        same(&args);
    }
    for line in [
        "COMMAND COUNT x",
        "COMMAND LIST FILTERBY",
        "COMMAND LIST FILTERBY ACLCAT",
        "COMMAND LIST FILTERBY nosuch x",
        "COMMAND LIST FILTERBY PATTERN x y",
        "COMMAND LIST foo",
        "COMMAND LIST FILTERBY MODULE x",
    ] {
        same(&request(line));
    }
    assert_no_failures(&failures, proto);
}

#[test]
fn getkeys_and_flags_and_errors_match_redis_resp2() {
    keys_and_errors(Proto::Resp2);
}

#[test]
fn getkeys_and_flags_and_errors_match_redis_resp3() {
    keys_and_errors(Proto::Resp3);
}

#[test]
fn command_list_and_count_match_redis() {
    let Some((redis, ferrum)) = servers() else { return };
    let (mut theirs, mut ours) = connections(&redis, &ferrum, Proto::Resp2);
    let all = our_names(&mut ours);
    let mut failures = Vec::new();
    // Redis lists in its hash table's order: compare as sets, restricted to our names
    // (and ours without Redis 7.2's).
    let mut check = |what: String, args: &[&str], theirs: &mut RawConn, ours: &mut RawConn| {
        let redis_names: BTreeSet<String> =
            names(theirs.cmd_args(args).as_bytes()).into_iter().filter(|n| all.contains(n)).collect();
        let our_names: BTreeSet<String> =
            names(ours.cmd_args(args).as_bytes()).into_iter().filter(|n| !newer(n)).collect();
        if redis_names != our_names {
            failures.push(format!(
                "{what}: only redis: {:?}; only ferrumkv: {:?}",
                redis_names.difference(&our_names).collect::<Vec<_>>(),
                our_names.difference(&redis_names).collect::<Vec<_>>()
            ));
        }
    };
    check("COMMAND LIST".to_string(), &["COMMAND", "LIST"], &mut theirs, &mut ours);
    for category in CATEGORY_ORDER.iter().chain(ODD_CATEGORIES) {
        let args = ["COMMAND", "LIST", "FILTERBY", "ACLCAT", category];
        check(args.join(" "), &args, &mut theirs, &mut ours);
    }
    for pattern in PATTERNS {
        let args = ["COMMAND", "LIST", "FILTERBY", "PATTERN", pattern];
        check(args.join(" "), &args, &mut theirs, &mut ours);
    }
    // COMMAND LIST has the subcommands too; COMMAND COUNT (and COMMAND) only the
    // top-level commands.
    for (conn, server) in [(&mut theirs, "redis"), (&mut ours, "ferrumkv")] {
        let listed = names(conn.cmd("COMMAND LIST").as_bytes());
        let top_level = listed.iter().filter(|n| !n.contains('|')).count();
        assert!(listed.len() > top_level, "{server}: COMMAND LIST lists subcommands");
        let count = conn.int("COMMAND COUNT");
        if count != top_level as i64 {
            failures.push(format!("{server}: COMMAND COUNT {count}, {top_level} top-level commands listed"));
        }
        let every = Resp::parse(conn.cmd("COMMAND").as_bytes());
        if every.items().len() != top_level {
            failures
                .push(format!("{server}: COMMAND has {} entries, {top_level} expected", every.items().len()));
        }
    }
    assert_no_failures(&failures, Proto::Resp2);
}
