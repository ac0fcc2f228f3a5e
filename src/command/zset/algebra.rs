//! Sorted-set algebra: `ZUNION`, `ZINTER`, `ZDIFF` (`WEIGHTS`, `AGGREGATE
//! SUM|MIN|MAX`, `WITHSCORES`), their `STORE` forms, and `ZINTERCARD`. A source
//! may be a set (every member scores 1) as in Redis; each command locks all its
//! keys at once.
//!
//! The work is bounded by the data: an intersection walks the smallest source and
//! probes the others; a union visits each element once. As in Redis, a weighted
//! score or a sum that comes out NaN (`inf * 0`, `inf + -inf`) counts as 0 — except
//! an intersection's later sources, whose NaN products Redis aggregates unzeroed.

use std::collections::HashMap;

use bytes::Bytes;

use super::range::{reply_elements, store_result};
use super::{events, limits, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::{self, as_slices};
use crate::command::{Args, BeginSearch, FindKeys, KeySpec};
use crate::engine::{Entry, Event};
use crate::types::set::Set;
use crate::types::zset::{compare, Limits, ZSet};

const RO_ACCESS: &[&str] = &["RO", "access"];

/// `numkeys key [key …]`: the count at argument 1, the keys after it.
pub(super) const NUMKEYS: &[KeySpec] = &[KeySpec {
    flags: RO_ACCESS,
    notes: None,
    begin: BeginSearch::Index(1),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

/// `destination numkeys key [key …]`.
pub(super) const STORE_KEYS: &[KeySpec] = &[
    KeySpec::one(1, &["OW", "update"]),
    KeySpec {
        flags: RO_ACCESS,
        notes: None,
        begin: BeginSearch::Index(2),
        find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
    },
];

/// A source: a sorted set, a set (scores of 1) or nothing.
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Sorted(&'a ZSet),
    Plain(&'a Set),
}

impl Source<'_> {
    fn of(entry: Option<&Entry>) -> Result<Source<'_>, CommandError> {
        let Some(entry) = entry else { return Ok(Source::Missing) };
        if let Ok(zset) = entry.get_as::<ZSet>() {
            return Ok(Source::Sorted(zset));
        }
        Ok(Source::Plain(entry.get_as::<Set>()?))
    }

    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Sorted(zset) => zset.len(),
            Source::Plain(set) => set.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Sorted(zset) => zset.score(member),
            Source::Plain(set) => set.contains(member).then_some(1.0),
        }
    }

    fn visit(&self, mut visit: impl FnMut(&[u8], f64)) {
        match self {
            Source::Missing => {}
            Source::Sorted(zset) => zset.iter().for_each(|(m, s)| visit(m, s)),
            Source::Plain(set) => set.iter().for_each(|m| visit(&m, 1.0)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(how: Aggregate, into: &mut f64, value: f64) {
    match how {
        Aggregate::Sum => {
            *into += value;
            if into.is_nan() {
                *into = 0.0;
            }
        }
        // C's comparisons, as zunionInterAggregate: a NaN value leaves the score
        // alone, and of 0 and -0 the one already there stays.
        Aggregate::Min => {
            if value < *into {
                *into = value
            }
        }
        Aggregate::Max => {
            if value > *into {
                *into = value
            }
        }
    }
}

fn weighted(weight: f64, score: f64) -> f64 {
    let value = weight * score;
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

/// The options after the keys.
struct Options {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
}

fn parse_options(rest: &[Bytes], keys: usize, op: Op, store: bool) -> Result<Options, CommandError> {
    let mut options = Options { weights: vec![1.0; keys], aggregate: Aggregate::Sum, withscores: false };
    let mut args = Args::new(rest, 0);
    while !args.is_done() {
        if op != Op::Diff && args.remaining() > keys && args.flag("WEIGHTS") {
            for weight in options.weights.iter_mut() {
                *weight = args::parse_float(args.next_bytes()?)
                    .ok_or_else(|| CommandError::err("weight value is not a float"))?;
            }
        } else if op != Op::Diff && args.remaining() >= 2 && args.flag("AGGREGATE") {
            options.aggregate = match args.one_of(&["SUM", "MIN", "MAX"]) {
                Some(0) => Aggregate::Sum,
                Some(1) => Aggregate::Min,
                Some(2) => Aggregate::Max,
                _ => return Err(CommandError::Syntax),
            };
        } else if !store && args.flag("WITHSCORES") {
            options.withscores = true;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(options)
}

/// The result of `op` over `sources`, in (score, member) order.
fn compute(op: Op, sources: &[Source<'_>], options: &Options) -> Vec<(Vec<u8>, f64)> {
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        Op::Union => {
            let mut order: Vec<usize> = (0..sources.len()).collect();
            order.sort_by_key(|&i| sources[i].len());
            let mut scores: HashMap<Vec<u8>, f64> = HashMap::new();
            for i in order {
                let weight = options.weights[i];
                sources[i].visit(|member, score| {
                    let value = weighted(weight, score);
                    match scores.get_mut(member) {
                        Some(into) => aggregate(options.aggregate, into, value),
                        None => {
                            scores.insert(member.to_vec(), value);
                        }
                    }
                });
            }
            result.extend(scores);
        }
        Op::Inter => {
            let mut order: Vec<usize> = (0..sources.len()).collect();
            order.sort_by_key(|&i| sources[i].len());
            let (first, others) = order.split_first().expect("at least one key");
            sources[*first].visit(|member, score| {
                let mut value = weighted(options.weights[*first], score);
                for &j in others {
                    match sources[j].score(member) {
                        // Redis zeroes a NaN product of the first source only: a
                        // later one (`inf * 0`) turns a SUM into NaN, hence 0, and
                        // is ignored by MIN and MAX.
                        Some(other) => aggregate(options.aggregate, &mut value, options.weights[j] * other),
                        None => return,
                    }
                }
                result.push((member.to_vec(), value));
            });
        }
        Op::Diff => {
            let (first, others) = sources.split_first().expect("at least one key");
            first.visit(|member, score| {
                if !others.iter().any(|other| other.score(member).is_some()) {
                    result.push((member.to_vec(), score));
                }
            });
        }
    }
    result.sort_by(|a, b| compare(a.1, &a.0, b.1, &b.0));
    result
}

fn build(elements: &[(Vec<u8>, f64)], limits: Limits) -> ZSet {
    let longest = elements.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut zset = ZSet::for_members(elements.len(), longest, limits);
    for (member, score) in elements {
        zset.insert(member, *score, limits);
    }
    zset
}

/// `numkeys` and the keys after it, with Redis's errors.
fn keys_after<'a>(args: &mut Args<'a>, command: &str) -> Result<(&'a [Bytes], &'a [Bytes]), CommandError> {
    let numkeys = args::int(args.next_bytes()?)?;
    if numkeys < 1 {
        return Err(CommandError::err(format!("at least 1 input key is needed for '{command}' command")));
    }
    if numkeys as u64 > args.remaining() as u64 {
        return Err(CommandError::Syntax);
    }
    let rest = args.rest();
    Ok(rest.split_at(numkeys as usize))
}

fn read_op(ctx: &mut Context<'_>, args: &mut Args<'_>, op: Op, command: &str) -> CommandResult {
    let (keys, rest) = keys_after(args, command)?;
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (found, result) = db.read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        let entries: Vec<_> = keys.iter().map(|key| view.get(key)).collect();
        let found: Vec<bool> = entries.iter().map(Option::is_some).collect();
        let sources = match entries.into_iter().map(Source::of).collect::<Result<Vec<_>, _>>() {
            Ok(sources) => sources,
            Err(wrong) => return (found, Err(wrong)),
        };
        let options = match parse_options(rest, keys.len(), op, false) {
            Ok(options) => options,
            Err(error) => return (found, Err(error)),
        };
        let result = compute(op, &sources, &options);
        reply_elements(out, result.iter().map(|(m, s)| (&m[..], *s)), options.withscores);
        (found, REPLIED)
    });
    ctx.count_lookups(keys.iter().map(|k| &k[..]).zip(found));
    result
}

/// `ZUNION numkeys key [key …] [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`.
pub fn zunion(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_op(ctx, args, Op::Union, "zunion")
}

/// `ZINTER numkeys key [key …] [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`.
pub fn zinter(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_op(ctx, args, Op::Inter, "zinter")
}

/// `ZDIFF numkeys key [key …] [WITHSCORES]`.
pub fn zdiff(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_op(ctx, args, Op::Diff, "zdiff")
}

fn store_op(
    ctx: &mut Context<'_>,
    args: &mut Args<'_>,
    op: Op,
    command: &str,
    event: Event,
) -> CommandResult {
    let destination = args.next_bytes()?;
    let (sources, rest) = keys_after(args, command)?;
    let limits = limits(ctx);
    let keys = std::iter::once(&destination[..]).chain(sources.iter().map(|k| &k[..]));
    let mut found: Vec<bool> = Vec::with_capacity(sources.len());
    let stored = ctx.db().write_many(keys, ctx.now_ms, |view| {
        let mut held: Vec<Option<Entry>> = Vec::with_capacity(sources.len());
        for key in sources {
            let source = view
                .with_slot(key, |slot| match slot.get() {
                    None => Ok(None),
                    Some(entry) => Source::of(Some(entry)).map(|_| Some(entry.with_key(b""))),
                })
                .expect("a key of the view");
            found.push(matches!(source, Ok(Some(_)) | Err(_)));
            held.push(source?);
        }
        let options = parse_options(rest, sources.len(), op, true)?;
        let views: Vec<Source<'_>> = held.iter().map(|e| Source::of(e.as_ref()).expect("checked")).collect();
        let result = build(&compute(op, &views, &options), limits);
        let stored = view
            .with_slot(destination, |slot| {
                store_result(slot, destination, result, event, &as_slices(args.all()))
            })
            .expect("a key of the view");
        Ok::<_, CommandError>(stored)
    });
    ctx.count_lookups(sources.iter().map(|k| &k[..]).zip(found));
    ctx.out.integer(stored? as i64);
    REPLIED
}

/// `ZUNIONSTORE destination numkeys key [key …] [WEIGHTS w …] [AGGREGATE …]`.
pub fn zunionstore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    store_op(ctx, args, Op::Union, "zunionstore", events::ZUNIONSTORE)
}

/// `ZINTERSTORE destination numkeys key [key …] [WEIGHTS w …] [AGGREGATE …]`.
pub fn zinterstore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    store_op(ctx, args, Op::Inter, "zinterstore", events::ZINTERSTORE)
}

/// `ZDIFFSTORE destination numkeys key [key …]`.
pub fn zdiffstore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    store_op(ctx, args, Op::Diff, "zdiffstore", events::ZDIFFSTORE)
}

/// ```text
/// ZINTERCARD numkeys key [key …] [LIMIT limit]
/// ```
/// The size of the intersection, counting stopped at `limit` (0: no limit).
pub fn zintercard(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (keys, rest) = keys_after(args, "zintercard")?;
    // Read after the keys' types are checked, as Redis does.
    let parse_limit = || {
        let mut options = Args::new(rest, 0);
        let mut limit = 0usize;
        while !options.is_done() {
            if options.remaining() >= 2 && options.flag("LIMIT") {
                limit = args::int(options.next_bytes()?)
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| CommandError::err("LIMIT can't be negative"))?;
            } else {
                return Err(CommandError::Syntax);
            }
        }
        Ok(limit)
    };
    let db = ctx.db();
    let (found, count) = db.read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        let entries: Vec<_> = keys.iter().map(|key| view.get(key)).collect();
        let found: Vec<bool> = entries.iter().map(Option::is_some).collect();
        let mut sources = match entries.into_iter().map(Source::of).collect::<Result<Vec<_>, _>>() {
            Ok(sources) => sources,
            Err(wrong) => return (found, Err(wrong)),
        };
        let limit = match parse_limit() {
            Ok(limit) => limit,
            Err(error) => return (found, Err(error)),
        };
        sources.sort_by_key(|s| s.len());
        let (first, others) = sources.split_first().expect("at least one key");
        let mut count = 0usize;
        let mut members: Vec<Vec<u8>> = Vec::new();
        first.visit(|member, _| members.push(member.to_vec()));
        for member in members {
            if others.iter().all(|o| o.score(&member).is_some()) {
                count += 1;
                if limit != 0 && count >= limit {
                    break;
                }
            }
        }
        (found, Ok(count))
    });
    ctx.count_lookups(keys.iter().map(|k| &k[..]).zip(found));
    ctx.out.integer(count? as i64);
    REPLIED
}
