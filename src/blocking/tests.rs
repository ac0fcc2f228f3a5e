use super::*;
use crate::engine::{events, Event, EventClass, KeyEvent};

fn waiter(client: u64, keys: &[&str]) -> Arc<Waiter> {
    Waiter::new(client, 0, keys.iter().map(|k| k.as_bytes().into()).collect(), Box::new(()))
}

fn change_of(key: &[u8], event: Event, f: impl FnOnce(&Change<'_>)) {
    let keys = [KeyEvent { db: 0, key, event }];
    f(&Change { db: 0, effect: &[], keys: &keys, scope: Scope::Keys });
}

/// Serves what is ready with `stock` elements available on every key: each
/// served waiter's reply is its client id.
fn serve_with_stock(blocked: &BlockedKeys, stock: &mut usize) -> Vec<u64> {
    let mut served = Vec::new();
    blocked.serve_ready(|w, _key| {
        if *stock == 0 {
            return Served::Exhausted;
        }
        *stock -= 1;
        served.push(w.client);
        Served::Reply(w.client.to_string().into_bytes())
    });
    served
}

#[test]
fn registration_counts_and_removal_leaves_nothing_behind() {
    let blocked = BlockedKeys::default();
    let a = waiter(1, &["k1", "k2", "k1"]);
    assert_eq!(a.keys.len(), 2, "duplicate keys are waited on once");
    blocked.register(&a);
    blocked.register(&a);
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked.keys(), 2);
    forget_ready();
    blocked.remove(&a);
    blocked.remove(&a);
    assert_eq!((blocked.len(), blocked.keys()), (0, 0));
}

#[test]
fn ready_keys_serve_waiters_first_come_first_served() {
    let blocked = BlockedKeys::default();
    let waiters: Vec<_> = (1..=4).map(|id| waiter(id, &["q"])).collect();
    for w in &waiters {
        blocked.register(w);
    }
    forget_ready();
    // Two elements arrive: the first two clients get them, in order.
    change_of(b"q", events::SET, |c| blocked.on_change(c));
    let mut stock = 2;
    assert_eq!(serve_with_stock(&blocked, &mut stock), vec![1, 2]);
    assert_eq!(waiters[0].take_reply(), Some(b"1".to_vec()));
    assert_eq!(waiters[1].take_reply(), Some(b"2".to_vec()));
    assert!(waiters[2].is_waiting() && waiters[3].is_waiting());
    assert_eq!(blocked.len(), 2);
}

#[test]
fn registering_offers_the_waiter_its_own_keys() {
    // An element that arrived before the waiter registered is found by the
    // serve that follows registration: no lost wake-up.
    let blocked = BlockedKeys::default();
    let w = waiter(7, &["a", "b"]);
    blocked.register(&w);
    let mut stock = 1;
    assert_eq!(serve_with_stock(&blocked, &mut stock), vec![7]);
    assert_eq!(blocked.len(), 0, "a served waiter leaves the registry");
    assert_eq!(w.take_reply(), Some(b"7".to_vec()));
}

#[test]
fn removals_wake_the_waiters_of_the_key_and_unwatched_keys_nothing() {
    // A removal is offered to the key's waiters (a consumer-group read answers that
    // its stream is gone; every other serve finds the key absent and keeps
    // waiting); a key nobody waits on marks nothing.
    let blocked = BlockedKeys::default();
    let w = waiter(1, &["k"]);
    blocked.register(&w);
    forget_ready();
    change_of(b"other", events::SET, |c| blocked.on_change(c));
    let mut calls = 0;
    blocked.serve_ready(|_, _| {
        calls += 1;
        Served::Exhausted
    });
    assert_eq!(calls, 0);
    for event in [events::DEL, events::EXPIRED, events::EVICTED, events::RENAME_FROM, events::MOVE_FROM] {
        change_of(b"k", event, |c| blocked.on_change(c));
        blocked.serve_ready(|_, _| {
            calls += 1;
            Served::Exhausted
        });
    }
    assert_eq!(calls, 5);
    change_of(b"k", Event { name: "lpush", class: EventClass::List }, |c| blocked.on_change(c));
    blocked.serve_ready(|_, _| {
        calls += 1;
        Served::Exhausted
    });
    assert_eq!(calls, 6);
    assert!(w.is_waiting(), "an exhausted key leaves its waiter waiting");
}

#[test]
fn a_skipped_waiter_does_not_stop_the_next_one() {
    let blocked = BlockedKeys::default();
    let skipped = waiter(1, &["k"]);
    let taker = waiter(2, &["k"]);
    blocked.register(&skipped);
    blocked.register(&taker);
    forget_ready();
    change_of(b"k", events::SET, |c| blocked.on_change(c));
    blocked.serve_ready(|w, _| if w.client == 1 { Served::Skip } else { Served::Reply(b"x".to_vec()) });
    assert!(skipped.is_waiting());
    assert_eq!(taker.take_reply(), Some(b"x".to_vec()));
}

#[test]
fn serving_one_key_can_make_another_ready_and_chains_settle() {
    // A waits on l1 (and moves into l2), B waits on l2: one push to l1 serves both.
    let blocked = BlockedKeys::default();
    let a = waiter(1, &["l1"]);
    let b = waiter(2, &["l2"]);
    blocked.register(&a);
    blocked.register(&b);
    forget_ready();
    change_of(b"l1", events::SET, |c| blocked.on_change(c));
    let mut order = Vec::new();
    blocked.serve_ready(|w, key| {
        order.push((w.client, key.to_vec()));
        if w.client == 1 {
            change_of(b"l2", events::SET, |c| blocked.on_change(c));
        }
        Served::Reply(Vec::new())
    });
    assert_eq!(order, vec![(1, b"l1".to_vec()), (2, b"l2".to_vec())]);
    assert!(blocked.is_empty());
}

#[test]
fn a_claimed_waiter_is_neither_served_twice_nor_ended_under_the_server() {
    let w = waiter(1, &["k"]);
    assert!(w.claim());
    assert!(!w.claim(), "claimed once");
    assert_eq!(w.finish(), Finish::Busy, "its connection must wait for the serve");
    w.complete(b"r".to_vec());
    assert_eq!(w.finish(), Finish::Served(b"r".to_vec()));
    assert!(!w.claim(), "a served waiter is over");
    let ended = waiter(2, &["k"]);
    assert_eq!(ended.finish(), Finish::Ended);
    assert!(!ended.claim(), "an ended waiter cannot be served");
}

#[test]
fn a_swap_marks_every_waited_key_of_the_databases() {
    let blocked = BlockedKeys::default();
    let w = waiter(1, &["x", "y"]);
    blocked.register(&w);
    forget_ready();
    let dbs = [0usize, 1];
    let existed = |_: usize, _: &[u8]| true;
    blocked.on_change(&Change {
        db: 0,
        effect: &[],
        keys: &[],
        scope: Scope::Databases { dbs: &dbs, existed: &existed },
    });
    let mut seen = Vec::new();
    blocked.serve_ready(|_, key| {
        seen.push(key.to_vec());
        Served::Exhausted
    });
    seen.sort();
    assert_eq!(seen, vec![b"x".to_vec(), b"y".to_vec()]);
}

#[test]
fn a_release_after_contention_offers_the_key_again() {
    // Thread A holds the waiter and finds nothing; thread B's push came after A's
    // look and B could not claim it: A's release must mark the key ready again.
    let blocked = BlockedKeys::default();
    let w = waiter(1, &["k"]);
    blocked.register(&w);
    forget_ready();
    assert!(w.claim());
    assert!(!w.claim(), "B cannot claim it, and says so");
    blocked.release(&w, 0, b"k");
    let mut stock = 1;
    assert_eq!(serve_with_stock(&blocked, &mut stock), vec![1], "A looks again and serves it");
    // Without contention a release marks nothing.
    let quiet = waiter(2, &["j"]);
    blocked.register(&quiet);
    forget_ready();
    assert!(quiet.claim());
    blocked.release(&quiet, 0, b"j");
    assert_eq!(serve_with_stock(&blocked, &mut 1), Vec::<u64>::new());
}
