//! The registry of connected clients, for `CLIENT LIST`, `CLIENT INFO` and `INFO`.
//!
//! Each connection owns an `Arc<ClientInfo>` registered here; the fields that other
//! clients may read (name, database, last activity) are updated by the owner only
//! when they change, never per command.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::clock::unix_secs;

use dashmap::DashMap;

use crate::sync::lock;

/// What other clients can see of one connection.
#[derive(Debug)]
pub struct ClientInfo {
    /// Unique, increasing id (`CLIENT ID`).
    pub id: u64,
    /// The peer's address.
    pub addr: SocketAddr,
    /// Our address on this connection.
    pub laddr: SocketAddr,
    /// When it connected.
    pub connected_at: Instant,
    /// Unix seconds of the last command batch.
    pub last_active_secs: AtomicU64,
    /// The selected database.
    pub db: AtomicUsize,
    /// 2 or 3.
    pub resp: AtomicU8,
    /// `CLIENT SETNAME`, `CLIENT SETINFO LIB-NAME`, `LIB-VER`.
    pub names: Mutex<ClientNames>,
    /// Set by `CLIENT KILL`; the connection closes when notified.
    pub killed: tokio::sync::Notify,
    /// Whether the client waits (`WAIT`, blocking commands), and how another client
    /// ended the wait (`CLIENT UNBLOCK`).
    pub waiting: Waiting,
    /// Frames pushed to this client and not yet written (Pub/Sub messages, `MONITOR`
    /// lines, tracking invalidations); `omem` in `CLIENT LIST` is its `queued()`.
    pub push: crate::pubsub::Outbox,
    /// Pub/Sub counts for `CLIENT LIST`: channels (`sub=`), patterns (`psub=`) and
    /// shard channels (`ssub=`) this client subscribes to.
    pub subscriptions: PubSubCounts,
    /// Client-tracking flags (`crate::pubsub::tracking::flag`: on, `BCAST`, `OPTIN`,
    /// `OPTOUT`, `NOLOOP`, broken redirect) for `CLIENT LIST` (`t`, `B`, `R`) and
    /// `CLIENT TRACKINGINFO`.
    pub tracking: AtomicU8,
    /// `CLIENT LIST` `redir=`: the client tracking redirects to, 0 for none, -1
    /// while tracking is off.
    pub tracking_redirect: AtomicI64,
    /// Whether the client is a monitor (`MONITOR`; `CLIENT LIST` flag `O`).
    pub monitor: AtomicBool,
}

/// How many channels, patterns and shard channels a client subscribes to.
#[derive(Debug, Default)]
pub struct PubSubCounts {
    /// `sub=`.
    pub channels: AtomicUsize,
    /// `psub=`.
    pub patterns: AtomicUsize,
    /// `ssub=`.
    pub shard_channels: AtomicUsize,
}

/// How `CLIENT UNBLOCK` ends a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unblock {
    /// As if it had timed out (`CLIENT UNBLOCK id` / `… TIMEOUT`).
    Timeout,
    /// With `-UNBLOCKED client unblocked via CLIENT UNBLOCK` (`… ERROR`).
    Error,
}

/// A client's wait, seen from other clients.
#[derive(Debug, Default)]
pub struct Waiting {
    blocked: std::sync::atomic::AtomicBool,
    ended: Mutex<Option<Unblock>>,
    wake: tokio::sync::Notify,
}

impl Waiting {
    /// The client starts waiting.
    pub fn begin(&self) {
        *lock(&self.ended) = None;
        self.blocked.store(true, Ordering::SeqCst);
    }

    /// The client stops waiting; returns how it was ended early, if it was.
    pub fn end(&self) -> Option<Unblock> {
        self.blocked.store(false, Ordering::SeqCst);
        lock(&self.ended).take()
    }

    /// Whether the client is waiting.
    pub fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::SeqCst)
    }

    /// Ends the wait of a waiting client (`CLIENT UNBLOCK`); false if it is not waiting.
    pub fn unblock(&self, how: Unblock) -> bool {
        let mut ended = lock(&self.ended);
        if !self.is_blocked() || ended.is_some() {
            return false;
        }
        *ended = Some(how);
        drop(ended);
        self.wake.notify_one();
        true
    }

    /// Whether another client ended the current wait.
    pub fn was_unblocked(&self) -> bool {
        lock(&self.ended).is_some()
    }

    /// Resolves when another client ends the wait (check [`Waiting::was_unblocked`]:
    /// a wake-up can be left over from an earlier wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// The names a client gives itself.
#[derive(Debug, Default, Clone)]
pub struct ClientNames {
    /// `CLIENT SETNAME` / `HELLO … SETNAME`.
    pub name: String,
    /// `CLIENT SETINFO LIB-NAME`.
    pub lib_name: String,
    /// `CLIENT SETINFO LIB-VER`.
    pub lib_ver: String,
}

impl ClientInfo {
    /// A new client's record.
    pub fn new(id: u64, addr: SocketAddr, laddr: SocketAddr) -> Self {
        ClientInfo {
            id,
            addr,
            laddr,
            connected_at: Instant::now(),
            last_active_secs: AtomicU64::new(unix_secs()),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            names: Mutex::new(ClientNames::default()),
            killed: tokio::sync::Notify::new(),
            waiting: Waiting::default(),
            push: Default::default(),
            subscriptions: Default::default(),
            tracking: AtomicU8::new(0),
            tracking_redirect: AtomicI64::new(-1),
            monitor: AtomicBool::new(false),
        }
    }

    /// How many channels, patterns and shard channels the client subscribes to in
    /// all (non-zero: Redis's `CLIENT_PUBSUB`, class `pubsub` for output limits).
    pub fn subscription_count(&self) -> usize {
        let counts = &self.subscriptions;
        counts.channels.load(Ordering::Relaxed)
            + counts.patterns.load(Ordering::Relaxed)
            + counts.shard_channels.load(Ordering::Relaxed)
    }

    /// The `CLIENT LIST` flag letters of the push room, in Redis's order: `O`
    /// (monitor), `P` (subscribed), `t` (tracking), `R` (tracking redirect
    /// broken), `B` (tracking in `BCAST` mode). Empty for none of them.
    pub fn push_flags(&self) -> String {
        use crate::pubsub::tracking::flag;
        let tracking = self.tracking.load(Ordering::Relaxed);
        let mut flags = String::new();
        if self.monitor.load(Ordering::Relaxed) {
            flags.push('O');
        }
        if self.subscription_count() > 0 {
            flags.push('P');
        }
        for (bit, letter) in [(flag::ON, 't'), (flag::BROKEN_REDIRECT, 'R'), (flag::BCAST, 'B')] {
            if tracking & bit != 0 {
                flags.push(letter);
            }
        }
        flags
    }

    /// One `CLIENT LIST` line (without the newline), fields as Redis 7 prints them.
    pub fn describe(&self) -> String {
        let names = lock(&self.names).clone();
        let age = self.connected_at.elapsed().as_secs();
        let idle = unix_secs().saturating_sub(self.last_active_secs.load(Ordering::Relaxed));
        format!(
            "id={} addr={} laddr={} fd=0 name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 \
             multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 \
             tot-mem=0 events=r cmd=client user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            names.name,
            age,
            idle,
            if self.waiting.is_blocked() { "b" } else { "N" },
            self.db.load(Ordering::Relaxed),
            self.resp.load(Ordering::Relaxed),
            names.lib_name,
            names.lib_ver,
        )
    }
}

/// Every connected client by id.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: DashMap<u64, Arc<ClientInfo>>,
    next_id: AtomicU64,
}

impl ClientRegistry {
    /// Registers a new connection and returns its record.
    pub fn register(&self, addr: SocketAddr, laddr: SocketAddr) -> Arc<ClientInfo> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let info = Arc::new(ClientInfo::new(id, addr, laddr));
        self.clients.insert(id, info.clone());
        info
    }

    /// A client record that is not listed (the AOF loader's pseudo-client).
    pub fn register_detached(&self) -> Arc<ClientInfo> {
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        Arc::new(ClientInfo::new(0, unspecified, unspecified))
    }

    /// Forgets a closed connection.
    pub fn unregister(&self, id: u64) {
        self.clients.remove(&id);
    }

    /// Closes every client `matches` selects except `skip`; returns how many.
    pub fn kill(&self, skip: Option<u64>, matches: impl Fn(&ClientInfo) -> bool) -> usize {
        let mut killed = 0;
        for client in self.clients.iter() {
            if Some(client.id) != skip && matches(client.value()) {
                client.killed.notify_one();
                killed += 1;
            }
        }
        killed
    }

    /// The client with id `id`, if connected.
    pub fn get(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.clients.get(&id).map(|c| c.value().clone())
    }

    /// How many clients are waiting (`INFO clients` `blocked_clients`).
    pub fn blocked(&self) -> usize {
        self.clients.iter().filter(|c| c.waiting.is_blocked()).count()
    }

    /// How many clients are connected.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no client is connected.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The `CLIENT LIST` text: one line per client (only those in `ids` when given), by id.
    pub fn list(&self, ids: Option<&[u64]>) -> String {
        let mut all: Vec<Arc<ClientInfo>> = self
            .clients
            .iter()
            .filter(|c| ids.is_none_or(|ids| ids.contains(c.key())))
            .map(|c| c.value().clone())
            .collect();
        all.sort_by_key(|c| c.id);
        all.iter().map(|c| c.describe() + "\n").collect()
    }
}
