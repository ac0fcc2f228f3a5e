//! Accepting connections, enforcing `maxclients`, and shutting down gracefully.
//!
//! Shutdown (invariant 8): the listener stops accepting, every connection finishes
//! the commands it has already read, writes their replies and closes; `run` returns
//! once the last connection is gone, so the caller can flush persistence and exit 0.

use std::future::Future;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::connection::Connection;
use super::workers::Workers;
use crate::state::ServerState;

/// The reply to a client over the `maxclients` cap, as Redis sends it.
const MAX_CLIENTS_REPLY: &[u8] = b"-ERR max number of clients reached\r\n";

/// Redis's reply to a remote client refused by protected mode.
const DENIED_REPLY: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and \
no password is set for the default user. In this mode connections are only accepted from the loopback \
interface. If you want to connect from external computers to Redis you may adopt one of the following \
solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the \
loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis \
is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) \
Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting \
the protected mode option to 'no', and then restarting the server. 3) If you started the server manually \
just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for \
the default user. NOTE: You only need to do one of the above things in order for the server to start \
accepting connections from the outside.\r\n";

/// Connections the kernel queues before `accept` takes them: Redis's `tcp-backlog`
/// default. (mio's default is 128, which drops SYNs when 500 clients connect at once.)
const TCP_BACKLOG: u32 = 511;

/// Binds a listening socket on `addr` with Redis's backlog and `SO_REUSEADDR`, so a
/// restart does not wait for old connections in `TIME_WAIT`.
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket =
        if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(TCP_BACKLOG)
}

/// Whether protected mode refuses a client from `peer`: it is on, no password is
/// set, and the client is not on the loopback interface.
pub fn protected_mode_denies(config: &crate::config::Config, peer: std::net::IpAddr) -> bool {
    let peer_is_local = match peer {
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
    };
    config.protected_mode && config.requirepass.is_none() && !peer_is_local
}

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
/// Connections run on `workers`.
pub async fn run(
    listener: TcpListener,
    state: Arc<ServerState>,
    workers: &Workers,
    stop: impl Future<Output = ()>,
) {
    let (signal_tx, signal_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let shutdown = Shutdown { signal: signal_rx, _done: done_tx };
    // `CONFIG SET port|bind`: the new socket is bound by the command (so its error is
    // the reply), then handed here to replace the old one.
    let (rebind_tx, mut rebind_rx) = mpsc::unbounded_channel::<std::net::TcpListener>();
    state.set_rebind(std::sync::Arc::new(move |addr| {
        let listener = listen(addr)?.into_std()?;
        rebind_tx.send(listener).map_err(|_| std::io::Error::other("the server is shutting down"))
    }));
    let mut listener = listener;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(moved) = rebind_rx.recv() => match TcpListener::from_std(moved) {
                Ok(next) => {
                    log::info!("listening on {}", next.local_addr().map_or("?".into(), |a| a.to_string()));
                    listener = next;
                }
                Err(e) => log::warn!("cannot take over the new listening socket: {e}"),
            },
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => admit(stream, &state, &shutdown, workers),
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
fn admit(stream: TcpStream, state: &Arc<ServerState>, shutdown: &Shutdown, workers: &Workers) {
    state.stats.total_connections_received.add(1);
    let config = state.config.load();
    let refusal = if state.clients.len() >= config.maxclients {
        Some(MAX_CLIENTS_REPLY)
    } else if stream.peer_addr().is_ok_and(|peer| protected_mode_denies(&config, peer.ip())) {
        Some(DENIED_REPLY)
    } else {
        None
    };
    if let Some(reply) = refusal {
        state.stats.rejected_connections.add(1);
        tokio::spawn(async move {
            let mut stream = stream;
            let _ = stream.write_all(reply).await;
            let _ = stream.shutdown().await;
        });
        return;
    }
    let _ = stream.set_nodelay(true);
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else { return };
    let client = state.clients.register(peer, local);
    let (state, shutdown) = (state.clone(), shutdown.clone());
    workers.spawn_connection(stream, move |stream| async move {
        match stream {
            Ok(stream) => Connection::new(stream, state, client, shutdown).serve().await,
            Err(e) => {
                log::warn!("cannot hand a connection to its I/O thread: {e}");
                state.clients.unregister(client.id);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::protected_mode_denies;
    use crate::config::Config;

    #[test]
    fn protected_mode_refuses_only_remote_clients_without_a_password() {
        let mut config = Config::default();
        let remote = "192.0.2.7".parse().unwrap();
        assert!(protected_mode_denies(&config, remote));
        assert!(!protected_mode_denies(&config, "127.0.0.1".parse().unwrap()));
        assert!(!protected_mode_denies(&config, "::1".parse().unwrap()));
        assert!(!protected_mode_denies(&config, "::ffff:127.0.0.1".parse().unwrap()));
        config.requirepass = Some("secret".into());
        assert!(!protected_mode_denies(&config, remote));
        config.requirepass = None;
        config.protected_mode = false;
        assert!(!protected_mode_denies(&config, remote));
    }
}
