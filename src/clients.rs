//! The registry of connected clients, for `CLIENT LIST`, `CLIENT INFO` and `INFO`.
//!
//! Each connection owns an `Arc<ClientInfo>` registered here; the fields that other
//! clients may read (name, database, last activity) are updated by the owner only
//! when they change, never per command.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
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
        }
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
