//! FerrumKV: a multi-threaded, Redis-compatible key-value server.
//!
//! The rooms, in the order a request passes through them:
//! [`server`] reads bytes from a socket, [`protocol`] parses them into requests and
//! encodes replies, [`command`] looks the request up and runs it on the [`engine`],
//! whose 16 databases are lock-striped maps of key bytes to entries; a collection
//! value is one of the structures of [`types`]. [`config`] holds
//! the settings, [`stats`] and [`clients`] what `INFO` and `CLIENT LIST` report.
//! Concurrency-critical code takes its primitives from [`sync`], so the loom models in
//! `loom-tests/` check the real code.

pub mod aof;
pub mod blocking;
pub mod clients;
pub mod clock;
pub mod command;
pub mod config;
pub mod engine;
pub mod glob;
pub mod memory;
pub mod number;
pub mod pause;
pub mod protocol;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod slowlog;
pub mod state;
pub mod stats;
pub mod sync;
pub mod types;
pub mod watch;

pub use config::{Cli, Config};

/// jemalloc, counted: every binary, test and bench linked with FerrumKV uses it, so
/// `used_memory` means the same everywhere.
#[global_allocator]
static ALLOCATOR: memory::CountingJemalloc = memory::CountingJemalloc;
pub use engine::{Entry, Keyspace, KvEngine};
pub use state::ServerState;
