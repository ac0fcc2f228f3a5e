//! `COMMAND [COUNT | INFO | DOCS | LIST | GETKEYS | GETKEYSANDFLAGS | HELP]`,
//! answered from the specs: flags, the legacy key range and the key specs are
//! reported as Redis 7.0 reports them.

use super::args::{self, is};
use super::spec::{BeginSearch, CommandSpec, FindKeys, FoundKeys};
use super::table::{table, Command};
use super::{flags, flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::glob::glob_match;
use crate::protocol::ReplyWriter;

/// The subcommands of `COMMAND`.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("count", 2, LOADING | STALE, count).categories(CONNECTION),
    CommandSpec::new("info", -2, LOADING | STALE, info).categories(CONNECTION).tips(OUTPUT_ORDER),
    CommandSpec::new("docs", -2, LOADING | STALE, docs).categories(CONNECTION).tips(OUTPUT_ORDER),
    CommandSpec::new("list", -2, LOADING | STALE, list).categories(CONNECTION).tips(OUTPUT_ORDER),
    CommandSpec::new("getkeys", -4, LOADING | STALE, getkeys).categories(CONNECTION),
    CommandSpec::new("getkeysandflags", -4, LOADING | STALE, getkeys_and_flags).categories(CONNECTION),
    CommandSpec::new("help", 2, LOADING | STALE, help).categories(CONNECTION),
];

const CONNECTION: &[&str] = &["connection"];

/// The tips of `COMMAND` and of its subcommands that list commands (Redis lists
/// them in its hash table's order).
pub const OUTPUT_ORDER: &[&str] = &["nondeterministic_output_order"];

/// Redis 7.0's ACL categories in its order, as `COMMAND INFO` lists a command's.
pub const CATEGORY_ORDER: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// A command's ACL categories: its declared ones plus those its flags imply (as
/// Redis's `setImplicitACLCategories`: `write`, `read` (but not for scripting),
/// `admin` + `dangerous`, `pubsub`, `fast`, `blocking`, and `slow` for whatever is
/// not `fast`), in Redis's order.
pub fn categories(spec: &CommandSpec) -> Vec<&'static str> {
    let mut all: Vec<&str> = spec.categories.to_vec();
    if spec.has(WRITE) {
        all.push("write");
    }
    if spec.has(READONLY) && !spec.categories.contains(&"scripting") {
        all.push("read");
    }
    if spec.has(ADMIN) {
        all.extend(["admin", "dangerous"]);
    }
    if spec.has(PUBSUB) {
        all.push("pubsub");
    }
    if spec.has(FAST) {
        all.push("fast");
    }
    if spec.has(BLOCKING) {
        all.push("blocking");
    }
    if !all.contains(&"fast") {
        all.push("slow");
    }
    CATEGORY_ORDER.iter().copied().filter(|c| all.contains(c)).collect()
}

/// Writes one command's `COMMAND INFO` entry as Redis 7.0's `addReplyCommandInfo`
/// does: name, arity, flags (a set), the legacy first key, last key and step, the
/// ACL categories (a set), the tips (a set of bulk strings), the key specs (a set
/// of maps, `notes` first when there is one) and the subcommands (an array of
/// entries, or an empty set when there are none).
fn write_info(out: &mut ReplyWriter, command: &Command) {
    let spec = command.spec;
    out.array(10);
    out.bulk(command.full_name.as_bytes());
    out.integer(spec.arity as i64);
    let names = flags::names(spec.reported_flags());
    out.set(names.len());
    for name in names {
        out.simple(name);
    }
    let ((first, last, step), _) = spec.legacy_range();
    out.integer(first);
    out.integer(last);
    out.integer(step);
    let categories = categories(spec);
    out.set(categories.len());
    for category in categories {
        out.simple(&format!("@{category}"));
    }
    out.set(spec.tips.len());
    for tip in spec.tips {
        out.bulk(tip.as_bytes());
    }
    out.set(spec.keys.len());
    for key_spec in spec.keys {
        out.map(if key_spec.notes.is_some() { 4 } else { 3 });
        if let Some(notes) = key_spec.notes {
            map_entry_str(out, "notes", notes);
        }
        out.bulk(b"flags");
        out.set(key_spec.flags.len());
        for flag in key_spec.flags {
            out.simple(flag);
        }
        out.bulk(b"begin_search");
        out.map(2);
        match key_spec.begin {
            BeginSearch::Index(index) => {
                map_entry_str(out, "type", "index");
                out.bulk(b"spec");
                out.map(1);
                map_entry_int(out, "index", index as i64);
            }
            BeginSearch::Keyword { keyword, start_from } => {
                map_entry_str(out, "type", "keyword");
                out.bulk(b"spec");
                out.map(2);
                map_entry_str(out, "keyword", keyword);
                map_entry_int(out, "startfrom", start_from as i64);
            }
            BeginSearch::Unknown => {
                map_entry_str(out, "type", "unknown");
                out.bulk(b"spec");
                out.map(0);
            }
        }
        out.bulk(b"find_keys");
        out.map(2);
        let (kind, fields): (_, &[(&str, i64)]) = match key_spec.find {
            FindKeys::Range { last, step, limit } => {
                ("range", &[("lastkey", last as i64), ("keystep", step as i64), ("limit", limit as i64)])
            }
            FindKeys::KeyNum { count_at, first, step } => (
                "keynum",
                &[("keynumidx", count_at as i64), ("firstkey", first as i64), ("keystep", step as i64)],
            ),
            FindKeys::Unknown => ("unknown", &[]),
        };
        map_entry_str(out, "type", kind);
        out.bulk(b"spec");
        out.map(fields.len());
        for &(name, value) in fields {
            map_entry_int(out, name, value);
        }
    }
    let subcommands: Vec<&Command> = table().subcommands_of(command).collect();
    if subcommands.is_empty() {
        out.set(0);
        return;
    }
    out.array(subcommands.len());
    for sub in subcommands {
        write_info(out, sub);
    }
}

fn map_entry_str(out: &mut ReplyWriter, key: &str, value: &str) {
    out.bulk(key.as_bytes());
    out.bulk(value.as_bytes());
}

fn map_entry_int(out: &mut ReplyWriter, key: &str, value: i64) {
    out.bulk(key.as_bytes());
    out.integer(value);
}

/// Finds a command by name, `container|sub` for a subcommand (any case).
fn find(name: &[u8]) -> Option<&'static Command> {
    let table = table();
    match name.iter().position(|&b| b == b'|') {
        None => table.lookup(name),
        Some(bar) => table.subcommand(table.lookup(&name[..bar])?, &name[bar + 1..]),
    }
}

/// `COMMAND`: every command's info.
pub fn command(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let all: Vec<&Command> = table().top_level().collect();
    ctx.out.array(all.len());
    for command in all {
        write_info(ctx.out, command);
    }
    REPLIED
}

/// `COMMAND COUNT`: how many top-level commands there are.
fn count(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.integer(table().top_level().count() as i64);
    REPLIED
}

/// `COMMAND INFO [name …]`: the named commands' info (null for unknown ones), or all.
fn info(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    if args.is_done() {
        return command(ctx, args);
    }
    ctx.out.array(args.remaining());
    for name in args.rest() {
        match find(name) {
            Some(command) => write_info(ctx.out, command),
            None => ctx.out.null(),
        }
    }
    REPLIED
}

/// `COMMAND DOCS [name …]`: documentation is optional for clients; an empty map
/// (redis-cli and the libraries accept it).
fn docs(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.map(0);
    REPLIED
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]`: the
/// names of the commands and of their subcommands (`container|sub`), as Redis
/// lists them, filtered.
fn list(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    enum Filter<'a> {
        All,
        Module,
        Category(String),
        Pattern(&'a [u8]),
    }
    let filter = if args.is_done() {
        Filter::All
    } else if args.remaining() == 3 && args.flag("FILTERBY") {
        let (kind, value) = (args.next_bytes()?, args.next_bytes()?);
        if is(kind, "MODULE") {
            Filter::Module
        } else if is(kind, "ACLCAT") {
            Filter::Category(args::text(value).to_ascii_lowercase())
        } else if is(kind, "PATTERN") {
            Filter::Pattern(value)
        } else {
            return Err(CommandError::Syntax);
        }
    } else {
        return Err(CommandError::Syntax);
    };
    let names: Vec<&str> = table()
        .all()
        .filter(|c| match &filter {
            Filter::All => true,
            Filter::Module => false,
            Filter::Category(category) => categories(c.spec).contains(&category.as_str()),
            Filter::Pattern(pattern) => glob_match(&pattern.to_ascii_lowercase(), c.full_name.as_bytes()),
        })
        .map(|c| c.full_name.as_str())
        .collect();
    ctx.out.array(names.len());
    for name in names {
        ctx.out.bulk(name.as_bytes());
    }
    REPLIED
}

/// The keys of the command in `args` (`COMMAND GETKEYS …`), each with the key spec
/// that found it, with Redis's errors: none when the command has none but they are
/// optional.
fn keys_of<'a>(args: &Args<'a>) -> Result<(FoundKeys, &'static Command), CommandError> {
    let request = args.rest();
    let table = table();
    // As Redis's `lookupCommand`: a container's second argument names its subcommand.
    let command = table.lookup(&request[0]).and_then(|base| match request.get(1) {
        Some(sub) if !base.spec.subcommands.is_empty() => table.subcommand(base, sub),
        _ => Some(base),
    });
    let command = command.ok_or_else(|| CommandError::err("Invalid command specified"))?;
    // Redis's `doesCommandHaveKeys`: a key spec that is not `not_key`.
    if command.spec.keys.iter().all(|spec| spec.has("not_key")) {
        return Err(CommandError::err("The command has no key arguments"));
    }
    if !command.spec.accepts(request.len()) {
        return Err(CommandError::err("Invalid number of arguments specified for command"));
    }
    match command.spec.keys_with_specs(request) {
        Some(positions) => Ok((positions, command)),
        None if command.spec.has(NO_MANDATORY_KEYS) => Ok((Vec::new(), command)),
        None => Err(CommandError::err("Invalid arguments specified for command")),
    }
}

/// `COMMAND GETKEYS command [arg …]`: the keys of a full command.
fn getkeys(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (positions, _) = keys_of(args)?;
    let request = args.rest();
    ctx.out.array(positions.len());
    for (position, _) in positions {
        ctx.out.bulk(&request[position]);
    }
    REPLIED
}

/// `COMMAND GETKEYSANDFLAGS command [arg …]`: each key with its spec's flags (for a
/// `variable_flags` spec, those the request gives it: `SET k v GET` reads `k`).
fn getkeys_and_flags(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (positions, command) = keys_of(args)?;
    let request = args.rest();
    ctx.out.array(positions.len());
    for (position, key_spec) in positions {
        ctx.out.array(2);
        ctx.out.bulk(&request[position]);
        let flags = command.spec.flags_of_keys(key_spec, request);
        ctx.out.set(flags.len());
        for flag in flags {
            ctx.out.simple(flag);
        }
    }
    REPLIED
}

/// `COMMAND HELP`.
fn help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_category_is_one_redis_has() {
        for command in table().all() {
            for category in command.spec.categories {
                assert!(
                    CATEGORY_ORDER.contains(category),
                    "{}: unknown category {category:?}",
                    command.full_name
                );
            }
        }
    }

    #[test]
    fn slow_is_whatever_is_not_fast() {
        fn nothing(_: &mut Context<'_>, _: &mut Args<'_>) -> CommandResult {
            REPLIED
        }
        let fast = CommandSpec::new("a", 1, FAST, nothing);
        assert_eq!(categories(&fast), ["fast"]);
        let declared = CommandSpec::new("b", 1, 0, nothing).categories(&["fast", "connection"]);
        assert_eq!(categories(&declared), ["fast", "connection"]);
        let admin = CommandSpec::new("c", 1, ADMIN | WRITE, nothing).categories(&["keyspace"]);
        assert_eq!(categories(&admin), ["keyspace", "write", "admin", "slow", "dangerous"]);
    }
}
