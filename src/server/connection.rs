//! One client connection: read what has arrived, run every complete request in it,
//! write all their replies with one write, repeat. Pipelining falls out of the loop.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::listener::Shutdown;
use crate::clients::{unix_secs, ClientInfo};
use crate::command::transaction::run_transaction;
use crate::command::{execute, unix_millis, Context, Session};
use crate::protocol::{Protocol, ReplyWriter, RequestParser};
use crate::state::ServerState;

/// How much buffer space to have free before each read.
const READ_CHUNK: usize = 16 * 1024;

/// A connection and everything it owns.
pub(super) struct Connection {
    stream: TcpStream,
    state: Arc<ServerState>,
    session: Session,
    parser: RequestParser,
    out: ReplyWriter,
    input: BytesMut,
    shutdown: Shutdown,
}

impl Connection {
    pub(super) fn new(
        stream: TcpStream,
        state: Arc<ServerState>,
        client: Arc<ClientInfo>,
        shutdown: Shutdown,
    ) -> Self {
        Connection {
            stream,
            state,
            session: Session::new(client),
            parser: RequestParser::default(),
            out: ReplyWriter::new(Protocol::Resp2),
            input: BytesMut::with_capacity(READ_CHUNK),
            shutdown,
        }
    }

    /// Runs the connection to its end and unregisters the client.
    pub(super) async fn serve(mut self) {
        let id = self.session.client.id;
        self.serve_loop().await;
        let watched = std::mem::take(&mut self.session.watched);
        self.state.engine.watch.unwatch(id, &watched);
        self.state.stats.absorb(&mut self.session.local_stats);
        self.state.clients.unregister(id);
    }

    /// Serves until the peer closes, `QUIT`, a protocol error, the idle timeout, an
    /// I/O error or shutdown.
    async fn serve_loop(&mut self) {
        loop {
            let idle = self.state.config.load().timeout;
            let read = tokio::select! {
                read = read_some(&mut self.stream, &mut self.input, idle) => read,
                _ = self.shutdown.started() => return,
            };
            match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    self.state.stats.total_net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
            let keep_open = self.run_requests();
            if !self.await_durability().await {
                return;
            }
            if self.flush().await.is_err() || !keep_open {
                return;
            }
        }
    }

    /// Executes every complete request in the input buffer; false when the
    /// connection must close afterwards (`QUIT` or a protocol error).
    fn run_requests(&mut self) -> bool {
        let mut ctx = Context {
            state: &self.state,
            session: &mut self.session,
            out: &mut self.out,
            now_ms: unix_millis(),
        };
        let gate = &self.state.transaction_gate;
        let mut shared = Some(gate.read().unwrap_or_else(|p| p.into_inner()));
        let keep_open = loop {
            match self.parser.next_request(&mut self.input) {
                Ok(Some(args)) => {
                    execute(&mut ctx, args);
                    if let Some(queued) = ctx.session.ready_transaction.take() {
                        drop(shared.take());
                        let exclusive = gate.write().unwrap_or_else(|p| p.into_inner());
                        run_transaction(&mut ctx, queued);
                        drop(exclusive);
                        shared = Some(gate.read().unwrap_or_else(|p| p.into_inner()));
                    }
                    if ctx.session.closing {
                        break false;
                    }
                }
                Ok(None) => break true,
                Err(error) => {
                    ctx.out.error(&format!("ERR {error}"));
                    break false;
                }
            }
        };
        drop(shared);
        self.session.client.last_active_secs.store(unix_secs(), Ordering::Relaxed);
        self.state.stats.absorb(&mut self.session.local_stats);
        keep_open
    }

    /// Under `appendfsync always`, waits until the AOF has fsynced this batch's
    /// writes (invariant 2). False when that failed: the replies are dropped
    /// unsent, so no failed write is acknowledged, and the connection closes.
    async fn await_durability(&mut self) -> bool {
        if !std::mem::take(&mut self.session.wrote) {
            return true;
        }
        let Some(aof) = self.state.aof.get() else { return true };
        if aof.status().policy() != crate::config::FsyncPolicy::Always {
            return true;
        }
        match aof.barrier().await {
            Ok(Ok(())) => true,
            Ok(Err(_)) | Err(_) => {
                self.out.clear();
                false
            }
        }
    }

    /// Writes all pending replies with one write.
    async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.stream.write_all(self.out.as_bytes()).await?;
        self.state.stats.total_net_output_bytes.fetch_add(self.out.len() as u64, Ordering::Relaxed);
        self.out.clear();
        Ok(())
    }
}

/// Reads more bytes into `input`; after `idle_secs` (0: never) of silence, reports
/// end of stream so the connection closes, as Redis's `timeout` does.
async fn read_some(stream: &mut TcpStream, input: &mut BytesMut, idle_secs: u64) -> std::io::Result<usize> {
    if input.capacity() - input.len() < READ_CHUNK / 4 {
        input.reserve(READ_CHUNK);
    }
    if idle_secs == 0 {
        return stream.read_buf(input).await;
    }
    match tokio::time::timeout(Duration::from_secs(idle_secs), stream.read_buf(input)).await {
        Ok(read) => read,
        Err(_) => Ok(0),
    }
}
