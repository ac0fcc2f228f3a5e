//! The network side: the listener (accept, client cap, graceful shutdown) and the
//! per-connection loop (read → parse → execute → one write per batch).

mod connection;
mod listener;
mod workers;

pub use listener::{listen, run, Shutdown};
pub use workers::Workers;
