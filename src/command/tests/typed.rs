//! The type tag at the command level, proved with the `Probe` test collection (it
//! claims to be a list): what `TYPE`, `OBJECT ENCODING`, `SCAN … TYPE` and `MEMORY
//! USAGE` say of it, which string commands refuse it with `WRONGTYPE` (leaving it
//! untouched), which overwrite it, and the keyspace commands that treat it like
//! any key. The replies are redis-server 7.0.15's for a list key, except
//! `OBJECT ENCODING`, which is the probe's own.

use super::{ab, with_probe, Client, LATER, NOW};
use crate::engine::value::probe::Probe;
use crate::engine::{Event, EventClass};

/// Redis's reply to a string command on a key of another type.
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// Every key `SCAN 0 … ` finds, following the cursor to its end.
fn scan_all(client: &mut Client, options: &str) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut found = Vec::new();
    loop {
        let reply = client.run(&format!("SCAN {cursor}{options}"));
        let lines: Vec<&str> = reply.split("\r\n").collect();
        // *2, $n, cursor, *m, then $len/key pairs.
        cursor = lines[2].to_string();
        found.extend(lines[4..].chunks(2).filter(|c| c.len() == 2).map(|c| c[1].to_string()));
        if cursor == "0" {
            found.sort();
            return found;
        }
    }
}

#[test]
fn type_and_object_encoding_ask_the_tag() {
    let mut client = with_probe();
    assert_eq!(client.run("TYPE p"), "+list\r\n");
    assert_eq!(client.run("TYPE s"), "+string\r\n");
    assert_eq!(client.run("TYPE missing"), "+none\r\n");
    assert_eq!(client.run("OBJECT ENCODING p"), "$5\r\nprobe\r\n");
    assert_eq!(client.run("OBJECT ENCODING s"), "$6\r\nembstr\r\n");
    assert_eq!(client.run("OBJECT REFCOUNT p"), ":1\r\n");
    assert_eq!(client.run("OBJECT IDLETIME p"), ":0\r\n");
    assert!(client.recorder.take().is_empty(), "introspection changes nothing");
}

#[test]
fn scan_type_filters_by_the_tag_ignoring_case() {
    let mut client = with_probe();
    client.put_probe(0, b"q", &[b"x"], None);
    assert_eq!(scan_all(&mut client, " TYPE list"), ["p", "q"]);
    assert_eq!(scan_all(&mut client, " TYPE LIST"), ["p", "q"]);
    assert_eq!(scan_all(&mut client, " TYPE string"), ["s"]);
    assert_eq!(
        scan_all(&mut client, " TYPE nosuch"),
        Vec::<String>::new(),
        "an unknown type matches nothing"
    );
    assert_eq!(scan_all(&mut client, " TYPE hash"), Vec::<String>::new());
    assert_eq!(scan_all(&mut client, " MATCH q* TYPE list"), ["q"]);
    assert_eq!(scan_all(&mut client, ""), ["p", "q", "s"]);
    assert_eq!(scan_all(&mut client, " COUNT 1 TYPE List"), ["p", "q"]);
}

/// The integer of a `:n` reply.
fn integer(reply: &str) -> i64 {
    reply.trim_start_matches(':').trim_end().parse().unwrap_or_else(|_| panic!("not an integer: {reply:?}"))
}

#[test]
fn memory_usage_counts_the_collection_heap() {
    let mut client = with_probe();
    let small = integer(&client.run("MEMORY USAGE p"));
    let items: Vec<Vec<u8>> = (0..200).map(|i| format!("item-{i:04}").into_bytes()).collect();
    let refs: Vec<&[u8]> = items.iter().map(|i| i.as_slice()).collect();
    client.put_probe(0, b"big", &refs, None);
    let big = integer(&client.run("MEMORY USAGE big"));
    // 200 items of 9 bytes and their 24-byte vectors: at least 6600 heap bytes.
    assert!(big >= small + 6_000, "MEMORY USAGE big={big} small={small}");
    assert!(small > 0);
    assert_eq!(client.run("MEMORY USAGE p SAMPLES 0"), format!(":{small}\r\n"));
    assert_eq!(client.run("MEMORY USAGE missing"), "$-1\r\n");
}

#[test]
fn string_readers_and_writers_refuse_a_collection_and_leave_it_untouched() {
    let commands = [
        "GET p",
        "GETSET p v",
        "GETDEL p",
        "GETEX p",
        "GETEX p EX 10",
        "GETEX p PERSIST",
        "GETEX p PXAT 1",
        "STRLEN p",
        "APPEND p v",
        "GETRANGE p 0 -1",
        "SUBSTR p 0 -1",
        "SETRANGE p 0 v",
        "SETRANGE p 0 \"\"",
        "INCR p",
        "INCRBY p 2",
        "DECR p",
        "DECRBY p 2",
        "INCRBYFLOAT p 1.5",
        "SET p v GET",
        "SET p v NX GET",
        "SET p v XX GET",
        "SET p v GET EX 10",
    ];
    let mut client = with_probe();
    for command in commands {
        assert_eq!(client.run(command), WRONGTYPE, "{command}");
        assert_eq!(client.probe(0, b"p"), ab(), "{command} changed it");
        assert_eq!(client.expiry(0, b"p"), Some(LATER), "{command} changed its TTL");
        assert!(client.recorder.take().is_empty(), "{command} recorded a change");
    }
    assert_eq!(client.run("TYPE p"), "+list\r\n");
}

#[test]
fn whole_value_writes_overwrite_a_collection() {
    let cases = [
        ("SET p v", "+OK\r\n", None),
        ("SET p v XX", "+OK\r\n", None),
        ("SET p v KEEPTTL", "+OK\r\n", Some(LATER)),
        ("SET p v EX 10", "+OK\r\n", Some(NOW + 10_000)),
        ("SETEX p 10 v", "+OK\r\n", Some(NOW + 10_000)),
        ("PSETEX p 5000 v", "+OK\r\n", Some(NOW + 5_000)),
        ("MSET p v s w", "+OK\r\n", None),
    ];
    for (command, reply, ttl) in cases {
        let mut client = with_probe();
        assert_eq!(client.run(command), reply, "{command}");
        assert_eq!(client.run("TYPE p"), "+string\r\n", "{command}");
        assert_eq!(client.run("GET p"), "$1\r\nv\r\n", "{command}");
        assert_eq!(client.expiry(0, b"p"), ttl, "{command}");
        assert_eq!(client.run("OBJECT ENCODING p"), "$6\r\nembstr\r\n", "{command}");
        let expires = client.expires(0);
        assert_eq!(expires, ttl.is_some() as usize, "{command}: the TTL count follows");
        let news: Vec<_> =
            client.recorder.changes().into_iter().flat_map(|c| c.keys).filter(|k| k.2 == "new").collect();
        assert!(news.is_empty(), "{command} overwrote an existing key, yet notified {news:?}");
    }
}

#[test]
fn conditional_writes_see_a_collection_as_existing() {
    let mut client = with_probe();
    assert_eq!(client.run("SETNX p v"), ":0\r\n");
    assert_eq!(client.run("SET p v NX"), "$-1\r\n");
    assert_eq!(client.run("MSETNX q v p w"), ":0\r\n");
    assert_eq!(client.run("EXISTS q"), ":0\r\n", "MSETNX set nothing");
    assert_eq!(client.run("TYPE p"), "+list\r\n");
    assert_eq!(client.probe(0, b"p").map(|items| items.len()), Some(2));
    assert!(client.recorder.take().is_empty());
}

#[test]
fn mget_reads_a_collection_as_nil() {
    let mut client = with_probe();
    assert_eq!(client.run("MGET p s missing"), "*3\r\n$-1\r\n$3\r\nstr\r\n$-1\r\n");
}

#[test]
fn keyspace_commands_treat_a_collection_like_any_key() {
    let mut client = with_probe();
    assert_eq!(client.run("EXISTS p p s missing"), ":3\r\n");
    assert_eq!(client.run("TOUCH p missing"), ":1\r\n");
    assert_eq!(client.run("DBSIZE"), ":2\r\n");
    assert_eq!(client.run("KEYS p*"), "*1\r\n$1\r\np\r\n");
    let random = client.run("RANDOMKEY");
    assert!(random == "$1\r\np\r\n" || random == "$1\r\ns\r\n", "RANDOMKEY: {random:?}");
    assert_eq!(client.run("DEL p s"), ":2\r\n");
    assert_eq!(client.run("EXISTS p"), ":0\r\n");
    assert_eq!(client.run("TYPE p"), "+none\r\n");
    let effects: Vec<String> = client.recorder.changes().into_iter().map(|c| c.effect).collect();
    assert_eq!(effects, ["DEL p s"]);
    client.put_probe(0, b"p", &[b"a"], None);
    assert_eq!(client.run("UNLINK p"), ":1\r\n");
    assert_eq!(client.run("DBSIZE"), ":0\r\n");
    let effects: Vec<String> = client.recorder.changes().into_iter().map(|c| c.effect).collect();
    assert_eq!(effects, ["DEL p"]);
    assert_eq!(client.expires(0), 0, "the deleted probe's TTL is no longer counted");
}

#[test]
fn a_collection_emptied_by_its_slot_is_deleted_and_notified() {
    let client = with_probe();
    let db = client.state.engine.db(0);
    db.write(b"p", NOW, |slot| {
        slot.get_mut_as::<Probe>().unwrap().unwrap().items.clear();
        // As an `LTRIM` that empties a list: its own event, then the deletion's.
        slot.record(Event { name: "ltrim", class: EventClass::List }, &[b"LTRIM", b"p", b"1", b"0"]);
    });
    assert_eq!(db.kind_of(b"p", NOW), None);
    assert_eq!(db.expires_count(), 0, "the emptied probe's TTL is no longer counted");
    let changes = client.recorder.changes();
    let summary: Vec<(&str, &str)> = changes.iter().map(|c| (c.effect.as_str(), c.keys[0].2)).collect();
    assert_eq!(summary, [("LTRIM p 1 0", "ltrim"), ("", "del")]);
}
