//! The range commands: `ZRANGE … [BYSCORE|BYLEX] [REV] [LIMIT] [WITHSCORES]`, its
//! older spellings (`ZREVRANGE`, `ZRANGEBYSCORE`, `ZREVRANGEBYSCORE`,
//! `ZRANGEBYLEX`, `ZREVRANGEBYLEX`), `ZRANGESTORE`, `ZCOUNT`, `ZLEXCOUNT` and the
//! `ZREMRANGEBY…` commands.
//!
//! Every range becomes a window of ascending ranks `lo..hi` found in O(log n)
//! ([`ZSet::partition_point`]); `REV` walks it from the top and `LIMIT` skips and
//! counts inside it, so a reply costs what it returns, whatever the bounds.

use std::sync::Arc;

use super::{events, limits, read_zset, reply_score, zset_of, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::{self, as_slices};
use crate::command::Args;
use crate::engine::{events as generic, Entry, Event};
use crate::protocol::{Protocol, ReplyWriter};
use crate::types::zset::ZSet;

/// One end of a score range: `(` makes it exclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreBound {
    /// The score.
    pub value: f64,
    /// Whether the score itself is outside the range.
    pub exclusive: bool,
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Debug, PartialEq)]
pub enum LexBound {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[member`.
    Inclusive(Vec<u8>),
    /// `(member`.
    Exclusive(Vec<u8>),
}

fn score_bound(text: &[u8]) -> Option<ScoreBound> {
    let (exclusive, number) = match text.first() {
        Some(b'(') => (true, &text[1..]),
        _ => (false, text),
    };
    // `strtod` skips leading space and reads nothing as 0 (what Redis accepts).
    let start = number.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(number.len());
    let number = &number[start..];
    if number.is_empty() {
        return Some(ScoreBound { value: 0.0, exclusive });
    }
    args::parse_float(number).map(|value| ScoreBound { value, exclusive })
}

/// A `min max` score range, else `ERR min or max is not a float`.
pub fn score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), CommandError> {
    match (score_bound(min), score_bound(max)) {
        (Some(min), Some(max)) => Ok((min, max)),
        _ => Err(CommandError::err("min or max is not a float")),
    }
}

fn lex_bound(text: &[u8]) -> Option<LexBound> {
    match text {
        b"-" => Some(LexBound::Min),
        b"+" => Some(LexBound::Max),
        [b'[', rest @ ..] => Some(LexBound::Inclusive(rest.to_vec())),
        [b'(', rest @ ..] => Some(LexBound::Exclusive(rest.to_vec())),
        _ => None,
    }
}

/// A `min max` lex range, else `ERR min or max not valid string range item`.
pub fn lex_range(min: &[u8], max: &[u8]) -> Result<(LexBound, LexBound), CommandError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Ok((min, max)),
        _ => Err(CommandError::err("min or max not valid string range item")),
    }
}

/// The ascending ranks `lo..hi` whose scores are in `min..max`.
pub fn score_window(zset: &ZSet, min: ScoreBound, max: ScoreBound) -> (usize, usize) {
    let lo = zset.partition_point(|s, _| if min.exclusive { s <= min.value } else { s < min.value });
    let hi = zset.partition_point(|s, _| if max.exclusive { s < max.value } else { s <= max.value });
    (lo, hi.max(lo))
}

fn above_min(member: &[u8], min: &LexBound) -> bool {
    match min {
        LexBound::Min => true,
        LexBound::Max => false,
        LexBound::Inclusive(v) => member >= &v[..],
        LexBound::Exclusive(v) => member > &v[..],
    }
}

fn below_max(member: &[u8], max: &LexBound) -> bool {
    match max {
        LexBound::Min => false,
        LexBound::Max => true,
        LexBound::Inclusive(v) => member <= &v[..],
        LexBound::Exclusive(v) => member < &v[..],
    }
}

/// Whether `min..max` can hold anything (Redis's `zslLexValueGteMin`/`LteMax`
/// checks on the bounds themselves).
fn lex_range_empty(min: &LexBound, max: &LexBound) -> bool {
    match (min, max) {
        (LexBound::Max, _) | (_, LexBound::Min) => true,
        (LexBound::Min, _) | (_, LexBound::Max) => false,
        (LexBound::Inclusive(a), LexBound::Inclusive(b)) => a > b,
        (
            LexBound::Inclusive(a) | LexBound::Exclusive(a),
            LexBound::Inclusive(b) | LexBound::Exclusive(b),
        ) => a >= b,
    }
}

/// The ascending ranks `lo..hi` whose members are in `min..max`, found as Redis
/// finds them (meaningful when all scores are equal). From the bottom (`reverse`
/// false): the first member at or above `min`, then members while they are at or
/// below `max`; from the top the mirror image. A listpack is walked exactly as
/// Redis walks one; a skiplist is searched as an ordered list.
pub fn lex_window(zset: &ZSet, min: &LexBound, max: &LexBound, reverse: bool) -> (usize, usize) {
    let len = zset.len();
    if len == 0 || lex_range_empty(min, max) {
        return (0, 0);
    }
    // Redis's zzlIsInLexRange / zslIsInLexRange: the last member must reach `min`
    // and the first must not pass `max`.
    if !above_min(zset.get(len - 1).0, min) || !below_max(zset.get(0).0, max) {
        return (0, 0);
    }
    let walk = zset.encoding_name() == "listpack";
    if !reverse {
        let lo = if walk {
            zset.range(0, len, false).position(|(m, _)| above_min(m, min)).unwrap_or(len)
        } else {
            zset.partition_point(|_, m| !above_min(m, min))
        };
        if lo == len || !below_max(zset.get(lo).0, max) {
            return (0, 0);
        }
        let hi = if walk {
            lo + zset.range(lo, len, false).take_while(|(m, _)| below_max(m, max)).count()
        } else {
            zset.partition_point(|_, m| below_max(m, max)).max(lo + 1)
        };
        (lo, hi)
    } else {
        let hi = if walk {
            len - zset.range(0, len, true).position(|(m, _)| below_max(m, max)).unwrap_or(len)
        } else {
            zset.partition_point(|_, m| below_max(m, max))
        };
        if hi == 0 || !above_min(zset.get(hi - 1).0, min) {
            return (0, 0);
        }
        let lo = if walk {
            hi - zset.range(0, hi, true).take_while(|(m, _)| above_min(m, min)).count()
        } else {
            zset.partition_point(|_, m| !above_min(m, min)).min(hi - 1)
        };
        (lo, hi)
    }
}

/// The ranks `start..=end` (negative from the end) of a set of `len`, normalised
/// as Redis does: `None` when empty.
pub fn rank_window(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize + 1))
}

/// How a range is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// A parsed `ZRANGE`-like request.
struct Request<'a> {
    key: &'a [u8],
    by: By,
    reverse: bool,
    withscores: bool,
    /// `LIMIT offset count` (count < 0: no limit).
    limit: Option<(i64, i64)>,
    start: &'a [u8],
    end: &'a [u8],
}

/// Which command is parsing: what it allows and what it implies.
#[derive(Clone, Copy)]
struct Form {
    by: Option<By>,
    reverse: bool,
    store: bool,
}

fn parse<'a>(args: &mut Args<'a>, form: Form) -> Result<Request<'a>, CommandError> {
    let key = &args.next_bytes()?[..];
    let (mut start, mut end) = (&args.next_bytes()?[..], &args.next_bytes()?[..]);
    let mut request = Request {
        key,
        by: form.by.unwrap_or(By::Rank),
        reverse: form.reverse,
        withscores: false,
        limit: None,
        start,
        end,
    };
    while !args.is_done() {
        if !form.store && args.flag("WITHSCORES") {
            request.withscores = true;
        } else if args.remaining() >= 3 && args.flag("LIMIT") {
            let offset = args.next_i64()?;
            let count = args.next_i64()?;
            request.limit = Some((offset, count));
        } else if form.by.is_none() && args.flag("BYSCORE") {
            request.by = By::Score;
        } else if form.by.is_none() && args.flag("BYLEX") {
            request.by = By::Lex;
        } else if form.by.is_none() && !form.reverse && args.flag("REV") {
            request.reverse = true;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if request.withscores && request.by == By::Lex {
        return Err(CommandError::err("syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    // Redis 7.0 lets a rank range take `LIMIT offset -1` (and ignores it).
    if request.limit.is_some_and(|(_, count)| count != -1) && request.by == By::Rank {
        return Err(CommandError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    // ZRANGE … BYSCORE|BYLEX REV takes max before min (as ZREVRANGEBYSCORE does).
    if request.reverse && request.by != By::Rank {
        std::mem::swap(&mut start, &mut end);
        request.start = start;
        request.end = end;
    }
    Ok(request)
}

/// A range's bounds, checked before the key is looked up (as Redis does).
enum Bounds {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

fn bounds(request: &Request<'_>) -> Result<Bounds, CommandError> {
    Ok(match request.by {
        By::Rank => Bounds::Rank(args::int(request.start)?, args::int(request.end)?),
        By::Score => {
            let (min, max) = score_range(request.start, request.end)?;
            Bounds::Score(min, max)
        }
        By::Lex => {
            let (min, max) = lex_range(request.start, request.end)?;
            Bounds::Lex(min, max)
        }
    })
}

/// The selected elements, in reply order.
fn select<'z>(zset: &'z ZSet, request: &Request<'_>, bounds: &Bounds) -> Vec<(&'z [u8], f64)> {
    let (lo, hi) = match bounds {
        Bounds::Rank(start, end) => {
            let len = zset.len();
            let (start, end) = if request.reverse {
                // Ranks from the top: map them to ascending ones.
                match rank_window(len, *start, *end) {
                    Some((a, b)) => (len - b, len - a),
                    None => return Vec::new(),
                }
            } else {
                match rank_window(len, *start, *end) {
                    Some(window) => window,
                    None => return Vec::new(),
                }
            };
            (start, end)
        }
        Bounds::Score(min, max) => score_window(zset, *min, *max),
        Bounds::Lex(min, max) => lex_window(zset, min, max, request.reverse),
    };
    let (offset, count) = if request.by == By::Rank { (0, -1) } else { request.limit.unwrap_or((0, -1)) };
    if offset < 0 {
        return Vec::new();
    }
    let available = hi - lo;
    let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(available);
    let take =
        if count < 0 { available - offset } else { (count as u64).min((available - offset) as u64) as usize };
    if request.reverse {
        zset.range(hi - offset - take, hi - offset, true).collect()
    } else {
        zset.range(lo + offset, lo + offset + take, false).collect()
    }
}

/// Writes elements (with scores: RESP2 flat pairs, RESP3 two-element arrays).
pub fn reply_elements<'a>(
    out: &mut ReplyWriter,
    elements: impl ExactSizeIterator<Item = (&'a [u8], f64)>,
    withscores: bool,
) {
    let resp3 = out.protocol() == Protocol::Resp3;
    out.array(if withscores && !resp3 { elements.len() * 2 } else { elements.len() });
    for (member, score) in elements {
        if withscores && resp3 {
            out.array(2);
        }
        out.bulk(member);
        if withscores {
            reply_score(out, score);
        }
    }
}

fn read_range(ctx: &mut Context<'_>, args: &mut Args<'_>, form: Form) -> CommandResult {
    let request = parse(args, form)?;
    let bounds = bounds(&request)?;
    read_zset(ctx, request.key, |out, zset| {
        let elements = zset.map(|z| select(z, &request, &bounds)).unwrap_or_default();
        reply_elements(out, elements.into_iter(), request.withscores);
        REPLIED
    })
}

const ZRANGE: Form = Form { by: None, reverse: false, store: false };

/// ```text
/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
/// ```
pub fn zrange(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_range(ctx, args, ZRANGE)
}

/// `ZREVRANGE key start stop [WITHSCORES]`.
pub fn zrevrange(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_range(ctx, args, Form { by: Some(By::Rank), reverse: true, store: false })
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`.
pub fn zrangebyscore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_range(ctx, args, Form { by: Some(By::Score), reverse: false, store: false })
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`.
pub fn zrevrangebyscore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_range(ctx, args, Form { by: Some(By::Score), reverse: true, store: false })
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`.
pub fn zrangebylex(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_range(ctx, args, Form { by: Some(By::Lex), reverse: false, store: false })
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`.
pub fn zrevrangebylex(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_range(ctx, args, Form { by: Some(By::Lex), reverse: true, store: false })
}

/// Stores `result` at `destination` (over whatever it held), or deletes it when
/// empty (logged `DEL`, notified `del`); logs the command as given otherwise.
pub(super) fn store_result(
    slot: &mut crate::engine::Slot<'_>,
    destination: &[u8],
    result: ZSet,
    event: Event,
    logged: &[&[u8]],
) -> usize {
    let len = result.len();
    if len == 0 {
        if slot.remove().is_some() {
            slot.record(generic::DEL, &[b"DEL", destination]);
        }
    } else {
        slot.put(Entry::new_collection(destination, Arc::new(result), None));
        slot.record(event, logged);
    }
    len
}

/// ```text
/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
/// ```
/// Stores the range and replies its size (0 deletes `dst`).
pub fn zrangestore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let destination = args.next_bytes()?;
    let request = parse(args, Form { by: None, reverse: false, store: true })?;
    let bounds = bounds(&request)?;
    let limits = limits(ctx);
    let keys = [&destination[..], request.key];
    let mut found = false;
    let stored = ctx.db().write_many(keys.into_iter(), ctx.now_ms, |view| {
        let source = view.with_slot(request.key, |slot| match slot.get() {
            None => Ok(None),
            Some(entry) => entry.get_as::<ZSet>().map(|_| Some(entry.with_key(b""))),
        });
        let source = source.expect("a key of the view");
        found = !matches!(source, Ok(None));
        let source = source?;
        let zset = zset_of(source.as_ref())?;
        let elements = zset.map(|z| select(z, &request, &bounds)).unwrap_or_default();
        // Redis's zrangeResultBeginStore picks the encoding from the length alone
        // (known for a rank range, -1 for a score or lex range) and converts as
        // members arrive, so a -0 stored while packed reads back as 0.
        let hint = if request.by == By::Rank { elements.len() } else { 0 };
        let mut result = ZSet::for_members(hint, 0, limits);
        for (member, score) in &elements {
            result.insert(member, *score, limits);
        }
        let stored = view
            .with_slot(destination, |slot| {
                store_result(slot, destination, result, events::ZRANGESTORE, &as_slices(args.all()))
            })
            .expect("a key of the view");
        Ok::<_, CommandError>(stored)
    });
    ctx.count_lookup(request.key, found);
    ctx.out.integer(stored? as i64);
    REPLIED
}

/// `ZCOUNT key min max`: how many scores are in the range.
pub fn zcount(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let (min, max) = score_range(args.next_bytes()?, args.next_bytes()?)?;
    read_zset(ctx, key, |out, zset| {
        let (lo, hi) = zset.map_or((0, 0), |z| score_window(z, min, max));
        out.integer((hi - lo) as i64);
        REPLIED
    })
}

/// `ZLEXCOUNT key min max`: how many members are in the lex range.
pub fn zlexcount(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let (min, max) = lex_range(args.next_bytes()?, args.next_bytes()?)?;
    read_zset(ctx, key, |out, zset| {
        let (lo, hi) = zset.map_or((0, 0), |z| lex_window(z, &min, &max, false));
        out.integer((hi - lo) as i64);
        REPLIED
    })
}

fn remove_range(ctx: &mut Context<'_>, args: &mut Args<'_>, by: By, event: Event) -> CommandResult {
    let key = args.next_bytes()?;
    let (start, end) = (args.next_bytes()?, args.next_bytes()?);
    let bounds = match by {
        By::Rank => Bounds::Rank(args::int(start)?, args::int(end)?),
        By::Score => {
            let (min, max) = score_range(start, end)?;
            Bounds::Score(min, max)
        }
        By::Lex => {
            let (min, max) = lex_range(start, end)?;
            Bounds::Lex(min, max)
        }
    };
    let removed = ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(zset) = slot.get_as::<ZSet>()? else { return Ok::<_, CommandError>(0) };
        let (lo, hi) = match &bounds {
            Bounds::Rank(start, end) => rank_window(zset.len(), *start, *end).unwrap_or((0, 0)),
            Bounds::Score(min, max) => score_window(zset, *min, *max),
            Bounds::Lex(min, max) => lex_window(zset, min, max, false),
        };
        if lo == hi {
            return Ok(0);
        }
        let zset = slot.get_mut_as::<ZSet>()?.expect("a sorted set just read");
        let removed = zset.remove_ranks(lo, hi);
        slot.record(event, &as_slices(args.all()));
        Ok(removed)
    })?;
    ctx.out.integer(removed as i64);
    REPLIED
}

/// `ZREMRANGEBYRANK key start stop`: removes those ranks, replies how many went.
pub fn zremrangebyrank(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    remove_range(ctx, args, By::Rank, events::ZREMRANGEBYRANK)
}

/// `ZREMRANGEBYSCORE key min max`.
pub fn zremrangebyscore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    remove_range(ctx, args, By::Score, events::ZREMRANGEBYSCORE)
}

/// `ZREMRANGEBYLEX key min max`.
pub fn zremrangebylex(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    remove_range(ctx, args, By::Lex, events::ZREMRANGEBYLEX)
}

#[cfg(test)]
mod tests {
    use super::rank_window;

    #[test]
    fn rank_windows_follow_redis() {
        assert_eq!(rank_window(5, 0, -1), Some((0, 5)));
        assert_eq!(rank_window(5, -100, 100), Some((0, 5)));
        assert_eq!(rank_window(5, 3, 1), None);
        assert_eq!(rank_window(5, 5, 10), None);
        assert_eq!(rank_window(5, i64::MIN, i64::MAX), Some((0, 5)));
        assert_eq!(rank_window(5, i64::MAX, i64::MIN), None);
    }
}
