//! Read-modify-write operations whose atomicity the rest of the server relies on,
//! kept in the engine so the loom models in `loom-tests/` check exactly this code.

use super::change::{events, KeyEvent};
use super::keyspace::WriteView;
use super::{Keyspace, WrongType};
use crate::number::parse_i64;

/// Why a counter could not be changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterError {
    /// The key holds a collection.
    WrongType,
    /// The stored value is not a base-10 64-bit integer.
    NotInteger,
    /// The result would not fit in 64 bits.
    Overflow,
}

impl From<WrongType> for CounterError {
    fn from(_: WrongType) -> Self {
        CounterError::WrongType
    }
}

impl Keyspace {
    /// Adds `delta` to the integer at `key` (0 when missing), keeping its TTL, and
    /// records `effect` (notified as `incrby`); returns the new value. One shard lock
    /// covers the read, the write and the record, so concurrent `INCR`s lose no
    /// update.
    pub fn incr_by(
        &self,
        key: &[u8],
        delta: i64,
        now_ms: u64,
        effect: &[&[u8]],
    ) -> Result<i64, CounterError> {
        self.write(key, now_ms, |slot| {
            let current = match slot.string()? {
                Some(value) => parse_i64(value).ok_or(CounterError::NotInteger)?,
                None => 0,
            };
            let next = current.checked_add(delta).ok_or(CounterError::Overflow)?;
            let mut text = itoa::Buffer::new();
            let text = text.format(next).as_bytes();
            match slot.get_mut() {
                Some(entry) => entry.set_value(text),
                None => slot.set(text, None),
            }
            slot.record(events::INCRBY, effect);
            Ok(next)
        })
    }

    /// Stores `value` at `key` unless the key exists (`SETNX`); true if it was set.
    pub fn set_if_absent(&self, key: &[u8], value: &[u8], now_ms: u64) -> bool {
        self.write(key, now_ms, |slot| {
            if slot.get().is_some() {
                return false;
            }
            slot.set(value, None);
            slot.record(events::SET, &[b"SET", key, value]);
            true
        })
    }

    /// Stores every `(key, value)` pair at once (`MSET`), clearing their TTLs, and
    /// records `effect` as one change: no reader sees some pairs without the others.
    pub fn set_many(&self, pairs: &[(&[u8], &[u8])], now_ms: u64, effect: &[&[u8]]) {
        self.write_many(pairs.iter().map(|(k, _)| *k), now_ms, |view| store_pairs(view, pairs, effect));
    }

    /// Stores every pair as [`Keyspace::set_many`] does, but only if none of the keys
    /// exists (`MSETNX`); true if it did.
    pub fn set_many_if_absent(&self, pairs: &[(&[u8], &[u8])], now_ms: u64, effect: &[&[u8]]) -> bool {
        self.write_many(pairs.iter().map(|(k, _)| *k), now_ms, |view| {
            let any_exists = pairs
                .iter()
                .any(|(key, _)| view.with_slot(key, |slot| slot.get().is_some()).unwrap_or(false));
            if !any_exists {
                store_pairs(view, pairs, effect);
            }
            !any_exists
        })
    }

    /// Copies the string values of `keys` from one consistent moment (`MGET`): a
    /// missing key or one holding a collection reads as `None`.
    pub fn get_many(&self, keys: &[&[u8]], now_ms: u64) -> Vec<Option<Box<[u8]>>> {
        self.read_many(keys.iter().copied(), now_ms, |view| {
            keys.iter().map(|key| view.get(key).and_then(|e| e.string().ok()).map(Box::from)).collect()
        })
    }
}

/// Stores every pair in `view` (whose shards hold all the keys), clearing their
/// TTLs, and records `effect` as one change, its keys in the order Redis notifies
/// them: `new a`, `set a`, `new b` …
fn store_pairs(view: &mut WriteView<'_>, pairs: &[(&[u8], &[u8])], effect: &[&[u8]]) {
    let db = view.db();
    let mut happened = Vec::with_capacity(pairs.len() * 2);
    for &(key, value) in pairs {
        let created = view.with_slot(key, |slot| {
            slot.set(value, None);
            slot.take_new()
        });
        if created == Some(true) {
            happened.push(KeyEvent { db, key, event: events::NEW });
        }
        happened.push(KeyEvent { db, key, event: events::SET });
    }
    view.record_events(effect, &happened);
}
