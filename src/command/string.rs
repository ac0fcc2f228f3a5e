//! The string family: `SET`, `GET`, `MSET`, `INCR`, `APPEND`, `SETRANGE` and friends,
//! with Redis 7's replies and error texts (see `t_string.c`).

use bytes::Bytes;

use super::args::{self, is};
use super::{CommandError, CommandResult, Context};
use crate::engine::{CounterError, Entry, Slot};
use rust_decimal::Decimal;

use crate::protocol::reply::format_double;

/// Largest string a value may grow to (`proto-max-bulk-len`, 512 MB).
pub const MAX_STRING: u64 = 512 * 1024 * 1024;

/// When a write applies, depending on whether the key exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Condition {
    Always,
    IfAbsent,
    IfPresent,
}

/// What a write does to the key's time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlChange {
    /// Clear it (a plain write replaces the value and its TTL).
    Clear,
    /// Keep whatever the key had (`KEEPTTL`).
    Keep,
    /// Expire at this Unix time in milliseconds.
    At(u64),
}

/// An expiry option as the client wrote it, before it is checked.
#[derive(Clone, Copy, Debug)]
pub struct ExpiryArg<'a> {
    value: &'a [u8],
    in_seconds: bool,
    absolute: bool,
}

impl ExpiryArg<'_> {
    /// Whether both are the same option (`EX` and `EX`, say).
    fn same_kind(&self, other: &ExpiryArg<'_>) -> bool {
        (self.in_seconds, self.absolute) == (other.in_seconds, other.absolute)
    }
}

/// Turns `EX`/`PX`/`EXAT`/`PXAT` and its value into an absolute Unix time in ms,
/// with Redis's errors: not a number, not positive, or overflowing.
fn expiry_at(arg: ExpiryArg<'_>, now_ms: u64, command: &'static str) -> Result<u64, CommandError> {
    let value = args::int(arg.value)?;
    if value <= 0 {
        return Err(CommandError::InvalidExpireTime(command));
    }
    let invalid = || CommandError::InvalidExpireTime(command);
    let ms = if arg.in_seconds { value.checked_mul(1000).ok_or_else(invalid)? } else { value };
    let at = if arg.absolute { ms } else { ms.checked_add(now_ms as i64).ok_or_else(invalid)? };
    Ok(at as u64)
}

/// Reads an expiry keyword at `args[i]` (with its value at `i + 1`), if it is one.
fn expiry_keyword(args: &[Bytes], i: usize) -> Option<Result<ExpiryArg<'_>, CommandError>> {
    let word = &args[i];
    let (in_seconds, absolute) = if is(word, "EX") {
        (true, false)
    } else if is(word, "PX") {
        (false, false)
    } else if is(word, "EXAT") {
        (true, true)
    } else if is(word, "PXAT") {
        (false, true)
    } else {
        return None;
    };
    Some(match args.get(i + 1) {
        Some(value) => Ok(ExpiryArg { value, in_seconds, absolute }),
        None => Err(CommandError::Syntax),
    })
}

/// Stores `value` under the key in `slot`'s place, applying `ttl`, and logs it as
/// the `SET` that replays it (with an absolute `PXAT`).
fn store(slot: &mut Slot<'_>, value: &[u8], ttl: TtlChange) {
    let mut at_text = itoa::Buffer::new();
    let expire_at_ms = match ttl {
        TtlChange::Clear => {
            slot.log(&[b"SET", slot.key(), value]);
            None
        }
        TtlChange::Keep => {
            slot.log(&[b"SET", slot.key(), value, b"KEEPTTL"]);
            slot.get().and_then(|e| e.expire_at_ms())
        }
        TtlChange::At(at) => {
            slot.log(&[b"SET", slot.key(), value, b"PXAT", at_text.format(at).as_bytes()]);
            Some(at)
        }
    };
    slot.set(value, expire_at_ms);
}

/// ```text
/// SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]
/// ```
/// `+OK`, or a null when `NX`/`XX` stopped it; with `GET`, the old value (or null).
pub fn set(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let mut condition = Condition::Always;
    let mut get = false;
    let mut keep_ttl = false;
    let mut expiry = None;
    let mut i = 3;
    while i < args.len() {
        let word = &args[i];
        if is(word, "NX") && condition != Condition::IfPresent {
            condition = Condition::IfAbsent;
        } else if is(word, "XX") && condition != Condition::IfAbsent {
            condition = Condition::IfPresent;
        } else if is(word, "GET") {
            get = true;
        } else if is(word, "KEEPTTL") && expiry.is_none() {
            keep_ttl = true;
        } else if let Some(arg) = expiry_keyword(args, i) {
            let arg = arg?;
            // Redis lets the same option repeat (the last wins), not two different ones.
            if keep_ttl || expiry.is_some_and(|e: ExpiryArg<'_>| !e.same_kind(&arg)) {
                return Err(CommandError::Syntax);
            }
            expiry = Some(arg);
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    let ttl = match expiry {
        Some(arg) => TtlChange::At(expiry_at(arg, ctx.now_ms, "set")?),
        None if keep_ttl => TtlChange::Keep,
        None => TtlChange::Clear,
    };
    let (key, value) = (&args[1], &args[2]);
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.write(key, ctx.now_ms, |slot| {
        let exists = slot.get().is_some();
        let applies = match condition {
            Condition::Always => true,
            Condition::IfAbsent => !exists,
            Condition::IfPresent => exists,
        };
        if get {
            out.bulk_or_null(slot.get().map(Entry::value));
        }
        if applies {
            store(slot, value, ttl);
            if !get {
                out.ok();
            }
        } else if !get {
            out.null();
        }
    });
    Ok(())
}

/// `SETNX key value`: 1 if the key was set, 0 if it existed.
pub fn setnx(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let set = ctx.db().set_if_absent(&args[1], &args[2], ctx.now_ms);
    ctx.out.integer(set as i64);
    Ok(())
}

/// `SETEX key seconds value` and `PSETEX key milliseconds value`.
fn set_with_expiry(
    ctx: &mut Context<'_>,
    args: &[Bytes],
    in_seconds: bool,
    name: &'static str,
) -> CommandResult {
    let arg = ExpiryArg { value: &args[2], in_seconds, absolute: false };
    let at = expiry_at(arg, ctx.now_ms, name)?;
    let db = ctx.db();
    db.write(&args[1], ctx.now_ms, |slot| store(slot, &args[3], TtlChange::At(at)));
    ctx.out.ok();
    Ok(())
}

/// `SETEX key seconds value`.
pub fn setex(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    set_with_expiry(ctx, args, true, "setex")
}

/// `PSETEX key milliseconds value`.
pub fn psetex(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    set_with_expiry(ctx, args, false, "psetex")
}

/// `GET key`: the value, or null.
pub fn get(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let db = ctx.db();
    let out = &mut *ctx.out;
    let hit = db.read(&args[1], ctx.now_ms, |entry| {
        out.bulk_or_null(entry.map(Entry::value));
        entry.is_some()
    });
    ctx.count_lookup(hit);
    Ok(())
}

/// `GETSET key value`: sets the value (clearing any TTL) and returns the old one.
pub fn getset(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.write(&args[1], ctx.now_ms, |slot| {
        out.bulk_or_null(slot.get().map(Entry::value));
        store(slot, &args[2], TtlChange::Clear);
    });
    Ok(())
}

/// `GETDEL key`: returns the value and deletes the key.
pub fn getdel(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let db = ctx.db();
    let old = db.write(&args[1], ctx.now_ms, |slot| {
        let old = slot.remove();
        if old.is_some() {
            slot.log(&[b"DEL", slot.key()]);
        }
        old
    });
    ctx.count_lookup(old.is_some());
    ctx.out.bulk_or_null(old.as_ref().map(Entry::value));
    Ok(())
}

/// `GETEX key [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]`: returns the
/// value and changes its TTL.
pub fn getex(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let mut persist = false;
    let mut expiry: Option<ExpiryArg<'_>> = None;
    let mut i = 2;
    while i < args.len() {
        if is(&args[i], "PERSIST") && expiry.is_none() {
            persist = true;
        } else if let Some(arg) = expiry_keyword(args, i) {
            let arg = arg?;
            if persist || expiry.is_some_and(|e| !e.same_kind(&arg)) {
                return Err(CommandError::Syntax);
            }
            expiry = Some(arg);
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    let change = match expiry {
        Some(arg) => Some(TtlChange::At(expiry_at(arg, ctx.now_ms, "getex")?)),
        None if persist => Some(TtlChange::Clear),
        None => None,
    };
    let db = ctx.db();
    let out = &mut *ctx.out;
    let hit = db.write(&args[1], ctx.now_ms, |slot| {
        let Some(entry) = slot.get_mut() else {
            out.null();
            return false;
        };
        out.bulk(entry.value());
        match change {
            Some(TtlChange::Clear) => {
                let had_ttl = entry.expire_at_ms().is_some();
                entry.set_expire_at_ms(None);
                if had_ttl {
                    slot.log(&[b"PERSIST", slot.key()]);
                }
            }
            Some(TtlChange::At(at)) => {
                entry.set_expire_at_ms(Some(at));
                slot.log(&[b"PEXPIREAT", slot.key(), itoa::Buffer::new().format(at).as_bytes()]);
            }
            Some(TtlChange::Keep) | None => {}
        }
        true
    });
    ctx.count_lookup(hit);
    Ok(())
}

/// `MSET key value [key value …]`: sets all pairs at once; no reader sees half.
pub fn mset(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let pairs = &args[1..];
    if pairs.len() % 2 != 0 {
        return Err(CommandError::WrongArity("mset".into()));
    }
    let pairs: Vec<(&[u8], &[u8])> = pairs.chunks_exact(2).map(|p| (&p[0][..], &p[1][..])).collect();
    ctx.db().set_many(&pairs, ctx.now_ms, &as_slices(args));
    ctx.out.ok();
    Ok(())
}

/// `MSETNX key value [key value …]`: sets all pairs if none of the keys exists (1),
/// otherwise nothing (0).
pub fn msetnx(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let pairs = &args[1..];
    if pairs.len() % 2 != 0 {
        return Err(CommandError::WrongArity("msetnx".into()));
    }
    let db = ctx.db();
    let keys = pairs.iter().step_by(2).map(|k| &k[..]);
    let set = db.write_many(keys, ctx.now_ms, |view| {
        let any_exists =
            pairs.iter().step_by(2).any(|k| view.with_slot(k, |slot| slot.get().is_some()).unwrap_or(false));
        if !any_exists {
            for pair in pairs.chunks_exact(2) {
                view.with_slot(&pair[0], |slot| slot.set(&pair[1], None));
            }
            let mut record = as_slices(args);
            record[0] = b"MSET";
            view.log(&record);
        }
        !any_exists
    });
    ctx.out.integer(set as i64);
    Ok(())
}

/// `MGET key [key …]`: the values (null for missing keys), read consistently.
pub fn mget(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let keys = &args[1..];
    let db = ctx.db();
    let out = &mut *ctx.out;
    let hits = db.read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        out.array(keys.len());
        let mut hits = 0;
        for key in keys {
            let entry = view.get(key);
            hits += entry.is_some() as u64;
            out.bulk_or_null(entry.map(Entry::value));
        }
        hits
    });
    ctx.session.local_stats.hits += hits;
    ctx.session.local_stats.misses += keys.len() as u64 - hits;
    Ok(())
}

/// `STRLEN key`: the value's length, 0 for a missing key.
pub fn strlen(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let db = ctx.db();
    let len = db.read(&args[1], ctx.now_ms, |e| e.map_or(0, |e| e.value().len()));
    ctx.out.integer(len as i64);
    Ok(())
}

/// Checks that a string of `len + extra` bytes stays within [`MAX_STRING`].
fn check_length(len: u64, extra: u64) -> Result<u64, CommandError> {
    len.checked_add(extra).filter(|&total| total <= MAX_STRING).ok_or(CommandError::StringTooLong)
}

/// `APPEND key value`: appends (creating the key) and returns the new length.
pub fn append(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let suffix = &args[2];
    let db = ctx.db();
    let len = db.write(&args[1], ctx.now_ms, |slot| match slot.get_mut() {
        Some(entry) => {
            let total = check_length(entry.value().len() as u64, suffix.len() as u64)? as usize;
            let mut value = Vec::with_capacity(total);
            value.extend_from_slice(entry.value());
            value.extend_from_slice(suffix);
            entry.set_value(&value);
            slot.log(&[b"APPEND", slot.key(), suffix]);
            Ok(total)
        }
        None => {
            slot.set(suffix, None);
            slot.log(&[b"APPEND", slot.key(), suffix]);
            Ok(suffix.len())
        }
    })?;
    ctx.out.integer(len as i64);
    Ok(())
}

/// `GETRANGE key start end` (and `SUBSTR`): the bytes between two inclusive offsets,
/// negative offsets counting from the end.
pub fn getrange(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let start = args::int(&args[2])?;
    let end = args::int(&args[3])?;
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.read(&args[1], ctx.now_ms, |entry| {
        let value = entry.map_or(&[][..], Entry::value);
        out.bulk(substring(value, start, end));
    });
    Ok(())
}

/// Redis's `GETRANGE` arithmetic.
fn substring(value: &[u8], mut start: i64, mut end: i64) -> &[u8] {
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if len == 0 || start > end {
        return &[];
    }
    &value[start as usize..=end as usize]
}

/// `SETRANGE key offset value`: overwrites from `offset`, zero-padding as needed;
/// returns the new length.
pub fn setrange(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let offset = args::int(&args[2])?;
    if offset < 0 {
        return Err(CommandError::OffsetOutOfRange);
    }
    let offset = offset as u64;
    let patch = &args[3];
    let db = ctx.db();
    let len = db.write(&args[1], ctx.now_ms, |slot| {
        let current_len = slot.get().map_or(0, |e| e.value().len());
        if patch.is_empty() {
            return Ok(current_len);
        }
        let end = check_length(offset, patch.len() as u64)? as usize;
        let offset = offset as usize;
        let mut value = slot.get().map_or_else(Vec::new, |e| e.value().to_vec());
        if value.len() < end {
            value.resize(end, 0);
        }
        value[offset..end].copy_from_slice(patch);
        let new_len = value.len();
        match slot.get_mut() {
            Some(entry) => entry.set_value(&value),
            None => slot.set(&value, None),
        }
        slot.log(&[b"SETRANGE", slot.key(), &args[2], patch]);
        Ok(new_len)
    })?;
    ctx.out.integer(len as i64);
    Ok(())
}

/// Adds `delta` to the integer at `args[1]`, logging the command as given.
fn incr_by(ctx: &mut Context<'_>, args: &[Bytes], delta: i64) -> CommandResult {
    let value = ctx.db().incr_by(&args[1], delta, ctx.now_ms, &as_slices(args)).map_err(|e| match e {
        CounterError::NotInteger => CommandError::NotInteger,
        CounterError::Overflow => CommandError::Overflow,
    })?;
    ctx.out.integer(value);
    Ok(())
}

/// `INCR key`.
pub fn incr(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    incr_by(ctx, args, 1)
}

/// `DECR key`.
pub fn decr(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    incr_by(ctx, args, -1)
}

/// `INCRBY key increment`.
pub fn incrby(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let delta = args::int(&args[2])?;
    incr_by(ctx, args, delta)
}

/// `DECRBY key decrement`.
pub fn decrby(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let delta = args::int(&args[2])?;
    let delta = delta.checked_neg().ok_or(CommandError::DecrementOverflow)?;
    incr_by(ctx, args, delta)
}

/// `INCRBYFLOAT key increment`: the new value as a bulk string (as Redis replies even
/// in RESP3), keeping the TTL.
pub fn incrbyfloat(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let delta = args::float(&args[2])?;
    let db = ctx.db();
    let text = db.write(&args[1], ctx.now_ms, |slot| {
        let current = match slot.get() {
            Some(entry) => args::parse_float(entry.value()).ok_or(CommandError::NotFloat)?,
            None => 0.0,
        };
        let stored = slot.get().map(|e| e.value().to_vec());
        let text = match decimal_sum(stored.as_deref().unwrap_or(b"0"), &args[2]) {
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
        slot.log(&[b"SET", slot.key(), text.as_bytes(), b"KEEPTTL"]);
        Ok(text)
    })?;
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

/// Adds two decimal numbers exactly and formats the sum as Redis's long-double
/// `INCRBYFLOAT` shows it (at most 17 fractional digits, trailing zeros trimmed), so
/// `0.1` plus `0.2` is `0.3`, not the binary `0.30000000000000004`. `None` when
/// either is outside what 96-bit decimals hold (the caller then uses `f64`).
fn decimal_sum(a: &[u8], b: &[u8]) -> Option<String> {
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

/// The arguments as byte slices, for logging a command as it was given.
pub fn as_slices(args: &[Bytes]) -> Vec<&[u8]> {
    args.iter().map(|a| &a[..]).collect()
}

#[cfg(test)]
mod tests {
    use super::{decimal_sum, substring};

    #[test]
    fn decimal_sums_read_like_redis() {
        assert_eq!(decimal_sum(b"0.1", b"0.2").as_deref(), Some("0.3"));
        assert_eq!(decimal_sum(b"10.50", b"0.1").as_deref(), Some("10.6"));
        assert_eq!(decimal_sum(b"3.0e3", b"2.0e3").as_deref(), Some("5000"));
        assert_eq!(decimal_sum(b"12345678901234567890", b"1").as_deref(), Some("12345678901234567891"));
        assert_eq!(decimal_sum(b"5", b"-5").as_deref(), Some("0"));
        assert_eq!(decimal_sum(b"1e400", b"1"), None);
    }

    #[test]
    fn substring_follows_redis() {
        let v = b"This is a string";
        assert_eq!(substring(v, 0, 3), b"This");
        assert_eq!(substring(v, -3, -1), b"ing");
        assert_eq!(substring(v, 0, -1), v);
        assert_eq!(substring(v, 10, 100), b"string");
        assert_eq!(substring(v, 5, 3), b"");
        assert_eq!(substring(v, -1, -5), b"");
        assert_eq!(substring(b"", 0, -1), b"");
        assert_eq!(substring(v, -100, 0), b"T");
    }
}
