//! Administration: `SLOWLOG GET | LEN | RESET | HELP`, `SHUTDOWN`, the persistence
//! commands (`BGREWRITEAOF`, `LASTSAVE`, and `SAVE`/`BGSAVE`, which say that
//! FerrumKV keeps no RDB snapshot), and the harmless `DEBUG` helpers.

use std::sync::atomic::Ordering;

use super::args::is;
use super::spec::CommandSpec;
use super::{flags::*, Args, CommandError, CommandResult, Context, Outcome, REPLIED};

const DANGEROUS: &[&str] = &["dangerous"];

/// The administration family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("slowlog", -2, 0, slowlog_help).subcommands(SLOWLOG),
    CommandSpec::new("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY, shutdown),
    CommandSpec::new("lastsave", 1, LOADING | STALE | FAST, lastsave)
        .categories(&["admin", "dangerous"])
        .tips(&["nondeterministic_output"]),
    CommandSpec::new("bgrewriteaof", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING, bgrewriteaof),
    CommandSpec::new("save", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, save),
    CommandSpec::new("bgsave", -1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING, save),
    CommandSpec::new("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, debug),
];

/// The subcommands of `SLOWLOG`.
static SLOWLOG: &[CommandSpec] = &[
    CommandSpec::new("get", -2, ADMIN | LOADING | STALE, slowlog_get)
        .categories(DANGEROUS)
        .tips(&["request_policy:all_nodes", "nondeterministic_output"]),
    CommandSpec::new("len", 2, ADMIN | LOADING | STALE, slowlog_len).categories(DANGEROUS).tips(&[
        "request_policy:all_nodes",
        "response_policy:agg_sum",
        "nondeterministic_output",
    ]),
    CommandSpec::new("reset", 2, ADMIN | LOADING | STALE, slowlog_reset)
        .categories(DANGEROUS)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    CommandSpec::new("help", 2, LOADING | STALE, slowlog_help),
];

/// `SLOWLOG GET [count]`: the newest entries (10 by default, all with -1).
fn slowlog_get(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let count = match args.rest() {
        [] => 10,
        [n] => match super::args::int(n)? {
            -1 => usize::MAX,
            n if n >= 0 => n as usize,
            _ => return Err(CommandError::err("count should be greater than or equal to -1")),
        },
        _ => return Err(CommandError::WrongArity("slowlog|get".into())),
    };
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
    REPLIED
}

/// `SLOWLOG LEN`.
fn slowlog_len(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.integer(ctx.state.slowlog.len() as i64);
    REPLIED
}

/// `SLOWLOG RESET`.
fn slowlog_reset(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.state.slowlog.reset();
    ctx.out.ok();
    REPLIED
}

/// `SLOWLOG HELP`.
fn slowlog_help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ],
    )
}

/// `SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE]`: stops the server as SIGTERM does (the
/// AOF is flushed and fsynced either way). No reply: the connection closes.
pub fn shutdown(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    while !args.is_done() {
        if args.one_of(&["NOSAVE", "SAVE", "NOW", "FORCE", "ABORT"]).is_none() {
            return Err(CommandError::Syntax);
        }
    }
    log::warn!("SHUTDOWN requested by client {} ({})", ctx.session.client.id, ctx.session.client.addr);
    ctx.state.shutdown_requested.notify_one();
    Ok(Outcome::Close)
}

/// `LASTSAVE`: Unix time of the last successful AOF rewrite (or of the start).
pub fn lastsave(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let rewritten = ctx.state.aof().map_or(0, |aof| aof.status().last_rewrite_secs.load(Ordering::Relaxed));
    ctx.out.integer(ctx.state.last_save.load(Ordering::Relaxed).max(rewritten) as i64);
    REPLIED
}

/// `BGREWRITEAOF`: compacts the AOF in the background.
pub fn bgrewriteaof(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let Some(aof) = ctx.state.aof() else {
        return Err(CommandError::err("Append only file is not enabled (start with --aof-path)"));
    };
    ctx.state.rewrite_aof(&aof, ctx.now_ms).map_err(|e| CommandError::err(e.to_string()))?;
    ctx.out.simple("Background append only file rewriting started");
    REPLIED
}

/// `SAVE` and `BGSAVE`: FerrumKV persists with the append-only file only, so there
/// is no snapshot to write; the error says what to use instead.
pub fn save(_ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    Err(CommandError::err(
        "FerrumKV keeps no RDB snapshot: persistence is the append-only file (CONFIG SET appendonly yes; \
         BGREWRITEAOF compacts it)",
    ))
}

/// `DEBUG SLEEP seconds` (blocks this connection's worker, as Redis blocks the
/// server) and `DEBUG HELP`. Nothing that can corrupt or crash.
pub fn debug(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let sub = args.next_bytes()?;
    if is(sub, "SLEEP") && args.remaining() == 1 {
        let seconds = args.next_f64()?;
        if !(0.0..=3600.0).contains(&seconds) {
            return Err(CommandError::err("sleep time out of range"));
        }
        std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        ctx.out.ok();
        REPLIED
    } else if is(sub, "HELP") {
        super::help(
            ctx,
            &["DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "SLEEP <seconds>"],
        )
    } else {
        Err(CommandError::UnknownSubcommand { sub: super::args::text(sub), command: "DEBUG" })
    }
}
