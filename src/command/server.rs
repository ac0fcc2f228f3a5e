//! Connection and server commands: `PING`, `ECHO`, `QUIT`, `AUTH`, `HELLO`, `TIME`,
//! `WAIT`. (`CLIENT` is in [`super::client`], `COMMAND` in [`super::introspection`],
//! `CONFIG` in [`super::settings`].)

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::args::{self, is};
use super::spec::CommandSpec;
use super::{flags::*, Args, Block, CommandError, CommandResult, Context, Outcome, TimeoutReply, REPLIED};
use crate::protocol::Protocol;
use crate::sync::lock;

/// The Redis version we answer as: the one whose behaviour we match (clients gate
/// features on it).
pub const REDIS_VERSION: &str = "7.0.15";

const CONNECTION: &[&str] = &["connection"];

/// The connection and server family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, FAST, ping)
        .categories(CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    CommandSpec::new("echo", 2, LOADING | STALE | FAST, echo).categories(CONNECTION),
    CommandSpec::new("quit", -1, ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, quit)
        .categories(CONNECTION),
    CommandSpec::new("auth", -2, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY, auth)
        .categories(CONNECTION),
    CommandSpec::new("hello", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY, hello)
        .categories(CONNECTION),
    CommandSpec::new("time", 1, LOADING | STALE | FAST, time).tips(&["nondeterministic_output"]),
    CommandSpec::new("wait", 3, NOSCRIPT, wait)
        .categories(CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:agg_min"]),
    CommandSpec::new("client", -2, 0, super::client::help).subcommands(super::client::SPECS),
    CommandSpec::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        super::client::controls::reset,
    )
    .categories(CONNECTION),
    CommandSpec::new("command", -1, LOADING | STALE, super::introspection::command)
        .categories(CONNECTION)
        .tips(super::introspection::OUTPUT_ORDER)
        .subcommands(super::introspection::SPECS),
    CommandSpec::new("config", -2, 0, super::settings::help).subcommands(super::settings::SPECS),
];

/// `PING [message]`: `PONG`, or the message.
pub fn ping(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    if ctx.session.push.subscriptions.any() && ctx.out.protocol() == Protocol::Resp2 {
        // A subscribed RESP2 client gets a `pong` message, as Redis answers it.
        if args.remaining() > 1 {
            return Err(CommandError::WrongArity("ping".into()));
        }
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(args.rest().first().map_or(&b""[..], |m| &m[..]));
        return REPLIED;
    }
    match args.remaining() {
        0 => ctx.out.simple("PONG"),
        1 => ctx.out.bulk(args.next_bytes()?),
        _ => return Err(CommandError::WrongArity("ping".into())),
    }
    REPLIED
}

/// `ECHO message`.
pub fn echo(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    ctx.out.bulk(args.next_bytes()?);
    REPLIED
}

/// `QUIT`: `+OK`, then the connection closes.
pub fn quit(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.ok();
    Ok(Outcome::Close)
}

/// `AUTH [username] password`: with `requirepass` set, the password (user `default`)
/// authenticates the connection; without one, `AUTH password` is Redis's error and
/// `AUTH default <anything>` succeeds, as the `default` user has no password.
pub fn auth(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (user, password): (&[u8], &[u8]) = match args.rest() {
        [password] => (b"default", password),
        [user, password] => (user, password),
        _ => return Err(CommandError::Syntax),
    };
    if args.remaining() == 1 && ctx.state.config.load().requirepass.is_none() {
        return Err(CommandError::err(
            "AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        ));
    }
    check_credentials(ctx, user, password)?;
    ctx.out.ok();
    REPLIED
}

/// Checks credentials and marks the connection authenticated. The password is
/// compared in constant time (`subtle`), so its bytes cannot be timed out of us.
fn check_credentials(ctx: &mut Context<'_>, user: &[u8], password: &[u8]) -> Result<(), CommandError> {
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
pub fn hello(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let mut protocol = ctx.out.protocol();
    if let Some(version) = args.peek() {
        args.next_bytes()?;
        let version = args::int(version)
            .map_err(|_| CommandError::err("Protocol version is not an integer or out of range"))?;
        protocol = match version {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(CommandError::NoProto),
        };
    }
    let mut name = None;
    while let Some(option) = args.peek() {
        if is(option, "AUTH") && args.remaining() >= 3 {
            args.next_bytes()?;
            let (user, password) = (args.next_bytes()?, args.next_bytes()?);
            check_credentials(ctx, user, password)?;
        } else if is(option, "SETNAME") && args.remaining() >= 2 {
            args.next_bytes()?;
            name = Some(super::client::validate_name(args.next_bytes()?)?);
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
    REPLIED
}

/// `TIME`: Unix seconds and microseconds, as two bulk strings.
pub fn time(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(CommandError::internal)?;
    ctx.out.array(2);
    ctx.out.bulk(now.as_secs().to_string().as_bytes());
    ctx.out.bulk(now.subsec_micros().to_string().as_bytes());
    REPLIED
}

/// Parses a timeout in milliseconds as Redis's `getTimeoutFromObjectOrReply` does:
/// an integer, not negative, not overflowing when added to now. `None`: no timeout.
pub fn timeout_ms(arg: &[u8], now_ms: u64) -> Result<Option<Duration>, CommandError> {
    let ms = args::int(arg).map_err(|_| CommandError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    if ms > i64::MAX - now_ms as i64 {
        return Err(CommandError::err("timeout is out of range"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

/// `WAIT numreplicas timeout`: the number of replicas that acknowledged this
/// client's writes — always 0, as FerrumKV has no replicas. Asked for one or more,
/// it blocks until the timeout (0: forever, until `CLIENT UNBLOCK`), as Redis does
/// when its replicas are missing; inside `MULTI` it answers at once.
pub fn wait(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let replicas = args.next_i64()?;
    let timeout = timeout_ms(args.next_bytes()?, ctx.now_ms)?;
    if replicas <= 0 {
        ctx.out.integer(0);
        return REPLIED;
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    Ok(Outcome::Block(Block { deadline, on_timeout: TimeoutReply::Integer(0), on: None }))
}
