//! Loom models over FerrumKV's own engine code (`Keyspace` and its operations), run
//! with `RUSTFLAGS="--cfg ferrum_loom" cargo test --release -p loom-tests`.
//!
//! Under `ferrum_loom` the engine's shard locks and atomics come from loom (see
//! `src/sync.rs`), so loom explores every interleaving of the real read-modify-write
//! paths that `INCR`, `SETNX`, `MSET`/`MGET`, lazy expiry and the AOF hook use.
#![cfg(ferrum_loom)]

use std::sync::{Arc as StdArc, Mutex as StdMutex};

use ferrum_kv::engine::{Change, ChangeHook, Entry, Hooks, Keyspace};
use loom::sync::Arc;
use loom::thread;

/// Two shards, so multi-key operations really lock more than one.
const SHARDS: usize = 2;

fn value(db: &Keyspace, key: &[u8]) -> Option<Vec<u8>> {
    db.read(key, 0, |e| e.map(|e| e.string().expect("a string").to_vec()))
}

#[test]
fn concurrent_incr_loses_no_update() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let db = db.clone();
                thread::spawn(move || db.incr_by(b"counter", 1, 0, &[b"INCR", b"counter"]).unwrap())
            })
            .collect();
        let mut seen: Vec<i64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        seen.sort();
        assert_eq!(seen, vec![1, 2], "each INCR saw a distinct value");
        assert_eq!(value(&db, b"counter"), Some(b"2".to_vec()));
    });
}

#[test]
fn concurrent_incrby_on_existing_value_adds_up() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        db.write(b"n", 0, |slot| slot.set(b"10", None));
        let a = {
            let db = db.clone();
            thread::spawn(move || db.incr_by(b"n", 5, 0, &[]).unwrap())
        };
        db.incr_by(b"n", -3, 0, &[]).unwrap();
        a.join().unwrap();
        assert_eq!(value(&db, b"n"), Some(b"12".to_vec()));
    });
}

#[test]
fn concurrent_setnx_has_exactly_one_winner() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        let other = {
            let db = db.clone();
            thread::spawn(move || db.set_if_absent(b"lock", b"a", 0))
        };
        let mine = db.set_if_absent(b"lock", b"b", 0);
        let theirs = other.join().unwrap();
        assert!(mine ^ theirs, "exactly one SETNX wins");
        let expected: &[u8] = if mine { b"b" } else { b"a" };
        assert_eq!(value(&db, b"lock").as_deref(), Some(expected));
    });
}

#[test]
fn mget_never_sees_half_an_mset() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        // Keys chosen to fall in different shards where the hash allows.
        let keys: [&[u8]; 2] = [b"a", b"b"];
        db.set_many(&[(keys[0], b"0"), (keys[1], b"0")], 0, &[]);
        let writer = {
            let db = db.clone();
            thread::spawn(move || db.set_many(&[(b"a", b"1"), (b"b", b"1")], 0, &[]))
        };
        let seen = db.get_many(&keys, 0);
        writer.join().unwrap();
        assert_eq!(seen[0], seen[1], "MGET saw half of an MSET: {seen:?}");
    });
}

#[test]
fn lazy_expiry_racing_a_write_never_removes_the_fresh_value() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        // A key that expired at t=100.
        db.write(b"k", 0, |slot| slot.set(b"old", Some(100)));
        let writer = {
            let db = db.clone();
            thread::spawn(move || db.write(b"k", 200, |slot| slot.set(b"fresh", None)))
        };
        // A reader at t=200 opens the slot: lazy expiry removes the old value.
        db.write(b"k", 200, |slot| slot.get().map(|e| e.string().map(<[u8]>::to_vec)));
        writer.join().unwrap();
        assert_eq!(value(&db, b"k"), Some(b"fresh".to_vec()));
        assert!(db.read(b"k", 200, |e| e.is_some_and(|e| e.expire_at_ms().is_none())));
    });
}

#[test]
fn expiry_racing_persist_keeps_the_key() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        db.write(b"k", 0, |slot| slot.set(b"v", Some(100)));
        // PERSIST at t=50, before the expiry; a lazy-expiry check at t=150 races it.
        let persist = {
            let db = db.clone();
            thread::spawn(move || {
                db.write(b"k", 50, |slot| slot.get_mut().map(|e| e.set_expire_at_ms(None)).is_some())
            })
        };
        let checked = db.write(b"k", 150, |slot| slot.get().is_some());
        let persisted = persist.join().unwrap();
        if persisted && checked {
            // PERSIST won the race: the key must survive any later expiry check.
            assert!(db.read(b"k", 10_000, |e| e.is_some()));
        }
        // Either way the two never leave a key that is both persistent and gone.
        let present = db.read(b"k", 10_000, |e| e.is_some());
        assert_eq!(present, persisted, "PERSIST reported {persisted} but the key is present={present}");
    });
}

/// Records the effect of every change, in the order the AOF would receive them.
#[derive(Default)]
struct RecordingLog(StdMutex<Vec<Vec<Vec<u8>>>>);

impl ChangeHook for RecordingLog {
    fn on_change(&self, change: &Change<'_>) {
        if !change.effect.is_empty() {
            self.0.lock().unwrap().push(change.effect.iter().map(|a| a.to_vec()).collect());
        }
    }
}

#[test]
fn log_order_equals_apply_order_for_two_writers_on_one_key() {
    loom::model(|| {
        let log = StdArc::new(RecordingLog::default());
        let hooks = Hooks::default();
        hooks.changes.add(log.clone());
        let db = Arc::new(Keyspace::with_hooks(SHARDS, 0, hooks));
        let other = {
            let db = db.clone();
            thread::spawn(move || db.set_many(&[(b"k", b"A")], 0, &[b"SET", b"k", b"A"]))
        };
        db.set_many(&[(b"k", b"B")], 0, &[b"SET", b"k", b"B"]);
        other.join().unwrap();
        let records = log.0.lock().unwrap().clone();
        assert_eq!(records.len(), 2);
        let last_logged = records[1][2].clone();
        assert_eq!(value(&db, b"k"), Some(last_logged), "replaying the log gives the live value");
    });
}

#[test]
fn eviction_racing_a_write_never_removes_the_fresh_value() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        db.write(b"k", 0, |slot| slot.set(b"old", None));
        // The evictor sampled the key while it held the old value.
        let sampled = db.read_quiet(b"k", 0, |e| e.map(Entry::meta)).unwrap();
        let writer = {
            let db = db.clone();
            thread::spawn(move || db.write(b"k", 0, |slot| slot.set(b"fresh", None)))
        };
        db.evict(b"k", sampled, 0);
        writer.join().unwrap();
        assert_eq!(value(&db, b"k"), Some(b"fresh".to_vec()), "the fresh write was evicted");
    });
}

#[test]
fn eviction_racing_an_incr_never_loses_it() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        db.write(b"n", 0, |slot| slot.set(b"1", None));
        let sampled = db.read_quiet(b"n", 0, |e| e.map(Entry::meta)).unwrap();
        let incr = {
            let db = db.clone();
            thread::spawn(move || db.incr_by(b"n", 1, 0, &[]).unwrap())
        };
        let evicted = db.evict(b"n", sampled, 0);
        let after_incr = incr.join().unwrap();
        // Either the old value was evicted before the INCR (which then starts from 0),
        // or the INCR came first and the eviction let the changed key be.
        let expected: &[u8] = if evicted { b"1" } else { b"2" };
        assert_eq!(value(&db, b"n").as_deref(), Some(expected));
        assert_eq!(after_incr.to_string().as_bytes(), expected);
    });
}
