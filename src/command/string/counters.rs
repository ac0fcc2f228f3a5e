//! The string family's counters: `INCR`, `DECR`, `INCRBY`, `DECRBY` (64-bit
//! integers, checked) and `INCRBYFLOAT` (Redis's `long double` arithmetic, through a C shim).

use super::super::args::as_slices;
use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{events, CounterError};

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
    let text = ctx.db().write(key, ctx.now_ms, |slot| {
        let text = add_long_double(slot.string()?, increment).map_err(|e| match e {
            LongDoubleError::NotFinite => CommandError::NanOrInfinity,
            _ => CommandError::NotFloat,
        })?;
        match slot.get_mut() {
            Some(entry) => entry.set_value(text.as_bytes()),
            None => slot.set(text.as_bytes(), None),
        }
        // Logged as the resulting value, so replay cannot drift by rounding.
        slot.record(events::INCRBYFLOAT, &[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
        Ok::<_, CommandError>(text)
    })?;
    ctx.out.bulk(text.as_bytes());
    REPLIED
}

extern "C" {
    /// `src/command/string/long_double.c`.
    fn ferrum_ld_add(
        current: *const std::ffi::c_char,
        current_len: usize,
        has_current: std::ffi::c_int,
        increment: *const std::ffi::c_char,
        increment_len: usize,
        out: *mut std::ffi::c_char,
        cap: usize,
    ) -> std::ffi::c_int;
}

/// Why [`add_long_double`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LongDoubleError {
    /// The stored value is not a float to `strtold` (INCRBYFLOAT: `ERR value is not a
    /// valid float`; HINCRBYFLOAT: `ERR hash value is not a float`).
    Current,
    /// The increment is not a float (`ERR value is not a valid float`).
    Increment,
    /// The sum is NaN or infinite (`ERR increment would produce NaN or Infinity`).
    NotFinite,
}

/// Adds `increment` to `current` (`None`: a missing key or field, 0) exactly as
/// Redis's `INCRBYFLOAT` and `HINCRBYFLOAT` do: both parsed by `strtold` (so `0x10`
/// is 16 and `inf` parses), added in `long double`, printed with `%.17Lf` and
/// trailing zeros trimmed (`ld2string`'s human mode).
pub(crate) fn add_long_double(current: Option<&[u8]>, increment: &[u8]) -> Result<String, LongDoubleError> {
    let mut out = [0u8; 5 * 1024];
    let cur = current.unwrap_or(b"");
    // SAFETY: each pointer is valid for the length passed with it; the shim writes
    // at most `out.len()` bytes into `out`.
    let len = unsafe {
        ferrum_ld_add(
            cur.as_ptr().cast(),
            cur.len(),
            current.is_some() as std::ffi::c_int,
            increment.as_ptr().cast(),
            increment.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match len {
        -1 => Err(LongDoubleError::Current),
        -2 => Err(LongDoubleError::Increment),
        // -3, or -4 (a sum too long to print, which 5 KB rules out): not finite.
        n if n < 0 => Err(LongDoubleError::NotFinite),
        n => Ok(trim_fraction(&out[..n as usize])),
    }
}

/// Whether `text` is a finite long double to `strtold` (`Some(false)`: infinite;
/// `None`: not a float at all), for `HINCRBYFLOAT`'s check of its increment.
pub(crate) fn long_double_is_finite(text: &[u8]) -> Option<bool> {
    match add_long_double(None, text) {
        Ok(_) => Some(true),
        Err(LongDoubleError::NotFinite) => Some(false),
        Err(_) => None,
    }
}

/// `ld2string`'s trimming: trailing zeros after the point go, then a bare point,
/// and `-0` reads `0`.
fn trim_fraction(printed: &[u8]) -> String {
    let mut text = std::str::from_utf8(printed).unwrap_or("0");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.');
    }
    if text == "-0" {
        text = "0";
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::{add_long_double, long_double_is_finite, LongDoubleError};

    fn add(a: &str, b: &str) -> Result<String, LongDoubleError> {
        add_long_double(Some(a.as_bytes()), b.as_bytes())
    }

    #[test]
    fn long_double_sums_print_like_redis() {
        // Figures redis-server 7.0.15 gives on x86-64.
        assert_eq!(add("-873", "0.1").unwrap(), "-872.90000000000000002");
        assert_eq!(add("2147483648", "0.1").unwrap(), "2147483648.10000000009313226");
        assert_eq!(add("12345678901234567890", "0.1").unwrap(), "12345678901234567890");
        assert_eq!(add("10.5", "0.1").unwrap(), "10.6");
        assert_eq!(add("5.0e3", "2.0e2").unwrap(), "5200");
        assert_eq!(add("0x10", "1").unwrap(), "17");
        assert_eq!(add("1", "-1").unwrap(), "0");
        assert_eq!(add_long_double(None, b"3.5").unwrap(), "3.5");
    }

    #[test]
    fn bad_operands_get_redis_errors() {
        assert_eq!(add("1", "inf"), Err(LongDoubleError::NotFinite));
        assert_eq!(add("1", "1e5000"), Err(LongDoubleError::Increment));
        assert_eq!(add("abc", "1"), Err(LongDoubleError::Current));
        assert_eq!(add("1", " 1"), Err(LongDoubleError::Increment));
        assert_eq!(add("1", "nan"), Err(LongDoubleError::Increment));
        assert_eq!(add("1", ""), Err(LongDoubleError::Increment));
        let max = "1.18973149535723176502e+4932";
        assert_eq!(add(max, max), Err(LongDoubleError::NotFinite));
        assert_eq!(long_double_is_finite(b"1e400"), Some(true));
        assert_eq!(long_double_is_finite(b"-inf"), Some(false));
        assert_eq!(long_double_is_finite(b"x"), None);
        let big = add("1e4000", "1").unwrap();
        assert!(big.len() >= 4000 && big.starts_with("99999"), "{big}");
    }
}
