//! The push room: everything the server sends a client without being asked.
//!
//! - [`PubSub`]: who listens on which channel, pattern and shard channel, and
//!   `PUBLISH`/`SPUBLISH`, which encode a message once per protocol and append it to
//!   each receiver's [`Outbox`]. Channels are kept in lock stripes chosen by the
//!   channel's hash, so publishers on different channels do not serialise on one
//!   lock; patterns are one read-mostly list, skipped with one relaxed load while
//!   there are none.
//! - [`notify`]: keyspace notifications, a change hook publishing on
//!   `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`.
//! - [`monitor`]: `MONITOR`'s clients and the line each command becomes.
//! - [`tracking`]: client-side caching — which client read which key, the `BCAST`
//!   prefixes, and the invalidations sent from the change records.
//!
//! A pusher never waits on a receiver: an outbox over its output-buffer limit is
//! emptied and its connection closed (see [`outbox`]).

pub mod monitor;
pub mod notify;
pub mod outbox;
pub mod tracking;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use arc_swap::ArcSwap;
use bytes::Bytes;

pub use outbox::{Outbox, OutputLimit, Pushed};

use crate::clients::ClientInfo;
use crate::config::Config;
use crate::glob::glob_match;
use crate::sync::lock;

/// How many lock stripes the channel maps have.
const STRIPES: usize = 64;

/// The clients subscribed to one channel or pattern, in subscription order.
type Subscribers = Vec<Arc<ClientInfo>>;

/// Encodes an array (RESP2) or a push (RESP3) of bulk strings.
pub fn frame(resp3: bool, parts: &[&[u8]]) -> Bytes {
    let mut out = Vec::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
    header(&mut out, if resp3 { b'>' } else { b'*' }, parts.len());
    for part in parts {
        bulk(&mut out, part);
    }
    Bytes::from(out)
}

/// Appends a RESP header (`*3\r\n`).
pub(crate) fn header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a bulk string.
pub(crate) fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    header(out, b'$', bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// One message's frames, encoded on first need for each protocol.
struct Frames<F: Fn(bool) -> Bytes> {
    encode: F,
    encoded: [Option<Bytes>; 2],
}

impl<F: Fn(bool) -> Bytes> Frames<F> {
    fn new(encode: F) -> Self {
        Frames { encode, encoded: [None, None] }
    }

    fn for_client(&mut self, client: &ClientInfo) -> Bytes {
        let resp3 = client.resp.load(Ordering::Relaxed) == 3;
        self.encoded[resp3 as usize].get_or_insert_with(|| (self.encode)(resp3)).clone()
    }
}

crate::sync::thread_local! {
    /// Whether this thread is inside [`coalesce_wakes`].
    #[allow(clippy::missing_const_for_thread_local)]
    static COALESCING: std::cell::Cell<bool> = std::cell::Cell::new(false);
    /// The receivers the batch's pushes owe a wake-up, woken once when it ends.
    /// (Not `const` initialisers: loom's `thread_local!` takes none.)
    #[allow(clippy::missing_const_for_thread_local)]
    static OWED: std::cell::RefCell<Vec<Arc<ClientInfo>>> = std::cell::RefCell::new(Vec::new());
}

/// Runs `batch` (a connection's run of pipelined commands) with the wake-ups of
/// the receivers it pushes to held back until it ends, then sends each once: a
/// hundred pipelined `PUBLISH`es to a subscriber on another I/O thread cost one
/// cross-thread wake-up instead of up to a hundred (Redis, one event loop, writes
/// its clients' buffers once per loop the same way). Pushes from any other code
/// (the cron's expiries, a blocked client's wait) wake at once. `batch` must not
/// await: the list belongs to the thread.
pub fn coalesce_wakes<R>(batch: impl FnOnce() -> R) -> R {
    /// Ends the scope and wakes what is owed, even if `batch` panics.
    struct Flush;
    impl Drop for Flush {
        fn drop(&mut self) {
            COALESCING.with(|on| on.set(false));
            // Most batches push nothing: one borrow, no list moved.
            if OWED.with(|owed| owed.borrow().is_empty()) {
                return;
            }
            let mut owed = OWED.with(|owed| std::mem::take(&mut *owed.borrow_mut()));
            for client in owed.drain(..) {
                client.push.wake();
            }
            // Keep the list's allocation for the thread's next batch.
            OWED.with(|slot| *slot.borrow_mut() = owed);
        }
    }
    if COALESCING.with(|on| on.replace(true)) {
        return batch();
    }
    let _flush = Flush;
    batch()
}

/// Appends `frame` to `client`'s outbox under `limit`; a client that passes its
/// limit is closed (its outbox freed), as Redis closes a client over its
/// `client-output-buffer-limit`. False if the frame was not queued. Inside
/// [`coalesce_wakes`] the receiver's wake-up waits for the batch's end.
pub fn deliver(client: &Arc<ClientInfo>, frame: Bytes, limit: OutputLimit) -> bool {
    let (pushed, wake) = client.push.push_unwoken(frame, limit);
    if wake {
        if pushed == Pushed::Queued && COALESCING.with(std::cell::Cell::get) {
            if client.push.owe_wake() {
                OWED.with(|owed| owed.borrow_mut().push(client.clone()));
            }
        } else {
            client.push.wake();
        }
    }
    match pushed {
        Pushed::Queued => true,
        Pushed::Overflowed => {
            log::warn!(
                "Client id={} addr={} closed for overcoming of output buffer limits.",
                client.id,
                client.addr
            );
            client.killed.notify_one();
            false
        }
        Pushed::Dropped => false,
    }
}

/// The output limits pushes are checked against, from `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushLimits {
    /// The `normal` class (monitors, tracking clients that subscribe to nothing).
    pub normal: OutputLimit,
    /// The `pubsub` class (clients with a subscription).
    pub pubsub: OutputLimit,
}

impl PushLimits {
    /// The limits `config` sets.
    pub fn from_config(config: &Config) -> Self {
        PushLimits {
            normal: OutputLimit::from_triple(config.client_output_buffer_limit),
            pubsub: OutputLimit::from_triple(config.client_output_buffer_limit_pubsub),
        }
    }

    /// The limit of `client`'s class: `pubsub` while it has a subscription.
    pub fn for_client(&self, client: &ClientInfo) -> OutputLimit {
        if client.subscription_count() > 0 {
            self.pubsub
        } else {
            self.normal
        }
    }
}

/// Channels (or shard channels) and their subscribers, striped by channel hash.
pub struct Channels {
    stripes: Box<[Mutex<HashMap<Bytes, Subscribers>>]>,
    hasher: ahash::RandomState,
    count: AtomicUsize,
}

impl Default for Channels {
    fn default() -> Self {
        Channels {
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            hasher: ahash::RandomState::new(),
            count: AtomicUsize::new(0),
        }
    }
}

impl Channels {
    fn stripe(&self, channel: &[u8]) -> &Mutex<HashMap<Bytes, Subscribers>> {
        &self.stripes[self.hasher.hash_one(channel) as usize % STRIPES]
    }

    /// Adds `client` to `channel`'s subscribers (once).
    pub fn subscribe(&self, channel: Bytes, client: &Arc<ClientInfo>) {
        let mut map = lock(self.stripe(&channel));
        let subscribers = map.entry(channel).or_insert_with(|| {
            self.count.fetch_add(1, Ordering::Relaxed);
            Vec::new()
        });
        if !subscribers.iter().any(|c| c.id == client.id) {
            subscribers.push(client.clone());
        }
    }

    /// Removes client `id` from `channel`'s subscribers; a channel left without
    /// subscribers is forgotten.
    pub fn unsubscribe(&self, channel: &[u8], id: u64) {
        let mut map = lock(self.stripe(channel));
        if let Some(subscribers) = map.get_mut(channel) {
            subscribers.retain(|c| c.id != id);
            if subscribers.is_empty() {
                map.remove(channel);
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Calls `each` for every subscriber of `channel` (under the stripe's lock);
    /// returns how many there were.
    fn for_each(&self, channel: &[u8], mut each: impl FnMut(&Arc<ClientInfo>)) -> usize {
        let map = lock(self.stripe(channel));
        let Some(subscribers) = map.get(channel) else { return 0 };
        subscribers.iter().for_each(&mut each);
        subscribers.len()
    }

    /// How many clients subscribe to `channel`.
    pub fn subscribers(&self, channel: &[u8]) -> usize {
        lock(self.stripe(channel)).get(channel).map_or(0, Vec::len)
    }

    /// The channels with a subscriber, those matching `pattern` if given.
    pub fn names(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let mut names = Vec::new();
        for stripe in self.stripes.iter() {
            let map = lock(stripe);
            names.extend(map.keys().filter(|c| pattern.is_none_or(|p| glob_match(p, c))).cloned());
        }
        names
    }

    /// How many channels have a subscriber.
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether no channel has a subscriber.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Pattern subscriptions: read-mostly, and skipped while there are none.
#[derive(Default)]
pub struct Patterns {
    patterns: RwLock<HashMap<Bytes, Subscribers>>,
    count: AtomicUsize,
}

impl Patterns {
    /// Adds `client` to `pattern`'s subscribers (once).
    pub fn subscribe(&self, pattern: Bytes, client: &Arc<ClientInfo>) {
        let mut map = self.patterns.write().unwrap_or_else(|p| p.into_inner());
        let subscribers = map.entry(pattern).or_default();
        if !subscribers.iter().any(|c| c.id == client.id) {
            subscribers.push(client.clone());
        }
        self.count.store(map.len(), Ordering::Relaxed);
    }

    /// Removes client `id` from `pattern`'s subscribers.
    pub fn unsubscribe(&self, pattern: &[u8], id: u64) {
        let mut map = self.patterns.write().unwrap_or_else(|p| p.into_inner());
        if let Some(subscribers) = map.get_mut(pattern) {
            subscribers.retain(|c| c.id != id);
            if subscribers.is_empty() {
                map.remove(pattern);
            }
        }
        self.count.store(map.len(), Ordering::Relaxed);
    }

    /// How many distinct patterns have a subscriber (`PUBSUB NUMPAT`).
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether no pattern has a subscriber.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The Pub/Sub registry (see the module docs).
#[derive(Default)]
pub struct PubSub {
    /// `SUBSCRIBE`'s channels.
    pub channels: Channels,
    /// `PSUBSCRIBE`'s patterns.
    pub patterns: Patterns,
    /// `SSUBSCRIBE`'s shard channels.
    pub shard_channels: Channels,
    limits: ArcSwap<PushLimits>,
}

impl PubSub {
    /// Takes the output limits (and anything else pushes need) from `config`; called
    /// at start and after every `CONFIG SET`.
    pub fn configure(&self, config: &Config) {
        let limits = PushLimits::from_config(config);
        if **self.limits.load() != limits {
            self.limits.store(Arc::new(limits));
        }
    }

    /// The output limits pushes are checked against.
    #[inline]
    pub fn limits(&self) -> PushLimits {
        **self.limits.load()
    }

    /// `PUBLISH channel message`: delivers `message` to the channel's subscribers
    /// and to the subscribers of every matching pattern; returns how many
    /// deliveries that made (a client subscribed both ways counts twice, as in
    /// Redis).
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        let limit = self.limits().pubsub;
        let mut frames = Frames::new(|resp3| frame(resp3, &[b"message", channel, message]));
        let mut receivers = self.channels.for_each(channel, |client| {
            deliver(client, frames.for_client(client), limit);
        });
        if !self.patterns.is_empty() {
            let map = self.patterns.patterns.read().unwrap_or_else(|p| p.into_inner());
            for (pattern, subscribers) in map.iter() {
                if !glob_match(pattern, channel) {
                    continue;
                }
                let mut frames = Frames::new(|resp3| frame(resp3, &[b"pmessage", pattern, channel, message]));
                for client in subscribers {
                    deliver(client, frames.for_client(client), limit);
                }
                receivers += subscribers.len();
            }
        }
        receivers
    }

    /// `SPUBLISH shardchannel message`: delivers to the shard channel's
    /// subscribers; returns how many.
    pub fn spublish(&self, channel: &[u8], message: &[u8]) -> usize {
        let limit = self.limits().pubsub;
        let mut frames = Frames::new(|resp3| frame(resp3, &[b"smessage", channel, message]));
        self.shard_channels.for_each(channel, |client| {
            deliver(client, frames.for_client(client), limit);
        })
    }
}

/// What one connection subscribes to (its half of the registry's bookkeeping).
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// Channels (`SUBSCRIBE`).
    pub channels: HashSet<Bytes>,
    /// Patterns (`PSUBSCRIBE`).
    pub patterns: HashSet<Bytes>,
    /// Shard channels (`SSUBSCRIBE`).
    pub shard_channels: HashSet<Bytes>,
}

impl Subscriptions {
    /// Whether the connection subscribes to anything (Redis's `CLIENT_PUBSUB`: in
    /// RESP2 only the subscription commands, `PING`, `QUIT` and `RESET` are then
    /// allowed).
    pub fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard_channels.is_empty())
    }
}

/// A connection's push state, kept in its session.
#[derive(Debug, Default)]
pub struct PushState {
    /// Its subscriptions.
    pub subscriptions: Subscriptions,
    /// `CLIENT CACHING yes|no` was the last command: the next command's reads are
    /// (`OPTIN`) or are not (`OPTOUT`) tracked.
    pub caching: bool,
    /// The connection is running an `EXEC`'s queue (Redis's `CLIENT_DENY_BLOCKING`
    /// there: `MONITOR` is refused).
    pub in_exec: bool,
    /// The `EXEC` whose `MONITOR` line is fed once its queue has run (Redis shows
    /// the queued commands first).
    pub exec_args: Option<Vec<Bytes>>,
}

#[cfg(test)]
mod tests;
