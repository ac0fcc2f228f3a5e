//! Key lifetimes: `EXPIRE`, `PEXPIRE`, `EXPIREAT`, `PEXPIREAT` (with `NX | XX | GT |
//! LT`), `PERSIST`, `TTL`, `PTTL`, `EXPIRETIME`, `PEXPIRETIME`, as in `expire.c`: a
//! TTL is recorded as the absolute `PEXPIREAT` that replays it, and a time already
//! past deletes the key (recorded as `DEL`).

use super::args;
use super::spec::{CommandSpec, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{events, Entry, Slot};

const KEYSPACE: &[&str] = &["keyspace"];
const RW: &[KeySpec] = &[KeySpec::one(1, &["RW", "update"])];
const RO: &[KeySpec] = &[KeySpec::one(1, &["RO", "access"])];
/// A remaining time changes from one call to the next.
const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];

/// The expiry family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("expire", -3, WRITE | FAST, expire).keys(RW).categories(KEYSPACE),
    CommandSpec::new("pexpire", -3, WRITE | FAST, pexpire).keys(RW).categories(KEYSPACE),
    CommandSpec::new("expireat", -3, WRITE | FAST, expireat).keys(RW).categories(KEYSPACE),
    CommandSpec::new("pexpireat", -3, WRITE | FAST, pexpireat).keys(RW).categories(KEYSPACE),
    CommandSpec::new("persist", 2, WRITE | FAST, persist).keys(RW).categories(KEYSPACE),
    CommandSpec::new("ttl", 2, READONLY | FAST, ttl).keys(RO).categories(KEYSPACE).tips(NONDETERMINISTIC),
    CommandSpec::new("pttl", 2, READONLY | FAST, pttl).keys(RO).categories(KEYSPACE).tips(NONDETERMINISTIC),
    CommandSpec::new("expiretime", 2, READONLY | FAST, expiretime).keys(RO).categories(KEYSPACE),
    CommandSpec::new("pexpiretime", 2, READONLY | FAST, pexpiretime).keys(RO).categories(KEYSPACE),
];

/// Which of `NX`, `XX`, `GT`, `LT` was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Condition {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Condition {
    /// Whether a key whose TTL is `current` (`None`: no TTL, an infinite one) takes
    /// the new expiry `at`.
    fn allows(self, current: Option<i64>, at: i64) -> bool {
        match current {
            Some(current) => {
                let blocked = self.nx || (self.gt && at <= current) || (self.lt && at >= current);
                !blocked
            }
            // No TTL is an infinite one: GT never beats it, LT always does.
            None => !self.xx && !self.gt,
        }
    }
}

/// Reads the options after the time, with Redis's errors (they are checked before
/// the time is).
fn parse_condition(args: &mut Args<'_>) -> Result<Condition, CommandError> {
    let mut c = Condition::default();
    while let Some(option) = args.peek() {
        match args.one_of(&["NX", "XX", "GT", "LT"]) {
            Some(0) => c.nx = true,
            Some(1) => c.xx = true,
            Some(2) => c.gt = true,
            Some(_) => c.lt = true,
            None => return Err(CommandError::err(format!("Unsupported option {}", args::text(option)))),
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
/// Makes the slot's key (which exists) expire at `at`, absolute Unix ms, recorded
/// as the `PEXPIREAT` that replays it.
pub(super) fn set_ttl(slot: &mut Slot<'_>, at: u64) {
    if let Some(entry) = slot.get_mut() {
        entry.set_expire_at_ms(Some(at));
    }
    let mut text = itoa::Buffer::new();
    slot.record(events::EXPIRE, &[b"PEXPIREAT", slot.key(), text.format(at).as_bytes()]);
}

/// Removes the TTL of the slot's key, recorded as `PERSIST`; false if it had none
/// (or the key is missing).
pub(super) fn clear_ttl(slot: &mut Slot<'_>) -> bool {
    if slot.get().and_then(Entry::expire_at_ms).is_none() {
        return false;
    }
    if let Some(entry) = slot.get_mut() {
        entry.set_expire_at_ms(None);
    }
    slot.record(events::PERSIST, &[b"PERSIST", slot.key()]);
    true
}

fn expire_generic(
    ctx: &mut Context<'_>,
    args: &mut Args<'_>,
    in_seconds: bool,
    absolute: bool,
    name: &'static str,
) -> CommandResult {
    let key = args.next_bytes()?;
    let time = args.next_bytes()?;
    let condition = parse_condition(args)?;
    let when = args::int(time)?;
    let invalid = || CommandError::InvalidExpireTime(name);
    let mut at = when;
    if in_seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid());
        }
        at = when * 1000;
    }
    let base = if absolute { 0 } else { ctx.now_ms as i64 };
    at = at.checked_add(base).ok_or_else(invalid)?;
    let now = ctx.now_ms;
    let changed = ctx.db().write(key, now, |slot| {
        let Some(entry) = slot.get() else { return false };
        if !condition.allows(entry.expire_at_ms().map(|t| t as i64), at) {
            return false;
        }
        if at <= now as i64 {
            slot.remove();
            slot.record(events::DEL, &[b"DEL", key]);
        } else {
            set_ttl(slot, at as u64);
        }
        true
    });
    ctx.out.integer(changed as i64);
    REPLIED
}

/// `EXPIRE key seconds [NX | XX | GT | LT]`.
pub fn expire(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    expire_generic(ctx, args, true, false, "expire")
}

/// `PEXPIRE key milliseconds [NX | XX | GT | LT]`.
pub fn pexpire(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    expire_generic(ctx, args, false, false, "pexpire")
}

/// `EXPIREAT key unix-seconds [NX | XX | GT | LT]`.
pub fn expireat(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    expire_generic(ctx, args, true, true, "expireat")
}

/// `PEXPIREAT key unix-milliseconds [NX | XX | GT | LT]`.
pub fn pexpireat(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    expire_generic(ctx, args, false, true, "pexpireat")
}

/// `PERSIST key`: 1 if a TTL was removed, 0 otherwise.
pub fn persist(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let removed = ctx.db().write(key, ctx.now_ms, clear_ttl);
    ctx.out.integer(removed as i64);
    REPLIED
}

/// The TTL family: -2 for a missing key, -1 for no TTL, else the remaining time
/// (`absolute`: the expiry itself) in ms or rounded seconds.
fn ttl_generic(ctx: &mut Context<'_>, args: &mut Args<'_>, in_ms: bool, absolute: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now_ms as i64;
    // Not an access (Redis's LOOKUP_NOTOUCH): OBJECT IDLETIME keeps counting.
    let reply = ctx.db().read_quiet(key, ctx.now_ms, |entry| match entry.map(Entry::expire_at_ms) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => {
            let value = if absolute { at as i64 } else { (at as i64 - now).max(0) };
            if in_ms {
                value
            } else {
                // Rounded to the nearest second, without overflowing near i64::MAX.
                ((value as i128 + 500) / 1000) as i64
            }
        }
    });
    ctx.count_lookup(key, reply != -2);
    ctx.out.integer(reply);
    REPLIED
}

/// `TTL key`.
pub fn ttl(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    ttl_generic(ctx, args, false, false)
}

/// `PTTL key`.
pub fn pttl(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    ttl_generic(ctx, args, true, false)
}

/// `EXPIRETIME key`.
pub fn expiretime(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    ttl_generic(ctx, args, false, true)
}

/// `PEXPIRETIME key`.
pub fn pexpiretime(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    ttl_generic(ctx, args, true, true)
}
