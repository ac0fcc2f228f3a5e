//! The list reads: `LRANGE`, `LINDEX`, `LPOS`. Each costs what it returns (plus the
//! walk to its first element from the nearer end), never what the client asked for:
//! ranges are clipped to the list, and no count is allocated up front.

use super::{read_list, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::int;
use crate::command::Args;
use crate::types::list::List;

/// The elements `start ..= stop` of a list of `len` (negative: from the end) as
/// Redis clips them: the first index and how many, or `None` for an empty range.
pub(super) fn clip(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    let stop = stop.min(len - 1);
    Some((start as usize, (stop - start + 1) as usize))
}

/// ```text
/// LRANGE key start stop
/// ```
/// The elements from `start` to `stop` inclusive (negative from the end).
pub fn lrange(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let (start, stop) = (args.next_i64()?, args.next_i64()?);
    read_list(ctx, key, |out, list| {
        let Some(list) = list else {
            out.array(0);
            return REPLIED;
        };
        match clip(start, stop, list.len()) {
            None => out.array(0),
            Some((first, count)) => {
                out.array(count);
                for item in list.range(first, count) {
                    out.bulk(item);
                }
            }
        }
        REPLIED
    })
}

/// A list index (negative from the end) as a position, if inside.
pub(super) fn position(index: i64, len: usize) -> Option<usize> {
    let at = if index < 0 { index.checked_add(len as i64)? } else { index };
    usize::try_from(at).ok().filter(|&at| at < len)
}

/// ```text
/// LINDEX key index
/// ```
/// The element at `index` (negative from the end), or null. A missing key answers
/// null before the index is read, as Redis does.
pub fn lindex(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, index) = (args.next_bytes()?, args.next_bytes()?);
    read_list(ctx, key, |out, list| {
        let Some(list) = list else {
            out.null();
            return REPLIED;
        };
        let index = int(index)?;
        out.bulk_or_null(position(index, list.len()).and_then(|at| list.get(at)));
        REPLIED
    })
}

/// `LPOS`'s options.
struct Seek {
    /// Matches to skip before the first reported (`RANK`, as a count from 1).
    rank: u64,
    /// From the tail (a negative `RANK`).
    from_tail: bool,
    /// `COUNT` (0: every match), if given.
    count: Option<u64>,
    /// `MAXLEN` (0: the whole list).
    maxlen: u64,
}

/// `LPOS`'s options, with Redis 7.0.15's errors (a non-integer `COUNT` or `MAXLEN`
/// gets the "can't be negative" text).
fn seek_options(args: &mut Args<'_>) -> Result<Seek, CommandError> {
    let mut seek = Seek { rank: 1, from_tail: false, count: None, maxlen: 0 };
    let non_negative = |arg: &[u8], what: &str| {
        int(arg)
            .ok()
            .filter(|&n| n >= 0)
            .map(|n| n as u64)
            .ok_or_else(|| CommandError::err(format!("{what} can't be negative")))
    };
    while !args.is_done() {
        if args.remaining() >= 2 && args.flag("RANK") {
            let rank = args.next_i64()?;
            if rank == 0 {
                return Err(CommandError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                     or use negative to start from the end of the list",
                ));
            }
            seek.from_tail = rank < 0;
            // Redis negates the rank in C: i64::MIN stays negative, so every match
            // is at or past it (and COUNT never stops the walk early).
            seek.rank = if rank == i64::MIN { 0 } else { rank.unsigned_abs() };
        } else if args.remaining() >= 2 && args.flag("COUNT") {
            seek.count = Some(non_negative(args.next_bytes()?, "COUNT")?);
        } else if args.remaining() >= 2 && args.flag("MAXLEN") {
            seek.maxlen = non_negative(args.next_bytes()?, "MAXLEN")?;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(seek)
}

/// The positions `LPOS` reports for `element` in `list`.
fn seek(list: &List, element: &[u8], seek: &Seek) -> Vec<usize> {
    let len = list.len();
    let limit =
        if seek.maxlen == 0 { len } else { len.min(usize::try_from(seek.maxlen).unwrap_or(usize::MAX)) };
    let wanted = match seek.count {
        None => 1,
        Some(0) => u64::MAX,
        // i64::MIN's rank: Redis's `matches - rank + 1 >= count` never holds.
        Some(_) if seek.rank == 0 => u64::MAX,
        Some(n) => n,
    };
    let mut found = Vec::new();
    let mut matches = 0u64;
    let mut visit = |index: usize, item: &[u8]| {
        if item == element {
            matches += 1;
            if matches >= seek.rank {
                found.push(if seek.from_tail { len - 1 - index } else { index });
                return (found.len() as u64) < wanted;
            }
        }
        true
    };
    if seek.from_tail {
        for (index, item) in list.iter().rev().take(limit).enumerate() {
            if !visit(index, item) {
                break;
            }
        }
    } else {
        for (index, item) in list.iter().take(limit).enumerate() {
            if !visit(index, item) {
                break;
            }
        }
    }
    found
}

/// ```text
/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
/// ```
/// The index of the first match (from the `rank`th; a negative rank walks from the
/// tail), or with `COUNT` an array of up to that many (0: all); `MAXLEN` bounds the
/// elements compared.
pub fn lpos(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, element) = (args.next_bytes()?, args.next_bytes()?);
    let options = seek_options(args)?;
    read_list(ctx, key, |out, list| {
        let found = list.map(|list| seek(list, element, &options)).unwrap_or_default();
        match options.count {
            Some(_) => {
                out.array(found.len());
                for index in found {
                    out.integer(index as i64);
                }
            }
            None => match found.first() {
                Some(&index) => out.integer(index as i64),
                None => out.null(),
            },
        }
        REPLIED
    })
}
