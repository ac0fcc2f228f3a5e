//! The string family's counters: `INCR`, `DECR`, `INCRBY`, `DECRBY` (64-bit
//! integers, checked) and `INCRBYFLOAT` (exact decimals where they suffice).

use rust_decimal::Decimal;

use super::super::args::{self, as_slices};
use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{events, CounterError};
use crate::protocol::reply::format_double;

/// Adds `delta` to the integer at the key, recording the command as given.
fn incr_by(ctx: &mut Context<'_>, args: &Args<'_>, key: &[u8], delta: i64) -> CommandResult {
    let value = ctx.db().incr_by(key, delta, ctx.now_ms, &as_slices(args.all())).map_err(|e| match e {
        CounterError::WrongType => CommandError::WrongType,
        CounterError::NotInteger => CommandError::NotInteger,
        CounterError::Overflow => CommandError::Overflow,
    })?;
    ctx.out.integer(value);
    REPLIED
}

/// `INCR key`.
pub(super) fn incr(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    incr_by(ctx, args, key, 1)
}

/// `DECR key`.
pub(super) fn decr(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    incr_by(ctx, args, key, -1)
}

/// `INCRBY key increment`.
pub(super) fn incrby(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let delta = args.next_i64()?;
    incr_by(ctx, args, key, delta)
}

/// `DECRBY key decrement`.
pub(super) fn decrby(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let delta = args.next_i64()?.checked_neg().ok_or(CommandError::DecrementOverflow)?;
    incr_by(ctx, args, key, delta)
}

/// `INCRBYFLOAT key increment`: the new value as a bulk string (as Redis replies even
/// in RESP3), keeping the TTL; logged as the `SET` of its result.
pub(super) fn incrbyfloat(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let increment = args.next_bytes()?;
    let delta = args::float(increment)?;
    let text = ctx.db().write(key, ctx.now_ms, |slot| {
        let stored = slot.string()?;
        let current = match stored {
            Some(value) => args::parse_float(value).ok_or(CommandError::NotFloat)?,
            None => 0.0,
        };
        let text = match decimal_sum(stored.unwrap_or(b"0"), increment) {
            Some(text) => text,
            None => {
                let next = current + delta;
                if !next.is_finite() {
                    return Err(CommandError::NanOrInfinity);
                }
                format_double(next)
            }
        };
        match slot.get_mut() {
            Some(entry) => entry.set_value(text.as_bytes()),
            None => slot.set(text.as_bytes(), None),
        }
        // Logged as the resulting value, so replay cannot drift by rounding.
        slot.record(events::INCRBYFLOAT, &[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
        Ok(text)
    })?;
    ctx.out.bulk(text.as_bytes());
    REPLIED
}

/// Adds two decimal numbers exactly and formats the sum as Redis's long-double
/// `INCRBYFLOAT` shows it (at most 17 fractional digits, trailing zeros trimmed), so
/// `0.1` plus `0.2` is `0.3`, not the binary `0.30000000000000004`. `None` when
/// either is outside what 96-bit decimals hold (the caller then uses `f64`).
/// `HINCRBYFLOAT` adds the same way.
pub(crate) fn decimal_sum(a: &[u8], b: &[u8]) -> Option<String> {
    fn parse(text: &[u8]) -> Option<Decimal> {
        let text = std::str::from_utf8(text).ok()?;
        if text.contains(['e', 'E']) {
            Decimal::from_scientific(text).ok()
        } else {
            Decimal::from_str_exact(text).ok()
        }
    }
    let sum = parse(a)?.checked_add(parse(b)?)?;
    Some(sum.round_dp(17).normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::decimal_sum;

    #[test]
    fn decimal_sums_read_like_redis() {
        assert_eq!(decimal_sum(b"0.1", b"0.2").as_deref(), Some("0.3"));
        assert_eq!(decimal_sum(b"10.50", b"0.1").as_deref(), Some("10.6"));
        assert_eq!(decimal_sum(b"3.0e3", b"2.0e3").as_deref(), Some("5000"));
        assert_eq!(decimal_sum(b"12345678901234567890", b"1").as_deref(), Some("12345678901234567891"));
        assert_eq!(decimal_sum(b"5", b"-5").as_deref(), Some("0"));
        assert_eq!(decimal_sum(b"1e400", b"1"), None);
    }
}
