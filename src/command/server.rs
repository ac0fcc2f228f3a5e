//! Connection and server commands: `PING`, `ECHO`, `QUIT`, `HELLO`, `AUTH`, `CLIENT`,
//! `COMMAND`, `CONFIG`, `TIME`.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::args::{self, is};
use super::{flags, help, subcommand_arity, CommandError, CommandResult, CommandSpec, Context, COMMANDS};
use crate::config::{Config, PARAMETERS};
use crate::glob::glob_match;
use crate::protocol::Protocol;
use crate::sync::lock;

/// The Redis version we answer as: clients gate features on it.
pub const REDIS_VERSION: &str = "7.2.4";

/// `PING [message]`: `PONG`, or the message.
pub fn ping(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    match args {
        [_] => ctx.out.simple("PONG"),
        [_, message] => ctx.out.bulk(message),
        _ => return Err(CommandError::WrongArity("ping".into())),
    }
    Ok(())
}

/// `ECHO message`.
pub fn echo(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    ctx.out.bulk(&args[1]);
    Ok(())
}

/// `QUIT`: `+OK`, then the connection closes.
pub fn quit(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    ctx.session.closing = true;
    ctx.out.ok();
    Ok(())
}

/// `AUTH [username] password`: with `requirepass` set, the password (user `default`)
/// authenticates the connection; without one, `AUTH password` is Redis's error and
/// `AUTH default <anything>` succeeds, as the `default` user has no password.
pub fn auth(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let (user, password): (&[u8], &[u8]) = match args {
        [_, password] => (b"default", password),
        [_, user, password] => (user, password),
        _ => return Err(CommandError::Syntax),
    };
    if args.len() == 2 && ctx.state.config.load().requirepass.is_none() {
        return Err(CommandError::err(
            "AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        ));
    }
    check_credentials(ctx, user, password)?;
    ctx.out.ok();
    Ok(())
}

/// Checks credentials and marks the connection authenticated. The password is
/// compared in constant time (`subtle`), so its bytes cannot be timed out of us.
fn check_credentials(ctx: &mut Context<'_>, user: &[u8], password: &[u8]) -> CommandResult {
    use subtle::ConstantTimeEq;
    let config = ctx.state.config.load();
    let password_ok = match &config.requirepass {
        Some(expected) => bool::from(expected.as_bytes().ct_eq(password)),
        None => true,
    };
    if user == b"default" && password_ok {
        ctx.session.authenticated = true;
        Ok(())
    } else {
        Err(CommandError::WrongPass)
    }
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`: switches the
/// protocol and describes the server (a map in RESP3, a flat array in RESP2).
pub fn hello(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let mut protocol = ctx.out.protocol();
    if let Some(version) = args.get(1) {
        let version = args::int(version)
            .map_err(|_| CommandError::err("Protocol version is not an integer or out of range"))?;
        protocol = match version {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(CommandError::NoProto),
        };
    }
    let mut name = None;
    let mut i = 2;
    while i < args.len() {
        let option = &args[i];
        if is(option, "AUTH") && i + 2 < args.len() {
            check_credentials(ctx, &args[i + 1], &args[i + 2])?;
            i += 3;
        } else if is(option, "SETNAME") && i + 1 < args.len() {
            name = Some(validate_name(&args[i + 1])?);
            i += 2;
        } else {
            return Err(CommandError::err(format!("Syntax error in HELLO option '{}'", args::text(option))));
        }
    }
    if !ctx.session.authenticated {
        return Err(CommandError::Other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> \
             AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol \
             version at the same time"
                .into(),
        ));
    }
    if let Some(name) = name {
        lock(&ctx.session.client.names).name = name;
    }
    ctx.out.set_protocol(protocol);
    ctx.session.client.resp.store(protocol.version() as u8, Ordering::Relaxed);
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.integer(protocol.version());
    out.bulk(b"id");
    out.integer(ctx.session.client.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

/// A client name must be printable ASCII without spaces, as Redis requires.
fn validate_name(name: &[u8]) -> Result<String, CommandError> {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(args::text(name))
    } else {
        Err(CommandError::err("Client names cannot contain spaces, newlines or special characters."))
    }
}

/// `CLIENT ID | GETNAME | SETNAME name | SETINFO attr value | LIST | INFO | HELP`.
pub fn client(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let sub = &args[1];
    let arity = |n: usize| if args.len() == n { Ok(()) } else { Err(subcommand_arity("client", sub)) };
    if is(sub, "ID") {
        arity(2)?;
        ctx.out.integer(ctx.session.client.id as i64);
    } else if is(sub, "GETNAME") {
        arity(2)?;
        let name = lock(&ctx.session.client.names).name.clone();
        ctx.out.bulk_or_null((!name.is_empty()).then_some(name.as_bytes()));
    } else if is(sub, "SETNAME") {
        arity(3)?;
        let name = validate_name(&args[2])?;
        lock(&ctx.session.client.names).name = name;
        ctx.out.ok();
    } else if is(sub, "SETINFO") {
        arity(4)?;
        let value = args::text(&args[3]);
        if value.bytes().any(|c| !(b'!'..=b'~').contains(&c)) {
            return Err(CommandError::err(format!(
                "{} cannot contain spaces, newlines or special characters.",
                args::text(&args[2]).to_ascii_uppercase()
            )));
        }
        let mut names = lock(&ctx.session.client.names);
        if is(&args[2], "LIB-NAME") {
            names.lib_name = value;
        } else if is(&args[2], "LIB-VER") {
            names.lib_ver = value;
        } else {
            return Err(CommandError::err(format!("Unrecognized option '{}'", args::text(&args[2]))));
        }
        drop(names);
        ctx.out.ok();
    } else if is(sub, "LIST") {
        let filter = client_list_filter(args)?;
        let list = ctx.state.clients.list(filter.as_deref());
        ctx.out.verbatim("txt", list.as_bytes());
    } else if is(sub, "INFO") {
        arity(2)?;
        let line = ctx.session.client.describe() + "\n";
        ctx.out.verbatim("txt", line.as_bytes());
    } else if is(sub, "KILL") {
        client_kill(ctx, args)?;
    } else if is(sub, "NO-EVICT") || is(sub, "NO-TOUCH") {
        arity(3)?;
        if !is(&args[2], "ON") && !is(&args[2], "OFF") {
            return Err(CommandError::Syntax);
        }
        ctx.out.ok();
    } else if is(sub, "HELP") {
        arity(2)?;
        let lines = [
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "LIST",
            "    Return information about client connections.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
        ];
        help(ctx, &lines);
    } else {
        return Err(CommandError::UnknownSubcommand { sub: args::text(sub), command: "CLIENT" });
    }
    Ok(())
}

/// `CLIENT KILL ip:port` (old form: `+OK` or `ERR No such client`) or
/// `CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]` (the number
/// of clients closed).
fn client_kill(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let me = ctx.session.client.id;
    if args.len() == 3 {
        let addr = args::text(&args[2]);
        let killed = ctx.state.clients.kill(None, |c| c.addr.to_string() == addr);
        if killed == 0 {
            return Err(CommandError::err("No such client"));
        }
        ctx.out.ok();
        return Ok(());
    }
    if args.len() < 4 || args.len() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    let (mut id, mut addr, mut laddr, mut skip_me) = (None, None, None, true);
    for pair in args[2..].chunks_exact(2) {
        let value = args::text(&pair[1]);
        if is(&pair[0], "ID") {
            id = Some(
                args::int(&pair[1])
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| CommandError::err("client-id should be greater than 0"))?
                    as u64,
            );
        } else if is(&pair[0], "ADDR") {
            addr = Some(value);
        } else if is(&pair[0], "LADDR") {
            laddr = Some(value);
        } else if is(&pair[0], "SKIPME") {
            skip_me = match value.to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err(CommandError::Syntax),
            };
        } else if is(&pair[0], "TYPE") || is(&pair[0], "USER") || is(&pair[0], "MAXAGE") {
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
    Ok(())
}

/// `CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id …]`: the ids to list, or
/// `None` for every client.
fn client_list_filter(args: &[Bytes]) -> Result<Option<Vec<u64>>, CommandError> {
    match args.get(2) {
        None => Ok(None),
        Some(word) if is(word, "ID") && args.len() > 3 => args[3..]
            .iter()
            .map(|id| match args::int(id) {
                Ok(id) if id > 0 => Ok(id as u64),
                _ => Err(CommandError::err("Invalid client ID")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(word) if is(word, "TYPE") && args.len() == 4 => {
            let kind = &args[3];
            if is(kind, "NORMAL") {
                Ok(None)
            } else if is(kind, "MASTER") || is(kind, "REPLICA") || is(kind, "SLAVE") || is(kind, "PUBSUB") {
                Ok(Some(Vec::new()))
            } else {
                Err(CommandError::err(format!("Unknown client type '{}'", args::text(kind))))
            }
        }
        Some(_) => Err(CommandError::Syntax),
    }
}

/// Writes one command's `COMMAND INFO` entry.
fn command_info(ctx: &mut Context<'_>, spec: &CommandSpec) {
    let out = &mut *ctx.out;
    out.array(10);
    out.bulk(spec.name.as_bytes());
    out.integer(spec.arity as i64);
    let names = flags::names(spec.flags);
    out.set(names.len());
    for name in names {
        out.simple(name);
    }
    out.integer(spec.first_key as i64);
    out.integer(spec.last_key as i64);
    out.integer(spec.key_step as i64);
    out.set(0);
    out.array(0);
    out.array(0);
    out.array(0);
}

/// `COMMAND [COUNT | INFO name… | DOCS [name…] | LIST | HELP]`.
pub fn command(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let Some(sub) = args.get(1) else {
        ctx.out.array(COMMANDS.len());
        for spec in COMMANDS {
            command_info(ctx, spec);
        }
        return Ok(());
    };
    if is(sub, "COUNT") {
        if args.len() != 2 {
            return Err(subcommand_arity("command", sub));
        }
        ctx.out.integer(COMMANDS.len() as i64);
    } else if is(sub, "INFO") {
        if args.len() == 2 {
            ctx.out.array(COMMANDS.len());
            for spec in COMMANDS {
                command_info(ctx, spec);
            }
        } else {
            ctx.out.array(args.len() - 2);
            for name in &args[2..] {
                match super::lookup(name) {
                    Some(spec) => command_info(ctx, spec),
                    None => ctx.out.null(),
                }
            }
        }
    } else if is(sub, "DOCS") {
        // Documentation is optional for clients; redis-cli accepts an empty reply.
        ctx.out.map(0);
    } else if is(sub, "LIST") {
        ctx.out.array(COMMANDS.len());
        for spec in COMMANDS {
            ctx.out.bulk(spec.name.as_bytes());
        }
    } else if is(sub, "HELP") {
        help(
            ctx,
            &[
                "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "COUNT",
                "INFO",
                "DOCS",
                "LIST",
            ],
        );
    } else {
        return Err(CommandError::UnknownSubcommand { sub: args::text(sub), command: "COMMAND" });
    }
    Ok(())
}

/// `CONFIG GET pattern [pattern …] | SET name value [name value …] | RESETSTAT | HELP`.
pub fn config(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let sub = &args[1];
    if is(sub, "GET") {
        if args.len() < 3 {
            return Err(subcommand_arity("config", sub));
        }
        let config = ctx.state.config.load();
        let matches: Vec<(&str, String)> = PARAMETERS
            .iter()
            .filter(|name| args[2..].iter().any(|p| glob_match(&p.to_ascii_lowercase(), name.as_bytes())))
            .filter_map(|name| config.get(name).map(|v| (*name, v)))
            .collect();
        ctx.out.map(matches.len());
        for (name, value) in matches {
            ctx.out.bulk(name.as_bytes());
            ctx.out.bulk(value.as_bytes());
        }
    } else if is(sub, "SET") {
        if args.len() < 4 {
            return Err(subcommand_arity("config", sub));
        }
        if args.len() % 2 != 0 {
            return Err(CommandError::Syntax);
        }
        let mut next: Config = (**ctx.state.config.load()).clone();
        let mut seen = Vec::new();
        for pair in args[2..].chunks_exact(2) {
            let name = args::text(&pair[0]).to_ascii_lowercase();
            if seen.contains(&name) {
                return Err(CommandError::err(format!(
                    "CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"
                )));
            }
            seen.push(name.clone());
            let value = args::text(&pair[1]);
            if !Config::is_live(&name) {
                return Err(CommandError::err(format!(
                    "Unknown option or number of arguments for CONFIG SET - '{name}'"
                )));
            }
            next.set(&name, &value).map_err(|reason| {
                CommandError::err(format!(
                    "CONFIG SET failed (possibly related to argument '{name}') - {reason}"
                ))
            })?;
        }
        log::set_max_level(next.log_filter());
        ctx.state.apply_cache_settings(&next);
        if let Some(aof) = ctx.state.aof.get() {
            aof.set_policy(next.appendfsync);
        }
        ctx.state.config.store(std::sync::Arc::new(next));
        ctx.out.ok();
    } else if is(sub, "RESETSTAT") {
        if args.len() != 2 {
            return Err(subcommand_arity("config", sub));
        }
        ctx.state.stats.reset();
        ctx.state.command_stats.reset();
        ctx.state.engine.evictor.reset_stats();
        for db in 0..crate::engine::DATABASES {
            ctx.state.engine.db(db).reset_stats();
        }
        ctx.state.slowlog.reset();
        ctx.out.ok();
    } else if is(sub, "REWRITE") {
        if args.len() != 2 {
            return Err(subcommand_arity("config", sub));
        }
        let config = ctx.state.config.load();
        let Some(path) = config.config_file.clone() else {
            return Err(CommandError::err("The server is running without a config file"));
        };
        config.rewrite(&path).map_err(|e| CommandError::err(format!("Rewriting config file: {e}")))?;
        ctx.out.ok();
    } else if is(sub, "HELP") {
        help(
            ctx,
            &[
                "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>",
                "SET <directive> <value>",
                "RESETSTAT",
                "REWRITE",
            ],
        );
    } else {
        return Err(CommandError::UnknownSubcommand { sub: args::text(sub), command: "CONFIG" });
    }
    Ok(())
}

/// `TIME`: Unix seconds and microseconds, as two bulk strings.
pub fn time(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(CommandError::internal)?;
    ctx.out.array(2);
    ctx.out.bulk(now.as_secs().to_string().as_bytes());
    ctx.out.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(())
}

/// `BGREWRITEAOF`: compacts the AOF in the background.
pub fn bgrewriteaof(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    let Some(aof) = ctx.state.aof.get() else {
        return Err(CommandError::err("Append only file is not enabled (start with --aof-path)"));
    };
    crate::aof::rewrite::start(aof, &ctx.state.engine, ctx.now_ms)
        .map_err(|e| CommandError::err(e.to_string()))?;
    ctx.out.simple("Background append only file rewriting started");
    Ok(())
}
