//! One client connection: read what has arrived, run every complete request in it,
//! write all their replies with one write, repeat. Pipelining falls out of the loop.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::listener::Shutdown;
use crate::blocking::{Finish, Waiter};
use crate::clients::{flag, ClientInfo, Unblock};
use crate::clock::{unix_millis, unix_secs};
use crate::command::blocking::serve_ready;
use crate::command::transaction::{run_transaction, write_timeout};
use crate::command::{execute, Block, Context, Outcome, Session};
use crate::protocol::{Limits, Protocol, ReplyWriter, RequestParser};
use crate::state::ServerState;

/// How much buffer space to have free before each read.
const READ_CHUNK: usize = 16 * 1024;

/// Replies are written once a batch has produced this many bytes, before the rest
/// of the pipeline runs: a client's output never grows far beyond it.
const OUTPUT_BATCH: usize = 1024 * 1024;

/// Redis's query buffer limit for a client that has not authenticated.
const UNAUTHENTICATED_QUERY_BUFFER: usize = 1024 * 1024;

/// How a batch of requests ended.
#[derive(Debug)]
enum Batch {
    /// Every complete request ran.
    Done,
    /// The replies filled [`OUTPUT_BATCH`]: write them, then run the rest.
    OutputFull,
    /// Close after writing the replies (`QUIT`, `SHUTDOWN`, protocol error).
    Close,
    /// A command made the client wait: write the replies so far, wait, then run
    /// the rest of the pipeline.
    Block(Block),
    /// A `CLIENT PAUSE` holds the next command (kept in `postponed`): write the
    /// replies so far, wait for the pause to end, then run it and the rest.
    Postponed,
    /// A script is running (not yet busy): nothing ran; try again when it ends
    /// (or shortly), the I/O thread free meanwhile.
    AwaitScript,
    /// `EVAL`/`EVALSHA` compiled a script: write the replies so far, run it off
    /// the I/O thread ([`Connection::run_script`]), then the rest of the pipeline.
    Script(Box<crate::command::scripting::ScriptCall>),
}

/// How a wait ended.
#[derive(Debug)]
enum Ended {
    /// Its deadline passed.
    Timeout,
    /// `CLIENT UNBLOCK` ended it (how is in the client's `waiting`).
    Unblocked,
    /// A key served it: the reply.
    Served(Vec<u8>),
    /// The client is gone (killed, disconnected, over a limit, shutdown).
    Gone,
}

/// A connection and everything it owns.
pub(super) struct Connection {
    stream: TcpStream,
    state: Arc<ServerState>,
    session: Session,
    parser: RequestParser,
    out: ReplyWriter,
    input: BytesMut,
    shutdown: Shutdown,
    /// The request a `CLIENT PAUSE` holds, run first once the pause ends.
    postponed: Option<Vec<Bytes>>,
    /// The most reply bytes one batch has held (`rbp`).
    reply_peak: usize,
}

impl Connection {
    pub(super) fn new(
        stream: TcpStream,
        state: Arc<ServerState>,
        client: Arc<ClientInfo>,
        shutdown: Shutdown,
    ) -> Self {
        let mut session = Session::new(client);
        let config = state.config.load();
        session.authenticated = config.requirepass.is_none();
        let limits = Limits::for_client(session.authenticated, config.proto_max_bulk_len);
        drop(config);
        {
            use std::os::fd::AsRawFd;
            let gauges = &session.client.gauges;
            gauges.fd.store(stream.as_raw_fd() as i64, Ordering::Relaxed);
            let base = std::mem::size_of::<Connection>() + std::mem::size_of::<ClientInfo>();
            gauges.base_mem.store(base, Ordering::Relaxed);
        }
        Connection {
            stream,
            state,
            session,
            parser: RequestParser::new(limits),
            out: ReplyWriter::new(Protocol::Resp2),
            input: BytesMut::with_capacity(READ_CHUNK),
            shutdown,
            postponed: None,
            reply_peak: 0,
        }
    }

    /// Runs the connection to its end and unregisters the client.
    pub(super) async fn serve(mut self) {
        let id = self.session.client.id;
        self.serve_loop().await;
        crate::command::pubsub::reset_subscriptions(&self.state, &mut self.session);
        let watched = std::mem::take(&mut self.session.watched);
        self.state.watches.unwatch(id, &watched);
        self.state.stats.absorb(&mut self.session.local_stats);
        self.state.clients.unregister(id);
    }

    /// Serves until the peer closes, `QUIT`, a protocol error, the idle timeout, an
    /// I/O error, a buffer limit or shutdown.
    async fn serve_loop(&mut self) {
        let mut pending = false;
        loop {
            if !pending {
                let idle = self.state.config.load().timeout;
                let read = tokio::select! {
                    read = read_some(&mut self.stream, &mut self.input, idle) => read,
                    _ = self.shutdown.started() => return,
                    _ = self.session.client.killed.notified() => return,
                    _ = self.session.client.push.ready() => {
                        if !self.write_pushes().await {
                            return;
                        }
                        continue;
                    }
                };
                match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        self.state.stats.total_net_input_bytes.add(n as u64);
                    }
                }
                if self.input.len() > self.query_buffer_limit() {
                    log::warn!(
                        "closing client {} ({}): query buffer over {} bytes",
                        self.session.client.id,
                        self.session.client.addr,
                        self.query_buffer_limit()
                    );
                    return;
                }
            }
            // Receivers of this batch's pushes are woken once, when it ends.
            let outcome = crate::pubsub::coalesce_wakes(|| self.run_requests());
            pending = matches!(outcome, Batch::OutputFull);
            self.publish_gauges();
            if !self.await_durability().await {
                return;
            }
            if self.out.len() > self.state.config.load().output_buffer_hard_limit() {
                log::warn!("closing client {}: output buffer over the hard limit", self.session.client.id);
                return;
            }
            if self.flush().await.is_err() {
                return;
            }
            match outcome {
                Batch::Close => return,
                Batch::Block(block) => {
                    if !self.wait(block).await {
                        return;
                    }
                    // The reply is written; the rest of the pipeline runs next.
                    pending = true;
                }
                Batch::Postponed => {
                    if !self.wait_for_unpause().await {
                        return;
                    }
                    // The held command, then the rest of the pipeline.
                    pending = true;
                }
                Batch::AwaitScript => {
                    // Woken when the script ends; every 5 ms meanwhile, to see
                    // it turn busy.
                    self.state.scripting.wait_for_end(std::time::Duration::from_millis(5)).await;
                    pending = true;
                }
                Batch::Script(call) => {
                    if !self.run_script(call).await {
                        return;
                    }
                    // The script's reply is queued; the rest of the pipeline next.
                    pending = true;
                }
                Batch::Done | Batch::OutputFull => {}
            }
        }
    }

    /// Runs a compiled script on a blocking-pool thread, holding the transaction
    /// gate exclusively (no other command runs meanwhile: a script is atomic), so
    /// this I/O thread stays free to answer its other clients: `-BUSY` past
    /// `busy-reply-threshold`, `SCRIPT KILL`, `SHUTDOWN NOSAVE`. The session and
    /// reply buffer go with the script and come back with its reply; false if the
    /// script's thread panicked (the client is closed).
    async fn run_script(&mut self, call: Box<crate::command::scripting::ScriptCall>) -> bool {
        let stand_in = Session::new(self.session.client.clone());
        let mut session = std::mem::replace(&mut self.session, stand_in);
        let protocol = self.out.protocol();
        let mut out = std::mem::replace(&mut self.out, ReplyWriter::new(protocol));
        let state = self.state.clone();
        let job = tokio::task::spawn_blocking(move || {
            let now_ms = unix_millis();
            {
                let mut ctx = Context { state: &state, session: &mut session, out: &mut out, now_ms };
                let exclusive = state.transaction_gate.write().unwrap_or_else(|p| p.into_inner());
                crate::command::scripting::run_script(&mut ctx, *call);
                drop(exclusive);
            }
            // Clients waiting on keys the script filled are served once it ended.
            serve_ready(&state, now_ms);
            (session, out)
        });
        match job.await {
            Ok((session, out)) => {
                self.session = session;
                self.out = out;
                true
            }
            Err(error) => {
                log::warn!("client {}: its script's thread failed: {error}", self.session.client.id);
                false
            }
        }
    }

    /// Waits as `block` says: until its deadline, until another client ends the
    /// wait (`CLIENT UNBLOCK`), until a key it waits on serves it, or until the
    /// client goes away (false: close). While it waits the client's further
    /// requests are read but not run, as in Redis, and the idle `timeout` does not
    /// apply.
    async fn wait(&mut self, block: Block) -> bool {
        let client = self.session.client.clone();
        client.waiting.begin();
        let waiter = block.on.map(|on| {
            let waiter = Waiter::new(client.id, self.session.db, on.keys, Box::new(on.pending));
            self.state.blocked.register(&waiter);
            // Offers the waiter its own keys: an element pushed since the command
            // looked is taken now (registration marked them ready).
            serve_ready(&self.state, unix_millis());
            waiter
        });
        let deadline = block.deadline.map(tokio::time::Instant::from_std);
        let ended = loop {
            if let Some(reply) = waiter.as_ref().and_then(|w| w.take_reply()) {
                break Ended::Served(reply);
            }
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let served = async {
                match &waiter {
                    Some(waiter) => waiter.woken().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => break Ended::Timeout,
                // Served (or released by a server that found nothing): look again.
                _ = served => {}
                // A wake-up left over from an earlier wait is ignored.
                _ = client.waiting.woken() => if client.waiting.was_unblocked() { break Ended::Unblocked },
                _ = client.killed.notified() => break Ended::Gone,
                _ = self.shutdown.started() => break Ended::Gone,
                read = read_some(&mut self.stream, &mut self.input, 0) => match read {
                    Ok(0) | Err(_) => break Ended::Gone,
                    Ok(_) if self.input.len() > self.query_buffer_limit() => break Ended::Gone,
                    Ok(n) => self.state.stats.total_net_input_bytes.add(n as u64),
                },
            }
        };
        // A waiter being served as the wait ends is waited for: it was served.
        let ended = match (&waiter, ended) {
            (Some(waiter), ended @ (Ended::Timeout | Ended::Unblocked | Ended::Gone)) => loop {
                match waiter.finish() {
                    Finish::Ended => break ended,
                    Finish::Served(reply) => break Ended::Served(reply),
                    Finish::Busy => waiter.woken().await,
                }
            },
            (_, ended) => ended,
        };
        if let Some(waiter) = &waiter {
            self.state.blocked.remove(waiter);
        }
        let unblocked = client.waiting.end();
        let mut ctx = Context {
            state: &self.state,
            session: &mut self.session,
            out: &mut self.out,
            now_ms: unix_millis(),
        };
        match (ended, unblocked) {
            // Killed, disconnected or shutting down: nothing more to say.
            (Ended::Gone, _) => false,
            (Ended::Served(reply), _) => {
                ctx.out.raw(&reply);
                // The pop was logged by the serving thread: under `appendfsync
                // always` this reply waits for the fsync that covers it.
                ctx.session.wrote = true;
                true
            }
            (_, Some(Unblock::Error)) => {
                ctx.out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
                true
            }
            _ => {
                write_timeout(&mut ctx, block.on_timeout);
                true
            }
        }
    }

    /// Writes what other clients pushed to this one (messages, `MONITOR` lines,
    /// invalidations), a batch at a time, until its outbox is empty; false when the
    /// connection is to close (the outbox overflowed, the client was killed, the
    /// server shuts down, the write failed). A peer that does not read keeps the
    /// write pending while pushers fill the outbox up to its limit, which closes it.
    async fn write_pushes(&mut self) -> bool {
        let client = self.session.client.clone();
        let mut chunk = Vec::new();
        // Let the publisher finish the batch it is running (it woke us with its
        // first frame), so one write carries many frames.
        tokio::task::yield_now().await;
        loop {
            if client.push.overflowed() {
                return false;
            }
            chunk.clear();
            if client.push.take_into(&mut chunk, OUTPUT_BATCH) == 0 {
                return true;
            }
            let written = tokio::select! {
                written = self.stream.write_all(&chunk) => written.is_ok(),
                _ = client.killed.notified() => false,
                _ = self.shutdown.started() => false,
            };
            if !written {
                return false;
            }
            self.state.stats.total_net_output_bytes.add(chunk.len() as u64);
        }
    }

    /// Waits, without spinning, until the `CLIENT PAUSE` that holds the postponed
    /// command changes or ends (at its deadline or `CLIENT UNPAUSE`), or the client
    /// goes away (false: close). Meanwhile the client counts as blocked (`b`,
    /// `blocked_clients`) and its further requests are read but not run.
    async fn wait_for_unpause(&mut self) -> bool {
        let client = self.session.client.clone();
        client.set_flag(flag::PAUSED, true);
        let mut changed = self.state.pause.watch();
        let go_on = loop {
            let now = unix_millis() as i64;
            let Some((_, end)) = self.state.pause.current(now) else { break true };
            let left = Duration::from_millis(end.saturating_sub(now).saturating_add(1) as u64);
            let deadline = tokio::time::Instant::now().checked_add(left);
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => {}
                // A changed pause (unpaused, or less strict): try the command again.
                _ = changed.changed() => break true,
                _ = client.killed.notified() => break false,
                _ = self.shutdown.started() => break false,
                read = read_some(&mut self.stream, &mut self.input, 0) => match read {
                    Ok(0) | Err(_) => break false,
                    Ok(_) if self.input.len() > self.query_buffer_limit() => break false,
                    Ok(n) => self.state.stats.total_net_input_bytes.add(n as u64),
                },
            }
        };
        client.set_flag(flag::PAUSED, false);
        go_on
    }

    /// Publishes the buffers' sizes for `CLIENT LIST` and client eviction (a few
    /// relaxed stores, once per batch).
    fn publish_gauges(&self) {
        let gauges = &self.session.client.gauges;
        gauges.qbuf.store(self.input.len(), Ordering::Relaxed);
        gauges.qbuf_free.store(self.input.capacity() - self.input.len(), Ordering::Relaxed);
        gauges.argv_mem.store(self.parser.pending_arg_bytes(), Ordering::Relaxed);
        gauges.reply_capacity.store(self.out.capacity(), Ordering::Relaxed);
        gauges.reply_peak.store(self.reply_peak.max(self.out.len()), Ordering::Relaxed);
        let last = self.session.last_command.map_or(crate::clients::NO_COMMAND, |c| c.id);
        gauges.last_command.store(last, Ordering::Relaxed);
        crate::command::client::list::publish_multi(&self.session);
    }

    /// The most unparsed input a client may have buffered (`client-query-buffer-limit`,
    /// and 1 MB before it has authenticated).
    fn query_buffer_limit(&self) -> usize {
        if self.session.authenticated {
            self.state.config.load().client_query_buffer_limit as usize
        } else {
            UNAUTHENTICATED_QUERY_BUFFER
        }
    }

    /// Executes the complete requests in the input buffer, stopping early once the
    /// replies reach [`OUTPUT_BATCH`] bytes (the rest run after those are written).
    fn run_requests(&mut self) -> Batch {
        let mut ctx = Context {
            state: &self.state,
            session: &mut self.session,
            out: &mut self.out,
            now_ms: unix_millis(),
        };
        let gate = &self.state.transaction_gate;
        let mut shared = None;
        if self.state.scripting.is_running() {
            // A script holds the gate: this batch waits for it (without holding
            // the I/O thread: `Batch::AwaitScript`), unless it is past
            // busy-reply-threshold, when the batch gets `-BUSY` (bar SCRIPT KILL
            // and the other allow-busy commands).
            match gate.try_read() {
                Ok(guard) => shared = Some(guard),
                Err(_) if self.state.scripting.is_busy() => {}
                Err(_) => return Batch::AwaitScript,
            }
        } else {
            shared = Some(gate.read().unwrap_or_else(|p| p.into_inner()));
        }
        if shared.is_none() {
            let batch = loop {
                match self.parser.next_request(&mut self.input) {
                    Ok(Some(args)) => {
                        if crate::command::scripting::allowed_while_busy(args) {
                            if let Outcome::Close = execute(&mut ctx, args) {
                                break Batch::Close;
                            }
                        } else {
                            crate::command::refuse_while_busy(&mut ctx, args);
                        }
                    }
                    Ok(None) => break Batch::Done,
                    Err(error) => {
                        ctx.out.error(&format!("ERR {error}"));
                        break Batch::Close;
                    }
                }
            };
            self.parser.release_args();
            return batch;
        }
        // `proto-max-bulk-len` as it is now, for this batch.
        let max_bulk = self.state.config.load().proto_max_bulk_len;
        let mut limits_for_authenticated = ctx.session.authenticated;
        self.parser.set_limits(Limits::for_client(limits_for_authenticated, max_bulk));
        ctx.session.query_buffer = (self.input.len(), self.input.capacity() - self.input.len());
        let mut held = self.postponed.take();
        let outcome = loop {
            if ctx.out.len() >= OUTPUT_BATCH {
                break Batch::OutputFull;
            }
            if ctx.session.authenticated != limits_for_authenticated {
                // Authenticated by the last command: full limits from the next one on.
                limits_for_authenticated = ctx.session.authenticated;
                self.parser.set_limits(Limits::for_client(limits_for_authenticated, max_bulk));
            }
            let owned;
            let args: &[Bytes] = match held.take() {
                Some(request) => {
                    owned = request;
                    &owned
                }
                None => match self.parser.next_request(&mut self.input) {
                    Ok(Some(args)) => args,
                    Ok(None) => break Batch::Done,
                    Err(error) => {
                        ctx.out.error(&format!("ERR {error}"));
                        break Batch::Close;
                    }
                },
            };
            let outcome = execute(&mut ctx, args);
            let batch = match outcome {
                Outcome::Reply => None,
                Outcome::Close => Some(Batch::Close),
                Outcome::RunExclusive(queued) => {
                    drop(shared.take());
                    let exclusive = gate.write().unwrap_or_else(|p| p.into_inner());
                    run_transaction(&mut ctx, queued);
                    drop(exclusive);
                    shared = Some(gate.read().unwrap_or_else(|p| p.into_inner()));
                    None
                }
                Outcome::RunScript(call) => Some(Batch::Script(call)),
                Outcome::Block(block) => Some(Batch::Block(block)),
                Outcome::Postponed => {
                    self.postponed = Some(args.to_vec());
                    break Batch::Postponed;
                }
            };
            // The command (or the whole EXEC) is complete: clients waiting on keys
            // it made ready are served now, before this client's next command.
            serve_ready(ctx.state, ctx.now_ms);
            if let Some(batch) = batch {
                break batch;
            }
        };
        drop(shared);
        self.parser.release_args();
        if self.input.is_empty() && self.input.capacity() > 4 * READ_CHUNK {
            // A big request grew the buffer: give the memory back, as Redis shrinks
            // an idle query buffer.
            self.input = BytesMut::with_capacity(READ_CHUNK);
        }
        self.session.client.last_active_secs.store(unix_secs(), Ordering::Relaxed);
        self.state.stats.absorb(&mut self.session.local_stats);
        self.state.command_stats.absorb(&mut self.session.command_stats);
        outcome
    }

    /// Under `appendfsync always`, waits until the AOF has fsynced this batch's
    /// writes (invariant 2). False when that failed: the replies are dropped
    /// unsent, so no failed write is acknowledged, and the connection closes.
    async fn await_durability(&mut self) -> bool {
        if !std::mem::take(&mut self.session.wrote) {
            return true;
        }
        if !self.state.aof_fsyncs_always() {
            return true;
        }
        let Some(aof) = self.state.aof() else { return true };
        match aof.barrier().await {
            Ok(Ok(())) => true,
            Ok(Err(_)) | Err(_) => {
                self.out.clear();
                false
            }
        }
    }

    /// Writes all pending replies with one write. A client that does not read
    /// replies over the soft output limit for the configured time is disconnected.
    async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let config = self.state.config.load();
        // Output is written in batches of at most OUTPUT_BATCH (plus one reply), so a
        // batch that fills it counts as "over the soft limit" too.
        let soft = config.output_buffer_soft_limit().min(OUTPUT_BATCH);
        let seconds = config.output_buffer_soft_seconds();
        let gauges = &self.session.client.gauges;
        gauges.reply_pending.store(self.out.len(), Ordering::Relaxed);
        self.reply_peak = self.reply_peak.max(self.out.len());
        gauges.reply_peak.store(self.reply_peak, Ordering::Relaxed);
        // Most batches fit in the socket's buffer: write what goes at once, and only
        // wait for the rest (racing CLIENT KILL, which ends a write the peer does
        // not read, and the soft limit's timer).
        let bytes = self.out.as_bytes();
        let mut written = 0;
        while written < bytes.len() {
            match self.stream.try_write(&bytes[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        let killed = &self.session.client.killed;
        let stream = &mut self.stream;
        let rest = &bytes[written..];
        let write = async move {
            if rest.is_empty() {
                return Ok(());
            }
            tokio::select! {
                written = stream.write_all(rest) => written,
                _ = killed.notified() => Err(std::io::ErrorKind::ConnectionAborted.into()),
            }
        };
        if soft > 0 && seconds > 0 && self.out.len() >= soft {
            match tokio::time::timeout(Duration::from_secs(seconds), write).await {
                Ok(result) => result?,
                Err(_) => {
                    log::warn!(
                        "closing client {}: {} reply bytes unread for {seconds}s",
                        self.session.client.id,
                        self.out.len()
                    );
                    return Err(std::io::ErrorKind::TimedOut.into());
                }
            }
        } else {
            write.await?;
        }
        self.state.stats.total_net_output_bytes.add(self.out.len() as u64);
        self.out.clear();
        self.session.client.gauges.reply_pending.store(0, Ordering::Relaxed);
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
