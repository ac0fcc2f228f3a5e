//! `CONFIG GET | SET | RESETSTAT | REWRITE | HELP`: the configuration registry's
//! commands. Parsing, validation and the all-or-nothing rule of `CONFIG SET` live in
//! the config room; what a change must do to the running server (the fsync policy,
//! the evictor, the log level, the AOF on or off) is applied by the server state.

use super::spec::CommandSpec;
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};

const BASE: super::Flags = ADMIN | NOSCRIPT | LOADING | STALE;

/// The subcommands of `CONFIG`.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("get", -3, BASE, get),
    CommandSpec::new("set", -4, BASE, set)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    CommandSpec::new("resetstat", 2, BASE, resetstat),
    CommandSpec::new("rewrite", 2, BASE, rewrite),
    CommandSpec::new("help", 2, LOADING | STALE, help),
];

/// `CONFIG GET pattern [pattern …]`: name/value pairs (a map in RESP3).
fn get(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let patterns: Vec<&[u8]> = args.rest().iter().map(|p| &p[..]).collect();
    let config = ctx.state.config.load();
    let pairs = crate::config::config_get(&config, &patterns);
    ctx.out.map(pairs.len());
    for (name, value) in pairs {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
    REPLIED
}

/// `CONFIG SET name value [name value …]`: all or nothing, as Redis 7.
fn set(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let rest = args.rest();
    if rest.len() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = rest.chunks_exact(2).map(|p| (&p[0][..], &p[1][..])).collect();
    let local = ctx.session.client.addr.ip().is_loopback();
    ctx.state.set_config(&pairs, local).map_err(|line| CommandError::Other(line.into()))?;
    ctx.out.ok();
    REPLIED
}

/// `CONFIG RESETSTAT`: zeroes the statistics `INFO` shows.
fn resetstat(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.state.reset_stats();
    ctx.out.ok();
    REPLIED
}

/// `CONFIG REWRITE`: writes the running settings back to the config file.
fn rewrite(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let config = ctx.state.config.load();
    let Some(path) = config.config_file.clone() else {
        return Err(CommandError::err("The server is running without a config file"));
    };
    config
        .rewrite(&path)
        .map_err(|e| CommandError::err(format!("Rewriting config file: {}", crate::config::io_reason(&e))))?;
    ctx.out.ok();
    REPLIED
}

/// `CONFIG HELP`.
pub fn help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.",
        ],
    )
}
