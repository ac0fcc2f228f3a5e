//! Key lifetimes: `EXPIRE`, `PEXPIRE`, `EXPIREAT`, `PEXPIREAT` (with `NX | XX | GT |
//! LT`), `PERSIST`, `TTL`, `PTTL`, `EXPIRETIME`, `PEXPIRETIME`, as in `expire.c`.

use bytes::Bytes;

use super::args::{self, is};
use super::{CommandError, CommandResult, Context};
use crate::engine::Entry;

/// Which of `NX`, `XX`, `GT`, `LT` was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Condition {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_condition(options: &[Bytes]) -> Result<Condition, CommandError> {
    let mut c = Condition::default();
    for option in options {
        if is(option, "NX") {
            c.nx = true;
        } else if is(option, "XX") {
            c.xx = true;
        } else if is(option, "GT") {
            c.gt = true;
        } else if is(option, "LT") {
            c.lt = true;
        } else {
            return Err(CommandError::err(format!("Unsupported option {}", args::text(option))));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CommandError::err("NX and XX, GT or LT options at the same time are not compatible"));
    }
    if c.gt && c.lt {
        return Err(CommandError::err("GT and LT options at the same time are not compatible"));
    }
    Ok(c)
}

/// The four `EXPIRE` commands: `in_seconds` for the unit, `absolute` for `…AT`.
fn expire_generic(
    ctx: &mut Context<'_>,
    args: &[Bytes],
    in_seconds: bool,
    absolute: bool,
    name: &'static str,
) -> CommandResult {
    let when = args::int(&args[2])?;
    let condition = parse_condition(&args[3..])?;
    let invalid = || CommandError::InvalidExpireTime(name);
    let mut at = if in_seconds { when.checked_mul(1000).ok_or_else(invalid)? } else { when };
    if !absolute {
        at = at.checked_add(ctx.now_ms as i64).ok_or_else(invalid)?;
    }
    let now = ctx.now_ms;
    let db = ctx.db();
    let changed = db.write(&args[1], now, |slot| {
        let Some(entry) = slot.get() else { return false };
        let current = entry.expire_at_ms().map(|t| t as i64);
        let applies = match current {
            Some(current) => {
                let blocked =
                    condition.nx || (condition.gt && at <= current) || (condition.lt && at >= current);
                !blocked
            }
            // A key without TTL lives forever: GT never beats that, LT always does.
            None => !condition.xx && !condition.gt,
        };
        if !applies {
            return false;
        }
        if at <= now as i64 {
            slot.remove();
            slot.log(&[b"DEL", slot.key()]);
        } else if let Some(entry) = slot.get_mut() {
            entry.set_expire_at_ms(Some(at as u64));
            slot.log(&[b"PEXPIREAT", slot.key(), itoa::Buffer::new().format(at).as_bytes()]);
        }
        true
    });
    ctx.out.integer(changed as i64);
    Ok(())
}

/// `EXPIRE key seconds [NX | XX | GT | LT]`.
pub fn expire(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    expire_generic(ctx, args, true, false, "expire")
}

/// `PEXPIRE key milliseconds [NX | XX | GT | LT]`.
pub fn pexpire(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    expire_generic(ctx, args, false, false, "pexpire")
}

/// `EXPIREAT key unix-seconds [NX | XX | GT | LT]`.
pub fn expireat(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    expire_generic(ctx, args, true, true, "expireat")
}

/// `PEXPIREAT key unix-milliseconds [NX | XX | GT | LT]`.
pub fn pexpireat(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    expire_generic(ctx, args, false, true, "pexpireat")
}

/// `PERSIST key`: 1 if a TTL was removed, 0 otherwise.
pub fn persist(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let db = ctx.db();
    let removed = db.write(&args[1], ctx.now_ms, |slot| match slot.get_mut() {
        Some(entry) if entry.expire_at_ms().is_some() => {
            entry.set_expire_at_ms(None);
            slot.log(&[b"PERSIST", slot.key()]);
            true
        }
        _ => false,
    });
    ctx.out.integer(removed as i64);
    Ok(())
}

/// The TTL family: -2 for a missing key, -1 for no TTL, else the remaining time
/// (`absolute`: the expiry itself) in ms or rounded seconds.
fn ttl_generic(ctx: &mut Context<'_>, args: &[Bytes], in_ms: bool, absolute: bool) -> CommandResult {
    let now = ctx.now_ms as i64;
    let reply = ctx.db().read(&args[1], ctx.now_ms, |entry| match entry.map(Entry::expire_at_ms) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => {
            let value = if absolute { at as i64 } else { (at as i64 - now).max(0) };
            if in_ms {
                value
            } else {
                (value + 500) / 1000
            }
        }
    });
    ctx.out.integer(reply);
    Ok(())
}

/// `TTL key`.
pub fn ttl(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    ttl_generic(ctx, args, false, false)
}

/// `PTTL key`.
pub fn pttl(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    ttl_generic(ctx, args, true, false)
}

/// `EXPIRETIME key`.
pub fn expiretime(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    ttl_generic(ctx, args, false, true)
}

/// `PEXPIRETIME key`.
pub fn pexpiretime(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    ttl_generic(ctx, args, true, true)
}
