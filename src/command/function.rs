//! Redis 7 functions: `FCALL`, `FCALL_RO` and `FUNCTION LOAD|LIST|DELETE|FLUSH|
//! DUMP|RESTORE|STATS|KILL|HELP`, with Redis 7.0.15's replies.
//!
//! The libraries are kept by [`crate::scripting::functions`]; `FCALL` checks the
//! call here and runs it as `EVAL` runs a script ([`scripting::run_script`], the
//! transaction gate held exclusively), the function getting `KEYS` and `ARGV` as
//! its two arguments. A change to the libraries is one change record with no
//! keys whose effect is the command itself, so the AOF replays it; a rewrite
//! writes a `FUNCTION LOAD` of every library first.

use bytes::Bytes;

use super::scripting::{self, Target};
use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::change::{Change, Scope};
use crate::scripting::functions::{self, Libraries, RestorePolicy};
use crate::scripting::script_flags;

const FCALL_KEYS: &[KeySpec] = &[KeySpec {
    flags: &["RW", "access", "update"],
    notes: Some("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"),
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

const FCALL_RO_KEYS: &[KeySpec] = &[KeySpec {
    flags: &["RO", "access"],
    notes: Some("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"),
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

const SCRIPTING: &[&str] = &["scripting"];
const ALL_SHARDS_SUCCEEDED: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

/// The functions family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("fcall", -3, NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE, fcall)
        .categories(SCRIPTING)
        .keys(FCALL_KEYS),
    CommandSpec::new(
        "fcall_ro",
        -3,
        NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY,
        fcall_ro,
    )
    .categories(SCRIPTING)
    .keys(FCALL_RO_KEYS),
    CommandSpec::new("function", -2, 0, function_bare).subcommands(FUNCTION_SPECS),
];

static FUNCTION_SPECS: &[CommandSpec] = &[
    CommandSpec::new("load", -3, NOSCRIPT | WRITE | DENYOOM, load)
        .categories(SCRIPTING)
        .tips(ALL_SHARDS_SUCCEEDED),
    CommandSpec::new("delete", 3, NOSCRIPT | WRITE, delete).categories(SCRIPTING).tips(ALL_SHARDS_SUCCEEDED),
    CommandSpec::new("flush", -2, NOSCRIPT | WRITE, flush).categories(SCRIPTING).tips(ALL_SHARDS_SUCCEEDED),
    CommandSpec::new("dump", 2, NOSCRIPT, dump).categories(SCRIPTING),
    CommandSpec::new("restore", -3, NOSCRIPT | WRITE | DENYOOM, restore)
        .categories(SCRIPTING)
        .tips(ALL_SHARDS_SUCCEEDED),
    CommandSpec::new("list", -2, NOSCRIPT, list)
        .categories(SCRIPTING)
        .tips(&["nondeterministic_output_order"]),
    CommandSpec::new("stats", 2, NOSCRIPT | ALLOW_BUSY, stats).categories(SCRIPTING).tips(&[
        "nondeterministic_output",
        "request_policy:all_shards",
        "response_policy:special",
    ]),
    CommandSpec::new("kill", 2, NOSCRIPT | ALLOW_BUSY, kill)
        .categories(SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"]),
    CommandSpec::new("help", 2, LOADING | STALE, help).categories(SCRIPTING),
];

/// `FCALL function numkeys [key …] [arg …]`.
pub fn fcall(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    prepare(ctx, args.all(), false)
}

/// `FCALL_RO function numkeys [key …] [arg …]`.
pub fn fcall_ro(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    prepare(ctx, args.all(), true)
}

fn prepare(ctx: &mut Context<'_>, all: &[Bytes], ro: bool) -> CommandResult {
    scripting::feed_monitors(ctx, all);
    let found = ctx.state.scripting.with_functions(|libraries| libraries.catalog.find(&all[1]));
    let Some(function) = found else { return Err(CommandError::err("Function not found")) };
    let numkeys = std::str::from_utf8(&all[2])
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| CommandError::err("Bad number of keys provided"))?;
    let numkeys = scripting::check_numkeys(all, numkeys)?;
    // A function's flags are what it registered: no compatibility mode.
    let flags = function.flags & !script_flags::COMPAT;
    scripting::checked_call(ctx, Target::Function(function.callback, function.name), all, numkeys, flags, ro)
}

/// Logs a change to the libraries: one record with no keys, the command itself.
fn record(ctx: &Context<'_>, libraries: &Libraries, args: &[Bytes]) {
    let effect: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
    let hooks = ctx.state.engine.hooks();
    ctx.state.scripting.publish_functions(&libraries.catalog, || {
        hooks.changes.emit(&Change { db: ctx.session.db, effect: &effect, keys: &[], scope: Scope::Keys })
    });
}

/// `FUNCTION LOAD [REPLACE] code`.
pub fn load(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let mut replace = false;
    let mut at = 2;
    while at < all.len() - 1 {
        if super::args::is(&all[at], "replace") {
            replace = true;
            at += 1;
            continue;
        }
        return Err(CommandError::err(format!(
            "Unknown option given: {}",
            String::from_utf8_lossy(&all[at])
        )));
    }
    // AOF replay loads without a time limit, as Redis does for its master.
    let loading = ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed);
    let timeout = if loading { 0 } else { functions::LOAD_TIMEOUT_MS };
    let code = &all[at];
    let loaded = ctx.state.scripting.with_functions(|libraries| {
        let name = libraries.load(code, replace, timeout)?;
        record(ctx, libraries, all);
        Ok::<_, String>(name)
    });
    let name = loaded.map_err(CommandError::err)?;
    ctx.out.bulk(name.as_bytes());
    REPLIED
}

/// `FUNCTION DELETE library-name`.
pub fn delete(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let name = String::from_utf8_lossy(&all[2]).into_owned();
    let deleted = ctx.state.scripting.with_functions(|libraries| {
        let found = libraries.catalog.delete(&name).is_some();
        if found {
            record(ctx, libraries, all);
        }
        found
    });
    if !deleted {
        return Err(CommandError::err("Library not found"));
    }
    ctx.out.ok();
    REPLIED
}

/// `FUNCTION FLUSH [ASYNC|SYNC]`.
pub fn flush(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    if all.len() > 3 {
        return Err(subcommand_syntax(all));
    }
    if all.len() == 3 && !super::args::is(&all[2], "sync") && !super::args::is(&all[2], "async") {
        return Err(CommandError::err("FUNCTION FLUSH only supports SYNC|ASYNC option"));
    }
    ctx.state.scripting.with_functions(|libraries| {
        libraries.catalog = Default::default();
        record(ctx, libraries, all);
    });
    ctx.out.ok();
    REPLIED
}

/// `FUNCTION DUMP`.
pub fn dump(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let payload = ctx.state.scripting.with_functions(|libraries| libraries.dump());
    ctx.out.bulk(&payload);
    REPLIED
}

/// `FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]`.
pub fn restore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    if all.len() > 4 {
        return Err(subcommand_syntax(all));
    }
    let policy = match all.get(3) {
        None => RestorePolicy::Append,
        Some(p) if super::args::is(p, "append") => RestorePolicy::Append,
        Some(p) if super::args::is(p, "replace") => RestorePolicy::Replace,
        Some(p) if super::args::is(p, "flush") => RestorePolicy::Flush,
        Some(_) => {
            return Err(CommandError::err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ))
        }
    };
    let restored = ctx.state.scripting.with_functions(|libraries| {
        libraries.restore(&all[2], policy)?;
        record(ctx, libraries, all);
        Ok::<_, String>(())
    });
    restored.map_err(CommandError::err)?;
    ctx.out.ok();
    REPLIED
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`.
pub fn list(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let (mut with_code, mut pattern) = (false, None);
    let mut i = 2;
    while i < all.len() {
        let arg = &all[i];
        if !with_code && super::args::is(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && super::args::is(arg, "libraryname") {
            if i >= all.len() - 1 {
                return Err(CommandError::err("library name argument was not given"));
            }
            i += 1;
            pattern = Some(&all[i]);
        } else {
            return Err(CommandError::err(format!("Unknown argument {}", String::from_utf8_lossy(arg))));
        }
        i += 1;
    }
    let out = &mut *ctx.out;
    ctx.state.scripting.with_functions(|libraries| {
        let chosen: Vec<_> = libraries
            .catalog
            .libraries()
            // Redis matches the pattern without regard to case.
            .filter(|l| {
                pattern.is_none_or(|p| {
                    crate::glob::glob_match(&p.to_ascii_lowercase(), l.name.to_ascii_lowercase().as_bytes())
                })
            })
            .collect();
        out.array(chosen.len());
        for library in chosen {
            out.map(if with_code { 4 } else { 3 });
            out.bulk(b"library_name");
            out.bulk(library.name.as_bytes());
            out.bulk(b"engine");
            out.bulk(functions::ENGINE.as_bytes());
            out.bulk(b"functions");
            out.array(library.functions.len());
            for f in &library.functions {
                out.map(3);
                out.bulk(b"name");
                out.bulk(f.name.as_bytes());
                out.bulk(b"description");
                out.bulk_or_null(f.description.as_deref());
                out.bulk(b"flags");
                let names: Vec<&str> = script_flags::NAMES
                    .iter()
                    .filter(|(_, bit)| f.flags & bit != 0)
                    .map(|(n, _)| *n)
                    .collect();
                out.set(names.len());
                for name in names {
                    out.simple(name);
                }
            }
            if with_code {
                out.bulk(b"library_code");
                out.bulk(&library.code);
            }
        }
    });
    REPLIED
}

/// `FUNCTION STATS`: the running function, and the engine's counts. Allowed
/// while a function is busy (it reads no VM); refused while an `EVAL` is.
pub fn stats(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let scripting = &ctx.state.scripting;
    if scripting.is_running() && !scripting.run_flags().is_function() {
        return Err(CommandError::Other(crate::scripting::BUSY_ERR.into()));
    }
    let summary = scripting.function_summary();
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk(b"running_script");
    match scripting.running_function() {
        None => out.null(),
        Some(running) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(running.name.as_bytes());
            out.bulk(b"command");
            out.array(running.command.len());
            for arg in &running.command {
                out.bulk(arg);
            }
            out.bulk(b"duration_ms");
            out.integer(crate::clock::unix_millis().saturating_sub(running.since_ms) as i64);
        }
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(functions::ENGINE.as_bytes());
    out.map(2);
    out.bulk(b"libraries_count");
    out.integer(summary.libraries as i64);
    out.bulk(b"functions_count");
    out.integer(summary.functions as i64);
    REPLIED
}

/// `FUNCTION KILL`: stops the running function at its next count hook, unless
/// it has written.
pub fn kill(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    scripting::kill_reply(ctx, true)
}

/// `FUNCTION` without a subcommand.
pub fn function_bare(_ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    Err(CommandError::WrongArity("function".into()))
}

/// Redis's `addReplySubcommandSyntaxError`.
fn subcommand_syntax(all: &[Bytes]) -> CommandError {
    let sub: String = String::from_utf8_lossy(&all[1]).chars().take(128).collect();
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try FUNCTION HELP."
    ))
}

/// `FUNCTION HELP`.
pub fn help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION \
             RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
            "HELP",
            "    Print this help.",
        ],
    )
}
