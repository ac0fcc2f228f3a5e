//! Running one request, in the order Redis 7's `processCommand` checks it: the
//! command must exist (with its subcommand), take that many arguments, be allowed
//! before authentication and inside `MULTI`, fit under `maxmemory`, and, for a
//! write, find the AOF healthy. Inside `MULTI` it is then queued; otherwise it runs,
//! timed for `INFO commandstats` and the slow log.

use bytes::Bytes;

use super::table::{table, Command};
use super::transaction::{self, Queued, Transaction};
use super::{flags, Args, Block, CommandError, CommandResult, Context, Flags, Outcome, REPLIED};
use crate::config::Config;

/// `-OOM …`, as Redis words it.
const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Refused writes under `min-replicas-to-write`.
pub(super) const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

/// Redis's `checkGoodReplicasStatus`: with `min-replicas-to-write` (and a
/// `min-replicas-max-lag`) set, writes need that many replicas; FerrumKV has
/// none, so it then refuses every write, as a Redis master without replicas does.
pub(super) fn good_replicas(config: &Config) -> bool {
    config.compat.min_replicas_to_write == 0 || config.compat.min_replicas_max_lag == 0
}

/// Runs one request and writes its reply (or error) into `ctx.out`; inside `MULTI`,
/// checks and queues it. Returns what the connection does next.
pub fn execute(ctx: &mut Context<'_>, args: &[Bytes]) -> Outcome {
    ctx.session.local_stats.commands += 1;
    let start = ctx.out.len();
    let outcome = match dispatch(ctx, args) {
        Ok(outcome) => outcome,
        Err(error) => {
            // A handler never leaves half a reply behind an error.
            ctx.out.truncate(start);
            let line = error.to_string();
            ctx.state.stats.errors.count(&line);
            ctx.out.error(&line);
            Outcome::Reply
        }
    };
    // CLIENT REPLY OFF / SKIP drop this command's reply, not what is pushed to the
    // client after it (Redis's CLIENT_PUSHING); an EXEC's whole reply is dealt
    // with once its queue has run, a postponed command's when it runs.
    if !matches!(outcome, Outcome::RunExclusive(_) | Outcome::RunScript(_) | Outcome::Postponed) {
        let pushed = ctx.session.reply != super::ReplyMode::On && replies_with_pushes(args);
        ctx.session.reply.after_command(ctx.out, start, pushed);
    }
    super::pubsub::after_command(ctx);
    outcome
}

/// Whether the command's reply is made of pushes (the (un)subscribe
/// confirmations), which `CLIENT REPLY OFF`/`SKIP` do not drop.
fn replies_with_pushes(args: &[Bytes]) -> bool {
    const PUSHING: [&str; 6] =
        ["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"];
    args.first().is_some_and(|name| PUSHING.iter().any(|p| name.eq_ignore_ascii_case(p.as_bytes())))
}

/// Checks one command and runs or queues it.
fn dispatch(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    if args.is_empty() {
        return REPLIED;
    }
    let config = ctx.state.config.load();
    let (command, queueing, command_flags) = match check(ctx, args, &config) {
        Ok(Some(checked)) => checked,
        Ok(None) => {
            // Held by CLIENT PAUSE: it runs (and is counted) when the pause ends.
            ctx.session.local_stats.commands -= 1;
            return Ok(Outcome::Postponed);
        }
        Err((command, error)) => {
            if let Some(command) = command {
                ctx.session.command_stats.record_rejected(command.id);
            }
            return Err(reject(ctx, command, error));
        }
    };
    if let Some(transaction) = ctx.session.multi.as_mut().filter(|_| queueing) {
        transaction.queued.push(Queued { command, args: args.to_vec() });
        transaction.flags |= command_flags;
        transaction.arg_bytes += args.iter().map(|a| a.len()).sum::<usize>();
        ctx.out.simple("QUEUED");
        return REPLIED;
    }
    let result = run(ctx, command, args, &config);
    super::pubsub::after_dispatch(ctx, command, &result);
    result
}

/// Refuses `args` while a script is past `busy-reply-threshold`, as Redis's
/// `processCommand` does for a command without `allow-busy`: `-BUSY`, which also
/// fails an open transaction, and an `EXEC` discards it (`EXECABORT … BUSY …`).
pub fn refuse_while_busy(ctx: &mut Context<'_>, args: &[Bytes]) {
    let command = args.first().and_then(|name| table().lookup(name));
    let error = reject(ctx, command, CommandError::Other(ctx.state.scripting.busy_error().into()));
    let line = error.to_string();
    ctx.state.stats.errors.count(&line);
    ctx.out.error(&line);
}

/// A rejected command's error; inside `MULTI` it also fails the transaction, and a
/// rejected `EXEC` discards it (`EXECABORT Transaction discarded because of: …`).
fn reject(ctx: &mut Context<'_>, command: Option<&Command>, error: CommandError) -> CommandError {
    let Some(queued) = ctx.session.multi.as_mut() else { return error };
    if command.is_some_and(|c| c.spec.name == "exec") {
        ctx.session.multi = None;
        transaction::unwatch_all(ctx);
        return CommandError::Other(format!("EXECABORT Transaction discarded because of: {error}").into());
    }
    queued.failed = true;
    error
}

/// Finds the command and checks it may run now: the command, whether it is to be
/// queued (inside `MULTI`) and its flags for this request, or `None` when a
/// `CLIENT PAUSE` holds it; on failure, the command (if it was found) and the
/// error.
#[allow(clippy::type_complexity)]
fn check(
    ctx: &mut Context<'_>,
    args: &[Bytes],
    config: &Config,
) -> Result<Option<(&'static Command, bool, Flags)>, (Option<&'static Command>, CommandError)> {
    let found = resolve(args);
    ctx.session.last_command = found.as_ref().ok().copied().or_else(|| lookup_only(args));
    let command = found.map_err(|e| (None, e))?;
    let spec = command.spec;
    // A script's shebang or a function's flags decide whether it writes
    // (Redis's `getCommandFlags`).
    let command_flags = super::scripting::request_flags(ctx.state, spec, args);
    let fail = |error| Err((Some(command), error));
    if !ctx.session.authenticated && !spec.has(flags::NO_AUTH) {
        return fail(CommandError::NoAuth);
    }
    let multi = ctx.session.multi.as_ref();
    if multi.is_some() && spec.has(flags::NO_MULTI) {
        return fail(CommandError::err("Command not allowed inside a transaction"));
    }
    let queueing = multi.is_some() && !transaction::runs_inside_multi(spec);
    let is_exec = spec.name == "exec";
    let queued_flags = multi.map_or(0, |m: &Transaction| m.flags);
    let writes = command_flags & flags::WRITE != 0 || (is_exec && queued_flags & flags::WRITE != 0);
    if config.maxmemory > 0 && !ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed) {
        // Inside MULTI everything but EXEC, DISCARD, QUIT and RESET could grow the
        // queue without bound, so it is refused too, as in Redis.
        let refuse_over_cap = command_flags & flags::DENYOOM != 0
            || (is_exec && queued_flags & flags::DENYOOM != 0)
            || (queueing && !matches!(spec.name, "discard" | "quit" | "reset"));
        // Every command evicts first (a write like DEL that is not refused, and a
        // read too, as Redis 7.0's `processCommand` does: the invalidations of
        // the keys it evicts then come before the read's reply).
        let over_cap = ctx.state.make_room(config, ctx.now_ms).is_err();
        if over_cap && refuse_over_cap {
            return fail(CommandError::Other(OOM.into()));
        }
    }
    if ctx.session.push.subscriptions.any()
        && ctx.out.protocol() == crate::protocol::Protocol::Resp2
        && !(command.parent.is_none() && super::pubsub::allowed_while_subscribed(spec.name))
    {
        return fail(CommandError::err(format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in \
             this context",
            command.full_name
        )));
    }
    let keyspace = spec.is_write() || spec.has(flags::READONLY) || spec.has(flags::MAY_REPLICATE);
    if keyspace && ctx.session.client.monitor.load(std::sync::atomic::Ordering::Relaxed) {
        // A monitor is a replica to Redis 7.0.
        return fail(CommandError::err("Replica can't interact with the keyspace"));
    }
    if writes || spec.name == "ping" {
        if let Some(error) = ctx.state.aof_failure() {
            return fail(CommandError::Other(
                format!("MISCONF Errors writing to the AOF file: {error}").into(),
            ));
        }
    }
    if writes && !good_replicas(config) && !ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed) {
        return fail(CommandError::Other(NOREPLICAS.into()));
    }
    // Redis's processCommand: a paused server holds a client's command (every
    // command under ALL; under WRITE one that writes or may replicate, or an EXEC
    // whose queue does) until the pause ends. Not while loading the AOF.
    let may_replicate = flags::WRITE | flags::MAY_REPLICATE;
    let replicates = command_flags & may_replicate != 0 || (is_exec && queued_flags & may_replicate != 0);
    if ctx.state.pause.holds(replicates, ctx.now_ms as i64)
        && !ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed)
    {
        return Ok(None);
    }
    Ok(Some((command, queueing, command_flags)))
}

/// The command a request names when it failed to resolve (wrong arity, unknown
/// subcommand): Redis's `lastcmd` is set by the lookup alone.
fn lookup_only(args: &[Bytes]) -> Option<&'static Command> {
    let table = table();
    let command = table.lookup(&args[0])?;
    if command.spec.subcommands.is_empty() || args.len() < 2 {
        return Some(command);
    }
    table.subcommand(command, &args[1])
}

/// Looks the command (and its subcommand) up and checks the arity.
fn resolve(args: &[Bytes]) -> Result<&'static Command, CommandError> {
    let table = table();
    let mut command = table.lookup(&args[0]).ok_or_else(|| unknown_command(args))?;
    if !command.spec.subcommands.is_empty() && args.len() >= 2 {
        command = table.subcommand(command, &args[1]).ok_or_else(|| CommandError::UnknownSubcommand {
            sub: String::from_utf8_lossy(&args[1]).chars().take(128).collect(),
            command: command.spec.name,
        })?;
    }
    if !command.spec.accepts(args.len()) {
        return Err(CommandError::WrongArity(command.full_name.clone()));
    }
    Ok(command)
}

/// Runs one command of a transaction's queue: it was checked when queued, and
/// `EXEC` was checked for the queue as a whole, so it runs without the gates (as
/// Redis's `EXEC` calls each command directly).
pub(super) fn run_queued(ctx: &mut Context<'_>, queued: &Queued) -> CommandResult {
    let config = ctx.state.config.load();
    run(ctx, queued.command, &queued.args, &config)
}

/// Runs a command a script calls (`redis.call`): the script checked it, as
/// Redis's `scriptCall` does, so it runs without the client gates.
pub(super) fn run_from_script(
    ctx: &mut Context<'_>,
    command: &'static Command,
    args: &[Bytes],
) -> CommandResult {
    let config = ctx.state.config.load();
    run(ctx, command, args, &config)
}

/// Runs a checked command, timing it for the stats and the slow log.
fn run(ctx: &mut Context<'_>, command: &'static Command, args: &[Bytes], config: &Config) -> CommandResult {
    let spec = command.spec;
    ctx.session.wrote |= spec.is_write();
    let mut cursor = Args::new(args, if command.parent.is_some() { 2 } else { 1 });
    if ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed) {
        // Replaying the AOF: no timing, no slow log.
        return (spec.handler)(ctx, &mut cursor);
    }
    super::pubsub::before_run(ctx);
    crate::pubsub::tracking::set_current(ctx.session.client.id);
    let started = std::time::Instant::now();
    let mut result = if ctx.session.no_touch && spec.name != "touch" {
        // CLIENT NO-TOUCH: this command's reads are not accesses (TOUCH still is).
        crate::engine::access::untouched(|| (spec.handler)(ctx, &mut cursor))
    } else {
        (spec.handler)(ctx, &mut cursor)
    };
    let usec = started.elapsed().as_micros() as u64;
    if let Ok(Outcome::Block(Block { on: Some(on), .. })) = &mut result {
        on.pending.command = command.id;
    }
    crate::pubsub::tracking::set_current(0);
    super::pubsub::after_run(ctx, command, args, config, &result);
    ctx.session.command_stats.record(command.id, usec, result.is_err());
    let threshold = config.slowlog_log_slower_than;
    if threshold >= 0 && usec >= threshold as u64 && !spec.has(flags::SKIP_SLOWLOG) {
        let client = &ctx.session.client;
        let name = crate::sync::lock(&client.names).name.clone();
        ctx.state.slowlog.push(args, usec, client.addr.to_string(), name, config.slowlog_max_len);
    }
    result
}

/// Redis's reply to an unknown command: the name and up to 128 characters of the
/// arguments, each quoted and followed by a space.
fn unknown_command(args: &[Bytes]) -> CommandError {
    let name = String::from_utf8_lossy(&args[0]);
    let name: String = name.chars().take(128).collect();
    let mut shown = String::new();
    for arg in &args[1..] {
        let room = 128usize.saturating_sub(shown.len());
        if room == 0 {
            break;
        }
        let text = String::from_utf8_lossy(arg);
        let text: String = text.chars().take(room).collect();
        shown.push_str(&format!("'{text}' "));
    }
    CommandError::UnknownCommand(format!("ERR unknown command '{name}', with args beginning with: {shown}"))
}
