//! Scripting commands: `EVAL`, `EVALSHA`, `EVAL_RO`, `EVALSHA_RO` and
//! `SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP`, with Redis 7.0.15's replies.
//!
//! A script runs with no other client's command in between: the handler checks
//! and compiles it, then returns [`Outcome::RunScript`]; the connection takes the
//! transaction gate exclusively (as for `EXEC`) and calls [`run_script`]. Its
//! `redis.call`s go through the command table and the same `run` path as a
//! client's commands, with the flags Redis enforces from scripts; the changes form
//! one group, which the AOF logs as one `MULTI … EXEC`.

use bytes::Bytes;
use mlua::{Lua, MultiValue, Table, Value};

use super::spec::{BeginSearch, CommandSpec, FindKeys, Flags, KeySpec};
use super::{flags::*, table, Args, CommandError, CommandResult, Context, Outcome, REPLIED};
use crate::protocol::{Protocol, ReplyWriter};
use crate::scripting::sandbox::{unlimited, Sandbox};
use crate::scripting::{convert, script_flags};

/// `-NOSCRIPT …`, as Redis words it.
const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

const EVAL_KEYS: &[KeySpec] = &[KeySpec {
    flags: &["RW", "access", "update"],
    notes: Some("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"),
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

const EVALSHA_KEYS: &[KeySpec] = &[KeySpec {
    flags: &["RW", "access", "update"],
    notes: None,
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

const EVAL_RO_KEYS: &[KeySpec] = &[KeySpec {
    flags: &["RO", "access"],
    notes: Some("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"),
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

const EVALSHA_RO_KEYS: &[KeySpec] = &[KeySpec {
    flags: &["RO", "access"],
    notes: None,
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

const SCRIPTING: &[&str] = &["scripting"];

/// The scripting family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("eval", -3, NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE, eval)
        .categories(SCRIPTING)
        .keys(EVAL_KEYS),
    CommandSpec::new(
        "evalsha",
        -3,
        NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE,
        evalsha,
    )
    .categories(SCRIPTING)
    .keys(EVALSHA_KEYS),
    CommandSpec::new("eval_ro", -3, NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY, eval_ro)
        .categories(SCRIPTING)
        .keys(EVAL_RO_KEYS),
    CommandSpec::new(
        "evalsha_ro",
        -3,
        NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY,
        evalsha_ro,
    )
    .categories(SCRIPTING)
    .keys(EVALSHA_RO_KEYS),
    CommandSpec::new("script", -2, 0, script_help).subcommands(SCRIPT_SPECS),
];

static SCRIPT_SPECS: &[CommandSpec] = &[
    CommandSpec::new("load", 3, NOSCRIPT | STALE, script_load)
        .categories(SCRIPTING)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    CommandSpec::new("exists", -3, NOSCRIPT, script_exists)
        .categories(SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:agg_logical_and"]),
    CommandSpec::new("flush", -2, NOSCRIPT, script_flush)
        .categories(SCRIPTING)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    CommandSpec::new("kill", 2, NOSCRIPT | ALLOW_BUSY, script_kill)
        .categories(SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"]),
    CommandSpec::new("help", 2, LOADING | STALE, script_help_sub).categories(SCRIPTING),
];

/// What a checked invocation runs: a cached script or a library's function.
#[derive(Debug)]
pub enum Target {
    /// An `EVAL`/`EVALSHA` script, by SHA-1.
    Eval(String),
    /// An `FCALL` function: its callback (held, so a `FUNCTION DELETE` between
    /// the check and the run does not lose it) and its name.
    Function(mlua::Function, String),
}

/// A checked script invocation, run by [`run_script`] under the exclusive gate.
#[derive(Debug)]
pub struct ScriptCall {
    /// What runs.
    target: Target,
    /// The request (name, body, SHA or function, numkeys, keys, args).
    args: Vec<Bytes>,
    /// How many of the arguments after numkeys are keys.
    numkeys: usize,
    /// Writes are refused (`_RO` forms, `no-writes`).
    read_only: bool,
    /// `allow-oom`: `denyoom` commands run over the cap.
    allow_oom: bool,
    /// The command's id (`EVAL`, `FCALL` …): a script ending in an error counts
    /// as its failure.
    command: Option<usize>,
}

impl ScriptCall {
    /// The name error replies give the script: its SHA-1 or the function's name.
    fn name(&self) -> &str {
        match &self.target {
            Target::Eval(sha) => sha,
            Target::Function(_, name) => name,
        }
    }

    /// The keys the request declares.
    fn keys(&self) -> &[Bytes] {
        self.args.get(3..3 + self.numkeys).unwrap_or_default()
    }
}

/// `EVAL script numkeys [key …] [arg …]`.
pub fn eval(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    prepare(ctx, args.all(), false, false)
}

/// `EVALSHA sha1 numkeys [key …] [arg …]`.
pub fn evalsha(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    prepare(ctx, args.all(), true, false)
}

/// `EVAL_RO script numkeys [key …] [arg …]`.
pub fn eval_ro(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    prepare(ctx, args.all(), false, true)
}

/// `EVALSHA_RO sha1 numkeys [key …] [arg …]`.
pub fn evalsha_ro(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    prepare(ctx, args.all(), true, true)
}

/// A script command's flags for this request, as Redis's `evalGetCommandFlags`
/// and `fcallGetCommandFlags` give them: a script with a shebang, or a function,
/// declares whether it writes, so its command is a write (held by `CLIENT PAUSE
/// WRITE`, refused over `maxmemory` without `allow-oom`) only when it may write.
/// Any other command's flags are its spec's.
pub(super) fn request_flags(state: &crate::state::ServerState, spec: &CommandSpec, args: &[Bytes]) -> Flags {
    // The per-command path: one bit test. Only the six script commands are
    // `skip_monitor` (they feed MONITOR themselves).
    if !spec.has(SKIP_MONITOR) {
        return spec.flags;
    }
    let script = match (spec.name, args.get(1)) {
        ("eval" | "eval_ro", Some(body)) if body.starts_with(b"#!") => {
            crate::scripting::parse_shebang(body).ok().map(|(flags, _)| flags)
        }
        ("evalsha" | "evalsha_ro", Some(sha)) if sha.len() == 40 => {
            let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
            state.scripting.with_vm(|vm| vm.scripts.get(&sha).map(|s| s.flags))
        }
        ("fcall" | "fcall_ro", Some(name)) => {
            state.scripting.with_functions(|libraries| libraries.catalog.flags_of(name))
        }
        _ => None,
    };
    match script {
        Some(script) if script & script_flags::COMPAT == 0 => {
            let mut flags = spec.flags & !(STALE | DENYOOM | WRITE | MAY_REPLICATE);
            if script & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0 {
                flags |= DENYOOM;
            }
            if script & script_flags::NO_WRITES == 0 {
                flags |= WRITE;
            }
            if script & script_flags::ALLOW_STALE != 0 {
                flags |= STALE;
            }
            flags
        }
        _ => spec.flags,
    }
}

/// Redis feeds MONITOR a script's command itself, before the commands it runs.
pub(super) fn feed_monitors(ctx: &Context<'_>, all: &[Bytes]) {
    let state = ctx.state;
    if state.monitors.active() && !state.loading.load(std::sync::atomic::Ordering::Relaxed) {
        state.monitors.feed(&ctx.session.client, ctx.session.db, all, state.pubsub.limits());
    }
}

/// Checks numkeys against the request's length.
pub(super) fn check_numkeys(all: &[Bytes], numkeys: i64) -> Result<usize, CommandError> {
    if numkeys > (all.len() - 3) as i64 {
        return Err(CommandError::err("Number of keys can't be greater than number of args"));
    }
    if numkeys < 0 {
        return Err(CommandError::err("Number of keys can't be negative"));
    }
    Ok(numkeys as usize)
}

fn prepare(ctx: &mut Context<'_>, all: &[Bytes], by_sha: bool, ro: bool) -> CommandResult {
    feed_monitors(ctx, all);
    let numkeys = check_numkeys(all, super::args::int(&all[2])?)?;
    let found = ctx.state.scripting.with_vm(|vm| {
        if by_sha {
            if all[1].len() != 40 {
                return Err(CommandError::Other(NOSCRIPT_ERR.into()));
            }
            let sha = String::from_utf8_lossy(&all[1]).to_ascii_lowercase();
            let flags = vm.scripts.get(&sha).ok_or(CommandError::Other(NOSCRIPT_ERR.into()))?.flags;
            Ok((sha, flags))
        } else {
            let sha = vm.load(&all[1]).map_err(|e| CommandError::Other(e.into()))?;
            let flags = vm.scripts[&sha].flags;
            Ok((sha, flags))
        }
    });
    let (sha, flags) = found?;
    checked_call(ctx, Target::Eval(sha), all, numkeys, flags, ro)
}

/// The checks Redis's `scriptPrepareForRun` makes of a script's flags (none for
/// a script without a shebang), then the call to run.
pub(super) fn checked_call(
    ctx: &mut Context<'_>,
    target: Target,
    all: &[Bytes],
    numkeys: usize,
    flags: u8,
    ro: bool,
) -> CommandResult {
    let compat = flags & script_flags::COMPAT != 0;
    let no_writes = !compat && flags & script_flags::NO_WRITES != 0;
    let allow_oom = !compat && flags & script_flags::ALLOW_OOM != 0;
    if !compat {
        if !no_writes && ro {
            return Err(CommandError::err("Can not execute a script with write flag using *_ro command."));
        }
        let config = ctx.state.config.load();
        if config.maxmemory > 0
            && !allow_oom
            && !no_writes
            && !ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed)
            && ctx.state.make_room(&config, ctx.now_ms).is_err()
        {
            return Err(CommandError::Other(
                "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
                    .into(),
            ));
        }
    }
    Ok(Outcome::RunScript(Box::new(ScriptCall {
        target,
        args: all.to_vec(),
        numkeys,
        read_only: ro || no_writes,
        allow_oom,
        command: ctx.session.last_command.map(|c| c.id),
    })))
}

/// What a script run tracks between its `redis.call`s.
struct RunState {
    /// A write ran (Redis's `SCRIPT_WRITE_DIRTY`).
    dirty: bool,
    /// The server was over `maxmemory` when the script started.
    over_cap: bool,
}

/// Runs a checked script or function: the caller holds the transaction gate
/// exclusively (or is the only thread, as during AOF replay). Writes the reply.
pub fn run_script(ctx: &mut Context<'_>, call: ScriptCall) {
    let mark = ctx.out.len();
    let state = ctx.state;
    let config = state.config.load();
    let over_cap = config.maxmemory > 0
        && !state.loading.load(std::sync::atomic::Ordering::Relaxed)
        && state.make_room(&config, ctx.now_ms).is_err();
    let saved_db = ctx.session.db;
    let function = match &call.target {
        Target::Function(_, name) => Some((name.clone(), call.args.clone())),
        Target::Eval(_) => None,
    };
    state.scripting.begin_run(crate::clock::unix_millis(), function);
    let run = |ctx: &mut Context<'_>, sandbox: &Sandbox, function: mlua::Function| {
        let flags = state.scripting.run_flags();
        let threshold = config.busy_reply_threshold;
        let hook_slot = sandbox.slot.clone();
        sandbox.lua.set_hook(
            mlua::HookTriggers::new().every_nth_instruction(crate::scripting::HOOK_EVERY),
            move |_, _| {
                if flags.check_hook(threshold) {
                    hook_slot.raw_set("killed", true)?;
                    return Err(mlua::Error::runtime(crate::scripting::KILLED_ERR));
                }
                Ok(mlua::VmState::Continue)
            },
        );
        let limit = config.lua_vm_max_memory.max(1 << 20) as usize;
        let result = run_in_vm(ctx, sandbox, function, &call, over_cap, limit);
        sandbox.lua.remove_hook();
        // A script ending in an error fails its command; the error is counted
        // unless a redis.call already counted it (Redis's
        // `ignore_error_stats_update`).
        let failed = match &result {
            Ok(None) => None,
            Ok(Some(counted)) => Some(*counted),
            Err(_) => Some(false),
        };
        // A garbage-collection step every 50 runs, as Redis does, so the VM's
        // garbage never piles up to a full cycle.
        static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        if RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 50 == 49 {
            let _ = sandbox.lua.gc_step_kbytes(50);
        }
        if let Err(error) = result {
            ctx.out.truncate(mark);
            let msg = crate::scripting::lua_message(&error);
            convert::write_error(
                ctx.out,
                format!("ERR Error running script {}, {msg:.100}", call.name()).as_bytes(),
            );
        }
        if let Some(counted) = failed {
            if let Some(id) = call.command {
                ctx.session.command_stats.record_failure(id);
            }
            if !counted {
                let line = String::from_utf8_lossy(&ctx.out.as_bytes()[mark..]);
                let line = line.trim_start_matches('-').trim_end();
                state.stats.errors.count(line);
            }
        }
    };
    state.engine.group(|| match &call.target {
        Target::Eval(sha) => state.scripting.with_vm(|vm| {
            let Some(script) = vm.scripts.get(sha) else {
                ctx.out.error(NOSCRIPT_ERR);
                return;
            };
            let function = script.function.clone();
            run(ctx, &vm.sandbox, function)
        }),
        Target::Function(callback, _) => {
            state.scripting.with_functions(|libraries| run(ctx, &libraries.sandbox, callback.clone()))
        }
    });
    state.scripting.end_run();
    ctx.session.db = saved_db;
    ctx.session.reply.after_command(ctx.out, mark, false);
}

/// The script running on this thread, as its `redis.call`s reach it: the
/// callbacks are made once per VM (not per run), so they find the run here.
struct Running {
    /// The caller's context, for the duration of the run.
    ctx: *mut Context<'static>,
    /// The invocation.
    call: *const ScriptCall,
    /// What the run tracks between calls.
    run: RunState,
}

thread_local! {
    static CURRENT: std::cell::Cell<*mut Running> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Marks a run as this thread's current one until dropped.
struct Current;

impl Current {
    fn set(running: &mut Running) -> Current {
        CURRENT.with(|c| c.set(running));
        Current
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null_mut()));
    }
}

/// Runs `body` with this thread's running script, `None` outside a run.
fn with_running<R>(body: impl FnOnce(&mut Context<'_>, &ScriptCall, &mut RunState) -> R) -> Option<R> {
    let ptr = CURRENT.with(|c| c.get());
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `run_in_vm` sets the pointer to a `Running` on its own stack for
    // exactly the Lua call on this thread and clears it before that frame uses its
    // context again; a command a script calls cannot start a script (`noscript`)
    // or call back into Lua, so no two of these references are alive at once.
    let running = unsafe { &mut *ptr };
    let (ctx, call) = unsafe { (&mut *running.ctx, &*running.call) };
    Some(body(ctx, call, &mut running.run))
}

/// `redis.call`'s reply protocol, which the prelude passes first.
fn protocol_of(resp: Option<i64>) -> Protocol {
    match resp {
        Some(3) => Protocol::Resp3,
        _ => Protocol::Resp2,
    }
}

/// Makes the VM's command callbacks (`slot.call`, `slot.call_packed`,
/// `slot.acl`) unless it has them.
fn install_callbacks(sandbox: &Sandbox) -> mlua::Result<()> {
    let slot = &sandbox.slot;
    if slot.raw_get::<Value>("call")?.is_function() {
        return Ok(());
    }
    let lua = &sandbox.lua;
    let outside = |lua: &Lua| -> mlua::Result<(Value, bool)> {
        let msg = b"redis.call/pcall can only be called inside a script invocation";
        Ok((Value::Table(convert::error_table(lua, msg)?), true))
    };
    let command = lua.create_function(move |lua, (resp, args): (Option<i64>, MultiValue)| {
        unlimited(lua, || {
            with_running(|ctx, call, run| call_command(lua, ctx, &args, protocol_of(resp), call, run))
                .unwrap_or_else(|| outside(lua))
        })
    })?;
    let command_packed =
        lua.create_function(move |lua, (resp, n, packed): (Option<i64>, usize, Table)| {
            let args: MultiValue =
                (1..=n).map(|i| packed.raw_get::<Value>(i)).collect::<mlua::Result<_>>()?;
            unlimited(lua, || {
                with_running(|ctx, call, run| call_command(lua, ctx, &args, protocol_of(resp), call, run))
                    .unwrap_or_else(|| outside(lua))
            })
        })?;
    let acl = lua.create_function(|lua, args: MultiValue| match to_argv(&args) {
        Err(msg) => Ok((Value::Table(convert::error_table(lua, msg.as_bytes())?), true)),
        Ok(argv) => match resolve(&argv) {
            Ok(_) => Ok((Value::Boolean(true), false)),
            Err(_) => Ok((
                Value::Table(convert::error_table(lua, b"Invalid command passed to redis.acl_check_cmd()")?),
                true,
            )),
        },
    })?;
    slot.raw_set("call", command)?;
    slot.raw_set("call_packed", command_packed)?;
    slot.raw_set("acl", acl)
}

/// Runs the script and writes its reply: `Some(counted)` when the reply is an
/// error, `counted` when a `redis.call` already counted it.
fn run_in_vm(
    ctx: &mut Context<'_>,
    sandbox: &Sandbox,
    function: mlua::Function,
    call: &ScriptCall,
    over_cap: bool,
    limit: usize,
) -> mlua::Result<Option<bool>> {
    let lua = &sandbox.lua;
    let slot = &sandbox.slot;
    let keys = lua.create_table()?;
    for (i, key) in call.keys().iter().enumerate() {
        keys.raw_set(i + 1, lua.create_string(key)?)?;
    }
    let argv = lua.create_table()?;
    for (i, arg) in call.args[3 + call.numkeys..].iter().enumerate() {
        argv.raw_set(i + 1, lua.create_string(arg)?)?;
    }
    // An EVAL script sees KEYS and ARGV as globals, a function as its arguments.
    let eval = matches!(call.target, Target::Eval(_));
    if eval {
        sandbox.globals.raw_set("KEYS", keys.clone())?;
        sandbox.globals.raw_set("ARGV", argv.clone())?;
    }
    install_callbacks(sandbox)?;
    slot.raw_set("resp", 2)?;
    slot.raw_set("running", true)?;
    slot.raw_set("killed", false)?;
    let mut running = Running {
        ctx: (&mut *ctx as *mut Context<'_>).cast::<Context<'static>>(),
        call,
        run: RunState { dirty: false, over_cap },
    };
    let result = {
        let _current = Current::set(&mut running);
        sandbox.limited(limit, || {
            if eval {
                sandbox.runner.call::<(bool, Value)>(function)
            } else {
                sandbox.function_runner.call::<(bool, Value)>((function, keys, argv))
            }
        })
    };
    slot.raw_set("running", false)?;
    let resp = protocol_of(slot.raw_get("resp").ok().flatten());
    let outcome = result.and_then(|(ok, value)| {
        let error = match &value {
            Value::Table(t) if !ok || t.raw_get::<Value>("err")?.is_string() => {
                Some(t.raw_get::<bool>(convert::COUNTED).unwrap_or(false))
            }
            _ if !ok => Some(false),
            _ => None,
        };
        if ok {
            convert::lua_to_reply(ctx.out, &value, resp, 0);
        } else {
            write_script_error(ctx.out, &value, call.name());
        }
        Ok(error)
    });
    if eval {
        sandbox.globals.raw_set("KEYS", Value::Nil)?;
        sandbox.globals.raw_set("ARGV", Value::Nil)?;
    }
    outcome
}

/// Writes a failed script's error: the message, and `script: <sha>, on
/// @user_script:<line>.` where the error was raised.
fn write_script_error(out: &mut ReplyWriter, value: &Value, sha: &str) {
    match value {
        Value::Table(t) => match convert::error_parts(t) {
            Ok(parts) => {
                let mut line = parts.msg;
                if let Some((source, at)) = parts.source {
                    line.extend_from_slice(format!(" script: {sha}, on ").as_bytes());
                    line.extend_from_slice(&source);
                    line.push(b':');
                    line.extend_from_slice(&at);
                    line.push(b'.');
                }
                convert::write_error(out, &line);
            }
            Err(_) => out.error("ERR Error running script"),
        },
        other => {
            let msg = match other {
                Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                _ => "execution failure".to_string(),
            };
            let msg: String = msg.chars().take(100).collect();
            convert::write_error(out, format!("ERR Error running script {sha}, {msg}").as_bytes());
        }
    }
}

/// A `redis.call`'s arguments as a request: strings as they are, numbers with
/// `%.17g`; anything else is refused.
fn to_argv(args: &MultiValue) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    args.iter()
        .map(|v| match v {
            Value::String(s) => Ok(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Number(n) => Ok(Bytes::from(crate::scripting::format::format_g(*n, 17))),
            Value::Integer(n) => Ok(Bytes::from(n.to_string())),
            _ => Err("Lua redis lib command arguments must be strings or integers"),
        })
        .collect()
}

/// The command a script names, with its arity checked.
fn resolve(argv: &[Bytes]) -> Result<&'static super::Command, &'static str> {
    let table = table();
    let mut command = table.lookup(&argv[0]).ok_or("Unknown Redis command called from script")?;
    if !command.spec.subcommands.is_empty() && argv.len() >= 2 {
        command = table.subcommand(command, &argv[1]).ok_or("Unknown Redis command called from script")?;
    }
    if !command.spec.accepts(argv.len()) {
        return Err("Wrong number of args calling Redis command from script");
    }
    Ok(command)
}

/// One `redis.call`/`redis.pcall`: the reply as a Lua value, and whether it is an
/// error (which `redis.call` raises).
fn call_command(
    lua: &Lua,
    ctx: &mut Context<'_>,
    args: &MultiValue,
    resp: Protocol,
    call: &ScriptCall,
    run: &mut RunState,
) -> mlua::Result<(Value, bool)> {
    // An argument error is the script's own (counted if it ends the script).
    let argv = match to_argv(args) {
        Ok(argv) => argv,
        Err(msg) => return Ok((Value::Table(convert::error_table(lua, msg.as_bytes())?), true)),
    };
    // A refusal is counted now, as the command's rejection, and marked counted
    // (Redis's `scriptCall` error path).
    let refuse = |ctx: &mut Context<'_>, command: Option<&super::Command>, line: &[u8]| {
        let t: Table = convert::error_table(lua, line)?;
        if let Ok(text) = t.raw_get::<String>("err") {
            ctx.state.stats.errors.count(&text);
        }
        if let Some(command) = command {
            ctx.session.command_stats.record_rejected(command.id);
        }
        t.raw_set(convert::COUNTED, true)?;
        Ok((Value::Table(t), true))
    };
    let command = match resolve(&argv) {
        Ok(command) => command,
        Err(msg) => return refuse(ctx, None, msg.as_bytes()),
    };
    let spec = command.spec;
    if spec.has(NOSCRIPT) {
        return refuse(ctx, Some(command), b"This Redis command is not allowed from script");
    }
    if call.read_only && (spec.is_write() || spec.has(MAY_REPLICATE)) {
        return refuse(ctx, Some(command), b"Write commands are not allowed from read-only scripts.");
    }
    if spec.is_write()
        && !run.dirty
        && !super::dispatch::good_replicas(&ctx.state.config.load())
        && !ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed)
    {
        return refuse(ctx, Some(command), format!("-{}", super::dispatch::NOREPLICAS).as_bytes());
    }
    if !call.allow_oom && run.over_cap && !run.dirty && spec.has(DENYOOM) {
        return refuse(ctx, Some(command), b"-OOM command not allowed when used memory > 'maxmemory'.");
    }
    if spec.is_write() {
        run.dirty = true;
        ctx.state.scripting.mark_wrote();
    }
    let mut out = ReplyWriter::new(resp);
    let mut inner =
        Context { state: ctx.state, session: &mut *ctx.session, out: &mut out, now_ms: ctx.now_ms };
    inner.session.local_stats.commands += 1;
    inner.session.in_script = true;
    let result = super::dispatch::run_from_script(&mut inner, command, &argv);
    inner.session.in_script = false;
    if spec.has(READONLY) {
        super::pubsub::remember_script_reads(&mut inner, call.keys());
    }
    match result {
        Ok(Outcome::Block(block)) => super::transaction::write_timeout(&mut inner, block.on_timeout),
        Ok(_) => {}
        Err(error) => {
            out.clear();
            let line = error.to_string();
            ctx.state.stats.errors.count(&line);
            out.error(&line);
        }
    }
    // An error reply becomes a table marked counted.
    convert::reply_to_lua(lua, out.as_bytes())
}

/// Whether a request may run while a script is busy (its command is
/// `allow-busy`: `SCRIPT KILL`, `SHUTDOWN`, `MULTI` …).
pub fn allowed_while_busy(args: &[Bytes]) -> bool {
    if args.is_empty() {
        return false;
    }
    let table = table();
    let Some(mut command) = table.lookup(&args[0]) else { return false };
    if !command.spec.subcommands.is_empty() && args.len() >= 2 {
        match table.subcommand(command, &args[1]) {
            Some(sub) => command = sub,
            None => return false,
        }
    }
    command.spec.has(ALLOW_BUSY)
}

/// `SCRIPT LOAD script`.
pub fn script_load(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let body = args.next_bytes()?.clone();
    let sha = ctx.state.scripting.with_vm(|vm| vm.load(&body)).map_err(|e| CommandError::Other(e.into()))?;
    ctx.out.bulk(sha.as_bytes());
    REPLIED
}

/// `SCRIPT EXISTS sha1 [sha1 …]`.
pub fn script_exists(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let shas = args.rest();
    let found: Vec<bool> = ctx.state.scripting.with_vm(|vm| {
        shas.iter()
            .map(|sha| vm.scripts.contains_key(&String::from_utf8_lossy(sha).to_ascii_lowercase()))
            .collect()
    });
    ctx.out.array(found.len());
    for f in found {
        ctx.out.integer(f as i64);
    }
    REPLIED
}

/// `SCRIPT FLUSH [ASYNC|SYNC]`.
pub fn script_flush(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let rest = args.rest();
    if rest.len() > 1
        || (rest.len() == 1 && !super::args::is(&rest[0], "sync") && !super::args::is(&rest[0], "async"))
    {
        return Err(CommandError::err("SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    ctx.state.scripting.flush();
    ctx.out.ok();
    REPLIED
}

/// `SCRIPT KILL`: stops the running script at its next count hook, unless it
/// has written.
pub fn script_kill(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    kill_reply(ctx, false)
}

/// `SCRIPT KILL` (`function` false) and `FUNCTION KILL`.
pub(super) fn kill_reply(ctx: &mut Context<'_>, function: bool) -> CommandResult {
    match ctx.state.scripting.kill(function) {
        crate::scripting::KillOutcome::Killed => {
            ctx.out.ok();
            REPLIED
        }
        crate::scripting::KillOutcome::NotBusy => {
            Err(CommandError::Other("NOTBUSY No scripts in execution right now.".into()))
        }
        crate::scripting::KillOutcome::Unkillable => Err(CommandError::Other(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either \
             wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
                .into(),
        )),
        crate::scripting::KillOutcome::WrongKind(busy) => Err(CommandError::Other(busy.into())),
    }
}

/// `SCRIPT` without a subcommand.
pub fn script_help(_ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    Err(CommandError::WrongArity("script".into()))
}

/// `SCRIPT HELP`.
pub fn script_help_sub(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Print this help.",
        ],
    )
}
