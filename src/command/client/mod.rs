//! The `CLIENT` family, each subcommand a spec of `CLIENT`: the names a client gives
//! itself (`ID`, `GETNAME`, `SETNAME`, `SETINFO`), what it can see of the others
//! ([`list`]: `LIST`, `INFO`), closing them ([`kill`]: `KILL`, `UNBLOCK`), and the
//! controls of the connection and the server ([`controls`]: `REPLY`, `PAUSE`,
//! `UNPAUSE`, `NO-EVICT`, `NO-TOUCH`, and the top-level `RESET`).

pub mod controls;
pub mod kill;
pub mod list;

use super::args::{self, is};
use super::spec::CommandSpec;
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
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
    CommandSpec::new("list", -2, ADMIN | BASE, list::list).categories(CONNECTION).tips(NONDETERMINISTIC),
    CommandSpec::new("info", 2, BASE, list::info).categories(CONNECTION).tips(NONDETERMINISTIC),
    CommandSpec::new("kill", -3, ADMIN | BASE, kill::kill).categories(CONNECTION),
    CommandSpec::new("unblock", -3, ADMIN | BASE, kill::unblock).categories(CONNECTION),
    CommandSpec::new("reply", 3, BASE, controls::reply).categories(CONNECTION),
    CommandSpec::new("pause", -3, ADMIN | BASE, controls::pause).categories(CONNECTION),
    CommandSpec::new("unpause", 2, ADMIN | BASE, controls::unpause).categories(CONNECTION),
    CommandSpec::new("no-evict", 3, ADMIN | BASE, controls::no_evict).categories(CONNECTION),
    CommandSpec::new("no-touch", 3, BASE, controls::no_touch).categories(CONNECTION),
    CommandSpec::new("tracking", -3, BASE, super::tracking::tracking).categories(CONNECTION),
    CommandSpec::new("caching", 3, BASE, super::tracking::caching).categories(CONNECTION),
    CommandSpec::new("getredir", 2, BASE, super::tracking::getredir).categories(CONNECTION),
    CommandSpec::new("trackinginfo", 2, BASE, super::tracking::trackinginfo).categories(CONNECTION),
    CommandSpec::new("help", 2, LOADING | STALE, help).categories(CONNECTION),
];

/// A client name must be printable ASCII without spaces, as Redis requires.
pub fn validate_name(name: &[u8]) -> Result<String, CommandError> {
    if printable(name) {
        Ok(args::text(name))
    } else {
        Err(CommandError::err("Client names cannot contain spaces, newlines or special characters."))
    }
}

/// Whether every byte is printable ASCII other than space (`!` to `~`).
fn printable(text: &[u8]) -> bool {
    text.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// Redis's `addReplySubcommandSyntaxError`: a subcommand given arguments it does not
/// take.
pub(crate) fn subcommand_syntax(args: &Args<'_>) -> CommandError {
    let all = args.all();
    let sub: String = String::from_utf8_lossy(&all[1]).chars().take(128).collect();
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        args::text(&all[0]).to_ascii_uppercase()
    ))
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

/// `CLIENT SETNAME name` (an empty name removes it).
fn setname(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let name = validate_name(args.next_bytes()?)?;
    lock(&ctx.session.client.names).name = name;
    ctx.out.ok();
    REPLIED
}

/// `CLIENT SETINFO LIB-NAME name | LIB-VER version` (Redis 7.2's, which clients
/// send): the option is checked first, then the value; an empty value clears it.
/// `RESET` leaves both alone (they describe the library behind the connection).
fn setinfo(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (attribute, value) = (args.next_bytes()?, args.next_bytes()?);
    let lib_name = if is(attribute, "LIB-NAME") {
        true
    } else if is(attribute, "LIB-VER") {
        false
    } else {
        return Err(CommandError::err(format!("Unrecognized option '{}'", args::text(attribute))));
    };
    if !printable(value) {
        return Err(CommandError::err(format!(
            "{} cannot contain spaces, newlines or special characters.",
            args::text(attribute)
        )));
    }
    let value = args::text(value);
    let mut names = lock(&ctx.session.client.names);
    if lib_name {
        names.lib_name = value;
    } else {
        names.lib_ver = value;
    }
    drop(names);
    ctx.out.ok();
    REPLIED
}

/// `CLIENT HELP` (Redis 7.2's text: 7.0's with `SETINFO` and `NO-TOUCH`).
pub fn help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
            "HELP",
            "    Prints this help.",
        ],
    )
}
