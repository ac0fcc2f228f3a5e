//! The hash family's counters: `HINCRBY` (64-bit integers, checked) and
//! `HINCRBYFLOAT` (exact decimals where they suffice, formatted as `INCRBYFLOAT`
//! formats its result).

use super::super::args::as_slices;
use super::super::string::{add_long_double, long_double_is_finite, LongDoubleError};
use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use super::{events, limits};
use crate::number::parse_i64;
use crate::types::hash::Hash;

/// `ERR hash value is not an integer`: the field holds something else.
fn not_integer() -> CommandError {
    CommandError::err("hash value is not an integer")
}

/// `ERR hash value is not a float`: the field holds something else.
fn not_float() -> CommandError {
    CommandError::err("hash value is not a float")
}

/// `HINCRBY key field increment`: the new value. The increment is checked before
/// the key's type, as Redis does.
pub(super) fn hincrby(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, field) = (args.next_bytes()?, args.next_bytes()?);
    let delta = args.next_i64()?;
    let limits = limits(ctx);
    let value = ctx.db().write(key, ctx.now_ms, |slot| {
        let current = match slot.get_as::<Hash>()?.and_then(|h| h.get(field)) {
            Some(stored) => parse_i64(stored).ok_or_else(not_integer)?,
            None => 0,
        };
        let next = current.checked_add(delta).ok_or(CommandError::Overflow)?;
        let mut text = itoa::Buffer::new();
        slot.get_or_create::<Hash>()?.insert(field, text.format(next).as_bytes(), limits);
        slot.record(events::HINCRBY, &as_slices(args.all()));
        Ok::<_, CommandError>(next)
    })?;
    ctx.out.integer(value);
    REPLIED
}

/// `HINCRBYFLOAT key field increment`: the new value as a bulk string (in RESP3
/// too), logged as the `HSET` of that value.
pub(super) fn hincrbyfloat(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, field) = (args.next_bytes()?, args.next_bytes()?);
    let increment = args.next_bytes()?;
    // Redis's `long double` arithmetic, as INCRBYFLOAT's: the increment is read by
    // `strtold` and checked before the key is looked at.
    match long_double_is_finite(increment) {
        None => return Err(CommandError::NotFloat),
        Some(false) => return Err(CommandError::err("value is NaN or Infinity")),
        Some(true) => {}
    }
    let limits = limits(ctx);
    let text = ctx.db().write(key, ctx.now_ms, |slot| {
        let stored = slot.get_as::<Hash>()?.and_then(|h| h.get(field));
        let text = add_long_double(stored, increment).map_err(|e| match e {
            LongDoubleError::Current => not_float(),
            LongDoubleError::Increment => CommandError::NotFloat,
            LongDoubleError::NotFinite => CommandError::NanOrInfinity,
        })?;
        slot.get_or_create::<Hash>()?.insert(field, text.as_bytes(), limits);
        // Logged as the resulting value, so replay cannot drift by rounding.
        slot.record(events::HINCRBYFLOAT, &[b"HSET", key, field, text.as_bytes()]);
        Ok::<_, CommandError>(text)
    })?;
    ctx.out.bulk(text.as_bytes());
    REPLIED
}
