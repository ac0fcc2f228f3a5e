//! Keyspace notifications (`notify-keyspace-events`): a [`ChangeHook`] that
//! publishes every key event of every change record, as Redis's
//! `notifyKeyspaceEvent` does — on `__keyspace@<db>__:<key>` with the event's name
//! (flag `K`) and on `__keyevent@<db>__:<event>` with the key (flag `E`), for the
//! classes enabled (`g $ l s h z t x e n`, `A` for all but `n` and `m`). Key
//! misses (`m`) are not changes: the command layer reports them through
//! [`KeyspaceNotifier::key_missed`] where it counts a read's miss.
//!
//! The event names and classes come from the change record, so each family names
//! its own events beside its commands; `new` (created keys), `expired` (lazy or
//! active) and `evicted` are the engine's. While notifications are off a change
//! costs one relaxed load here.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::config::KeyspaceEvents;
use crate::engine::{Change, ChangeHook, EventClass};

use super::PubSub;

/// The keyspace-notification hook.
pub struct KeyspaceNotifier {
    pubsub: Arc<PubSub>,
    /// The `notify-keyspace-events` bits (0: off).
    flags: AtomicU32,
}

impl KeyspaceNotifier {
    /// A notifier publishing through `pubsub`, off until [`KeyspaceNotifier::set`].
    pub fn new(pubsub: Arc<PubSub>) -> Self {
        KeyspaceNotifier { pubsub, flags: AtomicU32::new(0) }
    }

    /// Follows `notify-keyspace-events` (at start and after `CONFIG SET`).
    pub fn set(&self, events: KeyspaceEvents) {
        // Without K or E nothing is published, whatever the classes.
        let channels = KeyspaceEvents::KEYSPACE | KeyspaceEvents::KEYEVENT;
        let flags = if events.0 & channels == 0 { 0 } else { events.0 };
        self.flags.store(flags, Ordering::Relaxed);
    }

    /// Whether notifications are on.
    pub fn is_on(&self) -> bool {
        self.flags.load(Ordering::Relaxed) != 0
    }

    /// A read found no `key` in database `db`: the `keymiss` event (class `m`,
    /// which `A` leaves out), as Redis's `lookupKey` publishes it. One relaxed
    /// load while `m` is off.
    pub fn key_missed(&self, db: usize, key: &[u8]) {
        let flags = self.flags.load(Ordering::Relaxed);
        if flags & KeyspaceEvents::KEY_MISS != 0 {
            self.publish(flags, db, key, b"keymiss");
        }
    }

    /// Publishes one key event on the channels `flags` enables.
    fn publish(&self, flags: u32, db: usize, key: &[u8], name: &[u8]) {
        let db = itoa::Buffer::new().format(db).to_owned();
        let mut channel = Vec::with_capacity(16 + key.len().max(name.len()));
        if flags & KeyspaceEvents::KEYSPACE != 0 {
            channel.extend_from_slice(b"__keyspace@");
            channel.extend_from_slice(db.as_bytes());
            channel.extend_from_slice(b"__:");
            channel.extend_from_slice(key);
            self.pubsub.publish(&channel, name);
        }
        if flags & KeyspaceEvents::KEYEVENT != 0 {
            channel.clear();
            channel.extend_from_slice(b"__keyevent@");
            channel.extend_from_slice(db.as_bytes());
            channel.extend_from_slice(b"__:");
            channel.extend_from_slice(name);
            self.pubsub.publish(&channel, key);
        }
    }
}

/// The `notify-keyspace-events` bit of an event class (0 for a silent one).
fn class_bit(class: EventClass) -> u32 {
    match class {
        EventClass::Generic => KeyspaceEvents::GENERIC,
        EventClass::String => KeyspaceEvents::STRING,
        EventClass::List => KeyspaceEvents::LIST,
        EventClass::Set => KeyspaceEvents::SET,
        EventClass::Hash => KeyspaceEvents::HASH,
        EventClass::ZSet => KeyspaceEvents::ZSET,
        EventClass::Stream => KeyspaceEvents::STREAM,
        EventClass::Expired => KeyspaceEvents::EXPIRED,
        EventClass::Evicted => KeyspaceEvents::EVICTED,
        EventClass::New => KeyspaceEvents::NEW,
        EventClass::Silent => 0,
    }
}

impl ChangeHook for KeyspaceNotifier {
    fn on_change(&self, change: &Change<'_>) {
        let flags = self.flags.load(Ordering::Relaxed);
        if flags == 0 {
            return;
        }
        for happened in change.keys {
            if flags & class_bit(happened.event.class) != 0 {
                self.publish(flags, happened.db, happened.key, happened.event.name.as_bytes());
            }
        }
    }
}
