//! Administration: `SLOWLOG GET | LEN | RESET`, `SHUTDOWN [NOSAVE | SAVE]`,
//! `LASTSAVE`, and the harmless `DEBUG` helpers (`SLEEP`, `SET-ACTIVE-EXPIRE`).

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::args::{self, is};
use super::{help, subcommand_arity, CommandError, CommandResult, Context};

/// `SLOWLOG GET [count] | LEN | RESET | HELP`.
pub fn slowlog(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let sub = &args[1];
    if is(sub, "GET") {
        let count = match args.get(2) {
            None => 10,
            Some(n) => match args::int(n)? {
                -1 => usize::MAX,
                n if n >= 0 => n as usize,
                _ => return Err(CommandError::err("count should be greater than or equal to -1")),
            },
        };
        if args.len() > 3 {
            return Err(subcommand_arity("slowlog", sub));
        }
        let entries = ctx.state.slowlog.latest(count);
        let out = &mut *ctx.out;
        out.array(entries.len());
        for entry in entries {
            out.array(6);
            out.integer(entry.id as i64);
            out.integer(entry.time as i64);
            out.integer(entry.usec as i64);
            out.array(entry.args.len());
            for arg in &entry.args {
                out.bulk(arg);
            }
            out.bulk(entry.addr.as_bytes());
            out.bulk(entry.name.as_bytes());
        }
    } else if is(sub, "LEN") {
        if args.len() != 2 {
            return Err(subcommand_arity("slowlog", sub));
        }
        ctx.out.integer(ctx.state.slowlog.len() as i64);
    } else if is(sub, "RESET") {
        if args.len() != 2 {
            return Err(subcommand_arity("slowlog", sub));
        }
        ctx.state.slowlog.reset();
        ctx.out.ok();
    } else if is(sub, "HELP") {
        let lines = [
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "LEN",
            "RESET",
        ];
        help(ctx, &lines);
    } else {
        return Err(CommandError::UnknownSubcommand { sub: args::text(sub), command: "SLOWLOG" });
    }
    Ok(())
}

/// `SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE]`: stops the server as SIGTERM does (the
/// AOF is flushed and fsynced either way). No reply: the connection closes.
pub fn shutdown(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    for option in &args[1..] {
        if !["NOSAVE", "SAVE", "NOW", "FORCE"].iter().any(|o| is(option, o)) {
            return Err(CommandError::Syntax);
        }
    }
    log::warn!("SHUTDOWN requested by client {} ({})", ctx.session.client.id, ctx.session.client.addr);
    ctx.state.shutdown_requested.notify_one();
    ctx.session.closing = true;
    Ok(())
}

/// `LASTSAVE`: Unix time of the last successful AOF rewrite (or of the start).
pub fn lastsave(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    let rewritten =
        ctx.state.aof.get().map_or(0, |aof| aof.status().last_rewrite_secs.load(Ordering::Relaxed));
    ctx.out.integer(ctx.state.last_save.load(Ordering::Relaxed).max(rewritten) as i64);
    Ok(())
}

/// `DEBUG SLEEP seconds` (blocks this connection's worker, as Redis blocks the
/// server) and `DEBUG HELP`. Nothing that can corrupt or crash.
pub fn debug(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let sub = &args[1];
    if is(sub, "SLEEP") && args.len() == 3 {
        let seconds = args::float(&args[2])?;
        if !(0.0..=3600.0).contains(&seconds) {
            return Err(CommandError::err("sleep time out of range"));
        }
        std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        ctx.out.ok();
    } else if is(sub, "HELP") {
        let lines = ["DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "SLEEP <seconds>"];
        help(ctx, &lines);
    } else {
        return Err(CommandError::UnknownSubcommand { sub: args::text(sub), command: "DEBUG" });
    }
    Ok(())
}
