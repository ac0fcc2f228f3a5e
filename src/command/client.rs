//! `CLIENT ID | GETNAME | SETNAME | SETINFO | LIST | INFO | KILL | UNBLOCK |
//! NO-EVICT | NO-TOUCH | HELP`, each a subcommand spec of `CLIENT`.

use super::args::{self, is};
use super::spec::CommandSpec;
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::clients::Unblock;
use crate::sync::lock;

const BASE: super::Flags = NOSCRIPT | LOADING | STALE;
/// Every subcommand is `@connection` (the container itself is only `@slow`).
const CONNECTION: &[&str] = &["connection"];
/// A client's fields (its idle time, its buffers) change from one call to the next.
const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];

/// The subcommands of `CLIENT` (`SETINFO` and `NO-TOUCH` are Redis 7.2's; their
/// specs are 7.2's).
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("id", 2, BASE, id).categories(CONNECTION),
    CommandSpec::new("getname", 2, BASE, getname).categories(CONNECTION),
    CommandSpec::new("setname", 3, BASE, setname).categories(CONNECTION),
    CommandSpec::new("setinfo", 4, BASE, setinfo).categories(CONNECTION),
    CommandSpec::new("list", -2, ADMIN | BASE, list).categories(CONNECTION).tips(NONDETERMINISTIC),
    CommandSpec::new("info", 2, BASE, info).categories(CONNECTION).tips(NONDETERMINISTIC),
    CommandSpec::new("kill", -3, ADMIN | BASE, kill).categories(CONNECTION),
    CommandSpec::new("unblock", -3, ADMIN | BASE, unblock).categories(CONNECTION),
    CommandSpec::new("no-evict", 3, ADMIN | BASE, on_off).categories(CONNECTION),
    CommandSpec::new("no-touch", 3, BASE, on_off).categories(CONNECTION),
    CommandSpec::new("tracking", -3, BASE, super::tracking::tracking).categories(CONNECTION),
    CommandSpec::new("caching", 3, BASE, super::tracking::caching).categories(CONNECTION),
    CommandSpec::new("getredir", 2, BASE, super::tracking::getredir).categories(CONNECTION),
    CommandSpec::new("trackinginfo", 2, BASE, super::tracking::trackinginfo).categories(CONNECTION),
    CommandSpec::new("help", 2, LOADING | STALE, help).categories(CONNECTION),
];

/// A client name must be printable ASCII without spaces, as Redis requires.
pub fn validate_name(name: &[u8]) -> Result<String, CommandError> {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(args::text(name))
    } else {
        Err(CommandError::err("Client names cannot contain spaces, newlines or special characters."))
    }
}

/// `CLIENT ID`.
fn id(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.integer(ctx.session.client.id as i64);
    REPLIED
}

/// `CLIENT GETNAME`: the name, or null.
fn getname(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let name = lock(&ctx.session.client.names).name.clone();
    ctx.out.bulk_or_null((!name.is_empty()).then_some(name.as_bytes()));
    REPLIED
}

/// `CLIENT SETNAME name`.
fn setname(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let name = validate_name(args.next_bytes()?)?;
    lock(&ctx.session.client.names).name = name;
    ctx.out.ok();
    REPLIED
}

/// `CLIENT SETINFO LIB-NAME name | LIB-VER version` (Redis 7.2's, which clients send).
fn setinfo(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (attribute, value) = (args.next_bytes()?, args.next_bytes()?);
    let value = args::text(value);
    if value.bytes().any(|c| !(b'!'..=b'~').contains(&c)) {
        return Err(CommandError::err(format!(
            "{} cannot contain spaces, newlines or special characters.",
            args::text(attribute).to_ascii_uppercase()
        )));
    }
    let mut names = lock(&ctx.session.client.names);
    if is(attribute, "LIB-NAME") {
        names.lib_name = value;
    } else if is(attribute, "LIB-VER") {
        names.lib_ver = value;
    } else {
        return Err(CommandError::err(format!("Unrecognized option '{}'", args::text(attribute))));
    }
    drop(names);
    ctx.out.ok();
    REPLIED
}

/// `CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id …]`.
fn list(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let filter = list_filter(args)?;
    let list = ctx.state.clients.list(filter.as_deref());
    ctx.out.verbatim("txt", list.as_bytes());
    REPLIED
}

/// The ids `CLIENT LIST` asks for, or `None` for every client.
fn list_filter(args: &mut Args<'_>) -> Result<Option<Vec<u64>>, CommandError> {
    if args.is_done() {
        return Ok(None);
    }
    if args.remaining() > 1 && args.flag("ID") {
        return args
            .rest()
            .iter()
            .map(|id| match args::int(id) {
                Ok(id) if id > 0 => Ok(id as u64),
                _ => Err(CommandError::err("Invalid client ID")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some);
    }
    if args.remaining() == 2 && args.flag("TYPE") {
        let kind = args.next_bytes()?;
        return if is(kind, "NORMAL") {
            Ok(None)
        } else if ["MASTER", "REPLICA", "SLAVE", "PUBSUB"].iter().any(|k| is(kind, k)) {
            Ok(Some(Vec::new()))
        } else {
            Err(CommandError::err(format!("Unknown client type '{}'", args::text(kind))))
        };
    }
    Err(CommandError::Syntax)
}

/// `CLIENT INFO`: this connection's `CLIENT LIST` line.
fn info(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let line = ctx.session.client.describe() + "\n";
    ctx.out.verbatim("txt", line.as_bytes());
    REPLIED
}

/// `CLIENT KILL ip:port` (old form: `+OK` or `ERR No such client`) or
/// `CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]` (the number
/// of clients closed).
fn kill(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let me = ctx.session.client.id;
    if args.remaining() == 1 {
        let addr = args::text(args.next_bytes()?);
        if ctx.state.clients.kill(None, |c| c.addr.to_string() == addr) == 0 {
            return Err(CommandError::err("No such client"));
        }
        ctx.out.ok();
        return REPLIED;
    }
    if args.remaining() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    let (mut id, mut addr, mut laddr, mut skip_me) = (None, None, None, true);
    while !args.is_done() {
        let (filter, value) = (args.next_bytes()?, args.next_bytes()?);
        let text = args::text(value);
        if is(filter, "ID") {
            let parsed = args::int(value).ok().filter(|&n| n > 0);
            id = Some(parsed.ok_or_else(|| CommandError::err("client-id should be greater than 0"))? as u64);
        } else if is(filter, "ADDR") {
            addr = Some(text);
        } else if is(filter, "LADDR") {
            laddr = Some(text);
        } else if is(filter, "SKIPME") {
            skip_me = match text.to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err(CommandError::Syntax),
            };
        } else if ["TYPE", "USER", "MAXAGE"].iter().any(|f| is(filter, f)) {
            // Every client is a normal client of the default user here.
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let killed = ctx.state.clients.kill(skip_me.then_some(me), |c| {
        id.is_none_or(|id| c.id == id)
            && addr.as_ref().is_none_or(|a| c.addr.to_string() == *a)
            && laddr.as_ref().is_none_or(|a| c.laddr.to_string() == *a)
    });
    ctx.out.integer(killed as i64);
    REPLIED
}

/// `CLIENT UNBLOCK client-id [TIMEOUT | ERROR]`: ends another client's wait, as if
/// it had timed out or with an error; 1 if it was waiting, else 0.
fn unblock(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let id_arg = args.next_bytes()?;
    let how = match args.rest() {
        [] => Unblock::Timeout,
        [reason] if is(reason, "TIMEOUT") => Unblock::Timeout,
        [reason] if is(reason, "ERROR") => Unblock::Error,
        [_] => return Err(CommandError::err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
        _ => return Err(CommandError::WrongArity("client|unblock".into())),
    };
    let id = args::int(id_arg)?;
    let target = u64::try_from(id).ok().and_then(|id| ctx.state.clients.get(id));
    let unblocked = target.is_some_and(|client| client.waiting.unblock(how));
    ctx.out.integer(unblocked as i64);
    REPLIED
}

/// `CLIENT NO-EVICT on|off`, `CLIENT NO-TOUCH on|off`: accepted (no client is evicted
/// for memory here, and reads by this client still count as accesses).
fn on_off(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    if args.one_of(&["ON", "OFF"]).is_none() {
        return Err(CommandError::Syntax);
    }
    ctx.out.ok();
    REPLIED
}

/// `CLIENT HELP`.
pub fn help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID, ADDR, LADDR, SKIPME.",
            "LIST [options ...]",
            "    Return information about client connections.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "HELP",
            "    Prints this help.",
        ],
    )
}
