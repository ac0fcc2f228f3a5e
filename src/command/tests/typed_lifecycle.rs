//! A collection's life through the keyspace commands, proved with the `Probe` test
//! collection: `COPY`, `MOVE`, `RENAME`, `RENAMENX`, `SWAPDB` and the flushes keep,
//! move or remove it with its TTL; the expiry commands work on it, and lazy and
//! active expiry remove it; eviction under `maxmemory` can pick it; and the AOF
//! rewrite writes it as the commands its type gives, then its `PEXPIREAT`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{ab, with_probe, Client, LATER, NOW};
use crate::engine::evict::{OutOfMemory, Policy, Settings};
use crate::engine::value::probe::Probe;
use crate::engine::{Event, EventClass, ExpiryCursor};

/// Appends `item` to the probe at `key` of database `db`, recorded as an `RPUSH`.
fn push(client: &Client, db: usize, key: &[u8], item: &[u8]) {
    client.state.engine.db(db).write(key, NOW, |slot| {
        slot.get_or_create::<Probe>().expect("a probe").items.push(item.to_vec());
        slot.record(Event { name: "rpush", class: EventClass::List }, &[b"RPUSH", key, item]);
    });
}

#[test]
fn copy_shares_the_collection_until_either_key_changes_it() {
    let mut client = with_probe();
    assert_eq!(client.run("COPY p q"), ":1\r\n");
    assert_eq!((client.probe(0, b"q"), client.expiry(0, b"q")), (ab(), Some(LATER)));
    push(&client, 0, b"q", b"c");
    assert_eq!(client.probe(0, b"p"), ab(), "the source is not changed through its copy");
    assert_eq!(client.probe(0, b"q").map(|items| items.len()), Some(3));
    assert_eq!(client.run("COPY p q"), ":0\r\n", "the destination exists");
    assert_eq!(client.run("COPY p s"), ":0\r\n");
    assert_eq!(client.run("COPY p s REPLACE"), ":1\r\n");
    assert_eq!((client.run("TYPE s"), client.probe(0, b"s")), ("+list\r\n".to_string(), ab()));
    assert_eq!(client.run("COPY p q DB 3"), ":1\r\n");
    assert_eq!((client.probe(3, b"q"), client.expiry(3, b"q")), (ab(), Some(LATER)));
    assert_eq!((client.expires(0), client.expires(3)), (3, 1));
}

#[test]
fn move_takes_the_collection_and_its_ttl_to_the_other_database() {
    let mut client = with_probe();
    assert_eq!(client.run("MOVE p 2"), ":1\r\n");
    assert_eq!(client.run("TYPE p"), "+none\r\n");
    assert_eq!((client.probe(2, b"p"), client.expiry(2, b"p")), (ab(), Some(LATER)));
    assert_eq!((client.expires(0), client.expires(2)), (0, 1));
    client.put_probe(0, b"p", &[b"z"], None);
    assert_eq!(client.run("MOVE p 2"), ":0\r\n", "already there");
    assert_eq!(client.probe(0, b"p"), Some(vec![b"z".to_vec()]));
}

#[test]
fn rename_and_renamenx_carry_the_collection_and_its_ttl() {
    let mut client = with_probe();
    assert_eq!(client.run("RENAME p r"), "+OK\r\n");
    assert_eq!((client.probe(0, b"r"), client.expiry(0, b"r")), (ab(), Some(LATER)));
    assert_eq!(client.run("EXISTS p"), ":0\r\n");
    assert_eq!(client.expires(0), 1);
    assert_eq!(client.run("RENAMENX r s"), ":0\r\n", "s exists");
    assert_eq!(client.run("TYPE s"), "+string\r\n");
    assert_eq!(client.run("RENAME r s"), "+OK\r\n", "RENAME replaces");
    assert_eq!((client.run("TYPE s"), client.expiry(0, b"s")), ("+list\r\n".to_string(), Some(LATER)));
    assert_eq!(client.run("RENAMENX s n"), ":1\r\n");
    assert_eq!((client.probe(0, b"n"), client.expiry(0, b"n")), (ab(), Some(LATER)));
    assert_eq!(client.run("DBSIZE"), ":1\r\n");
    assert_eq!(client.run("RENAME p x"), "-ERR no such key\r\n");
}

#[test]
fn swapdb_and_the_flushes_move_or_remove_collections() {
    let mut client = with_probe();
    assert_eq!(client.run("SWAPDB 0 1"), "+OK\r\n");
    assert_eq!(client.run("TYPE p"), "+none\r\n");
    assert_eq!(client.run("SELECT 1"), "+OK\r\n");
    assert_eq!(client.run("TYPE p"), "+list\r\n");
    assert_eq!(client.run("TTL p"), ":100\r\n");
    assert_eq!((client.probe(1, b"p"), client.expires(1), client.expires(0)), (ab(), 1, 0));
    assert_eq!(client.run("FLUSHDB"), "+OK\r\n");
    assert_eq!((client.run("DBSIZE"), client.expires(1)), (":0\r\n".to_string(), 0));
    client.put_probe(4, b"p", &[b"a"], Some(LATER));
    client.put_probe(9, b"q", &[b"a"], None);
    assert_eq!(client.run("FLUSHALL"), "+OK\r\n");
    assert_eq!(client.state.engine.total_keys(), 0);
    assert_eq!(client.expires(4), 0);
}

#[test]
fn the_expiry_commands_work_on_a_collection() {
    let mut client = with_probe();
    assert_eq!(client.run("TTL p"), ":100\r\n");
    assert_eq!(client.run("PTTL p"), ":100000\r\n");
    assert_eq!(client.run("EXPIRETIME p"), ":1700000100\r\n");
    assert_eq!(client.run("PEXPIRETIME p"), ":1700000100000\r\n");
    assert_eq!(client.run("EXPIRE p 10"), ":1\r\n");
    assert_eq!(client.run("TTL p"), ":10\r\n");
    assert_eq!(client.run("EXPIRE p 20 LT"), ":0\r\n");
    assert_eq!(client.run("PEXPIREAT p 1700000005000"), ":1\r\n");
    assert_eq!(client.run("PTTL p"), ":5000\r\n");
    assert_eq!(client.run("PERSIST p"), ":1\r\n");
    assert_eq!((client.run("TTL p"), client.expires(0)), (":-1\r\n".to_string(), 0));
    assert_eq!(client.run("PERSIST p"), ":0\r\n");
    assert_eq!(client.run("PEXPIRE p 2500"), ":1\r\n");
    assert_eq!((client.expiry(0, b"p"), client.expires(0)), (Some(NOW + 2_500), 1));
    assert_eq!(client.probe(0, b"p"), ab(), "the items are untouched");
    assert_eq!(client.run("EXPIRE p 0"), ":1\r\n", "a time in the past deletes");
    assert_eq!((client.run("TYPE p"), client.expires(0)), ("+none\r\n".to_string(), 0));
    let effects: Vec<String> = client.recorder.changes().into_iter().map(|c| c.effect).collect();
    assert_eq!(
        effects,
        [
            "PEXPIREAT p 1700000010000",
            "PEXPIREAT p 1700000005000",
            "PERSIST p",
            "PEXPIREAT p 1700000002500",
            "DEL p"
        ]
    );
}

#[test]
fn lazy_expiry_removes_a_collection_whatever_reads_it() {
    // Each reader meets a probe whose TTL passed (at NOW): it reads as absent (a
    // string command answers nil, not WRONGTYPE) and is removed, logged as DEL.
    for (reader, reply) in [
        ("TYPE p", "+none\r\n"),
        ("GET p", "$-1\r\n"),
        ("EXISTS p", ":0\r\n"),
        ("TTL p", ":-2\r\n"),
        ("OBJECT ENCODING p", "$-1\r\n"),
        ("SET p v NX", "+OK\r\n"),
        ("EXPIRE p 100", ":0\r\n"),
    ] {
        let mut client = Client::new();
        client.put_probe(0, b"p", &[b"a"], Some(NOW));
        assert_eq!(client.run(reader), reply, "{reader}");
        let changes = client.recorder.changes();
        let first = changes.first().map(|c| (c.effect.as_str(), c.keys[0].2));
        if reader != "OBJECT ENCODING p" {
            assert_eq!(first, Some(("DEL p", "expired")), "{reader}");
        }
        let live = client.state.engine.db(0).read_quiet(b"p", NOW, |e| e.map(|e| e.kind()));
        assert_ne!(live, Some(crate::engine::Kind::List), "{reader}");
    }
}

#[test]
fn object_encoding_lazily_expires_as_redis() {
    let mut client = Client::new();
    client.put_probe(0, b"p", &[b"a"], Some(NOW));
    assert_eq!(client.run("OBJECT ENCODING p"), "$-1\r\n");
    let changes = client.recorder.changes();
    let first = changes.first().map(|c| (c.effect.as_str(), c.keys[0].2));
    assert_eq!(first, Some(("DEL p", "expired")));
    assert_eq!(client.run("DBSIZE"), ":0\r\n");
}

#[test]
fn active_expiry_removes_an_expired_collection() {
    let client = Client::new();
    client.put_probe(0, b"gone", &[b"a"], Some(NOW));
    client.put_probe(0, b"kept", &[b"a"], Some(LATER));
    client.put_probe(7, b"forever", &[b"a"], None);
    let report =
        client.state.engine.active_expire_cycle(&mut ExpiryCursor::default(), NOW, Duration::from_secs(5));
    assert_eq!(report.expired, 1);
    assert_eq!(client.probe(0, b"gone"), None);
    assert_eq!(client.probe(0, b"kept").map(|items| items.len()), Some(1));
    assert_eq!(client.state.engine.total_keys(), 2);
    assert_eq!(client.expires(0), 1);
    let changes = client.recorder.changes();
    let summary: Vec<(usize, &str, &str)> =
        changes.iter().map(|c| (c.db, c.effect.as_str(), c.keys[0].2)).collect();
    assert_eq!(summary, [(0, "DEL gone", "expired")]);
}

/// Eviction settings for these tests: `allkeys-random` over a cap of one byte
/// (what counts as "over" is the test's own measure, see [`evict_until`]).
fn random_eviction() -> Settings {
    Settings { maxmemory: 1, policy: Policy::AllKeysRandom, samples: 5 }
}

/// Runs the evictor until `enough` says so (its measure of memory is 2 bytes, over
/// the cap, until then, and 0 after).
fn evict_until(client: &Client, enough: impl Fn(&Client) -> bool) -> Result<usize, OutOfMemory> {
    let used = || if enough(client) { 0 } else { 2 };
    client.state.engine.evictor.make_room(&client.state.engine, random_eviction(), NOW, used)
}

#[test]
fn eviction_under_maxmemory_can_evict_collections() {
    let client = Client::new();
    for i in 0..640u32 {
        let key = format!("p{i}");
        let ttl = (i % 2 == 0).then_some(LATER);
        client.put_probe(0, key.as_bytes(), &[b"a", b"b"], ttl);
    }
    let evicted = evict_until(&client, |c| c.state.engine.total_keys() <= 320);
    assert_eq!(evicted, Ok(320));
    assert_eq!(client.state.engine.evictor.evicted_keys(), 320);
    let changes = client.recorder.changes();
    assert_eq!(changes.len(), 320);
    for change in &changes {
        let key = change.keys[0].1.clone();
        assert_eq!(
            (change.effect.clone(), change.keys.len(), change.keys[0].2),
            (format!("DEL {key}"), 1, "evicted")
        );
        assert_eq!(client.probe(0, key.as_bytes()), None, "{key} is gone");
    }
    // The TTL count followed the evicted keys that had one.
    let with_ttl =
        (0..640).filter(|i| i % 2 == 0 && client.probe(0, format!("p{i}").as_bytes()).is_some()).count();
    assert_eq!(client.expires(0), with_ttl);
}

#[test]
fn a_write_over_maxmemory_evicts_collections_first() {
    let mut client = Client::new();
    for i in 0..256u32 {
        client.put_probe(0, format!("p{i}").as_bytes(), &[b"a"], None);
    }
    // A one-byte cap: the dispatcher evicts before the write, and still refuses it.
    let config =
        crate::config::Config { maxmemory: 1, maxmemory_policy: Policy::AllKeysRandom, ..Default::default() };
    client.state.config.store(Arc::new(config));
    client.state.apply_cache_settings(&client.state.config.load());
    assert_eq!(client.run("SET x y"), "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    let evicted = client.state.engine.evictor.evicted_keys() as usize;
    assert!(evicted > 0, "nothing was evicted");
    assert_eq!(client.state.engine.total_keys(), 256 - evicted);
    let events: Vec<&str> = client.recorder.changes().iter().map(|c| c.keys[0].2).collect();
    assert_eq!(events, vec!["evicted"; evicted]);
}

#[test]
fn eviction_finds_the_only_key_of_a_database() {
    // Redis's sampling (dictGetSomeKeys over the whole table) always finds it.
    for trial in 0..30 {
        let client = Client::new();
        client.put_probe(0, b"p", &[b"a"], None);
        let evicted = evict_until(&client, |c| c.state.engine.total_keys() == 0);
        assert_eq!(evicted, Ok(1), "trial {trial}: the one evictable key was not found");
    }
}

/// The commands of an AOF file, each as its arguments joined by spaces.
fn commands_of(bytes: &[u8]) -> Vec<String> {
    let mut parser = crate::protocol::RequestParser::default();
    let mut buf = bytes::BytesMut::from(bytes);
    let mut commands = Vec::new();
    while let Ok(Some(request)) = parser.next_request(&mut buf) {
        let words: Vec<String> = request.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        commands.push(words.join(" "));
    }
    assert!(buf.is_empty(), "a torn record at the end of the file");
    commands
}

#[test]
fn the_aof_rewrite_writes_a_collection_as_its_commands_then_its_ttl() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("typed.aof");
    let aof = crate::aof::Aof::open(&path, crate::config::FsyncPolicy::No).expect("the AOF opens");
    let mut client = with_probe();
    client.state.install_aof(aof.clone());
    let items: Vec<Vec<u8>> = (0..130).map(|i| format!("i{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = items.iter().map(|i| i.as_slice()).collect();
    client.put_probe(0, b"big", &refs, None);
    client.setup(&["SET t v PXAT 1700000200000"]);
    client.state.rewrite_aof(&aof, NOW).expect("the rewrite starts");
    // After the cut: reaches the new file through the tail, not the snapshot.
    push(&client, 0, b"p", b"c");
    while aof.status().rewrite_in_progress.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(aof.status().rewrites.load(Ordering::Relaxed), 1);
    assert!(client.state.close_aof());
    let commands = commands_of(&std::fs::read(&path).expect("the AOF"));
    assert_eq!(commands.first().map(String::as_str), Some("SELECT 0"));
    let (tail, snapshot) = commands.split_last().expect("records");
    assert_eq!(tail, "RPUSH p c", "the change after the cut comes last");
    let of_key = |key: &str| -> Vec<&str> {
        let prefix = |c: &&String| c.split(' ').nth(1) == Some(key) && !c.starts_with("SELECT");
        snapshot.iter().filter(prefix).map(String::as_str).collect()
    };
    assert_eq!(of_key("p"), ["RPUSH p a b", "PEXPIREAT p 1700000100000"]);
    let chunk = |range: std::ops::Range<usize>| {
        let items: Vec<String> = range.map(|i| format!("i{i}")).collect();
        format!("RPUSH big {}", items.join(" "))
    };
    assert_eq!(of_key("big"), [chunk(0..64), chunk(64..128), chunk(128..130)]);
    assert_eq!(of_key("s"), ["SET s str"]);
    assert_eq!(of_key("t"), ["SET t v PXAT 1700000200000"]);
    let selects = snapshot.iter().filter(|c| c.starts_with("SELECT")).count();
    assert_eq!(snapshot.len(), 7 + selects, "nothing else: {snapshot:?}");
    assert_eq!(client.probe(0, b"p").map(|items| items.len()), Some(3));
}

#[test]
fn a_change_to_a_watched_collection_fails_exec() {
    let mut client = with_probe();
    client.setup(&["WATCH p", "MULTI", "GET s"]);
    push(&client, 0, b"p", b"c");
    assert_eq!(client.run("EXEC"), "*-1\r\n", "the push marked the watcher");
    // Its removal by the slot that emptied it, and its move, mark it too.
    client.setup(&["WATCH p", "MULTI", "GET s"]);
    client.state.engine.db(0).write(b"p", NOW, |slot| {
        slot.get_mut_as::<Probe>().expect("a probe").expect("present").items.clear();
    });
    assert_eq!(client.run("EXEC"), "*-1\r\n", "the emptied probe's deletion marked the watcher");
    client.put_probe(0, b"p", &[b"a"], None);
    client.setup(&["WATCH p", "MOVE p 1", "MULTI", "GET s"]);
    assert_eq!(client.run("EXEC"), "*-1\r\n");
    client.setup(&["WATCH s", "MULTI", "GET s"]);
    assert_eq!(client.run("EXEC"), "*1\r\n$3\r\nstr\r\n", "an untouched watch lets EXEC run");
}
