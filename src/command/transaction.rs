//! Transactions: `MULTI`, `EXEC`, `DISCARD`, `WATCH`, `UNWATCH`, with Redis's
//! semantics: commands after `MULTI` are checked and queued (`+QUEUED`); a queueing
//! error makes `EXEC` answer `EXECABORT`; `EXEC` runs the queue with no other client's
//! command in between and replies with all their replies, or with a null array when
//! a watched key changed since `WATCH`.
//!
//! Exclusivity: connections run each batch holding the server's transaction gate for
//! reading; `EXEC` only marks the queue as ready, and the connection then takes the
//! gate for writing and calls [`run_transaction`].

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{dispatch, CommandError, CommandResult, Context};

/// A transaction being queued after `MULTI`.
#[derive(Debug, Default)]
pub struct Transaction {
    /// The queued commands, in order.
    pub queued: Vec<Vec<Bytes>>,
    /// A command failed to queue (unknown, wrong arity): `EXEC` must abort.
    pub failed: bool,
}

/// `MULTI`: starts queueing.
pub fn multi(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    if ctx.session.multi.is_some() {
        return Err(CommandError::err("MULTI calls can not be nested"));
    }
    ctx.session.multi = Some(Transaction::default());
    ctx.out.ok();
    Ok(())
}

/// `EXEC`: hands the queue to the connection, which runs it exclusively.
pub fn exec(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    let Some(transaction) = ctx.session.multi.take() else {
        return Err(CommandError::err("EXEC without MULTI"));
    };
    if transaction.failed {
        unwatch_all(ctx);
        return Err(CommandError::Other(
            "EXECABORT Transaction discarded because of previous errors.".into(),
        ));
    }
    ctx.session.ready_transaction = Some(transaction.queued);
    Ok(())
}

/// `DISCARD`: drops the queue and every watch.
pub fn discard(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    if ctx.session.multi.take().is_none() {
        return Err(CommandError::err("DISCARD without MULTI"));
    }
    unwatch_all(ctx);
    ctx.out.ok();
    Ok(())
}

/// `WATCH key [key …]`: `EXEC` will fail if any of them changes first.
pub fn watch(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    if ctx.session.multi.is_some() {
        return Err(CommandError::err("WATCH inside MULTI is not allowed"));
    }
    let db = ctx.db().index();
    for key in &args[1..] {
        ctx.state.engine.watch.watch(db, key, ctx.session.client.id, &ctx.session.watch_dirty);
        ctx.session.watched.push((db, Box::from(&key[..])));
    }
    ctx.out.ok();
    Ok(())
}

/// `UNWATCH`: forgets every watched key.
pub fn unwatch(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    unwatch_all(ctx);
    ctx.out.ok();
    Ok(())
}

/// Forgets the connection's watches and clears its dirty flag.
pub fn unwatch_all(ctx: &mut Context<'_>) {
    let watched = std::mem::take(&mut ctx.session.watched);
    ctx.state.engine.watch.unwatch(ctx.session.client.id, &watched);
    ctx.session.watch_dirty.store(false, Ordering::SeqCst);
}

/// Whether `name` is acted on at once inside `MULTI` rather than queued.
pub fn runs_inside_multi(name: &[u8]) -> bool {
    ["exec", "discard", "multi", "watch", "quit", "reset"]
        .iter()
        .any(|c| name.eq_ignore_ascii_case(c.as_bytes()))
}

/// Runs a ready transaction: the caller holds the transaction gate exclusively (or
/// is the only thread, as during AOF replay). Replies `*-1` (null) if a watched key
/// changed, otherwise an array of every command's reply; the changes are logged
/// between `MULTI` and `EXEC` records so a crash never replays half of them.
pub fn run_transaction(ctx: &mut Context<'_>, queued: Vec<Vec<Bytes>>) {
    let dirty = ctx.session.watch_dirty.load(Ordering::SeqCst);
    unwatch_all(ctx);
    if dirty {
        ctx.out.null_array();
        return;
    }
    let writes = queued.iter().any(|args| super::lookup(&args[0]).is_some_and(|spec| spec.is_write()));
    if writes {
        ctx.db().log(&[b"MULTI"]);
    }
    ctx.out.array(queued.len());
    for args in &queued {
        ctx.session.local_stats.commands += 1;
        let start = ctx.out.len();
        if let Err(error) = dispatch(ctx, args) {
            ctx.out.truncate(start);
            ctx.out.error(&error.to_string());
        }
    }
    if writes {
        ctx.db().log(&[b"EXEC"]);
    }
}
