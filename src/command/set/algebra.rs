//! The multi-key set commands: `SINTER`, `SINTERCARD`, `SUNION`, `SDIFF`, their
//! `…STORE` forms, and `SMOVE`. Each locks the shards of all its keys at once, so
//! no reader sees half of a store or a move (invariant 4).
//!
//! The work is bounded by the data, never quadratic in it: an intersection walks
//! the smallest set and probes the others; a difference picks between Redis's two
//! algorithms (probe the others for each member of the first, or copy the first and
//! remove the others' members) by their estimated cost.

use std::sync::Arc;

use bytes::Bytes;

use super::{events, limits, set_of, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::{self, as_slices};
use crate::command::Args;
use crate::engine::{events as generic, Entry, Event, KeyEvent};
use crate::types::set::{Limits, Member, Set};

/// Visits the members of the intersection of `sets` (a missing key is an empty
/// set) until `visit` says stop, walking the smallest and probing the others.
fn intersect<'a>(sets: &[Option<&'a Set>], mut visit: impl FnMut(Member<'a>) -> bool) {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else { return };
    sets.sort_by_key(|set| set.len());
    let Some((&smallest, others)) = sets.split_first() else { return };
    for member in smallest.iter() {
        if others.iter().all(|&other| std::ptr::eq(other, smallest) || other.contains(&member))
            && !visit(member)
        {
            return;
        }
    }
}

/// The union of `sets`, built as Redis builds it (members added one by one, so
/// the result takes the encoding they need).
fn union(sets: &[Option<&Set>], limits: Limits) -> Set {
    let mut result = Set::new();
    for set in sets.iter().flatten() {
        for member in set.iter() {
            result.add(&member, limits);
        }
    }
    result
}

/// The members of the first of `sets` in none of the others, by the cheaper of
/// Redis's two algorithms (`sunionDiffGenericCommand`).
fn difference(sets: &[Option<&Set>], limits: Limits) -> Set {
    let mut result = Set::new();
    let Some((Some(first), rest)) = sets.split_first() else { return result };
    let mut others: Vec<&Set> = rest.iter().flatten().copied().collect();
    if others.iter().any(|&other| std::ptr::eq(other, *first)) {
        return result;
    }
    // Algorithm 1 costs about |first| probes per set, halved (a member usually
    // fails early); algorithm 2 one operation per member of every set.
    let probing = first.len().saturating_mul(others.len() + 1) / 2;
    let copying = first.len() + others.iter().map(|set| set.len()).sum::<usize>();
    if probing <= copying {
        // Bigger sets first: a member is most likely found, and dropped, there.
        others.sort_by_key(|set| std::cmp::Reverse(set.len()));
        for member in first.iter() {
            if !others.iter().any(|other| other.contains(&member)) {
                result.add(&member, limits);
            }
        }
    } else {
        for member in first.iter() {
            result.add(&member, limits);
        }
        for other in others {
            for member in other.iter() {
                result.remove(&member);
            }
            if result.is_empty() {
                break;
            }
        }
    }
    result
}

/// The operation of a set-algebra command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// `SINTER`, `SUNION`, `SDIFF`: the result as a RESP3 set, read consistently.
fn read_op(ctx: &mut Context<'_>, keys: &[Bytes], op: Op) -> CommandResult {
    let limits = limits(ctx);
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (found, result) = db.read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        let entries: Vec<_> = keys.iter().map(|key| view.get(key)).collect();
        let found: Vec<bool> = entries.iter().map(Option::is_some).collect();
        let sets = match entries.into_iter().map(set_of).collect::<Result<Vec<_>, _>>() {
            Ok(sets) => sets,
            Err(wrong) => return (found, Err(wrong)),
        };
        match op {
            Op::Inter => {
                let mut found: Vec<Member<'_>> = Vec::new();
                intersect(&sets, |member| {
                    found.push(member);
                    true
                });
                out.set(found.len());
                found.iter().for_each(|member| out.bulk(member));
            }
            Op::Union | Op::Diff => {
                let result = if op == Op::Union { union(&sets, limits) } else { difference(&sets, limits) };
                out.set(result.len());
                result.iter().for_each(|member| out.bulk(&member));
            }
        }
        (found, REPLIED)
    });
    ctx.count_lookups(keys.iter().map(|k| &k[..]).zip(found));
    result
}

/// `SINTER key [key …]`: the members in every set.
pub fn sinter(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_op(ctx, args.rest(), Op::Inter)
}

/// `SUNION key [key …]`: the members in any set.
pub fn sunion(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_op(ctx, args.rest(), Op::Union)
}

/// `SDIFF key [key …]`: the members of the first set in none of the others.
pub fn sdiff(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_op(ctx, args.rest(), Op::Diff)
}

/// ```text
/// SINTERCARD numkeys key [key …] [LIMIT limit]
/// ```
/// The size of the intersection, counting stopped at `limit` (0: no limit).
pub fn sintercard(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let numkeys = args::int(args.next_bytes()?)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| CommandError::err("numkeys should be greater than 0"))?;
    if numkeys as u64 > args.remaining() as u64 {
        return Err(CommandError::err("Number of keys can't be greater than number of args"));
    }
    let keys = &args.rest()[..numkeys as usize];
    let mut options = Args::new(&args.rest()[numkeys as usize..], 0);
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
    let db = ctx.db();
    let (found, count) = db.read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        let entries: Vec<_> = keys.iter().map(|key| view.get(key)).collect();
        let found: Vec<bool> = entries.iter().map(Option::is_some).collect();
        let sets = match entries.into_iter().map(set_of).collect::<Result<Vec<_>, _>>() {
            Ok(sets) => sets,
            Err(wrong) => return (found, Err(wrong)),
        };
        let mut count = 0usize;
        intersect(&sets, |_| {
            count += 1;
            limit == 0 || count < limit
        });
        (found, Ok(count))
    });
    ctx.count_lookups(keys.iter().map(|k| &k[..]).zip(found));
    let count = count?;
    ctx.out.integer(count as i64);
    REPLIED
}

/// `SINTERSTORE`, `SUNIONSTORE`, `SDIFFSTORE destination key [key …]`: stores the
/// result (replacing whatever the destination held, its TTL too) and replies its
/// size; an empty result deletes the destination (logged as `DEL`, notified
/// `del`). A stored result is logged as the command given: with every key locked,
/// its replay computes the same result.
fn store_op(ctx: &mut Context<'_>, args: &mut Args<'_>, op: Op, event: Event) -> CommandResult {
    let destination = args.next_bytes()?;
    let sources = args.rest();
    let limits = limits(ctx);
    let keys = std::iter::once(&destination[..]).chain(sources.iter().map(|k| &k[..]));
    // The sources are looked up as reads (Redis counts them as hits and misses).
    let mut found: Vec<bool> = Vec::with_capacity(sources.len());
    let stored = ctx.db().write_many(keys, ctx.now_ms, |view| {
        // Each source is held through a second handle on its shared value (an
        // entry of its own, no copy), since a slot lends its key only while open.
        let mut held: Vec<Option<Entry>> = Vec::with_capacity(sources.len());
        for key in sources {
            let source = view.with_slot(key, |slot| match slot.get() {
                None => Ok(None),
                Some(entry) => entry.get_as::<Set>().map(|_| Some(entry.with_key(b""))),
            });
            let source = source.expect("a key of the view");
            found.push(matches!(source, Ok(Some(_)) | Err(_)));
            held.push(source?);
        }
        let sets: Vec<Option<&Set>> =
            held.iter().map(|e| e.as_ref().and_then(|e| e.get_as::<Set>().ok())).collect();
        let result = match op {
            Op::Inter => {
                let mut result = Set::new();
                intersect(&sets, |member| {
                    result.add(&member, limits);
                    true
                });
                result
            }
            Op::Union => union(&sets, limits),
            Op::Diff => difference(&sets, limits),
        };
        let len = result.len();
        view.with_slot(destination, |slot| {
            if len == 0 {
                if slot.remove().is_some() {
                    slot.record(generic::DEL, &[b"DEL", destination]);
                }
            } else {
                slot.put(Entry::new_collection(destination, Arc::new(result), None));
                slot.record(event, &as_slices(args.all()));
            }
        });
        Ok::<_, CommandError>(len)
    });
    ctx.count_lookups(sources.iter().map(|k| &k[..]).zip(found));
    ctx.out.integer(stored? as i64);
    REPLIED
}

/// `SINTERSTORE destination key [key …]`.
pub fn sinterstore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    store_op(ctx, args, Op::Inter, events::SINTERSTORE)
}

/// `SUNIONSTORE destination key [key …]`.
pub fn sunionstore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    store_op(ctx, args, Op::Union, events::SUNIONSTORE)
}

/// `SDIFFSTORE destination key [key …]`.
pub fn sdiffstore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    store_op(ctx, args, Op::Diff, events::SDIFFSTORE)
}

/// ```text
/// SMOVE source destination member
/// ```
/// 1 if `member` moved (or was there already when both keys are one), else 0. As
/// in Redis: a missing source answers 0 before the destination's type is looked
/// at. One record, logged as given: `srem` on the source (then `del` if it
/// emptied), `new` and `sadd` on the destination as they apply.
pub fn smove(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (source, destination, member) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let limits = limits(ctx);
    let keys = [&source[..], &destination[..]];
    let moved = ctx.db().write_many(keys.into_iter(), ctx.now_ms, |view| {
        let has = view.with_slot(source, |slot| slot.get_as::<Set>().map(|s| s.map(|s| s.contains(member))));
        let Some(has) = has.expect("a key of the view")? else { return Ok(false) };
        let target = view.with_slot(destination, |slot| slot.get_as::<Set>().map(|_| ()));
        target.expect("a key of the view")?;
        if source == destination || !has {
            return Ok(has);
        }
        let emptied = view
            .with_slot(source, |slot| {
                let set = slot.get_mut_as::<Set>()?.expect("a set just read");
                set.remove(member);
                let emptied = set.is_empty();
                if emptied {
                    // Removed here rather than when the slot closes, so its `del`
                    // comes after the `srem` in the one record below.
                    slot.remove();
                }
                Ok::<_, CommandError>(emptied)
            })
            .expect("a key of the view")?;
        let (created, added) = view
            .with_slot(destination, |slot| {
                let added = slot.get_or_create::<Set>()?.add_all(&[member], limits) == 1;
                Ok::<_, CommandError>((slot.take_new(), added))
            })
            .expect("a key of the view")?;
        let db = view.db();
        let mut happened = vec![KeyEvent { db, key: source, event: events::SREM }];
        if emptied {
            happened.push(KeyEvent { db, key: source, event: generic::DEL });
        }
        if created {
            happened.push(KeyEvent { db, key: destination, event: generic::NEW });
        }
        if added {
            happened.push(KeyEvent { db, key: destination, event: events::SADD });
        }
        view.record_events(&as_slices(args.all()), &happened);
        Ok::<_, CommandError>(true)
    })?;
    ctx.out.integer(moved as i64);
    REPLIED
}
