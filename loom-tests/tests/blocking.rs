//! Loom models of the blocking room (`ferrum_kv::blocking`), run with
//! `RUSTFLAGS="--cfg ferrum_loom" cargo test --profile loom -p loom-tests`.
//!
//! The registry, its waiters' phases and its thread-local ready keys are the
//! server's own code; the keyspace is the engine's, whose shard locks and change
//! hooks are loom's under `ferrum_loom`. A "push" is a `SET` of a key through a slot
//! (its change record reaches the registry's hook under the shard lock, as an
//! `LPUSH`'s does), and serving takes the key away, as a pop does. What is checked:
//! - a push racing a client's registration never loses the wake-up, and the
//!   element goes to the waiter exactly once;
//! - a wait ending (timeout, `CLIENT UNBLOCK`) while a serving thread serves it
//!   either ends before the serve (the element stays) or yields the served reply
//!   (the element is gone): never both, never neither.
#![cfg(ferrum_loom)]

use std::sync::Arc as StdArc;

use ferrum_kv::blocking::{BlockedKeys, Finish, Served, Waiter};
use ferrum_kv::engine::{events, Hooks, Keyspace};
use loom::sync::Arc;
use loom::thread;

/// Two shards, as the engine models use.
const SHARDS: usize = 2;

/// A keyspace whose change records reach `blocked`.
fn keyspace(blocked: &StdArc<BlockedKeys>) -> Arc<Keyspace> {
    let hooks = Hooks::default();
    hooks.changes.add(blocked.clone());
    Arc::new(Keyspace::with_hooks(SHARDS, 0, hooks))
}

/// Pushes `value` to `key` as a write command would, then serves what it made
/// ready, as the connection does after the command.
fn push(db: &Keyspace, blocked: &BlockedKeys, key: &[u8], value: &[u8]) {
    db.write(key, 0, |slot| {
        slot.set(value, None);
        slot.record(events::SET, &[b"SET", key, value]);
    });
    serve(db, blocked);
}

/// Serves ready keys by taking the key's value away (a pop).
fn serve(db: &Keyspace, blocked: &BlockedKeys) {
    blocked.serve_ready(|_waiter, key| {
        db.write(key, 0, |slot| match slot.get().map(|e| e.string().expect("a string").to_vec()) {
            Some(value) => {
                slot.remove();
                slot.record(events::DEL, &[b"DEL", key]);
                Served::Reply(value)
            }
            None => Served::Exhausted,
        })
    });
}

fn stored(db: &Keyspace, key: &[u8]) -> bool {
    db.read(key, 0, |e| e.is_some())
}

#[test]
fn a_push_racing_a_registration_serves_the_waiter_exactly_once() {
    loom::model(|| {
        let blocked = StdArc::new(BlockedKeys::default());
        let db = keyspace(&blocked);
        let producer = {
            let (db, blocked) = (db.clone(), blocked.clone());
            thread::spawn(move || push(&db, &blocked, b"q", b"job"))
        };
        // The client's own look found nothing: it registers, then serves what its
        // registration marked ready (its own keys), as the connection does.
        let waiter = Waiter::new(1, 0, vec![b"q".as_slice().into()], Box::new(()));
        blocked.register(&waiter);
        serve(&db, &blocked);
        producer.join().unwrap();
        assert_eq!(waiter.take_reply(), Some(b"job".to_vec()), "the waiter got the element");
        assert!(!stored(&db, b"q"), "and it was taken once");
        assert!(blocked.is_empty(), "a served waiter leaves the registry");
    });
}

#[test]
fn a_wait_ending_while_being_served_ends_or_is_served_never_both() {
    loom::model(|| {
        let blocked = StdArc::new(BlockedKeys::default());
        let db = keyspace(&blocked);
        let waiter = Waiter::new(1, 0, vec![b"q".as_slice().into()], Box::new(()));
        blocked.register(&waiter);
        let producer = {
            let (db, blocked) = (db.clone(), blocked.clone());
            thread::spawn(move || push(&db, &blocked, b"q", b"job"))
        };
        // The connection's deadline passes: it ends its wait.
        let outcome = loop {
            match waiter.finish() {
                Finish::Busy => thread::yield_now(),
                other => break other,
            }
        };
        blocked.remove(&waiter);
        producer.join().unwrap();
        match outcome {
            Finish::Ended => assert!(stored(&db, b"q"), "an ended waiter took nothing"),
            Finish::Served(reply) => {
                assert_eq!(reply, b"job".to_vec());
                assert!(!stored(&db, b"q"));
            }
            Finish::Busy => unreachable!(),
        }
        assert!(blocked.is_empty());
        assert_eq!(blocked.keys(), 0, "nothing left behind in the registry");
    });
}
