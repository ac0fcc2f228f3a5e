//! `CLIENT KILL` and `CLIENT UNBLOCK`: ending other clients' connections or waits.

use super::super::args::{self, is};
use super::super::{Args, CommandError, CommandResult, Context, Outcome, REPLIED};
use crate::clients::{ClientInfo, ClientKind, Unblock};

/// What `CLIENT KILL`'s filters select (every given filter must match).
#[derive(Debug, Default)]
struct Filter {
    addr: Option<String>,
    laddr: Option<String>,
    kind: Option<ClientKind>,
    id: Option<u64>,
    user: Option<String>,
}

impl Filter {
    fn matches(&self, client: &ClientInfo) -> bool {
        self.addr.as_ref().is_none_or(|a| client.addr.to_string() == *a)
            && self.laddr.as_ref().is_none_or(|a| client.laddr.to_string() == *a)
            && self.kind.is_none_or(|k| client.kind() == k)
            && self.id.is_none_or(|id| client.id == id)
            && self.user.as_ref().is_none_or(|u| client.user() == u)
    }
}

/// `CLIENT KILL ip:port` (the old form: `+OK`, or `ERR No such client`; it may kill
/// the caller) or `CLIENT KILL <filter> <value> …` with the filters `ID`, `TYPE`,
/// `ADDR`, `LADDR`, `USER` and `SKIPME yes|no` (default yes), parsed in order with
/// Redis 7.0's errors; replies how many clients it closed. Killing the caller
/// closes it after the reply, and nothing after it in the pipeline runs.
pub fn kill(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let mut filter = Filter::default();
    let old_form = args.remaining() == 1;
    let mut skip_me = true;
    if old_form {
        filter.addr = Some(args::text(args.next_bytes()?));
        skip_me = false;
    } else {
        let rest = args.rest();
        for pair in rest.chunks(2) {
            let [option, value] = pair else { return Err(CommandError::Syntax) };
            if is(option, "ID") {
                let id = args::int(value).ok().filter(|&n| n > 0);
                filter.id =
                    Some(id.ok_or_else(|| CommandError::err("client-id should be greater than 0"))? as u64);
            } else if is(option, "TYPE") {
                filter.kind = Some(ClientKind::parse(value).ok_or_else(|| {
                    CommandError::err(format!("Unknown client type '{}'", args::text(value)))
                })?);
            } else if is(option, "ADDR") {
                filter.addr = Some(args::text(value));
            } else if is(option, "LADDR") {
                filter.laddr = Some(args::text(value));
            } else if is(option, "USER") {
                // Only the `default` user exists.
                if value.as_ref() != b"default" {
                    return Err(CommandError::err(format!("No such user '{}'", args::text(value))));
                }
                filter.user = Some(args::text(value));
            } else if is(option, "SKIPME") {
                skip_me = if is(value, "YES") {
                    true
                } else if is(value, "NO") {
                    false
                } else {
                    return Err(CommandError::Syntax);
                };
            } else {
                return Err(CommandError::Syntax);
            }
        }
    }
    let me = ctx.session.client.clone();
    let mut killed = ctx.state.clients.kill(Some(me.id), |c| filter.matches(c));
    let close_me = !skip_me && filter.matches(&me);
    killed += close_me as usize;
    if old_form {
        if killed == 0 {
            return Err(CommandError::err("No such client"));
        }
        ctx.out.ok();
    } else {
        ctx.out.integer(killed as i64);
    }
    if close_me {
        return Ok(Outcome::Close);
    }
    REPLIED
}

/// `CLIENT UNBLOCK client-id [TIMEOUT | ERROR]`: ends another client's wait, as if
/// it had timed out or with an error; 1 if it was waiting, else 0 (a client held by
/// `CLIENT PAUSE` is not waiting in this sense: 0).
pub fn unblock(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let id_arg = args.next_bytes()?;
    let how = match args.rest() {
        [] => Unblock::Timeout,
        [reason] if is(reason, "TIMEOUT") => Unblock::Timeout,
        [reason] if is(reason, "ERROR") => Unblock::Error,
        [_] => return Err(CommandError::err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
        _ => return Err(super::subcommand_syntax(args)),
    };
    let id = args::int(id_arg)?;
    let target = u64::try_from(id).ok().and_then(|id| ctx.state.clients.get(id));
    let unblocked = target.is_some_and(|client| client.waiting.unblock(how));
    ctx.out.integer(unblocked as i64);
    REPLIED
}
