//! The registry of connected clients, for `CLIENT LIST`, `CLIENT INFO` and `INFO`.
//!
//! Each connection owns an `Arc<ClientInfo>` registered here; the fields that other
//! clients may read (name, database, last activity) are updated by the owner only
//! when they change, never per command.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

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

/// Current Unix time in whole seconds.
pub fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
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
        }
    }

    /// One `CLIENT LIST` line (without the newline), fields as Redis 7 prints them.
    pub fn describe(&self) -> String {
        let names = lock(&self.names).clone();
        let age = self.connected_at.elapsed().as_secs();
        let idle = unix_secs().saturating_sub(self.last_active_secs.load(Ordering::Relaxed));
        format!(
            "id={} addr={} laddr={} fd=0 name={} age={} idle={} flags=N db={} sub=0 psub=0 ssub=0 \
             multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 \
             tot-mem=0 events=r cmd=client user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            names.name,
            age,
            idle,
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
