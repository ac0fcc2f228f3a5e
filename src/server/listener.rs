//! Accepting connections, enforcing `maxclients`, and shutting down gracefully.
//!
//! Shutdown (invariant 8): the listener stops accepting, every connection finishes
//! the commands it has already read, writes their replies and closes; `run` returns
//! once the last connection is gone, so the caller can flush persistence and exit 0.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::connection::Connection;
use crate::state::ServerState;

/// The reply to a client over the `maxclients` cap, as Redis sends it.
const MAX_CLIENTS_REPLY: &[u8] = b"-ERR max number of clients reached\r\n";

/// A handle a connection watches to learn that the server is shutting down.
#[derive(Clone)]
pub struct Shutdown {
    signal: watch::Receiver<bool>,
    // Held only to be dropped: `run` waits until every clone is gone.
    _done: mpsc::Sender<()>,
}

impl Shutdown {
    /// Resolves when shutdown has begun.
    pub async fn started(&mut self) {
        // An error means the sender is gone, which also means: stop.
        let _ = self.signal.wait_for(|stop| *stop).await;
    }
}

/// Serves clients on `listener` until `stop` resolves, then drains the connections.
pub async fn run(listener: TcpListener, state: Arc<ServerState>, stop: impl Future<Output = ()>) {
    let (signal_tx, signal_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let shutdown = Shutdown { signal: signal_rx, _done: done_tx };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => admit(stream, &state, &shutdown),
                Err(e) => {
                    // Out of file descriptors and similar: wait a little, keep serving.
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
        }
    }
    log::info!("shutting down: no new connections, finishing the commands already read");
    drop(listener);
    let _ = signal_tx.send(true);
    drop(shutdown);
    // Every connection holds a sender; recv returns None once all have closed.
    let _ = done_rx.recv().await;
}

/// Starts a task for a new connection, or refuses it when the cap is reached.
fn admit(stream: TcpStream, state: &Arc<ServerState>, shutdown: &Shutdown) {
    state.stats.total_connections_received.fetch_add(1, Ordering::Relaxed);
    let maxclients = state.config.load().maxclients;
    if state.clients.len() >= maxclients {
        state.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let mut stream = stream;
            let _ = stream.write_all(MAX_CLIENTS_REPLY).await;
            let _ = stream.shutdown().await;
        });
        return;
    }
    let _ = stream.set_nodelay(true);
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else { return };
    let client = state.clients.register(peer, local);
    let connection = Connection::new(stream, state.clone(), client, shutdown.clone());
    tokio::spawn(connection.serve());
}
