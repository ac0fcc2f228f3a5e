//! The client-tracking subcommands of `CLIENT` (Redis 7.0's `networking.c`), over
//! the [`crate::pubsub::tracking`] room:
//!
//! ```text
//! CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
//! CLIENT CACHING YES|NO
//! CLIENT GETREDIR
//! CLIENT TRACKINGINFO
//! ```

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::args::{self, is};
use super::{Args, CommandError, CommandResult, Context, REPLIED};
use crate::pubsub::tracking::{flag, Options};

/// `CLIENT TRACKING on|off [options]`.
pub fn tracking(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let mode = args.next_bytes()?;
    let mut options = Options::default();
    let mut redirect_given = false;
    while let Some(option) = args.peek() {
        args.next_bytes()?;
        let more = !args.is_done();
        if is(option, "REDIRECT") && more {
            let id = args.next_bytes()?;
            if redirect_given {
                return Err(CommandError::err("A client can only redirect to a single other client"));
            }
            redirect_given = true;
            let id = args::int(id)?;
            let target = u64::try_from(id).ok().and_then(|id| ctx.state.clients.get(id));
            options.redirect = Some(
                target
                    .ok_or_else(|| CommandError::err("The client ID you want redirect to does not exist"))?,
            );
        } else if is(option, "BCAST") {
            options.flags |= flag::BCAST;
        } else if is(option, "OPTIN") {
            options.flags |= flag::OPTIN;
        } else if is(option, "OPTOUT") {
            options.flags |= flag::OPTOUT;
        } else if is(option, "NOLOOP") {
            options.flags |= flag::NOLOOP;
        } else if is(option, "PREFIX") && more {
            options.prefixes.push(args.next_bytes()?.clone());
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let client = ctx.session.client.clone();
    if is(mode, "ON") {
        let current = client.tracking.load(Ordering::Relaxed);
        let bcast = options.flags & flag::BCAST != 0;
        if !bcast && !options.prefixes.is_empty() {
            return Err(CommandError::err("PREFIX option requires BCAST mode to be enabled"));
        }
        if current & flag::ON != 0 && (current & flag::BCAST != 0) != bcast {
            return Err(CommandError::err(
                "You can't switch BCAST mode on/off before disabling tracking for this client, and then \
                 re-enabling it with a different mode.",
            ));
        }
        if bcast && options.flags & (flag::OPTIN | flag::OPTOUT) != 0 {
            return Err(CommandError::err("OPTIN and OPTOUT are not compatible with BCAST"));
        }
        if options.flags & flag::OPTIN != 0 && options.flags & flag::OPTOUT != 0 {
            return Err(CommandError::err("You can't specify both OPTIN mode and OPTOUT mode"));
        }
        if (options.flags & flag::OPTIN != 0 && current & flag::OPTOUT != 0)
            || (options.flags & flag::OPTOUT != 0 && current & flag::OPTIN != 0)
        {
            return Err(CommandError::err(
                "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then \
                 re-enabling it with a different mode.",
            ));
        }
        if bcast {
            if let Some(line) = ctx.state.tracking.prefix_collision(&client, &options.prefixes) {
                return Err(CommandError::Other(line.into()));
            }
        }
        ctx.state.tracking.enable(&client, options);
    } else if is(mode, "OFF") {
        ctx.state.tracking.disable(&client);
    } else {
        return Err(CommandError::Syntax);
    }
    ctx.session.push.caching = false;
    ctx.out.ok();
    REPLIED
}

/// `CLIENT CACHING yes|no`: whether the next command's reads are tracked
/// (`OPTIN`: yes; `OPTOUT`: no).
pub fn caching(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let current = ctx.session.client.tracking.load(Ordering::Relaxed);
    if current & flag::ON == 0 {
        return Err(CommandError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode \
             enabled",
        ));
    }
    let answer = args.next_bytes()?;
    if is(answer, "YES") {
        if current & flag::OPTIN == 0 {
            return Err(CommandError::err(
                "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is(answer, "NO") {
        if current & flag::OPTOUT == 0 {
            return Err(CommandError::err(
                "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CommandError::Syntax);
    }
    ctx.session.push.caching = true;
    ctx.out.ok();
    REPLIED
}

/// `CLIENT GETREDIR`: the redirect client's id, 0 without one, -1 while tracking
/// is off.
pub fn getredir(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.integer(ctx.session.client.tracking_redirect.load(Ordering::Relaxed));
    REPLIED
}

/// `CLIENT TRACKINGINFO`: a map of `flags` (a set), `redirect` and `prefixes`.
pub fn trackinginfo(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let client = ctx.session.client.clone();
    let bits = client.tracking.load(Ordering::Relaxed);
    let caching = ctx.session.push.caching;
    let mut flags: Vec<&str> = vec![if bits & flag::ON != 0 { "on" } else { "off" }];
    if bits & flag::BCAST != 0 {
        flags.push("bcast");
    }
    if bits & flag::OPTIN != 0 {
        flags.push("optin");
        if caching {
            flags.push("caching-yes");
        }
    }
    if bits & flag::OPTOUT != 0 {
        flags.push("optout");
        if caching {
            flags.push("caching-no");
        }
    }
    if bits & flag::NOLOOP != 0 {
        flags.push("noloop");
    }
    if bits & flag::BROKEN_REDIRECT != 0 {
        flags.push("broken_redirect");
    }
    let prefixes: Vec<Bytes> = ctx.state.tracking.prefixes_of(&client);
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for name in flags {
        out.bulk(name.as_bytes());
    }
    out.bulk(b"redirect");
    out.integer(client.tracking_redirect.load(Ordering::Relaxed));
    out.bulk(b"prefixes");
    out.array(prefixes.len());
    for prefix in &prefixes {
        out.bulk(prefix);
    }
    REPLIED
}
