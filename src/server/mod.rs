//! The network side: the listener (accept, client cap, graceful shutdown), the
//! per-connection loop (read → parse → execute → one write per batch), and what a
//! running server does around them: loading the AOF at boot and the periodic cron.

mod connection;
pub mod cron;
mod listener;
pub mod loading;
mod workers;

pub use listener::{listen, run, Shutdown};
pub use workers::Workers;
