//! `WATCH` support: which clients watch which keys, and marking them dirty when a key
//! changes. Every change reaches [`WatchRegistry::touch`] through the same hook that
//! feeds the AOF (`Keyspace::log`), so nothing that modifies a key can miss it; while
//! nobody watches anything, the check is one relaxed atomic load.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::sync::lock;

/// A watcher: the client's id and the flag its `EXEC` checks.
type Watcher = (u64, Arc<AtomicBool>);

/// A watched key: its database and its bytes.
pub type WatchedKey = (usize, Box<[u8]>);

/// Watched keys by database and key.
#[derive(Debug, Default)]
pub struct WatchRegistry {
    watched: AtomicUsize,
    keys: Mutex<HashMap<WatchedKey, Vec<Watcher>>>,
}

impl WatchRegistry {
    /// Starts watching `key` in database `db` for `client`, whose `flag` is set when
    /// the key changes.
    pub fn watch(&self, db: usize, key: &[u8], client: u64, flag: &Arc<AtomicBool>) {
        let mut keys = lock(&self.keys);
        let watchers = keys.entry((db, key.into())).or_default();
        if !watchers.iter().any(|(id, _)| *id == client) {
            watchers.push((client, flag.clone()));
            self.watched.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Stops `client` watching each of `keys`.
    pub fn unwatch(&self, client: u64, keys: &[WatchedKey]) {
        if keys.is_empty() {
            return;
        }
        let mut map = lock(&self.keys);
        for key in keys {
            if let Some(watchers) = map.get_mut(key) {
                let before = watchers.len();
                watchers.retain(|(id, _)| *id != client);
                self.watched.fetch_sub(before - watchers.len(), Ordering::SeqCst);
                if watchers.is_empty() {
                    map.remove(key);
                }
            }
        }
    }

    /// Marks the watchers of the keys a logged change touched. `args` is the change
    /// as it is logged (`SET k v`, `DEL a b`, `MSET k v k v`, `FLUSHDB`, `MOVE k db`…),
    /// made in database `db`.
    pub fn touch(&self, db: usize, args: &[&[u8]]) {
        if self.watched.load(Ordering::SeqCst) == 0 {
            return;
        }
        let Some(name) = args.first() else { return };
        let map = lock(&self.keys);
        let mark_key = |db: usize, key: &[u8]| {
            if let Some(watchers) = map.get(&(db, Box::<[u8]>::from(key))) {
                for (_, flag) in watchers {
                    flag.store(true, Ordering::SeqCst);
                }
            }
        };
        let mark_db = |target: Option<usize>| {
            for ((watched_db, _), watchers) in map.iter() {
                if target.is_none_or(|t| t == *watched_db) {
                    for (_, flag) in watchers {
                        flag.store(true, Ordering::SeqCst);
                    }
                }
            }
        };
        let number = |arg: Option<&&[u8]>| {
            arg.and_then(|a| std::str::from_utf8(a).ok()).and_then(|a| a.parse::<usize>().ok())
        };
        if name.eq_ignore_ascii_case(b"FLUSHDB") {
            mark_db(Some(db));
        } else if name.eq_ignore_ascii_case(b"FLUSHALL") {
            mark_db(None);
        } else if name.eq_ignore_ascii_case(b"SWAPDB") {
            mark_db(number(args.get(1)));
            mark_db(number(args.get(2)));
        } else if name.eq_ignore_ascii_case(b"MOVE") {
            if let (Some(key), Some(target)) = (args.get(1), number(args.get(2))) {
                mark_key(db, key);
                mark_key(target, key);
            }
        } else if name.eq_ignore_ascii_case(b"RENAME") || name.eq_ignore_ascii_case(b"RENAMENX") {
            args[1..].iter().take(2).for_each(|key| mark_key(db, key));
        } else if name.eq_ignore_ascii_case(b"COPY") {
            if let (Some(key), Some(target)) = (args.get(2), number(args.get(4))) {
                mark_key(target, key);
            }
        } else if name.eq_ignore_ascii_case(b"MSET") {
            args[1..].iter().step_by(2).for_each(|key| mark_key(db, key));
        } else if name.eq_ignore_ascii_case(b"DEL") {
            args[1..].iter().for_each(|key| mark_key(db, key));
        } else if let Some(key) = args.get(1) {
            mark_key(db, key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_a_watched_key_marks_only_its_watchers() {
        let registry = WatchRegistry::default();
        let (a, b) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        registry.watch(0, b"x", 1, &a);
        registry.watch(0, b"y", 2, &b);
        registry.touch(0, &[b"SET", b"x", b"1"]);
        assert!(a.load(Ordering::SeqCst) && !b.load(Ordering::SeqCst));
        registry.touch(1, &[b"SET", b"y", b"1"]);
        assert!(!b.load(Ordering::SeqCst), "another database");
        registry.touch(0, &[b"MSET", b"q", b"1", b"y", b"2"]);
        assert!(b.load(Ordering::SeqCst));
        registry.unwatch(1, &[(0, Box::from(&b"x"[..]))]);
        registry.unwatch(2, &[(0, Box::from(&b"y"[..]))]);
        assert_eq!(registry.watched.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn flushes_and_swaps_mark_whole_databases() {
        let registry = WatchRegistry::default();
        let flag = Arc::new(AtomicBool::new(false));
        registry.watch(3, b"k", 1, &flag);
        registry.touch(2, &[b"FLUSHDB"]);
        assert!(!flag.load(Ordering::SeqCst));
        registry.touch(0, &[b"SWAPDB", b"3", b"4"]);
        assert!(flag.load(Ordering::SeqCst));
    }
}
