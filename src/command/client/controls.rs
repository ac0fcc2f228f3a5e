//! The controls a client has over its own connection (`CLIENT REPLY`, `CLIENT
//! NO-EVICT`, `CLIENT NO-TOUCH`, `RESET`) and over the server (`CLIENT PAUSE`,
//! `CLIENT UNPAUSE`).

use std::sync::atomic::Ordering;

use super::super::args::is;
use super::super::transaction::unwatch_all;
use super::super::{Args, CommandError, CommandResult, Context, ReplyMode, REPLIED};
use crate::clients::flag;
use crate::pause::PauseKind;
use crate::protocol::Protocol;
use crate::sync::lock;

/// `CLIENT REPLY ON|OFF|SKIP`: `ON` replies `+OK`; `OFF` silences every reply from
/// this one on; `SKIP` silences the next command's (ignored under `OFF`). The
/// connection drops the silenced replies after each command.
pub fn reply(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let mode = args.next_bytes()?;
    if is(mode, "ON") {
        ctx.session.reply = ReplyMode::On;
        ctx.out.ok();
    } else if is(mode, "OFF") {
        ctx.session.reply = ReplyMode::Off;
    } else if is(mode, "SKIP") {
        if ctx.session.reply != ReplyMode::Off {
            ctx.session.reply = ReplyMode::SkipNext;
        }
    } else {
        return Err(CommandError::Syntax);
    }
    REPLIED
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`: holds every client's commands (`ALL`, the
/// default) or those that write or may replicate (`WRITE`) for `timeout`
/// milliseconds; expiry and eviction stop meanwhile. The mode is checked before the
/// timeout, as in Redis 7.0, and the timeout is added to now as Redis does (a sum
/// that overflows wraps into the past: no pause).
pub fn pause(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let kind = match args.rest() {
        [_] => PauseKind::All,
        [_, mode] if is(mode, "WRITE") => PauseKind::Write,
        [_, mode] if is(mode, "ALL") => PauseKind::All,
        [_, _] => return Err(CommandError::err("CLIENT PAUSE mode must be WRITE or ALL")),
        _ => return Err(super::subcommand_syntax(args)),
    };
    let timeout = super::super::args::int(args.next_bytes()?)
        .map_err(|_| CommandError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    let end = if timeout > 0 { timeout.wrapping_add(ctx.now_ms as i64) } else { 0 };
    ctx.state.pause_clients(kind, end, ctx.now_ms as i64);
    ctx.out.ok();
    REPLIED
}

/// `CLIENT UNPAUSE`: ends the pause; held clients run their commands.
pub fn unpause(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.state.unpause_clients();
    ctx.out.ok();
    REPLIED
}

/// `on`/`off`, any case, or a syntax error.
fn on_off(args: &mut Args<'_>) -> Result<bool, CommandError> {
    match args.one_of(&["ON", "OFF"]) {
        Some(0) => Ok(true),
        Some(_) => Ok(false),
        None => Err(CommandError::Syntax),
    }
}

/// `CLIENT NO-EVICT on|off`: whether `maxmemory-clients` may close this client.
pub fn no_evict(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let on = on_off(args)?;
    ctx.session.client.set_flag(flag::NO_EVICT, on);
    ctx.out.ok();
    REPLIED
}

/// `CLIENT NO-TOUCH on|off` (Redis 7.2's): while on, this client's commands leave
/// the LRU clock and LFU counter of the keys they read alone (`OBJECT IDLETIME` and
/// `FREQ` do not move), except `TOUCH`, which still counts as an access.
pub fn no_touch(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let on = on_off(args)?;
    ctx.session.no_touch = on;
    ctx.session.client.set_flag(flag::NO_TOUCH, on);
    ctx.out.ok();
    REPLIED
}

/// `RESET`: the connection as if newly connected (Redis's
/// `clearClientConnectionState`): `MULTI` and `WATCH` discarded, database 0, RESP2,
/// the name cleared (the library name and version stay, as in 7.2), `CLIENT REPLY
/// ON`, `NO-EVICT` and `NO-TOUCH` off (7.2 clears them too), and unauthenticated
/// again when a password is set. Replies `+RESET`.
pub fn reset(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    // Every subscription, MONITOR and client tracking end.
    crate::command::pubsub::reset_subscriptions(ctx.state, ctx.session);
    ctx.session.multi = None;
    unwatch_all(ctx);
    ctx.session.db = 0;
    let client = &ctx.session.client;
    client.db.store(0, Ordering::Relaxed);
    ctx.out.set_protocol(Protocol::Resp2);
    client.resp.store(2, Ordering::Relaxed);
    ctx.session.authenticated = ctx.state.config.load().requirepass.is_none();
    lock(&client.names).name.clear();
    ctx.session.reply = ReplyMode::On;
    ctx.session.no_touch = false;
    client.set_flag(flag::NO_EVICT | flag::NO_TOUCH, false);
    super::list::publish_multi(ctx.session);
    ctx.out.simple("RESET");
    REPLIED
}
