//! The sorted-set family, with Redis 7.0's replies and error texts (`t_zset.c`)
//! over the [`ZSet`] type: `ZADD`, `ZINCRBY`, `ZREM`, `ZCARD`, `ZSCORE`, `ZMSCORE`,
//! `ZRANK`, `ZREVRANK`, `ZSCAN` here; the range commands in [`range`]; the pops
//! (blocking ones too) and `ZRANDMEMBER` in [`pop`]; `ZUNION`, `ZINTER`, `ZDIFF`,
//! their `STORE` forms and `ZINTERCARD` in [`algebra`].
//!
//! Scores are printed as 7.0 prints them (`%.17g`, [`format_score`]): a RESP2 bulk
//! string, a RESP3 double. A missing key reads as an empty sorted set; a key of
//! another type gets `WRONGTYPE`.

mod algebra;
mod pop;
mod range;

use super::args::as_slices;
use super::set::scan_cursor;
use super::spec::{CommandSpec, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{Entry, Event, EventClass};
use crate::glob::glob_match;
use crate::protocol::{Protocol, ReplyWriter};
use crate::types::zset::{format_score, write_score, Limits, ZSet};

pub use pop::BLOCKING_SPECS;
pub(crate) use range::store_result;

/// The keyspace events of the sorted-set commands, as Redis names them (class `z`).
pub mod events {
    use super::{Event, EventClass};

    const fn zset(name: &'static str) -> Event {
        Event { name, class: EventClass::ZSet }
    }

    /// Members were added or their scores changed (`ZADD`, `GEOADD`).
    pub const ZADD: Event = zset("zadd");
    /// A score was incremented (`ZINCRBY`, `ZADD … INCR`).
    pub const ZINCR: Event = zset("zincr");
    /// Members were removed (`ZREM`).
    pub const ZREM: Event = zset("zrem");
    /// `ZREMRANGEBYRANK` removed members.
    pub const ZREMRANGEBYRANK: Event = zset("zremrangebyrank");
    /// `ZREMRANGEBYSCORE` removed members.
    pub const ZREMRANGEBYSCORE: Event = zset("zremrangebyscore");
    /// `ZREMRANGEBYLEX` removed members.
    pub const ZREMRANGEBYLEX: Event = zset("zremrangebylex");
    /// The lowest members were popped.
    pub const ZPOPMIN: Event = zset("zpopmin");
    /// The highest members were popped.
    pub const ZPOPMAX: Event = zset("zpopmax");
    /// `ZUNIONSTORE` stored its result.
    pub const ZUNIONSTORE: Event = zset("zunionstore");
    /// `ZINTERSTORE` stored its result.
    pub const ZINTERSTORE: Event = zset("zinterstore");
    /// `ZDIFFSTORE` stored its result.
    pub const ZDIFFSTORE: Event = zset("zdiffstore");
    /// `ZRANGESTORE` stored its result.
    pub const ZRANGESTORE: Event = zset("zrangestore");
}

const ZSET: &[&str] = &["sortedset"];
const RO: &[&str] = &["RO"];
const RO_ACCESS: &[&str] = &["RO", "access"];
const ONE_RO: &[KeySpec] = &[KeySpec::one(1, RO)];
const ONE_RO_ACCESS: &[KeySpec] = &[KeySpec::one(1, RO_ACCESS)];
const RANDOM: &[&str] = &["nondeterministic_output"];

/// The sorted-set family (the blocking pops are in [`BLOCKING_SPECS`]).
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, WRITE | DENYOOM | FAST, zadd)
        .keys(&[KeySpec::one(1, &["RW", "update"])])
        .categories(ZSET),
    CommandSpec::new("zincrby", 4, WRITE | DENYOOM | FAST, zincrby)
        .keys(&[KeySpec::one(1, &["RW", "access", "update"])])
        .categories(ZSET),
    CommandSpec::new("zrem", -3, WRITE | FAST, zrem)
        .keys(&[KeySpec::one(1, &["RW", "delete"])])
        .categories(ZSET),
    CommandSpec::new("zcard", 2, READONLY | FAST, zcard).keys(ONE_RO).categories(ZSET),
    CommandSpec::new("zscore", 3, READONLY | FAST, zscore).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zmscore", -3, READONLY | FAST, zmscore).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zrank", 3, READONLY | FAST, zrank).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zrevrank", 3, READONLY | FAST, zrevrank).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zscan", -3, READONLY, zscan).keys(ONE_RO_ACCESS).categories(ZSET).tips(RANDOM),
    CommandSpec::new("zcount", 4, READONLY | FAST, range::zcount).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zlexcount", 4, READONLY | FAST, range::zlexcount).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zrange", -4, READONLY, range::zrange).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zrangestore", -5, WRITE | DENYOOM, range::zrangestore)
        .keys(&[KeySpec::one(1, &["OW", "update"]), KeySpec::one(2, RO_ACCESS)])
        .categories(ZSET),
    CommandSpec::new("zrevrange", -4, READONLY, range::zrevrange).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zrangebyscore", -4, READONLY, range::zrangebyscore)
        .keys(ONE_RO_ACCESS)
        .categories(ZSET),
    CommandSpec::new("zrevrangebyscore", -4, READONLY, range::zrevrangebyscore)
        .keys(ONE_RO_ACCESS)
        .categories(ZSET),
    CommandSpec::new("zrangebylex", -4, READONLY, range::zrangebylex).keys(ONE_RO_ACCESS).categories(ZSET),
    CommandSpec::new("zrevrangebylex", -4, READONLY, range::zrevrangebylex)
        .keys(ONE_RO_ACCESS)
        .categories(ZSET),
    CommandSpec::new("zremrangebyrank", 4, WRITE, range::zremrangebyrank)
        .keys(&[KeySpec::one(1, &["RW", "delete"])])
        .categories(ZSET),
    CommandSpec::new("zremrangebyscore", 4, WRITE, range::zremrangebyscore)
        .keys(&[KeySpec::one(1, &["RW", "delete"])])
        .categories(ZSET),
    CommandSpec::new("zremrangebylex", 4, WRITE, range::zremrangebylex)
        .keys(&[KeySpec::one(1, &["RW", "delete"])])
        .categories(ZSET),
    CommandSpec::new("zpopmin", -2, WRITE | FAST, pop::zpopmin)
        .keys(&[KeySpec::one(1, &["RW", "access", "delete"])])
        .categories(ZSET),
    CommandSpec::new("zpopmax", -2, WRITE | FAST, pop::zpopmax)
        .keys(&[KeySpec::one(1, &["RW", "access", "delete"])])
        .categories(ZSET),
    CommandSpec::new("zmpop", -4, WRITE, pop::zmpop).keys(pop::ZMPOP_KEYS).categories(ZSET),
    CommandSpec::new("zrandmember", -2, READONLY, pop::zrandmember)
        .keys(ONE_RO_ACCESS)
        .categories(ZSET)
        .tips(RANDOM),
    CommandSpec::new("zunion", -3, READONLY, algebra::zunion).keys(algebra::NUMKEYS).categories(ZSET),
    CommandSpec::new("zinter", -3, READONLY, algebra::zinter).keys(algebra::NUMKEYS).categories(ZSET),
    CommandSpec::new("zdiff", -3, READONLY, algebra::zdiff).keys(algebra::NUMKEYS).categories(ZSET),
    CommandSpec::new("zunionstore", -4, WRITE | DENYOOM, algebra::zunionstore)
        .keys(algebra::STORE_KEYS)
        .categories(ZSET),
    CommandSpec::new("zinterstore", -4, WRITE | DENYOOM, algebra::zinterstore)
        .keys(algebra::STORE_KEYS)
        .categories(ZSET),
    CommandSpec::new("zdiffstore", -4, WRITE | DENYOOM, algebra::zdiffstore)
        .keys(algebra::STORE_KEYS)
        .categories(ZSET),
    CommandSpec::new("zintercard", -3, READONLY, algebra::zintercard).keys(algebra::NUMKEYS).categories(ZSET),
];

/// The encoding thresholds now configured.
pub(crate) fn limits(ctx: &Context<'_>) -> Limits {
    let config = ctx.state.config.load();
    Limits {
        listpack_entries: config.zset_max_listpack_entries,
        listpack_value: config.zset_max_listpack_value,
    }
}

/// The sorted set in `entry`: `None` for a missing key, `WRONGTYPE` for another type.
fn zset_of(entry: Option<&Entry>) -> Result<Option<&ZSet>, CommandError> {
    Ok(entry.map(Entry::get_as::<ZSet>).transpose()?)
}

/// Writes a score as Redis 7.0 does: a bulk string in RESP2, a double in RESP3,
/// both `%.17g`.
pub fn reply_score(out: &mut ReplyWriter, score: f64) {
    write_score(score, |text| match out.protocol() {
        Protocol::Resp2 => out.bulk(text),
        Protocol::Resp3 => {
            out.raw(b",");
            out.raw(text);
            out.raw(b"\r\n");
        }
    });
}

/// A score argument as Redis's `getDoubleFromObject` reads it (`strtod`): no
/// surrounding space, not NaN, and not out of range (`1e400`, `1e-400`), else
/// `ERR value is not a valid float`.
pub fn parse_score(text: &[u8]) -> Option<f64> {
    let value = super::args::parse_float(text)?;
    let spelled = std::str::from_utf8(text).ok()?.to_ascii_lowercase();
    if value.is_infinite() && !spelled.contains("inf") {
        return None;
    }
    if value == 0.0 {
        let mantissa = spelled.split('e').next().unwrap_or("");
        if mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            return None;
        }
    }
    Some(value)
}

fn score_arg(text: &[u8]) -> Result<f64, CommandError> {
    parse_score(text).ok_or(CommandError::NotFloat)
}

fn nan_error() -> CommandError {
    CommandError::err("resulting score is not a number (NaN)")
}

/// Runs `read` on the sorted set at `key` (`None`: missing) with the reply writer,
/// counting the lookup as a keyspace hit or miss.
fn read_zset<R>(
    ctx: &mut Context<'_>,
    key: &[u8],
    read: impl FnOnce(&mut ReplyWriter, Option<&ZSet>) -> Result<R, CommandError>,
) -> Result<R, CommandError> {
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (hit, result) = db.read(key, ctx.now_ms, |entry| match zset_of(entry) {
        Ok(zset) => (zset.is_some(), read(out, zset)),
        Err(wrong) => (true, Err(wrong)),
    });
    ctx.count_lookup(key, hit);
    result
}

/// `ZADD`'s flags.
#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// ```text
/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member …]
/// ```
/// How many members were added (or changed, with `CH`); with `INCR` the new score,
/// or null when a condition stopped it. Every score is checked before anything
/// changes.
pub fn zadd(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let mut flags = AddFlags::default();
    loop {
        match args.one_of(&["NX", "XX", "GT", "LT", "CH", "INCR"]) {
            Some(0) => flags.nx = true,
            Some(1) => flags.xx = true,
            Some(2) => flags.gt = true,
            Some(3) => flags.lt = true,
            Some(4) => flags.ch = true,
            Some(5) => flags.incr = true,
            _ => break,
        }
    }
    let pairs = args.rest();
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    if flags.nx && flags.xx {
        return Err(CommandError::err("XX and NX options at the same time are not compatible"));
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(CommandError::err("GT, LT, and/or NX options at the same time are not compatible"));
    }
    if flags.incr && pairs.len() > 2 {
        return Err(CommandError::err("INCR option supports a single increment-element pair"));
    }
    let scores: Vec<f64> = pairs.chunks(2).map(|p| score_arg(&p[0])).collect::<Result<_, _>>()?;
    let limits = limits(ctx);
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.write(key, ctx.now_ms, |slot| {
        let existing = slot.get_as::<ZSet>()?.is_some();
        if !existing && flags.xx {
            if flags.incr {
                out.null();
            } else {
                out.integer(0);
            }
            return REPLIED;
        }
        let zset = slot.get_or_create::<ZSet>()?;
        if !existing {
            // Redis 7.0 picks a new key's encoding from its first member alone.
            *zset = ZSet::for_members(1, pairs[1].len(), limits);
        }
        let (mut added, mut updated, mut processed) = (0, 0, 0);
        let mut incr_result = None;
        for (pair, &score) in pairs.chunks(2).zip(&scores) {
            let member = &pair[1][..];
            match zset.score(member) {
                Some(current) => {
                    if flags.nx {
                        continue;
                    }
                    let new = if flags.incr {
                        let sum = current + score;
                        if sum.is_nan() {
                            if zset.is_empty() {
                                slot.remove();
                            }
                            return Err(nan_error());
                        }
                        sum
                    } else {
                        score
                    };
                    if (flags.lt && new >= current) || (flags.gt && new <= current) {
                        continue;
                    }
                    processed += 1;
                    incr_result = Some(new);
                    // Redis compares with `!=`: `-0` over `0` changes nothing.
                    if new != current {
                        zset.insert(member, new, limits);
                        updated += 1;
                    }
                }
                None => {
                    if flags.xx {
                        continue;
                    }
                    zset.insert(member, score, limits);
                    added += 1;
                    processed += 1;
                    incr_result = Some(score);
                }
            }
        }
        if added + updated > 0 {
            let event = if flags.incr { events::ZINCR } else { events::ZADD };
            slot.record(event, &as_slices(args.all()));
        }
        if flags.incr {
            match incr_result.filter(|_| processed > 0) {
                Some(score) => reply_score(out, score),
                None => out.null(),
            }
        } else {
            out.integer(if flags.ch { added + updated } else { added });
        }
        REPLIED
    })
}

/// ```text
/// ZINCRBY key increment member
/// ```
/// The member's new score (a new member starts at 0); `inf + -inf` is refused.
pub fn zincrby(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, increment, member) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let increment = score_arg(increment)?;
    let limits = limits(ctx);
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.write(key, ctx.now_ms, |slot| {
        let current = slot.get_as::<ZSet>()?.and_then(|z| z.score(member));
        // A new member takes the increment itself (so `-0` stays `-0` in the reply).
        let new = current.map_or(increment, |current| current + increment);
        if new.is_nan() {
            return Err(nan_error());
        }
        let zset = slot.get_or_create::<ZSet>()?;
        zset.insert(member, new, limits);
        slot.record(events::ZINCR, &as_slices(args.all()));
        reply_score(out, new);
        REPLIED
    })
}

/// ```text
/// ZREM key member [member …]
/// ```
/// How many members were removed; the key goes when the set empties.
pub fn zrem(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    let removed = ctx.db().write(key, ctx.now_ms, |slot| {
        let removed = match slot.get_as::<ZSet>()? {
            None => 0,
            Some(zset) if !members.iter().any(|m| zset.score(m).is_some()) => 0,
            Some(_) => {
                let zset = slot.get_mut_as::<ZSet>()?.expect("a sorted set just read");
                members.iter().filter(|m| zset.remove(m).is_some()).count()
            }
        };
        if removed > 0 {
            slot.record(events::ZREM, &as_slices(args.all()));
        }
        Ok::<_, CommandError>(removed)
    })?;
    ctx.out.integer(removed as i64);
    REPLIED
}

/// `ZCARD key`: how many members (0 for a missing key).
pub fn zcard(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    read_zset(ctx, key, |out, zset| {
        out.integer(zset.map_or(0, ZSet::len) as i64);
        REPLIED
    })
}

/// `ZSCORE key member`: the score, or null.
pub fn zscore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, member) = (args.next_bytes()?, args.next_bytes()?);
    read_zset(ctx, key, |out, zset| {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => reply_score(out, score),
            None => out.null(),
        }
        REPLIED
    })
}

/// `ZMSCORE key member [member …]`: each member's score, or null.
pub fn zmscore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    read_zset(ctx, key, |out, zset| {
        out.array(members.len());
        for member in members {
            match zset.and_then(|z| z.score(member)) {
                Some(score) => reply_score(out, score),
                None => out.null(),
            }
        }
        REPLIED
    })
}

fn rank(ctx: &mut Context<'_>, args: &mut Args<'_>, reverse: bool) -> CommandResult {
    let (key, member) = (args.next_bytes()?, args.next_bytes()?);
    read_zset(ctx, key, |out, zset| {
        match zset.and_then(|z| z.rank(member).map(|r| if reverse { z.len() - 1 - r } else { r })) {
            Some(rank) => out.integer(rank as i64),
            None => out.null(),
        }
        REPLIED
    })
}

/// `ZRANK key member`: the member's rank from the lowest score, or null.
pub fn zrank(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    rank(ctx, args, false)
}

/// `ZREVRANK key member`: the member's rank from the highest score, or null.
pub fn zrevrank(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    rank(ctx, args, true)
}

/// ```text
/// ZSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// Members and their scores (bulk strings, `%.17g`); a listpack comes whole.
pub fn zscan(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let cursor = scan_cursor(args.next_bytes()?)?;
    let rest = args.rest();
    read_zset(ctx, key, |out, zset| {
        let Some(zset) = zset else {
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return REPLIED;
        };
        let mut options = Args::new(rest, 0);
        let (mut pattern, mut count) = (None, 10usize);
        while !options.is_done() {
            if options.remaining() >= 2 && options.flag("COUNT") {
                count = match options.next_i64()? {
                    n if n >= 1 => n as usize,
                    _ => return Err(CommandError::Syntax),
                };
            } else if options.remaining() >= 2 && options.flag("MATCH") {
                pattern = Some(&options.next_bytes()?[..]);
            } else {
                return Err(CommandError::Syntax);
            }
        }
        let pattern = pattern.filter(|p| *p != b"*");
        let mut found: Vec<(Box<[u8]>, f64)> = Vec::new();
        let next = zset.scan(cursor, count, |member, score| {
            if pattern.is_none_or(|p| glob_match(p, member)) {
                found.push((member.into(), score));
            }
        });
        out.array(2);
        out.bulk(itoa::Buffer::new().format(next).as_bytes());
        out.array(found.len() * 2);
        for (member, score) in &found {
            out.bulk(member);
            out.bulk(format_score(*score).as_bytes());
        }
        REPLIED
    })
}

#[cfg(test)]
mod tests {
    use super::parse_score;

    #[test]
    fn scores_read_like_strtod_with_range_checks() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"0"), Some(0.0));
        assert_eq!(parse_score(b"0e10"), Some(0.0));
        for bad in ["nan", "1e400", "-1e400", "1e-400", " 1", "1 ", "x", ""] {
            assert_eq!(parse_score(bad.as_bytes()), None, "{bad}");
        }
    }
}
