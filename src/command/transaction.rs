//! Transactions: `MULTI`, `EXEC`, `DISCARD`, `WATCH`, `UNWATCH`, with Redis 7.0's
//! semantics: commands after `MULTI` are checked and queued (`+QUEUED`); a queueing
//! error (unknown command, wrong arity, `-OOM`, a command not allowed inside a
//! transaction) makes `EXEC` answer `EXECABORT`; `EXEC` runs the queue with no other
//! client's command in between and replies with all their replies, or with a null
//! array when a watched key changed (or expired) since `WATCH`.
//!
//! Exclusivity: connections run each batch holding the server's transaction gate for
//! reading; `EXEC` returns [`Outcome::RunExclusive`], and the connection takes the
//! gate for writing and calls [`run_transaction`]. The queue's changes form one
//! group ([`crate::engine::KvEngine::group`]), which the AOF logs as one
//! `MULTI … EXEC`.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::spec::{CommandSpec, KeySpec};
use super::table::Command;
use super::{flags::*, Args, CommandError, CommandResult, Context, Outcome, TimeoutReply, REPLIED};

/// The transaction family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("multi", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, multi)
        .categories(&["transaction"]),
    CommandSpec::new("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, exec).categories(&["transaction"]),
    CommandSpec::new("discard", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, discard)
        .categories(&["transaction"]),
    CommandSpec::new("watch", -2, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, watch)
        .categories(&["transaction"])
        .keys(&[KeySpec::all_from(1, 1, &["RO"])]),
    CommandSpec::new("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, unwatch)
        .categories(&["transaction"]),
];

/// One command of a transaction's queue: the command it was looked up as when it
/// was queued (so `EXEC` does not look it up again), and its arguments.
#[derive(Debug)]
pub struct Queued {
    /// The command, checked when it was queued.
    pub command: &'static Command,
    /// The request, name included.
    pub args: Vec<Bytes>,
}

/// A transaction being queued after `MULTI`.
#[derive(Debug, Default)]
pub struct Transaction {
    /// The queued commands, in order.
    pub queued: Vec<Queued>,
    /// A command failed to queue: `EXEC` must abort.
    pub failed: bool,
    /// The union of the queued commands' flags (`EXEC` is refused over `maxmemory`
    /// when one of them is `denyoom`, and under `-MISCONF` when one writes).
    pub flags: super::Flags,
    /// The bytes of the queued commands' arguments (`CLIENT LIST`'s `multi-mem`).
    pub arg_bytes: usize,
}

/// `MULTI`: starts queueing.
pub fn multi(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    if ctx.session.multi.is_some() {
        return Err(CommandError::err("MULTI calls can not be nested"));
    }
    ctx.session.multi = Some(Transaction::default());
    ctx.out.ok();
    REPLIED
}

/// `EXEC`: hands the queue to the connection, which runs it exclusively.
pub fn exec(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let Some(transaction) = ctx.session.multi.take() else {
        return Err(CommandError::err("EXEC without MULTI"));
    };
    if transaction.failed {
        unwatch_all(ctx);
        return Err(CommandError::Other(
            "EXECABORT Transaction discarded because of previous errors.".into(),
        ));
    }
    Ok(Outcome::RunExclusive(transaction.queued))
}

/// `DISCARD`: drops the queue and every watch.
pub fn discard(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    if ctx.session.multi.take().is_none() {
        return Err(CommandError::err("DISCARD without MULTI"));
    }
    unwatch_all(ctx);
    ctx.out.ok();
    REPLIED
}

/// `WATCH key [key …]`: `EXEC` will fail if any of them changes first.
pub fn watch(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    if ctx.session.multi.is_some() {
        return Err(CommandError::err("WATCH inside MULTI is not allowed"));
    }
    let db = ctx.db();
    let index = db.index();
    for key in args.rest() {
        if ctx.session.watched.iter().any(|(d, k)| *d == index && **k == key[..]) {
            continue;
        }
        let expired = db.holds_expired(key, ctx.now_ms);
        ctx.state.watches.watch(index, key, ctx.session.client.id, &ctx.session.watch_dirty, expired);
        ctx.session.watched.push((index, Box::from(&key[..])));
    }
    ctx.out.ok();
    REPLIED
}

/// `UNWATCH`: forgets every watched key.
pub fn unwatch(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    unwatch_all(ctx);
    ctx.out.ok();
    REPLIED
}

/// Forgets the connection's watches and clears its dirty flag.
pub fn unwatch_all(ctx: &mut Context<'_>) {
    let watched = std::mem::take(&mut ctx.session.watched);
    ctx.state.watches.unwatch(ctx.session.client.id, &watched);
    ctx.session.watch_dirty.store(false, Ordering::SeqCst);
}

/// Whether `spec` is acted on at once inside `MULTI` rather than queued.
pub fn runs_inside_multi(spec: &CommandSpec) -> bool {
    matches!(spec.name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// Whether `EXEC` must fail for its watches: a watched key changed, or one that was
/// live when watched has expired since (even if nothing removed it yet).
fn watch_failed(ctx: &Context<'_>) -> bool {
    if ctx.session.watch_dirty.load(Ordering::SeqCst) {
        return true;
    }
    let live = ctx.state.watches.watched_live(ctx.session.client.id, &ctx.session.watched);
    live.iter().any(|(db, key)| ctx.state.engine.db(*db).holds_expired(key, ctx.now_ms))
}

/// Runs a ready transaction: the caller holds the transaction gate exclusively (or
/// is the only thread, as during AOF replay). Replies `*-1` (null) if a watched key
/// changed, otherwise an array of every command's reply. The changes form one group,
/// logged between `MULTI` and `EXEC` records so a crash never replays half of them.
/// A blocking command inside acts as its non-blocking form.
pub fn run_transaction(ctx: &mut Context<'_>, queued: Vec<Queued>) {
    let failed = watch_failed(ctx);
    unwatch_all(ctx);
    // Where the EXEC's reply starts (CLIENT REPLY OFF / SKIP drop it whole).
    let mark = ctx.out.len();
    if failed {
        ctx.out.null_array();
        ctx.session.reply.after_command(ctx.out, mark, false);
        super::pubsub::end_transaction(ctx);
        return;
    }
    ctx.out.array(queued.len());
    super::pubsub::begin_transaction(ctx);
    let state = ctx.state;
    state.engine.group(|| {
        for queued in &queued {
            ctx.session.local_stats.commands += 1;
            let start = ctx.out.len();
            match super::dispatch::run_queued(ctx, queued) {
                Ok(Outcome::Block(block)) => write_timeout(ctx, block.on_timeout),
                Ok(Outcome::RunScript(call)) => super::scripting::run_script(ctx, *call),
                Ok(_) => {}
                Err(error) => {
                    ctx.out.truncate(start);
                    ctx.out.error(&error.to_string());
                }
            }
        }
    });
    ctx.session.reply.after_command(ctx.out, mark, false);
    super::pubsub::end_transaction(ctx);
}

/// Writes what a wait replies when it times out.
pub fn write_timeout(ctx: &mut Context<'_>, reply: TimeoutReply) {
    match reply {
        TimeoutReply::Integer(n) => ctx.out.integer(n),
        TimeoutReply::NullArray => ctx.out.null_array(),
        TimeoutReply::Null => ctx.out.null(),
    }
}
