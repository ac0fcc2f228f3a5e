//! The pops: `ZPOPMIN`, `ZPOPMAX`, `ZMPOP`, the blocking `BZPOPMIN`, `BZPOPMAX`,
//! `BZMPOP`, and `ZRANDMEMBER`.
//!
//! The blocking forms first do what the non-blocking ones do, through the same
//! [`pop`]; finding every key missing they wait through the blocking room, and
//! [`serve`] pops for the waiting client in the writer's context. What is logged
//! is what Redis 7.0 propagates: `ZPOPMIN key` for `BZPOPMIN`, `ZPOPMIN key count`
//! for `ZMPOP` and `BZMPOP` (the count capped at the set's size).

use std::any::Any;
use std::collections::HashSet;

use super::{events, read_zset, reply_score, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::{self, as_slices};
use crate::command::blocking::{parse_timeout, Attempt, BlockOn, Pending};
use crate::command::flags::*;
use crate::command::{Args, BeginSearch, Block, CommandSpec, FindKeys, KeySpec, Outcome, TimeoutReply};
use crate::engine::access::random_u64;
use crate::protocol::Protocol;
use crate::types::zset::{Popped, ZSet};

const ZSET: &[&str] = &["sortedset"];
const POP_FLAGS: &[&str] = &["RW", "access", "delete"];

/// `ZMPOP numkeys key [key …] MIN|MAX [COUNT count]`: the keys after the count.
pub(super) const ZMPOP_KEYS: &[KeySpec] = &[KeySpec {
    flags: POP_FLAGS,
    notes: None,
    begin: BeginSearch::Index(1),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];
const BZMPOP_KEYS: &[KeySpec] = &[KeySpec {
    flags: POP_FLAGS,
    notes: None,
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];
const KEYS_BEFORE_TIMEOUT: &[KeySpec] = &[KeySpec {
    flags: POP_FLAGS,
    notes: None,
    begin: BeginSearch::Index(1),
    find: FindKeys::Range { last: -2, step: 1, limit: 0 },
}];

/// The blocking pops (on the blocking room).
pub static BLOCKING_SPECS: &[CommandSpec] = &[
    CommandSpec::new("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, bzpopmin)
        .keys(KEYS_BEFORE_TIMEOUT)
        .categories(ZSET),
    CommandSpec::new("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, bzpopmax)
        .keys(KEYS_BEFORE_TIMEOUT)
        .categories(ZSET),
    CommandSpec::new("bzmpop", -5, WRITE | BLOCKING, bzmpop).keys(BZMPOP_KEYS).categories(ZSET),
];

/// What a pop logs.
#[derive(Clone, Copy, Debug)]
enum Log {
    /// The command as given (`ZPOPMIN key [count]`).
    AsGiven,
    /// `ZPOPMIN|ZPOPMAX key` (a served `BZPOPMIN`).
    Single,
    /// `ZPOPMIN|ZPOPMAX key count` (`ZMPOP`, `BZMPOP`).
    Counted,
}

/// At most one popped element: what `ZPOPMIN key` (no count) collects, where a
/// `Vec` would be one allocation and one free more per pop.
#[derive(Default)]
struct First(Option<Popped>);

impl Extend<Popped> for First {
    fn extend<I: IntoIterator<Item = Popped>>(&mut self, popped: I) {
        for popped in popped {
            debug_assert!(self.0.is_none(), "one element popped");
            self.0 = Some(popped);
        }
    }
}

/// Pops up to `count` of the lowest (or highest, `max`) elements of `key` into a
/// `C` (a `Vec`, or [`First`] for one): `None` when the key is missing,
/// `WRONGTYPE` for another type.
fn pop<C: Default + Extend<Popped>>(
    ctx: &mut Context<'_>,
    key: &[u8],
    max: bool,
    count: usize,
    log: Log,
    given: &[bytes::Bytes],
) -> Result<Option<C>, CommandError> {
    ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(zset) = slot.get_as::<ZSet>()? else { return Ok(None) };
        let take = count.min(zset.len());
        if take == 0 {
            return Ok(Some(C::default()));
        }
        let zset = slot.get_mut_as::<ZSet>()?.expect("a sorted set just read");
        let mut popped = C::default();
        popped.extend((0..take).map(|_| zset.remove_rank(if max { zset.len() - 1 } else { 0 })));
        let event = if max { events::ZPOPMAX } else { events::ZPOPMIN };
        let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        match log {
            Log::AsGiven => slot.record(event, &as_slices(given)),
            Log::Single => slot.record(event, &[name, key]),
            Log::Counted => slot.record(event, &[name, key, itoa::Buffer::new().format(take).as_bytes()]),
        }
        Ok(Some(popped))
    })
}

/// `[key, member, score]` (`BZPOPMIN`).
fn reply_flat(ctx: &mut Context<'_>, key: &[u8], popped: &[Popped]) {
    ctx.out.array(popped.len() * 2 + 1);
    ctx.out.bulk(key);
    for popped in popped {
        ctx.out.bulk(popped.member());
        reply_score(ctx.out, popped.score());
    }
}

/// `[key, [[member, score] …]]` (`ZMPOP`, `BZMPOP`).
fn reply_nested(ctx: &mut Context<'_>, key: &[u8], popped: &[Popped]) {
    ctx.out.array(2);
    ctx.out.bulk(key);
    ctx.out.array(popped.len());
    for popped in popped {
        ctx.out.array(2);
        ctx.out.bulk(popped.member());
        reply_score(ctx.out, popped.score());
    }
}

fn pop_command(ctx: &mut Context<'_>, args: &mut Args<'_>, max: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        1 => Some(
            args::int(args.next_bytes()?)
                .ok()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| CommandError::err("value is out of range, must be positive"))?,
        ),
        _ => return Err(CommandError::Syntax),
    };
    let (first, many): (First, Vec<Popped>);
    let popped: &[Popped] = match count {
        None => {
            first = pop(ctx, key, max, 1, Log::AsGiven, args.all())?.unwrap_or_default();
            first.0.as_slice()
        }
        Some(count) => {
            many = pop(ctx, key, max, count, Log::AsGiven, args.all())?.unwrap_or_default();
            &many
        }
    };
    let nested = count.is_some() && ctx.out.protocol() == Protocol::Resp3;
    ctx.out.array(if nested { popped.len() } else { popped.len() * 2 });
    for popped in popped {
        if nested {
            ctx.out.array(2);
        }
        ctx.out.bulk(popped.member());
        reply_score(ctx.out, popped.score());
    }
    REPLIED
}

/// `ZPOPMIN key [count]`: removes and returns the lowest-scored members.
pub fn zpopmin(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    pop_command(ctx, args, false)
}

/// `ZPOPMAX key [count]`: removes and returns the highest-scored members.
pub fn zpopmax(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    pop_command(ctx, args, true)
}

/// A parsed `numkeys key … MIN|MAX [COUNT count]`.
struct MultiPop {
    keys: Vec<Vec<u8>>,
    max: bool,
    count: usize,
}

fn parse_multi_pop(args: &mut Args<'_>) -> Result<MultiPop, CommandError> {
    let numkeys = args::int(args.next_bytes()?)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| CommandError::err("numkeys should be greater than 0"))?;
    if numkeys as u64 >= args.remaining() as u64 {
        return Err(CommandError::Syntax);
    }
    let keys: Vec<Vec<u8>> = args.rest()[..numkeys as usize].iter().map(|k| k.to_vec()).collect();
    let mut options = Args::new(&args.rest()[numkeys as usize..], 0);
    let max = match options.one_of(&["MIN", "MAX"]) {
        Some(which) => which == 1,
        None => return Err(CommandError::Syntax),
    };
    let mut count = None;
    while !options.is_done() {
        if count.is_none() && options.remaining() >= 2 && options.flag("COUNT") {
            count = Some(
                args::int(options.next_bytes()?)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| CommandError::err("count should be greater than 0"))?
                    as usize,
            );
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(MultiPop { keys, max, count: count.unwrap_or(1) })
}

/// ```text
/// ZMPOP numkeys key [key …] MIN|MAX [COUNT count]
/// ```
/// Pops from the first non-empty key: `[key, [[member, score] …]]`, or null.
pub fn zmpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let MultiPop { keys, max, count } = parse_multi_pop(args)?;
    for key in &keys {
        if let Some(popped) = pop::<Vec<Popped>>(ctx, key, max, count, Log::Counted, &[])? {
            reply_nested(ctx, key, &popped);
            return REPLIED;
        }
    }
    ctx.out.null_array();
    REPLIED
}

/// What a blocked pop waits to do.
#[derive(Debug)]
struct ZSetWait {
    max: bool,
    /// `None`: `BZPOPMIN`/`BZPOPMAX`; else `BZMPOP`'s count.
    count: Option<usize>,
}

fn block(keys: Vec<Box<[u8]>>, wait: ZSetWait, deadline: Option<std::time::Instant>) -> CommandResult {
    let pending = Pending { serve, args: Box::new(wait), command: 0 };
    Ok(Outcome::Block(Block {
        deadline,
        on_timeout: TimeoutReply::NullArray,
        on: Some(BlockOn { keys, pending }),
    }))
}

fn blocking_pop(ctx: &mut Context<'_>, args: &mut Args<'_>, max: bool) -> CommandResult {
    let all = args.rest();
    let (timeout, keys) = all.split_last().expect("arity: a key and a timeout");
    let deadline = parse_timeout(timeout)?;
    for key in keys {
        match pop::<Vec<Popped>>(ctx, key, max, 1, Log::Single, &[])? {
            Some(popped) if !popped.is_empty() => {
                reply_flat(ctx, key, &popped);
                return REPLIED;
            }
            _ => {}
        }
    }
    block(keys.iter().map(|k| k[..].into()).collect(), ZSetWait { max, count: None }, deadline)
}

/// `BZPOPMIN key [key …] timeout`: `[key, member, score]`, waiting if need be.
pub fn bzpopmin(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    blocking_pop(ctx, args, false)
}

/// `BZPOPMAX key [key …] timeout`.
pub fn bzpopmax(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    blocking_pop(ctx, args, true)
}

/// `BZMPOP timeout numkeys key [key …] MIN|MAX [COUNT count]`.
pub fn bzmpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let timeout = args.next_bytes()?;
    let MultiPop { keys, max, count } = parse_multi_pop(args)?;
    let deadline = parse_timeout(timeout)?;
    for key in &keys {
        if let Some(popped) = pop::<Vec<Popped>>(ctx, key, max, count, Log::Counted, &[])? {
            reply_nested(ctx, key, &popped);
            return REPLIED;
        }
    }
    block(
        keys.into_iter().map(Vec::into_boxed_slice).collect(),
        ZSetWait { max, count: Some(count) },
        deadline,
    )
}

/// Serves a waiting sorted-set client from `key` (see [`crate::command::blocking`]).
fn serve(ctx: &mut Context<'_>, args: &(dyn Any + Send + Sync), key: &[u8]) -> Result<Attempt, CommandError> {
    let Some(wait) = args.downcast_ref::<ZSetWait>() else { return Ok(Attempt::Skip) };
    let log = if wait.count.is_some() { Log::Counted } else { Log::Single };
    match pop::<Vec<Popped>>(ctx, key, wait.max, wait.count.unwrap_or(1), log, &[]) {
        Ok(Some(popped)) if !popped.is_empty() => {
            match wait.count {
                None => reply_flat(ctx, key, &popped),
                Some(_) => reply_nested(ctx, key, &popped),
            }
            Ok(Attempt::Replied)
        }
        Ok(_) => Ok(Attempt::Exhausted),
        Err(CommandError::WrongType) => Ok(Attempt::Skip),
        Err(other) => Err(other),
    }
}

/// ```text
/// ZRANDMEMBER key [count [WITHSCORES]]
/// ```
/// A random member (null for a missing key), or `count` distinct ones, or with a
/// negative count `-count` picks that may repeat. The reply is bounded by the
/// output-buffer limit, never by the count the client gave.
pub fn zrandmember(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let ceiling = crate::command::reply_ceiling(ctx);
    let (count, withscores) = match args.remaining() {
        0 => (None, false),
        1 | 2 => {
            let count = match args.next_i64()? {
                i64::MIN => return Err(CommandError::err(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )),
                n => n,
            };
            let withscores = match args.peek() {
                None => false,
                Some(word) if args::is(word, "WITHSCORES") => true,
                Some(_) => return Err(CommandError::Syntax),
            };
            if withscores && !(i64::MIN / 2..=i64::MAX / 2).contains(&count) {
                return Err(CommandError::err("value is out of range"));
            }
            (Some(count), withscores)
        }
        _ => return Err(CommandError::Syntax),
    };
    read_zset(ctx, key, |out, zset| {
        let (zset, count) = match (zset, count) {
            (None, None) => {
                out.null();
                return REPLIED;
            }
            (Some(zset), None) => {
                out.bulk(zset.random(random_u64()).0);
                return REPLIED;
            }
            (None, Some(_)) | (_, Some(0)) => {
                out.array(0);
                return REPLIED;
            }
            (Some(zset), Some(count)) => (zset, count),
        };
        let resp3 = out.protocol() == Protocol::Resp3;
        let emit = |out: &mut crate::protocol::ReplyWriter, (member, score): (&[u8], f64)| {
            if withscores && resp3 {
                out.array(2);
            }
            out.bulk(member);
            if withscores {
                reply_score(out, score);
            }
        };
        let header = |out: &mut crate::protocol::ReplyWriter, n: usize| {
            out.array(if withscores && !resp3 { n.saturating_mul(2) } else { n });
        };
        if count < 0 {
            let picks = count.unsigned_abs();
            header(out, usize::try_from(picks).unwrap_or(usize::MAX));
            for _ in 0..picks {
                emit(out, zset.random(random_u64()));
                if out.len() > ceiling {
                    log::warn!("closing a client: ZRANDMEMBER reply over {ceiling} bytes");
                    return Ok(Outcome::Close);
                }
            }
            return REPLIED;
        }
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let len = zset.len();
        if count >= len {
            // Redis 7.0 walks a listpack from its tail here.
            header(out, len);
            zset.range(0, len, true).for_each(|element| emit(out, element));
        } else if count.saturating_mul(3) <= len {
            let mut picked: HashSet<usize> = HashSet::with_capacity(count);
            let mut order = Vec::with_capacity(count);
            while picked.len() < count {
                let at = (random_u64() % len as u64) as usize;
                if picked.insert(at) {
                    order.push(at);
                }
            }
            header(out, count);
            for at in order {
                emit(out, zset.get(at));
            }
        } else {
            let mut all: Vec<(&[u8], f64)> = zset.iter().collect();
            while all.len() > count {
                all.swap_remove((random_u64() % all.len() as u64) as usize);
            }
            header(out, count);
            all.into_iter().for_each(|element| emit(out, element));
        }
        REPLIED
    })
}
