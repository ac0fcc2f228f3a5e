//! The registry of connected clients, for `CLIENT LIST`, `CLIENT INFO`, `CLIENT
//! KILL`, client eviction (`maxmemory-clients`) and `INFO`.
//!
//! Each connection owns an `Arc<ClientInfo>` registered here; the fields that other
//! clients may read (name, database, last activity, flags, buffer sizes) are
//! updated by the owner only when they change or once per batch, never per command,
//! with relaxed atomics: a reader sees a recent picture, never a torn value.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
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
    /// The [`flag`] bits other clients see (`CLIENT LIST` flags, client eviction).
    pub flags: AtomicU32,
    /// The connection's buffers and last command, published once per batch.
    pub gauges: Gauges,
    /// Frames pushed to this client and not yet written (Pub/Sub messages, `MONITOR`
    /// lines, tracking invalidations); `omem` in `CLIENT LIST` counts its `queued()`.
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

/// Bits of [`ClientInfo::flags`].
pub mod flag {
    /// Inside `MULTI` (`x`).
    pub const MULTI: u32 = 1 << 0;
    /// `CLIENT NO-EVICT on` (`e`): never evicted by `maxmemory-clients`.
    pub const NO_EVICT: u32 = 1 << 1;
    /// `CLIENT NO-TOUCH on` (`T`): its reads leave keys' LRU/LFU alone.
    pub const NO_TOUCH: u32 = 1 << 2;
    /// Its command waits for a `CLIENT PAUSE` to end (shown as blocked, `b`).
    pub const PAUSED: u32 = 1 << 3;
}

/// No command yet (`cmd=NULL`), in [`Gauges::last_command`].
pub const NO_COMMAND: usize = usize::MAX;

/// What a connection publishes about its buffers (relaxed atomics, stored once per
/// batch by the owner), as `CLIENT LIST` reports them.
#[derive(Debug)]
pub struct Gauges {
    /// Bytes in the query buffer (`qbuf`).
    pub qbuf: AtomicUsize,
    /// Free bytes in the query buffer's allocation (`qbuf-free`).
    pub qbuf_free: AtomicUsize,
    /// Bytes of the arguments of a request not yet complete (`argv-mem`).
    pub argv_mem: AtomicUsize,
    /// Commands queued since `MULTI`, -1 outside (`multi`).
    pub multi: AtomicI64,
    /// Bytes of the queued commands' arguments (`multi-mem`).
    pub multi_mem: AtomicUsize,
    /// Reply bytes produced and not yet written to the socket.
    pub reply_pending: AtomicUsize,
    /// The reply buffer's allocation.
    pub reply_capacity: AtomicUsize,
    /// The most reply bytes one batch has held (`rbp`).
    pub reply_peak: AtomicUsize,
    /// The connection's own fixed memory (its structures, not its buffers).
    pub base_mem: AtomicUsize,
    /// The id of the last command looked up (`cmd`), or [`NO_COMMAND`].
    pub last_command: AtomicUsize,
    /// The socket's file descriptor (`fd`), -1 for a client without one.
    pub fd: AtomicI64,
}

impl Default for Gauges {
    fn default() -> Self {
        Gauges {
            qbuf: AtomicUsize::new(0),
            qbuf_free: AtomicUsize::new(0),
            argv_mem: AtomicUsize::new(0),
            multi: AtomicI64::new(-1),
            multi_mem: AtomicUsize::new(0),
            reply_pending: AtomicUsize::new(0),
            reply_capacity: AtomicUsize::new(0),
            reply_peak: AtomicUsize::new(0),
            base_mem: AtomicUsize::new(std::mem::size_of::<ClientInfo>()),
            last_command: AtomicUsize::new(NO_COMMAND),
            fd: AtomicI64::new(-1),
        }
    }
}

/// Redis's reply chunk: the first this many pending bytes count as its static
/// reply buffer (`obl`), the rest as a list of blocks of this size (`oll`, `omem`).
pub const REPLY_CHUNK: usize = 16 * 1024;

impl Gauges {
    /// Input bytes held: the query buffer's allocation plus pending arguments.
    pub fn input_mem(&self) -> usize {
        self.qbuf.load(Ordering::Relaxed)
            + self.qbuf_free.load(Ordering::Relaxed)
            + self.argv_mem.load(Ordering::Relaxed)
    }

    /// Output bytes held beyond the first chunk (Redis's `omem`).
    pub fn output_mem(&self) -> usize {
        self.reply_pending.load(Ordering::Relaxed).saturating_sub(REPLY_CHUNK)
    }

    /// Everything the client holds (`tot-mem`): its structures, query buffer,
    /// arguments, queued transaction and reply buffer.
    pub fn total_mem(&self) -> usize {
        let reply =
            self.reply_capacity.load(Ordering::Relaxed).max(self.reply_pending.load(Ordering::Relaxed));
        self.base_mem.load(Ordering::Relaxed)
            + self.input_mem()
            + self.multi_mem.load(Ordering::Relaxed)
            + reply
    }
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
            flags: AtomicU32::new(0),
            gauges: Gauges::default(),
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

    /// Whether flag bit `bit` ([`flag`]) is set.
    pub fn has(&self, bit: u32) -> bool {
        self.flags.load(Ordering::Relaxed) & bit != 0
    }

    /// Sets or clears flag bit `bit` ([`flag`]).
    pub fn set_flag(&self, bit: u32, on: bool) {
        if on {
            self.flags.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// Whether the client is blocked: waiting (`WAIT`, blocking commands) or held by
    /// a `CLIENT PAUSE`.
    pub fn is_blocked(&self) -> bool {
        self.waiting.is_blocked() || self.has(flag::PAUSED)
    }

    /// Redis's client type (`CLIENT LIST TYPE`, `CLIENT KILL TYPE`). Every client here
    /// is `normal` (no replication); a subscribed one is `pubsub`.
    pub fn kind(&self) -> ClientKind {
        if self.subscription_count() > 0 {
            ClientKind::PubSub
        } else {
            ClientKind::Normal
        }
    }

    /// The user the client is authenticated as (only `default` exists).
    pub fn user(&self) -> &'static str {
        "default"
    }
}

/// Redis's client types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// An ordinary client.
    Normal,
    /// A replica (none here).
    Replica,
    /// The master of this replica (none here).
    Master,
    /// A client with a subscription.
    PubSub,
}

impl ClientKind {
    /// The type a `TYPE` argument names (`normal`, `master`, `replica`/`slave`,
    /// `pubsub`, any case), as Redis's `getClientTypeByName`.
    pub fn parse(name: &[u8]) -> Option<ClientKind> {
        let is = |w: &str| name.eq_ignore_ascii_case(w.as_bytes());
        if is("normal") {
            Some(ClientKind::Normal)
        } else if is("slave") || is("replica") {
            Some(ClientKind::Replica)
        } else if is("pubsub") {
            Some(ClientKind::PubSub)
        } else if is("master") {
            Some(ClientKind::Master)
        } else {
            None
        }
    }
}

/// Every connected client by id.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: DashMap<u64, Arc<ClientInfo>>,
    next_id: AtomicU64,
    /// The biggest input and output buffers seen in each of the last
    /// [`PEAK_SLOTS`] seconds (`client_recent_max_input_buffer`, `…_output_buffer`).
    peaks: Mutex<[Peak; PEAK_SLOTS]>,
    /// Clients closed by `maxmemory-clients` (`evicted_clients`).
    evicted: AtomicU64,
}

/// Seconds of buffer peaks kept (Redis's `CLIENTS_PEAK_MEM_USAGE_SLOTS`).
const PEAK_SLOTS: usize = 8;

/// One second's biggest buffers.
#[derive(Debug, Default, Clone, Copy)]
struct Peak {
    second: u64,
    input: usize,
    output: usize,
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

    /// Closes every client `matches` selects except `skip`; returns how many. They
    /// leave the registry at once (so `INFO` counts them gone) and their connections
    /// close at their next step.
    pub fn kill(&self, skip: Option<u64>, matches: impl Fn(&ClientInfo) -> bool) -> usize {
        let chosen: Vec<Arc<ClientInfo>> = self
            .clients
            .iter()
            .filter(|c| Some(c.id) != skip && matches(c.value()))
            .map(|c| c.value().clone())
            .collect();
        for client in &chosen {
            self.close(client);
        }
        chosen.len()
    }

    /// Closes one client: it leaves the registry and its connection is told.
    pub fn close(&self, client: &ClientInfo) {
        self.clients.remove(&client.id);
        client.killed.notify_one();
    }

    /// The client with id `id`, if connected.
    pub fn get(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.clients.get(&id).map(|c| c.value().clone())
    }

    /// How many clients are waiting (`INFO clients` `blocked_clients`).
    pub fn blocked(&self) -> usize {
        self.clients.iter().filter(|c| c.is_blocked()).count()
    }

    /// How many clients wait with a deadline (`clients_in_timeout_table`): a client
    /// held by `CLIENT PAUSE` has none.
    pub fn waiting(&self) -> usize {
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

    /// Folds every client's buffers into this second's peaks (from the cron).
    pub fn track_peaks(&self, now_secs: u64) {
        let (mut input, mut output) = (0, 0);
        for client in self.clients.iter() {
            input = input.max(client.gauges.input_mem());
            output = output.max(client.gauges.output_mem());
        }
        let mut peaks = lock(&self.peaks);
        let slot = &mut peaks[(now_secs % PEAK_SLOTS as u64) as usize];
        if slot.second != now_secs {
            *slot = Peak { second: now_secs, input: 0, output: 0 };
        }
        slot.input = slot.input.max(input);
        slot.output = slot.output.max(output);
    }

    /// The biggest input and output buffers of the last seconds.
    pub fn recent_peaks(&self, now_secs: u64) -> (usize, usize) {
        let peaks = lock(&self.peaks);
        let recent = peaks.iter().filter(|p| now_secs.saturating_sub(p.second) < PEAK_SLOTS as u64);
        recent.fold((0, 0), |(i, o), p| (i.max(p.input), o.max(p.output)))
    }

    /// Client eviction (`maxmemory-clients`, Redis's `evictClients`): while the
    /// clients together hold `limit` bytes or more, closes the biggest one that may
    /// be evicted (not `CLIENT NO-EVICT on`). Returns how many it closed.
    pub fn evict_over(&self, limit: usize) -> usize {
        let mut all: Vec<(usize, Arc<ClientInfo>)> =
            self.clients.iter().map(|c| (c.gauges.total_mem(), c.value().clone())).collect();
        let mut total: usize = all.iter().map(|(mem, _)| mem).sum();
        if total < limit {
            return 0;
        }
        all.retain(|(_, c)| !c.has(flag::NO_EVICT));
        all.sort_by_key(|(mem, _)| std::cmp::Reverse(*mem));
        let mut evicted = 0;
        for (mem, client) in all {
            if total < limit {
                break;
            }
            log::info!("Evicting client: id={} addr={} tot-mem={mem}", client.id, client.addr);
            self.close(&client);
            total -= mem;
            evicted += 1;
        }
        if total >= limit {
            log::warn!("Over client maxmemory after evicting all evictable clients");
        }
        self.evicted.fetch_add(evicted as u64, Ordering::Relaxed);
        evicted
    }

    /// Zeroes `evicted_clients` (`CONFIG RESETSTAT`).
    pub fn reset_stats(&self) {
        self.evicted.store(0, Ordering::Relaxed);
    }

    /// How many clients `maxmemory-clients` closed (`evicted_clients`).
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// The connected clients (only those in `ids` when given), by id.
    pub fn snapshot(&self, ids: Option<&[u64]>) -> Vec<Arc<ClientInfo>> {
        let mut all: Vec<Arc<ClientInfo>> = self
            .clients
            .iter()
            .filter(|c| ids.is_none_or(|ids| ids.contains(c.key())))
            .map(|c| c.value().clone())
            .collect();
        all.sort_by_key(|c| c.id);
        all
    }
}
