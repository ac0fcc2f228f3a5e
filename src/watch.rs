//! `WATCH`: which clients watch which keys, marked dirty from the engine's change
//! records (it is a [`ChangeHook`]), so nothing that modifies a key can miss it and
//! nothing parses a logged command. While nobody watches anything, a change costs
//! one relaxed atomic load here.
//!
//! Redis 7.0's rules, which `unit/multi` checks:
//! - any change to a watched key marks its watchers, including its expiry and its
//!   eviction;
//! - a flush or a swap marks only the watchers of keys that existed (in either
//!   database, for a swap);
//! - a key that had already expired when it was watched is logically absent: its
//!   removal is no change (the watcher then simply watches an absent key);
//! - a watched key whose TTL passes while it is watched counts as changed at `EXEC`
//!   even if nothing removed it yet (checked by the transaction, see
//!   [`WatchRegistry::watched_live`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::{Change, ChangeHook, EventClass, Scope, DATABASES};
use crate::sync::lock;

/// One client watching one key.
#[derive(Debug)]
struct Watcher {
    client: u64,
    /// Set when the key changes; `EXEC` then fails.
    dirty: Arc<AtomicBool>,
    /// The key had already expired when `WATCH` was called.
    expired: bool,
}

/// A watched key: its database and its bytes.
pub type WatchedKey = (usize, Box<[u8]>);

/// The watchers of one database's keys.
type Watched = HashMap<Box<[u8]>, Vec<Watcher>>;

/// Watched keys by database and key.
#[derive(Debug)]
pub struct WatchRegistry {
    watched: AtomicUsize,
    /// One map per database, so a change finds its key by the bytes it has,
    /// without copying them.
    keys: Mutex<[Watched; DATABASES]>,
}

impl Default for WatchRegistry {
    fn default() -> Self {
        WatchRegistry {
            watched: AtomicUsize::new(0),
            keys: Mutex::new(std::array::from_fn(|_| HashMap::new())),
        }
    }
}

impl WatchRegistry {
    /// Starts watching `key` in database `db` for `client`, whose `dirty` flag is set
    /// when the key changes; `expired` says the key is stored but already expired.
    pub fn watch(&self, db: usize, key: &[u8], client: u64, dirty: &Arc<AtomicBool>, expired: bool) {
        let mut keys = lock(&self.keys);
        let Some(map) = keys.get_mut(db) else { return };
        let watchers = map.entry(key.into()).or_default();
        if !watchers.iter().any(|w| w.client == client) {
            watchers.push(Watcher { client, dirty: dirty.clone(), expired });
            self.watched.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Stops `client` watching each of `keys`.
    pub fn unwatch(&self, client: u64, keys: &[WatchedKey]) {
        if keys.is_empty() {
            return;
        }
        let mut maps = lock(&self.keys);
        for (db, key) in keys {
            let Some(map) = maps.get_mut(*db) else { continue };
            if let Some(watchers) = map.get_mut(key) {
                let before = watchers.len();
                watchers.retain(|w| w.client != client);
                self.watched.fetch_sub(before - watchers.len(), Ordering::SeqCst);
                if watchers.is_empty() {
                    map.remove(key);
                }
            }
        }
    }

    /// Of `keys` that `client` watches, those it watched while they were live (the
    /// ones whose expiry since then makes `EXEC` fail).
    pub fn watched_live(&self, client: u64, keys: &[WatchedKey]) -> Vec<WatchedKey> {
        let maps = lock(&self.keys);
        keys.iter()
            .filter(|(db, key)| {
                let watchers = maps.get(*db).and_then(|map| map.get(key));
                watchers.is_some_and(|ws| ws.iter().any(|w| w.client == client && !w.expired))
            })
            .cloned()
            .collect()
    }

    /// How many (client, key) watches there are.
    pub fn len(&self) -> usize {
        self.watched.load(Ordering::SeqCst)
    }

    /// Whether nobody watches anything.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ChangeHook for WatchRegistry {
    fn on_change(&self, change: &Change<'_>) {
        if self.watched.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut maps = lock(&self.keys);
        for happened in change.keys {
            let removal = matches!(happened.event.class, EventClass::Expired | EventClass::Evicted)
                || happened.event.name == "del";
            if let Some(watchers) = maps.get_mut(happened.db).and_then(|map| map.get_mut(happened.key)) {
                for watcher in watchers {
                    if watcher.expired && removal {
                        // An already expired key is gone: logically no change.
                        watcher.expired = false;
                    } else {
                        watcher.dirty.store(true, Ordering::SeqCst);
                    }
                }
            }
        }
        if let Scope::Databases { dbs, existed } = change.scope {
            let concerned = maps.iter_mut().enumerate().filter(|(db, _)| dbs.contains(db));
            for (db, map) in concerned {
                let changed = map.iter_mut().filter(|(key, _)| existed(db, key));
                for watcher in changed.flat_map(|(_, watchers)| watchers) {
                    if watcher.expired {
                        watcher.expired = false;
                    } else {
                        watcher.dirty.store(true, Ordering::SeqCst);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{events, KeyEvent};

    fn flag() -> Arc<AtomicBool> {
        Arc::new(AtomicBool::new(false))
    }

    fn change<'a>(db: usize, keys: &'a [KeyEvent<'a>]) -> Change<'a> {
        Change { db, effect: &[], keys, scope: Scope::Keys }
    }

    #[test]
    fn a_change_marks_only_the_watchers_of_its_keys() {
        let registry = WatchRegistry::default();
        let (a, b) = (flag(), flag());
        registry.watch(0, b"x", 1, &a, false);
        registry.watch(0, b"y", 2, &b, false);
        registry.on_change(&change(0, &[KeyEvent { db: 0, key: b"x", event: events::SET }]));
        assert!(a.load(Ordering::SeqCst) && !b.load(Ordering::SeqCst));
        registry.on_change(&change(1, &[KeyEvent { db: 1, key: b"y", event: events::SET }]));
        assert!(!b.load(Ordering::SeqCst), "another database");
        registry.on_change(&change(
            0,
            &[
                KeyEvent { db: 0, key: b"q", event: events::SET },
                KeyEvent { db: 0, key: b"y", event: events::SET },
            ],
        ));
        assert!(b.load(Ordering::SeqCst));
        registry.unwatch(1, &[(0, Box::from(&b"x"[..]))]);
        registry.unwatch(2, &[(0, Box::from(&b"y"[..]))]);
        assert!(registry.is_empty());
    }

    #[test]
    fn flushes_mark_only_watchers_of_keys_that_existed() {
        let registry = WatchRegistry::default();
        let (present, absent) = (flag(), flag());
        registry.watch(3, b"here", 1, &present, false);
        registry.watch(3, b"gone", 2, &absent, false);
        let existed = |_db: usize, key: &[u8]| key == b"here";
        let dbs = [3];
        let scope = Scope::Databases { dbs: &dbs, existed: &existed };
        registry.on_change(&Change { db: 3, effect: &[b"FLUSHDB"], keys: &[], scope });
        assert!(present.load(Ordering::SeqCst));
        assert!(!absent.load(Ordering::SeqCst), "FLUSHALL does not touch non affected keys");
    }

    #[test]
    fn removing_a_key_that_was_expired_when_watched_is_no_change() {
        let registry = WatchRegistry::default();
        let dirty = flag();
        registry.watch(0, b"k", 1, &dirty, true);
        let watched = [(0, Box::from(&b"k"[..]))];
        assert!(registry.watched_live(1, &watched).is_empty());
        registry.on_change(&change(0, &[KeyEvent { db: 0, key: b"k", event: events::EXPIRED }]));
        assert!(!dirty.load(Ordering::SeqCst));
        // From now on it is an ordinary watch of an absent key.
        registry.on_change(&change(0, &[KeyEvent { db: 0, key: b"k", event: events::NEW }]));
        assert!(dirty.load(Ordering::SeqCst));
    }

    #[test]
    fn the_expiry_of_a_live_watched_key_marks_it() {
        let registry = WatchRegistry::default();
        let dirty = flag();
        registry.watch(0, b"k", 1, &dirty, false);
        assert_eq!(registry.watched_live(1, &[(0, Box::from(&b"k"[..]))]).len(), 1);
        registry.on_change(&change(0, &[KeyEvent { db: 0, key: b"k", event: events::EXPIRED }]));
        assert!(dirty.load(Ordering::SeqCst));
    }
}
