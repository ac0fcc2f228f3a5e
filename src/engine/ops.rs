//! Read-modify-write operations whose atomicity the rest of the server relies on,
//! kept in the engine so the loom models in `loom-tests/` check exactly this code.

use super::Keyspace;
use crate::protocol::parser::parse_i64;

/// Why a counter could not be changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterError {
    /// The stored value is not a base-10 64-bit integer.
    NotInteger,
    /// The result would not fit in 64 bits.
    Overflow,
}

impl Keyspace {
    /// Adds `delta` to the integer at `key` (0 when missing), keeping its TTL, and
    /// logs `logged_as`; returns the new value. One shard lock covers the read, the
    /// write and the log record, so concurrent `INCR`s lose no update.
    pub fn incr_by(
        &self,
        key: &[u8],
        delta: i64,
        now_ms: u64,
        logged_as: &[&[u8]],
    ) -> Result<i64, CounterError> {
        self.write(key, now_ms, |slot| {
            let current = match slot.get() {
                Some(entry) => parse_i64(entry.value()).ok_or(CounterError::NotInteger)?,
                None => 0,
            };
            let next = current.checked_add(delta).ok_or(CounterError::Overflow)?;
            let mut text = itoa::Buffer::new();
            let text = text.format(next).as_bytes();
            match slot.get_mut() {
                Some(entry) => entry.set_value(text),
                None => slot.set(text, None),
            }
            slot.log(logged_as);
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
            slot.log(&[b"SET", key, value]);
            true
        })
    }

    /// Stores every `(key, value)` pair at once (`MSET`), clearing their TTLs, and
    /// logs `logged_as` as one record: no reader sees some pairs without the others.
    pub fn set_many(&self, pairs: &[(&[u8], &[u8])], now_ms: u64, logged_as: &[&[u8]]) {
        self.write_many(pairs.iter().map(|(k, _)| *k), now_ms, |view| {
            for (key, value) in pairs {
                view.with_slot(key, |slot| slot.set(value, None));
            }
            view.log(logged_as);
        });
    }

    /// Copies the values of `keys` from one consistent moment (`MGET`).
    pub fn get_many(&self, keys: &[&[u8]], now_ms: u64) -> Vec<Option<Box<[u8]>>> {
        self.read_many(keys.iter().copied(), now_ms, |view| {
            keys.iter().map(|key| view.get(key).map(|e| Box::from(e.value()))).collect()
        })
    }
}
