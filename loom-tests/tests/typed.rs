//! Loom models of the typed door ([`Slot::get_or_create`], [`Slot::get_mut_as`])
//! and of what a slot does when it closes (deleting a collection left empty,
//! bringing the shard's TTL count up to date), run with
//! `RUSTFLAGS="--cfg ferrum_loom" cargo test --profile loom -p loom-tests --test typed`.
//!
//! The models use their own small collection, [`Queue`] (a list by kind), through
//! the engine's public [`Collection`] and [`Typed`] traits, as a type family will.
//!
//! [`Slot::get_or_create`]: ferrum_kv::engine::Slot::get_or_create
//! [`Slot::get_mut_as`]: ferrum_kv::engine::Slot::get_mut_as
#![cfg(ferrum_loom)]

use std::sync::{Arc as StdArc, Mutex as StdMutex};

use ferrum_kv::engine::{Change, ChangeHook, Collection, Event, EventClass, Hooks, Keyspace, Kind, Typed};
use loom::sync::Arc;
use loom::thread;

/// Two shards, as in the engine models.
const SHARDS: usize = 2;

/// A far-away expiry (the models run at time 0).
const FAR: u64 = 1_000_000;

/// `RPUSH`'s keyspace event.
const RPUSH: Event = Event { name: "rpush", class: EventClass::List };
/// `RPOP`'s keyspace event.
const RPOP: Event = Event { name: "rpop", class: EventClass::List };

/// A list of items in push order: the smallest collection the typed door needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Queue {
    items: Vec<Vec<u8>>,
}

impl Collection for Queue {
    fn kind(&self) -> Kind {
        Kind::List
    }
    fn len(&self) -> usize {
        self.items.len()
    }
    fn encoding(&self) -> &'static str {
        "queue"
    }
    fn heap_bytes(&self) -> usize {
        self.items.iter().map(Vec::capacity).sum()
    }
    fn clone_collection(&self) -> std::sync::Arc<dyn Collection> {
        std::sync::Arc::new(self.clone())
    }
    fn rewrite(&self, key: &[u8], emit: &mut dyn FnMut(&[&[u8]])) {
        let mut command: Vec<&[u8]> = vec![b"RPUSH", key];
        command.extend(self.items.iter().map(Vec::as_slice));
        emit(&command);
    }
}

impl Typed for Queue {
    const KIND: Kind = Kind::List;
}

/// The names of the keyspace events of every change, in the order the hook got
/// them (std mutex: it is only taken inside a shard lock, never contended).
#[derive(Default)]
struct EventLog(StdMutex<Vec<&'static str>>);

impl ChangeHook for EventLog {
    fn on_change(&self, change: &Change<'_>) {
        self.0.lock().unwrap().extend(change.keys.iter().map(|k| k.event.name));
    }
}

impl EventLog {
    fn names(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

/// A database reporting to a fresh [`EventLog`].
fn logged_keyspace() -> (Arc<Keyspace>, StdArc<EventLog>) {
    let log = StdArc::new(EventLog::default());
    let hooks = Hooks::default();
    hooks.changes.add(log.clone());
    (Arc::new(Keyspace::with_hooks(SHARDS, 0, hooks)), log)
}

/// `RPUSH key item`: through `get_or_create`, so a missing key is created.
fn rpush(db: &Keyspace, key: &[u8], item: &[u8]) {
    db.write(key, 0, |slot| {
        slot.get_or_create::<Queue>().expect("a queue").items.push(item.to_vec());
        slot.record(RPUSH, &[b"RPUSH", key, item]);
    });
}

/// `RPOP key`: the last item, if any; the slot deletes a queue it leaves empty.
fn rpop(db: &Keyspace, key: &[u8]) -> Option<Vec<u8>> {
    db.write(key, 0, |slot| {
        let popped = slot.get_mut_as::<Queue>().expect("a queue")?.items.pop()?;
        slot.record(RPOP, &[b"RPOP", key]);
        Some(popped)
    })
}

/// The items of the queue at `key`, if there is one.
fn items(db: &Keyspace, key: &[u8]) -> Option<Vec<Vec<u8>>> {
    db.read_quiet(key, 0, |e| e.map(|e| e.get_as::<Queue>().expect("a queue").items.clone()))
}

#[test]
fn two_pushes_on_a_missing_key_create_it_once() {
    loom::model(|| {
        let (db, log) = logged_keyspace();
        let other = {
            let db = db.clone();
            thread::spawn(move || rpush(&db, b"q", b"x"))
        };
        rpush(&db, b"q", b"y");
        other.join().unwrap();
        let mut held = items(&db, b"q").expect("the queue exists");
        held.sort();
        assert_eq!(held, [b"x".to_vec(), b"y".to_vec()], "both pushes are in it");
        let events = log.names();
        assert_eq!(events.iter().filter(|e| **e == "new").count(), 1, "created once: {events:?}");
        assert_eq!(events, ["new", "rpush", "rpush"], "the creator's `new` comes first");
    });
}

#[test]
fn popping_the_last_item_racing_a_push_leaves_a_consistent_key() {
    loom::model(|| {
        let (db, log) = logged_keyspace();
        rpush(&db, b"q", b"x");
        db.write(b"q", 0, |slot| slot.get_mut().expect("the queue").set_expire_at_ms(Some(FAR)));
        log.0.lock().unwrap().clear();
        let pusher = {
            let db = db.clone();
            thread::spawn(move || rpush(&db, b"q", b"y"))
        };
        let popped = rpop(&db, b"q");
        pusher.join().unwrap();
        let outcome = (popped, items(&db, b"q"), db.expires_count(), log.names());
        // Either the pop came first (it emptied the queue, so its slot deleted the
        // key and its TTL; the push then created a new one), or the push did (the pop
        // took the pushed item; the key, with its TTL, was never gone).
        let pop_first =
            (Some(b"x".to_vec()), Some(vec![b"y".to_vec()]), 0, vec!["rpop", "del", "new", "rpush"]);
        let push_first = (Some(b"y".to_vec()), Some(vec![b"x".to_vec()]), 1, vec!["rpush", "rpop"]);
        assert!(outcome == pop_first || outcome == push_first, "an impossible outcome: {outcome:?}");
        assert_eq!(db.len(), 1);
    });
}

/// Keys of `db` that fall in one shard, and that shard (found by giving each a
/// TTL and seeing which shard's count moves, then removing it again).
fn keys_sharing_a_shard(db: &Keyspace, wanted: usize) -> (usize, Vec<Vec<u8>>) {
    let mut by_shard: Vec<Vec<Vec<u8>>> = vec![Vec::new(); db.shard_count()];
    for i in 0.. {
        let key = format!("k{i}").into_bytes();
        db.write(&key, 0, |slot| slot.set(b"v", Some(FAR)));
        let shard = (0..db.shard_count()).find(|&s| db.ttl_keys_in(s) == 1).expect("one shard counts it");
        db.write(&key, 0, |slot| slot.remove());
        by_shard[shard].push(key);
        if by_shard[shard].len() == wanted {
            return (shard, by_shard.swap_remove(shard));
        }
    }
    unreachable!()
}

#[test]
fn the_ttl_count_of_a_shard_stays_exact_under_concurrent_changes() {
    loom::model(|| {
        let db = Arc::new(Keyspace::with_shards(SHARDS));
        let (shard, keys) = keys_sharing_a_shard(&db, 3);
        assert_eq!(db.expires_count(), 0);
        let (a, b, c) = (keys[0].clone(), keys[1].clone(), keys[2].clone());
        // `a` with a TTL, `b` without, `c` a queue whose TTL passes at time 10.
        db.write(&a, 0, |slot| slot.set(b"v", Some(FAR)));
        db.write(&b, 0, |slot| slot.set(b"v", None));
        rpush(&db, &c, b"x");
        db.write(&c, 0, |slot| slot.get_mut().expect("the queue").set_expire_at_ms(Some(10)));
        assert_eq!(db.ttl_keys_in(shard), 2);
        let expirer = {
            let db = db.clone();
            thread::spawn(move || {
                db.write(&b, 0, |slot| slot.get_mut().expect("b").set_expire_at_ms(Some(FAR)))
            })
        };
        // PERSIST a, then a write at time 10 meets `c` expired and removes it.
        db.write(&a, 0, |slot| slot.get_mut().expect("a").set_expire_at_ms(None));
        db.write(&c, 10, |slot| assert!(slot.get().is_none(), "lazily expired"));
        expirer.join().unwrap();
        assert_eq!(db.ttl_keys_in(shard), 1, "only b has a TTL");
        assert_eq!(db.expires_count(), 1);
        assert_eq!(db.len(), 2);
    });
}
