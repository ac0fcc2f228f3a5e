//! What every connection shares: the engine, the live configuration, the counters
//! and the client registry.

use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use arc_swap::ArcSwap;

use crate::aof::Aof;
use crate::clients::ClientRegistry;
use crate::config::Config;
use crate::engine::KvEngine;
use crate::stats::Stats;

/// The shared state of one running server.
pub struct ServerState {
    /// The keyspace.
    pub engine: KvEngine,
    /// Settings; `CONFIG SET` swaps in a new copy.
    pub config: ArcSwap<Config>,
    /// Counters for `INFO`.
    pub stats: Stats,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// When the server started (`uptime_in_seconds`).
    pub started: Instant,
    /// A random id for this run (`run_id`).
    pub run_id: String,
    /// The AOF, once loaded and opened (absent when persistence is off).
    pub aof: OnceLock<Arc<Aof>>,
    /// Held for reading by every connection while it runs a batch, and for writing
    /// while one runs `EXEC`, so a transaction sees no other client's command.
    pub transaction_gate: RwLock<()>,
}

impl ServerState {
    /// Fresh state for a server configured by `config`.
    pub fn new(config: Config) -> Self {
        ServerState {
            engine: KvEngine::new(),
            config: ArcSwap::from_pointee(config),
            stats: Stats::default(),
            clients: ClientRegistry::default(),
            started: Instant::now(),
            run_id: random_hex(40),
            aof: OnceLock::new(),
            transaction_gate: RwLock::new(()),
        }
    }
}

/// `len` random hex digits (from the process's random hash seed; not for secrets).
fn random_hex(len: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(len);
    let state = ahash::RandomState::new();
    let mut i = 0u64;
    while out.len() < len {
        let mut h = state.build_hasher();
        h.write_u64(i);
        out.push_str(&format!("{:016x}", h.finish()));
        i += 1;
    }
    out.truncate(len);
    out
}
