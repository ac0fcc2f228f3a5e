//! `HSCAN key cursor [MATCH pattern] [COUNT count]`: Redis's `scanGenericCommand`
//! for a hash. A packed hash returns every pair with cursor 0; a dense one about
//! `COUNT` pairs per call, with [`crate::types::dense::Dense::scan`]'s guarantee.
//! `MATCH` filters by field after the pairs are gathered, as Redis does.

use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use super::hash_of;
use crate::glob::glob_match;
use crate::protocol::ReplyWriter;

/// Reads a cursor as Redis's `strtoul` does: decimal digits, an optional sign (a
/// negative cursor wraps around), the empty string is 0; anything else, a leading
/// space or an overflow is `ERR invalid cursor`.
pub(crate) fn parse_cursor(text: &[u8]) -> Result<u64, CommandError> {
    let invalid = || CommandError::err("invalid cursor");
    if text.is_empty() {
        return Ok(0);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut value: u64 = 0;
    for &digit in digits {
        value =
            value.checked_mul(10).and_then(|v| v.checked_add((digit - b'0') as u64)).ok_or_else(invalid)?;
    }
    Ok(if negative { value.wrapping_neg() } else { value })
}

/// See the module documentation. The cursor is checked first, then the key, then
/// the options (so a missing key answers the empty scan whatever follows).
pub(super) fn hscan(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let cursor = parse_cursor(args.next_bytes()?)?;
    let db = ctx.db();
    let out = &mut *ctx.out;
    let hit = db.read(key, ctx.now_ms, |entry| {
        let Some(hash) = hash_of(entry)? else {
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return Ok::<_, CommandError>(false);
        };
        let mut pattern: Option<&[u8]> = None;
        let mut count = 10usize;
        while !args.is_done() {
            let option = args.next_bytes()?;
            if args.is_done() {
                return Err(CommandError::Syntax);
            }
            if option.eq_ignore_ascii_case(b"COUNT") {
                count = match args.next_i64()? {
                    n if n >= 1 => n as usize,
                    _ => return Err(CommandError::Syntax),
                };
            } else if option.eq_ignore_ascii_case(b"MATCH") {
                pattern = Some(args.next_bytes()?);
            } else {
                return Err(CommandError::Syntax);
            }
        }
        // A lone `*` matches everything (Redis skips matching then).
        let pattern = pattern.filter(|p| *p != b"*");
        // The pairs are encoded as they are visited, then framed by their count.
        let mut found = ReplyWriter::new(out.protocol());
        let mut pairs = 0;
        let next = hash.scan(cursor, count, |field, value| {
            if pattern.is_none_or(|p| glob_match(p, field)) {
                found.bulk(field);
                found.bulk(value);
                pairs += 1;
            }
        });
        out.array(2);
        out.bulk(itoa::Buffer::new().format(next).as_bytes());
        out.array(pairs * 2);
        out.raw(found.as_bytes());
        Ok(true)
    })?;
    ctx.count_lookup(key, hit);
    REPLIED
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_read_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+7"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [&b"18446744073709551616"[..], b" 1", b"1 ", b"x", b"-", b"1.5"] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
