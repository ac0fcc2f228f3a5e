//! The engine's unit tests: the keyspace, the slot's typed door and its change
//! records, transfers, flushes and snapshots, proved with strings and with the
//! `Probe` test collection.

use std::sync::Mutex as StdMutex;

use super::value::probe::Probe;
use super::*;

fn string_of(db: &Keyspace, key: &[u8]) -> Option<Vec<u8>> {
    db.read(key, 0, |e| e.map(|e| e.string().expect("a string").to_vec()))
}

/// A change as a test compares it: db, effect, (db, key, event name) per key, and
/// the databases of a whole-database scope.
type Seen = (usize, Vec<Vec<u8>>, Vec<(usize, Vec<u8>, &'static str)>, Vec<usize>);

/// Remembers every change it is handed.
#[derive(Default)]
struct Recorder(StdMutex<Vec<Seen>>);

impl ChangeHook for Recorder {
    fn on_change(&self, change: &Change<'_>) {
        let effect = change.effect.iter().map(|a| a.to_vec()).collect();
        let keys = change.keys.iter().map(|k| (k.db, k.key.to_vec(), k.event.name)).collect();
        let dbs = match change.scope {
            Scope::Keys => Vec::new(),
            Scope::Databases { dbs, .. } => dbs.to_vec(),
        };
        self.0.lock().unwrap().push((change.db, effect, keys, dbs));
    }
}

impl Recorder {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

fn recorded_engine() -> (KvEngine, Arc<Recorder>) {
    let engine = KvEngine::new();
    let recorder = Arc::new(Recorder::default());
    engine.add_hook(recorder.clone());
    (engine, recorder)
}

fn args(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

fn key_events(events: &[(usize, &str, &'static str)]) -> Vec<(usize, Vec<u8>, &'static str)> {
    events.iter().map(|(db, key, event)| (*db, key.as_bytes().to_vec(), *event)).collect()
}

#[test]
fn write_then_read_round_trips_binary_keys() {
    let db = Keyspace::new();
    let key = b"k\0\r\n\xff";
    db.write(key, 0, |slot| slot.set(b"v\0", None));
    assert_eq!(string_of(&db, key), Some(b"v\0".to_vec()));
    assert_eq!(db.len(), 1);
}

#[test]
fn expired_entries_read_as_absent_and_are_removed_on_write() {
    let db = Keyspace::new();
    db.write(b"k", 0, |slot| slot.set(b"v", Some(100)));
    assert!(db.read(b"k", 99, |e| e.is_some()));
    assert!(db.read(b"k", 100, |e| e.is_none()));
    assert!(db.write(b"k", 100, |slot| slot.get().is_none()));
    assert_eq!((db.expired_keys(), db.len(), db.expires_count()), (1, 0, 0));
}

#[test]
fn write_many_sees_and_changes_all_keys() {
    let db = Keyspace::new();
    let keys: Vec<Vec<u8>> = (0..200).map(|i| format!("key:{i}").into_bytes()).collect();
    db.write_many(keys.iter().map(|k| k.as_slice()), 0, |view| {
        for k in &keys {
            view.with_slot(k, |s| s.set(k, None)).unwrap();
        }
    });
    db.read_many(keys.iter().map(|k| k.as_slice()), 0, |view| {
        for k in &keys {
            assert_eq!(view.get(k).map(|e| e.string().unwrap()), Some(k.as_slice()));
        }
    });
    assert_eq!(db.len(), 200);
    db.clear(&[], false);
    assert!(db.is_empty());
}

#[test]
fn swap_exchanges_databases() {
    let engine = KvEngine::new();
    engine.db(0).write(b"a", 0, |s| s.set(b"0", None));
    engine.swap(0, 1);
    assert!(engine.db(0).is_empty());
    assert_eq!(engine.db(1).len(), 1);
}

#[test]
fn a_slot_keeps_its_position_current_through_every_change() {
    let db = Keyspace::new();
    db.write(b"k", 0, |slot| {
        assert!(slot.get().is_none());
        slot.set(b"one", None);
        assert_eq!(slot.string(), Ok(Some(&b"one"[..])));
        slot.set(b"a longer value", Some(500));
        assert_eq!(
            slot.get().map(|e| (e.string().unwrap(), e.expire_at_ms())),
            Some((&b"a longer value"[..], Some(500)))
        );
        assert!(slot.remove().is_some());
        assert!(slot.get().is_none() && slot.remove().is_none());
        assert!(slot.put(Entry::new(b"k", b"two", None)).is_none());
        assert!(slot.put(Entry::new(b"k", b"three", None)).is_some());
        slot.get_mut().unwrap().set_value(b"four");
    });
    assert_eq!(string_of(&db, b"k"), Some(b"four".to_vec()));
    assert_eq!(db.len(), 1);
}

#[test]
fn a_table_slot_is_one_pointer() {
    assert_eq!(std::mem::size_of::<(Entry, dashmap::SharedValue<()>)>(), std::mem::size_of::<usize>());
}

#[test]
fn the_typed_door_answers_wrongtype_for_another_kind() {
    let db = Keyspace::new();
    db.write(b"s", 0, |slot| slot.set(b"text", None));
    db.write(b"p", 0, |slot| slot.get_or_create::<Probe>().unwrap().items.push(b"x".to_vec()));
    db.write(b"s", 0, |slot| {
        assert_eq!(slot.get_as::<Probe>(), Err(WrongType));
        assert_eq!(slot.get_mut_as::<Probe>().map(|p| p.is_some()), Err(WrongType));
        assert!(slot.get_or_create::<Probe>().is_err());
    });
    db.write(b"p", 0, |slot| {
        assert_eq!(slot.string(), Err(WrongType));
        assert_eq!(slot.get_as::<Probe>().unwrap().map(|p| p.items.len()), Some(1));
    });
    db.write(b"missing", 0, |slot| {
        assert_eq!(slot.get_as::<Probe>(), Ok(None));
        assert_eq!(slot.string(), Ok(None));
    });
    assert_eq!(db.kind_of(b"p", 0), Some(Kind::List));
    assert_eq!(db.kind_of(b"s", 0), Some(Kind::String));
    assert_eq!(db.kind_of(b"missing", 0), None);
    assert_eq!(db.incr_by(b"p", 1, 0, &[]), Err(CounterError::WrongType));
    assert_eq!(db.get_many(&[b"p", b"s"], 0), vec![None, Some(Box::from(&b"text"[..]))]);
}

#[test]
fn a_collection_left_empty_is_deleted_when_its_slot_closes() {
    let (engine, recorder) = recorded_engine();
    let db = engine.db(0);
    db.write(b"p", 0, |slot| {
        slot.get_or_create::<Probe>().unwrap().items.push(b"a".to_vec());
        slot.record(events::SET, &[b"RPUSH", b"p", b"a"]);
    });
    assert_eq!(db.len(), 1);
    db.write(b"p", 0, |slot| {
        slot.get_mut_as::<Probe>().unwrap().unwrap().items.clear();
        slot.record(events::DEL, &[b"LPOP", b"p"]);
    });
    assert_eq!(db.len(), 0, "the emptied collection is gone");
    // Created but never filled: gone too, and only `new` and `del` were notified.
    db.write(b"q", 0, |slot| {
        slot.get_or_create::<Probe>().unwrap();
    });
    assert_eq!(db.len(), 0);
    let seen = recorder.take();
    let events: Vec<_> = seen.iter().map(|(_, effect, keys, _)| (effect.len(), keys[0].2)).collect();
    // `new` travels with the first record; a key created and emptied by one slot
    // was never seen.
    assert_eq!(events, [(3, "new"), (2, "del"), (0, "del")]);
}

#[test]
fn ttl_counts_follow_every_path() {
    let engine = KvEngine::new();
    let db = engine.db(0);
    db.write(b"a", 0, |slot| slot.set(b"v", Some(1_000)));
    db.write(b"b", 0, |slot| slot.set(b"v", None));
    assert_eq!(db.expires_count(), 1);
    db.write(b"b", 0, |slot| slot.get_mut().unwrap().set_expire_at_ms(Some(2_000)));
    assert_eq!(db.expires_count(), 2);
    db.write(b"a", 0, |slot| slot.get_mut().unwrap().set_expire_at_ms(None));
    assert_eq!(db.expires_count(), 1);
    db.write(b"b", 0, |slot| slot.set(b"w", None));
    assert_eq!(db.expires_count(), 0, "a plain SET clears the TTL");
    db.write(b"c", 0, |slot| slot.set(b"v", Some(5)));
    assert!(db.read(b"c", 10, |e| e.is_none()));
    assert_eq!(db.expires_count(), 0, "lazy expiry");
    db.write(b"d", 0, |slot| slot.set(b"v", Some(5_000)));
    let plan = Transfer {
        from: 0,
        source: b"d",
        to: 1,
        target: b"d",
        keep_source: false,
        replace: false,
        events: (Some(events::MOVE_FROM), events::MOVE_TO),
    };
    assert_eq!(engine.transfer(plan, 0, &[]), Transferred::Done);
    assert_eq!((db.expires_count(), engine.db(1).expires_count()), (0, 1));
    engine.flush_all(false);
    assert_eq!(engine.db(1).expires_count(), 0);
}

#[test]
fn writes_report_their_records_with_keys_and_events() {
    let (engine, recorder) = recorded_engine();
    let db = engine.db(2);
    db.set_many(&[(b"x", b"1"), (b"y", b"2")], 0, &[b"MSET", b"x", b"1", b"y", b"2"]);
    db.incr_by(b"x", 5, 0, &[b"INCRBY", b"x", b"5"]).unwrap();
    db.write(b"t", 0, |slot| slot.set(b"v", Some(10)));
    db.read(b"t", 20, |_| ());
    let seen = recorder.take();
    assert_eq!(
        seen,
        vec![
            (
                2,
                args(&["MSET", "x", "1", "y", "2"]),
                key_events(&[(2, "x", "new"), (2, "x", "set"), (2, "y", "new"), (2, "y", "set")]),
                vec![],
            ),
            (2, args(&["INCRBY", "x", "5"]), key_events(&[(2, "x", "incrby")]), vec![]),
            (2, vec![], key_events(&[(2, "t", "new")]), vec![]),
            (2, args(&["DEL", "t"]), key_events(&[(2, "t", "expired")]), vec![]),
        ]
    );
}

#[test]
fn transfers_move_copy_and_rename_collections_and_record_both_keys() {
    let (engine, recorder) = recorded_engine();
    engine.db(0).write(b"src", 0, |slot| {
        slot.get_or_create::<Probe>().unwrap().items.push(b"m".to_vec());
        slot.get_mut().unwrap().set_expire_at_ms(Some(9_000));
    });
    recorder.take();
    let copy = Transfer {
        from: 0,
        source: b"src",
        to: 3,
        target: b"dst",
        keep_source: true,
        replace: false,
        events: (None, events::COPY_TO),
    };
    assert_eq!(engine.transfer(copy, 0, &[b"COPY", b"src", b"dst", b"DB", b"3"]), Transferred::Done);
    assert_eq!(engine.transfer(copy, 0, &[]), Transferred::TargetExists);
    engine
        .db(3)
        .write(b"dst", 0, |slot| slot.get_mut_as::<Probe>().unwrap().unwrap().items.push(b"n".to_vec()));
    engine.db(0).read(b"src", 0, |e| assert_eq!(e.unwrap().get_as::<Probe>().unwrap().items.len(), 1));
    let rename = Transfer {
        from: 0,
        source: b"src",
        to: 0,
        target: b"new",
        keep_source: false,
        replace: true,
        events: (Some(events::RENAME_FROM), events::RENAME_TO),
    };
    assert_eq!(engine.transfer(rename, 0, &[b"RENAME", b"src", b"new"]), Transferred::Done);
    engine.db(0).read(b"new", 0, |e| {
        let e = e.unwrap();
        assert_eq!(
            (e.kind(), e.expire_at_ms(), e.get_as::<Probe>().unwrap().items.len()),
            (Kind::List, Some(9_000), 1)
        );
    });
    assert!(engine.db(0).read(b"src", 0, |e| e.is_none()));
    let missing = Transfer { source: b"nothing", ..rename };
    assert_eq!(engine.transfer(missing, 0, &[]), Transferred::NoSource);
    let changes: Vec<_> = recorder
        .take()
        .into_iter()
        .filter(|(_, effect, _, _)| !effect.is_empty())
        .map(|(_, _, k, _)| k)
        .collect();
    assert_eq!(
        changes,
        vec![
            key_events(&[(3, "dst", "copy_to")]),
            key_events(&[(0, "src", "rename_from"), (0, "new", "rename_to")])
        ]
    );
}

#[test]
fn flushes_and_swaps_say_which_keys_existed() {
    struct Existence(StdMutex<Vec<(Vec<usize>, bool, bool)>>);
    impl ChangeHook for Existence {
        fn on_change(&self, change: &Change<'_>) {
            if let Scope::Databases { dbs, existed } = change.scope {
                let first = dbs[0];
                self.0.lock().unwrap().push((dbs.to_vec(), existed(first, b"here"), existed(first, b"gone")));
            }
        }
    }
    let engine = KvEngine::new();
    let hook = Arc::new(Existence(StdMutex::default()));
    engine.add_hook(hook.clone());
    engine.db(4).write(b"here", 0, |slot| slot.set(b"v", None));
    engine.swap(5, 4);
    engine.db(5).clear(&[b"FLUSHDB"], false);
    engine.db(6).write(b"here", 0, |slot| slot.set(b"v", None));
    engine.flush_all(false);
    let seen = std::mem::take(&mut *hook.0.lock().unwrap());
    assert_eq!(seen[0], (vec![5, 4], true, false), "a swap: present in either database");
    assert_eq!(seen[1], (vec![5], true, false));
    assert_eq!(seen[2].0.len(), DATABASES);
    assert!(engine.db(6).is_empty());
}

#[test]
fn snapshots_share_collections_and_keep_expiries() {
    let engine = KvEngine::new();
    engine.db(1).write(b"p", 0, |slot| slot.get_or_create::<Probe>().unwrap().items.push(b"a".to_vec()));
    engine.db(1).write(b"s", 0, |slot| slot.set(b"v", Some(50_000)));
    engine.db(1).write(b"gone", 0, |slot| slot.set(b"v", Some(5)));
    let mut cut = false;
    let mut snapshot = engine.snapshot(10, || cut = true);
    assert!(cut);
    snapshot.sort_by(|a, b| a.1.key().cmp(b.1.key()));
    let keys: Vec<_> =
        snapshot.iter().map(|(db, e)| (*db, e.key().to_vec(), e.kind(), e.expire_at_ms())).collect();
    assert_eq!(
        keys,
        vec![(1, b"p".to_vec(), Kind::List, None), (1, b"s".to_vec(), Kind::String, Some(50_000))]
    );
    // A write after the snapshot does not reach it (copy-on-write).
    engine
        .db(1)
        .write(b"p", 0, |slot| slot.get_mut_as::<Probe>().unwrap().unwrap().items.push(b"b".to_vec()));
    assert_eq!(snapshot[0].1.get_as::<Probe>().unwrap().items.len(), 1);
}

#[test]
fn groups_reach_hooks_once_for_the_outermost() {
    #[derive(Default)]
    struct Groups(StdMutex<Vec<&'static str>>);
    impl ChangeHook for Groups {
        fn on_change(&self, _: &Change<'_>) {
            self.0.lock().unwrap().push("change");
        }
        fn begin_group(&self) {
            self.0.lock().unwrap().push("begin");
        }
        fn end_group(&self) {
            self.0.lock().unwrap().push("end");
        }
    }
    let engine = KvEngine::new();
    let hook = Arc::new(Groups::default());
    engine.add_hook(hook.clone());
    engine.group(|| {
        engine.group(|| engine.db(0).write(b"k", 0, |slot| slot.record(events::SET, &[b"SET"])));
    });
    assert_eq!(*hook.0.lock().unwrap(), ["begin", "change", "end"]);
}
