//! `CLIENT LIST [TYPE type | ID id …]` and `CLIENT INFO`: one line per client with
//! Redis 7.0's fields in its order (and Redis 7.2's `lib-name`, `lib-ver` after
//! them), measured from what each connection publishes once per batch; the calling
//! client's own line is published first from its live state, so it shows the
//! command being run (`cmd=client|list`, `qbuf=26`).

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::super::args::{self, is};
use super::super::table::table;
use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use crate::clients::{flag, ClientInfo, ClientKind, NO_COMMAND, REPLY_CHUNK};
use crate::clock::unix_secs;
use crate::sync::lock;

/// `CLIENT LIST [TYPE normal|master|replica|slave|pubsub] [ID id …]`: Redis's
/// argument rules (`TYPE` only as the one option, `ID` with at least one id, each
/// an integer, listed in the order given).
pub fn list(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    publish_own(ctx, args);
    let all = args.all();
    let clients: Vec<std::sync::Arc<ClientInfo>> = if all.len() == 4 && is(&all[2], "TYPE") {
        let kind = ClientKind::parse(&all[3])
            .ok_or_else(|| CommandError::err(format!("Unknown client type '{}'", args::text(&all[3]))))?;
        ctx.state.clients.snapshot(None).into_iter().filter(|c| c.kind() == kind).collect()
    } else if all.len() > 3 && is(&all[2], "ID") {
        let mut chosen = Vec::new();
        for id in &all[3..] {
            let id = args::int(id).map_err(|_| CommandError::err("Invalid client ID"))?;
            chosen.extend(u64::try_from(id).ok().and_then(|id| ctx.state.clients.get(id)));
        }
        chosen
    } else if all.len() != 2 {
        return Err(CommandError::Syntax);
    } else {
        ctx.state.clients.snapshot(None)
    };
    let mut text = String::with_capacity(clients.len() * 320);
    for client in &clients {
        describe(&mut text, client);
        text.push('\n');
    }
    ctx.out.verbatim("txt", text.as_bytes());
    REPLIED
}

/// `CLIENT INFO`: this connection's `CLIENT LIST` line.
pub fn info(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    publish_own(ctx, args);
    let mut text = String::with_capacity(320);
    describe(&mut text, &ctx.session.client);
    text.push('\n');
    ctx.out.verbatim("txt", text.as_bytes());
    REPLIED
}

/// Publishes the calling client's live state (the running command, its query
/// buffer at the start of the batch, the transaction, the replies so far).
fn publish_own(ctx: &Context<'_>, args: &Args<'_>) {
    let session = &*ctx.session;
    let gauges = &session.client.gauges;
    gauges.qbuf.store(session.query_buffer.0, Ordering::Relaxed);
    gauges.qbuf_free.store(session.query_buffer.1, Ordering::Relaxed);
    gauges.argv_mem.store(args.all().iter().map(|a| a.len()).sum(), Ordering::Relaxed);
    gauges.reply_pending.store(ctx.out.len(), Ordering::Relaxed);
    let last = session.last_command.map_or(NO_COMMAND, |c| c.id);
    gauges.last_command.store(last, Ordering::Relaxed);
    publish_multi(session);
}

/// Publishes the transaction's size (`multi`, `multi-mem`, the `x` flag).
pub fn publish_multi(session: &super::super::Session) {
    let gauges = &session.client.gauges;
    match &session.multi {
        Some(multi) => {
            gauges.multi.store(multi.queued.len() as i64, Ordering::Relaxed);
            gauges.multi_mem.store(multi.arg_bytes, Ordering::Relaxed);
            session.client.set_flag(flag::MULTI, true);
        }
        // Outside MULTI (nearly always): stores only when it just ended.
        None if session.client.has(flag::MULTI) => {
            gauges.multi.store(-1, Ordering::Relaxed);
            gauges.multi_mem.store(0, Ordering::Relaxed);
            session.client.set_flag(flag::MULTI, false);
        }
        None => {}
    }
}

/// The flags field, in Redis 7.0's order (`O P x b t R B e`, then 7.2's `T`; `N`
/// when none applies).
fn flags(client: &ClientInfo) -> String {
    use crate::pubsub::tracking::flag as tracking;
    let mut flags = String::new();
    if client.monitor.load(Ordering::Relaxed) {
        flags.push('O');
    }
    if client.kind() == ClientKind::PubSub {
        flags.push('P');
    }
    if client.has(flag::MULTI) {
        flags.push('x');
    }
    if client.is_blocked() {
        flags.push('b');
    }
    let tracked = client.tracking.load(Ordering::Relaxed);
    for (bit, letter) in [(tracking::ON, 't'), (tracking::BROKEN_REDIRECT, 'R'), (tracking::BCAST, 'B')] {
        if tracked & bit != 0 {
            flags.push(letter);
        }
    }
    if client.has(flag::NO_EVICT) {
        flags.push('e');
    }
    if client.has(flag::NO_TOUCH) {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    flags
}

/// Appends one client's line (without the newline).
pub fn describe(text: &mut String, client: &ClientInfo) {
    let names = lock(&client.names).clone();
    let gauges = &client.gauges;
    let now = unix_secs();
    let age = client.connected_at.elapsed().as_secs();
    let idle = now.saturating_sub(client.last_active_secs.load(Ordering::Relaxed));
    let pending = gauges.reply_pending.load(Ordering::Relaxed);
    let obl = pending.min(REPLY_CHUNK);
    // Pushed frames not yet written (messages, MONITOR lines) count as output too.
    let omem = pending - obl + client.push.queued();
    let oll = omem.div_ceil(REPLY_CHUNK);
    let command = match gauges.last_command.load(Ordering::Relaxed) {
        NO_COMMAND => "NULL",
        id => table().get(id).map_or("NULL", |c| c.full_name.as_str()),
    };
    let counts = &client.subscriptions;
    let (sub, psub, ssub) = (
        counts.channels.load(Ordering::Relaxed),
        counts.patterns.load(Ordering::Relaxed),
        counts.shard_channels.load(Ordering::Relaxed),
    );
    let redir = client.tracking_redirect.load(Ordering::Relaxed);
    let _ = write!(
        text,
        "id={} addr={} laddr={} fd={} name={} age={age} idle={idle} flags={} db={} sub={sub} psub={psub} \
         ssub={ssub} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={obl} \
         oll={oll} omem={omem} tot-mem={} events={} cmd={command} user={} redir={redir} resp={} \
         lib-name={} lib-ver={}",
        client.id,
        client.addr,
        client.laddr,
        gauges.fd.load(Ordering::Relaxed),
        names.name,
        flags(client),
        client.db.load(Ordering::Relaxed),
        gauges.multi.load(Ordering::Relaxed),
        gauges.qbuf.load(Ordering::Relaxed),
        gauges.qbuf_free.load(Ordering::Relaxed),
        gauges.argv_mem.load(Ordering::Relaxed),
        gauges.multi_mem.load(Ordering::Relaxed),
        gauges.reply_capacity.load(Ordering::Relaxed),
        gauges.reply_peak.load(Ordering::Relaxed),
        gauges.total_mem(),
        if pending > 0 { "rw" } else { "r" },
        client.user(),
        client.resp.load(Ordering::Relaxed),
        names.lib_name,
        names.lib_ver,
    );
}
