//! Client-side caching (`CLIENT TRACKING`), Redis 7.0's `tracking.c`: a table of
//! key → the clients that read it (default mode), and a table of `BCAST` prefixes;
//! both fed from the change records (this room is a [`ChangeHook`]), so every write,
//! expiry and eviction invalidates.
//!
//! - Default mode: a read-only command of a tracking client remembers its keys
//!   (with `OPTIN` only after `CLIENT CACHING yes`, with `OPTOUT` unless after
//!   `CLIENT CACHING no`); a change to a key sends each of its clients one
//!   invalidation and forgets the key. The table is global across databases, as
//!   Redis's, and bounded by `tracking-table-max-keys` (0: unlimited): keys over it
//!   are invalidated and forgotten after the command that added them.
//! - `BCAST`: changed keys are gathered per prefix and sent, one message per prefix
//!   and client, when the command (or the whole `EXEC`) ends.
//! - An invalidation goes to the redirect client if one is set (RESP3: an
//!   `invalidate` push; RESP2: a `message` on `__redis__:invalidate` if it is
//!   subscribed), else to the client itself (RESP3 only); a redirect client that is
//!   gone earns a `tracking-redir-broken` push. Flushes send the null
//!   invalidation to every tracking client; `FLUSHALL` also empties the table.
//! - The client whose command causes an invalidation for itself gets it after the
//!   command's reply, as 7.0's `tracking_pending_keys`; `NOLOOP` skips keys the
//!   client changed itself.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use bytes::Bytes;

use super::{bulk, deliver, header, PubSub};
use crate::clients::ClientInfo;
use crate::engine::{Change, ChangeHook, EventClass, Scope};
use crate::sync::lock;

/// The bits of `ClientInfo::tracking`.
pub mod flag {
    /// Tracking is on.
    pub const ON: u8 = 1;
    /// `BCAST` mode.
    pub const BCAST: u8 = 2;
    /// `OPTIN`.
    pub const OPTIN: u8 = 4;
    /// `OPTOUT`.
    pub const OPTOUT: u8 = 8;
    /// `NOLOOP`.
    pub const NOLOOP: u8 = 16;
    /// The redirect client went away.
    pub const BROKEN_REDIRECT: u8 = 32;
}

const STRIPES: usize = 16;

/// One stripe of the key table: a key and the ids of the clients that read it.
type KeyStripe = Mutex<HashMap<Box<[u8]>, HashSet<u64>>>;

/// What `BCAST` gathered for one prefix: its clients, and each changed key with
/// the client that changed it.
type Gathered = (Vec<u64>, Vec<(Bytes, u64)>);

/// The channel RESP2 redirect clients get invalidations on.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

thread_local! {
    /// The client whose command runs on this thread (0: none).
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    /// Invalidations for [`CURRENT`], sent after its reply.
    static DEFERRED: RefCell<Vec<bytes::Bytes>> = const { RefCell::new(Vec::new()) };
}

/// Marks `id` as the client whose command runs on this thread (0 when it ends), so
/// that its own invalidations wait for its reply and `NOLOOP` knows the writer.
pub fn set_current(id: u64) {
    CURRENT.with(|c| c.set(id));
}

/// Takes the invalidations deferred for the current client (to write after its
/// reply).
pub fn take_deferred(out: &mut crate::protocol::ReplyWriter) {
    DEFERRED.with(|d| {
        let mut deferred = d.borrow_mut();
        for frame in deferred.drain(..) {
            out.raw(&frame);
        }
    });
}

/// One tracking client.
struct Tracker {
    client: Arc<ClientInfo>,
    /// `REDIRECT id`'s client.
    redirect: Option<Weak<ClientInfo>>,
    /// `BCAST` prefixes.
    prefixes: BTreeSet<Bytes>,
}

/// One `BCAST` prefix: its clients and the keys changed since the last send, each
/// with the client that changed it.
#[derive(Default)]
struct Prefix {
    clients: Vec<u64>,
    pending: Vec<(Bytes, u64)>,
}

/// The tracking room (see the module docs).
pub struct Tracking {
    pubsub: Arc<PubSub>,
    clients: RwLock<HashMap<u64, Tracker>>,
    tracking_clients: AtomicUsize,
    keys: Box<[KeyStripe]>,
    hasher: ahash::RandomState,
    total_keys: AtomicUsize,
    total_items: AtomicUsize,
    prefixes: RwLock<HashMap<Bytes, Prefix>>,
    prefix_count: AtomicUsize,
    pending: AtomicBool,
}

/// `CLIENT TRACKING on`'s options.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// `REDIRECT id`: the client (checked to exist).
    pub redirect: Option<Arc<ClientInfo>>,
    /// `BCAST`, `OPTIN`, `OPTOUT`, `NOLOOP` bits of [`flag`].
    pub flags: u8,
    /// `PREFIX`es (checked not to overlap).
    pub prefixes: Vec<Bytes>,
}

impl Tracking {
    /// An empty room delivering through `pubsub`'s limits.
    pub fn new(pubsub: Arc<PubSub>) -> Self {
        Tracking {
            pubsub,
            clients: RwLock::default(),
            tracking_clients: AtomicUsize::new(0),
            keys: (0..STRIPES).map(|_| Mutex::default()).collect(),
            hasher: ahash::RandomState::new(),
            total_keys: AtomicUsize::new(0),
            total_items: AtomicUsize::new(0),
            prefixes: RwLock::default(),
            prefix_count: AtomicUsize::new(0),
            pending: AtomicBool::new(false),
        }
    }

    /// `tracking_clients`.
    pub fn clients(&self) -> usize {
        self.tracking_clients.load(Ordering::Relaxed)
    }

    /// `tracking_total_keys`: keys in the default-mode table.
    pub fn total_keys(&self) -> usize {
        self.total_keys.load(Ordering::Relaxed)
    }

    /// `tracking_total_items`: (key, client) pairs in the table.
    pub fn total_items(&self) -> usize {
        self.total_items.load(Ordering::Relaxed)
    }

    /// `tracking_total_prefixes`: `BCAST` prefixes with a client.
    pub fn total_prefixes(&self) -> usize {
        self.prefix_count.load(Ordering::Relaxed)
    }

    /// The prefixes of `client` that overlap one of `new` or that two of `new`
    /// share, as Redis's error line; `None` when they do not.
    pub fn prefix_collision(&self, client: &ClientInfo, new: &[Bytes]) -> Option<String> {
        let overlap = |a: &[u8], b: &[u8]| {
            let n = a.len().min(b.len());
            a[..n] == b[..n]
        };
        let clients = self.clients.read().unwrap_or_else(|p| p.into_inner());
        let existing = clients.get(&client.id).map(|t| &t.prefixes);
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        for (i, prefix) in new.iter().enumerate() {
            if let Some(old) = existing.into_iter().flatten().find(|old| overlap(old, prefix)) {
                return Some(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must \
                     not overlap.",
                    text(prefix),
                    text(old)
                ));
            }
            if let Some(other) = new[i + 1..].iter().find(|other| overlap(prefix, other)) {
                return Some(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client \
                     must not overlap.",
                    text(prefix),
                    text(other)
                ));
            }
        }
        None
    }

    /// `CLIENT TRACKING on …` for `client` (options already checked).
    pub fn enable(&self, client: &Arc<ClientInfo>, options: Options) {
        let mut clients = self.clients.write().unwrap_or_else(|p| p.into_inner());
        let tracker = clients.entry(client.id).or_insert_with(|| {
            self.tracking_clients.fetch_add(1, Ordering::Relaxed);
            Tracker { client: client.clone(), redirect: None, prefixes: BTreeSet::new() }
        });
        tracker.redirect = options.redirect.as_ref().map(Arc::downgrade);
        let bits = flag::ON | (options.flags & (flag::BCAST | flag::OPTIN | flag::OPTOUT | flag::NOLOOP));
        client.tracking.store(bits, Ordering::Relaxed);
        client
            .tracking_redirect
            .store(options.redirect.as_ref().map_or(0, |c| c.id as i64), Ordering::Relaxed);
        if bits & flag::BCAST != 0 {
            let mut prefixes = options.prefixes;
            if prefixes.is_empty() {
                prefixes.push(Bytes::new());
            }
            let mut table = self.prefixes.write().unwrap_or_else(|p| p.into_inner());
            for prefix in prefixes {
                if tracker.prefixes.insert(prefix.clone()) {
                    let entry = table.entry(prefix).or_default();
                    entry.clients.push(client.id);
                }
            }
            self.prefix_count.store(table.len(), Ordering::Relaxed);
        }
    }

    /// `CLIENT TRACKING off`, `RESET`, disconnection: the client's prefixes go; its
    /// entries in the key table are skipped from now on (and dropped when the keys
    /// are invalidated), as in Redis.
    pub fn disable(&self, client: &ClientInfo) {
        if client.tracking.swap(0, Ordering::Relaxed) == 0 {
            return;
        }
        client.tracking_redirect.store(-1, Ordering::Relaxed);
        let mut clients = self.clients.write().unwrap_or_else(|p| p.into_inner());
        let Some(tracker) = clients.remove(&client.id) else { return };
        self.tracking_clients.fetch_sub(1, Ordering::Relaxed);
        if tracker.prefixes.is_empty() {
            return;
        }
        let mut table = self.prefixes.write().unwrap_or_else(|p| p.into_inner());
        for prefix in &tracker.prefixes {
            if let Some(entry) = table.get_mut(prefix) {
                entry.clients.retain(|&id| id != client.id);
                if entry.clients.is_empty() {
                    table.remove(prefix);
                }
            }
        }
        self.prefix_count.store(table.len(), Ordering::Relaxed);
    }

    /// The `BCAST` prefixes of `client`, in order (`CLIENT TRACKINGINFO`).
    pub fn prefixes_of(&self, client: &ClientInfo) -> Vec<Bytes> {
        let clients = self.clients.read().unwrap_or_else(|p| p.into_inner());
        clients.get(&client.id).map(|t| t.prefixes.iter().cloned().collect()).unwrap_or_default()
    }

    fn stripe(&self, key: &[u8]) -> &KeyStripe {
        &self.keys[self.hasher.hash_one(key) as usize % STRIPES]
    }

    /// Remembers that `client` read `keys` (default mode), then keeps the table
    /// within `max_keys` (0: unlimited).
    pub fn remember<'k>(&self, client: &ClientInfo, keys: impl Iterator<Item = &'k [u8]>, max_keys: u64) {
        for key in keys {
            let mut stripe = lock(self.stripe(key));
            let added = match stripe.get_mut(key) {
                Some(ids) => ids.insert(client.id),
                None => {
                    self.total_keys.fetch_add(1, Ordering::Relaxed);
                    stripe.insert(key.into(), HashSet::from([client.id]));
                    true
                }
            };
            if added {
                self.total_items.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.enforce_limit(max_keys);
    }

    /// Invalidates keys until the table holds at most `max_keys` (0: no limit),
    /// as Redis's `trackingLimitUsedSlots`.
    pub fn enforce_limit(&self, max_keys: u64) {
        while max_keys > 0 && self.total_keys() as u64 > max_keys {
            let Some((key, ids)) = self.keys.iter().find_map(|stripe| {
                let mut stripe = lock(stripe);
                let key = stripe.keys().next()?.clone();
                stripe.remove_entry(&key)
            }) else {
                return;
            };
            self.forgot(&ids);
            self.send_to_readers(&key, ids, 0);
        }
    }

    fn forgot(&self, ids: &HashSet<u64>) {
        self.total_keys.fetch_sub(1, Ordering::Relaxed);
        self.total_items.fetch_sub(ids.len(), Ordering::Relaxed);
    }

    /// Sends the invalidation of `key` to each of `ids` still tracking in default
    /// mode, except the `NOLOOP` writer.
    fn send_to_readers(&self, key: &[u8], ids: HashSet<u64>, writer: u64) {
        let clients = self.clients.read().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            let Some(tracker) = clients.get(&id) else { continue };
            let bits = tracker.client.tracking.load(Ordering::Relaxed);
            if bits & flag::BCAST != 0 || (bits & flag::NOLOOP != 0 && id == writer) {
                continue;
            }
            self.send(tracker, Some(&[key]));
        }
    }

    /// Sends one invalidation message (`keys`, or the null of a flush) for
    /// `tracker` to wherever its invalidations go.
    fn send(&self, tracker: &Tracker, keys: Option<&[&[u8]]>) {
        let client = &tracker.client;
        let target = match &tracker.redirect {
            None => client.clone(),
            Some(redirect) => match redirect.upgrade() {
                Some(target) => target,
                None => {
                    // The redirect client is gone: tell the client, if it can hear it.
                    if client.resp.load(Ordering::Relaxed) == 3 {
                        client.tracking.fetch_or(flag::BROKEN_REDIRECT, Ordering::Relaxed);
                        let mut out = Vec::new();
                        header(&mut out, b'>', 2);
                        bulk(&mut out, b"tracking-redir-broken");
                        let id = client.tracking_redirect.load(Ordering::Relaxed);
                        out.extend_from_slice(format!(":{id}\r\n").as_bytes());
                        self.push(client, Bytes::from(out));
                    }
                    return;
                }
            },
        };
        let resp3 = target.resp.load(Ordering::Relaxed) == 3;
        let mut out = Vec::new();
        if resp3 {
            header(&mut out, b'>', 2);
            bulk(&mut out, b"invalidate");
        } else if tracker.redirect.is_some() && target.subscription_count() > 0 {
            header(&mut out, b'*', 3);
            bulk(&mut out, b"message");
            bulk(&mut out, INVALIDATE_CHANNEL);
        } else {
            return;
        }
        match keys {
            Some(keys) => {
                header(&mut out, b'*', keys.len());
                keys.iter().for_each(|key| bulk(&mut out, key));
            }
            None if resp3 => out.extend_from_slice(b"_\r\n"),
            None => out.extend_from_slice(b"$-1\r\n"),
        }
        self.push(&target, Bytes::from(out));
    }

    /// Queues `frame` for `target`, after its reply if its command is running.
    fn push(&self, target: &Arc<ClientInfo>, frame: Bytes) {
        if CURRENT.with(Cell::get) == target.id {
            DEFERRED.with(|d| d.borrow_mut().push(frame));
        } else {
            deliver(target, frame, self.pubsub.limits().for_client(target));
        }
    }

    /// A key changed: invalidate it for its readers and gather it for the
    /// prefixes it falls under.
    fn invalidate(&self, key: &[u8], writer: u64) {
        if self.total_prefixes() > 0 {
            let mut table = self.prefixes.write().unwrap_or_else(|p| p.into_inner());
            for (prefix, entry) in table.iter_mut() {
                if key.starts_with(prefix) {
                    entry.pending.push((Bytes::copy_from_slice(key), writer));
                    self.pending.store(true, Ordering::Relaxed);
                }
            }
        }
        if self.total_keys() == 0 {
            return;
        }
        let Some(ids) = lock(self.stripe(key)).remove(key) else { return };
        self.forgot(&ids);
        self.send_to_readers(key, ids, writer);
    }

    /// Sends what `BCAST` gathered: per prefix, one message to each of its clients
    /// with the changed keys (a `NOLOOP` client's own changes left out). Called when
    /// a command or transaction ends, and by the cron.
    pub fn send_broadcasts(&self) {
        // A load first: every command ends here, and a swap would write the shared
        // flag's cache line each time.
        if !self.pending.load(Ordering::Relaxed) || !self.pending.swap(false, Ordering::Relaxed) {
            return;
        }
        let gathered: Vec<Gathered> = {
            let mut table = self.prefixes.write().unwrap_or_else(|p| p.into_inner());
            table
                .values_mut()
                .filter(|p| !p.pending.is_empty())
                .map(|p| (p.clients.clone(), std::mem::take(&mut p.pending)))
                .collect()
        };
        let clients = self.clients.read().unwrap_or_else(|p| p.into_inner());
        for (ids, mut keys) in gathered {
            // Each key once, as Redis's per-prefix key set.
            let mut seen = HashSet::new();
            keys.retain(|(key, _)| seen.insert(key.clone()));
            for id in ids {
                let Some(tracker) = clients.get(&id) else { continue };
                let noloop = tracker.client.tracking.load(Ordering::Relaxed) & flag::NOLOOP != 0;
                let mine: Vec<&[u8]> = keys
                    .iter()
                    .filter(|(_, writer)| !(noloop && *writer == id))
                    .map(|(k, _)| &k[..])
                    .collect();
                if !mine.is_empty() {
                    self.send(tracker, Some(&mine));
                }
            }
        }
    }

    /// A flush: every tracking client gets the null invalidation; `FLUSHALL`
    /// empties the table too.
    fn flushed(&self, all: bool) {
        let clients = self.clients.read().unwrap_or_else(|p| p.into_inner());
        for tracker in clients.values() {
            self.send(tracker, None);
        }
        drop(clients);
        if all {
            for stripe in self.keys.iter() {
                let mut stripe = lock(stripe);
                for ids in stripe.values() {
                    self.forgot(ids);
                }
                stripe.clear();
            }
        }
    }
}

impl ChangeHook for Tracking {
    fn on_change(&self, change: &Change<'_>) {
        if self.clients() == 0 && self.total_keys() == 0 {
            return;
        }
        let writer = CURRENT.with(Cell::get);
        for happened in change.keys {
            if matches!(happened.event.class, EventClass::New | EventClass::Silent) {
                continue;
            }
            self.invalidate(happened.key, writer);
        }
        if let Scope::Databases { .. } = change.scope {
            let name = change.effect.first().copied().unwrap_or_default();
            if name.eq_ignore_ascii_case(b"FLUSHALL") {
                self.flushed(true);
            } else if name.eq_ignore_ascii_case(b"FLUSHDB") {
                self.flushed(false);
            }
        }
    }
}
