//! `HRANDFIELD key [count [WITHVALUES]]`, following Redis's cases: no count, one
//! random field; a negative count, that many picks with repetition; a positive
//! count, distinct fields (the whole hash when it asks for as many or more).
//!
//! Nothing is allocated from the client's count: distinct picks are bounded by the
//! hash's size, and repeated picks are written straight into the reply, which stops
//! (and closes the connection, as Redis's `CLIENT_CLOSE_ASAP` does) once it passes
//! the output-buffer hard limit or [`crate::command::REPLY_CEILING`].

use std::collections::HashSet;

use super::super::{args, Args, CommandError, CommandResult, Context, Outcome, REPLIED};
use super::hash_of;
use crate::engine::access::random_u64;
use crate::protocol::{Protocol, ReplyWriter};
use crate::types::hash::{Hash, Sampler};

/// How much bigger than the count a hash must be for distinct picks to be drawn at
/// random rather than by shuffling every index (Redis's
/// `HRANDFIELD_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: u64 = 3;

/// A random index below `len` (> 0).
fn random_below(len: usize) -> usize {
    (random_u64() % len as u64) as usize
}

/// Writes one picked pair: the field, and with `WITHVALUES` its value (RESP3: the
/// two as an array of their own).
fn write_pick(out: &mut ReplyWriter, (field, value): (&[u8], &[u8]), with_values: bool) {
    if with_values && out.protocol() == Protocol::Resp3 {
        out.array(2);
    }
    out.bulk(field);
    if with_values {
        out.bulk(value);
    }
}

/// The reply's array header for `picks` picks (RESP2 flattens the pairs).
fn write_header(out: &mut ReplyWriter, picks: usize, with_values: bool) {
    if with_values && out.protocol() == Protocol::Resp2 {
        out.array(picks * 2);
    } else {
        out.array(picks);
    }
}

/// See the module documentation.
pub(super) fn hrandfield(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let Some(count_arg) = args.next_bytes().ok() else {
        let db = ctx.db();
        let out = &mut *ctx.out;
        let hit = db.read(key, ctx.now_ms, |entry| {
            let hash = hash_of(entry)?;
            match hash {
                Some(hash) => out.bulk(hash.sampler().at(random_below(hash.len())).0),
                None => out.null(),
            }
            Ok::<_, CommandError>(hash.is_some())
        })?;
        ctx.count_lookup(key, hit);
        return REPLIED;
    };
    let count = args::int(count_arg)?;
    if count == i64::MIN {
        return Err(CommandError::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let with_values = match args.remaining() {
        0 => false,
        1 if args.flag("WITHVALUES") => true,
        _ => return Err(CommandError::Syntax),
    };
    if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CommandError::err("value is out of range"));
    }
    let ceiling = crate::command::reply_ceiling(ctx);
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (hit, complete) = db.read(key, ctx.now_ms, |entry| {
        let Some(hash) = hash_of(entry)? else {
            out.array(0);
            return Ok::<_, CommandError>((false, true));
        };
        let complete = if count < 0 {
            repeated(out, &hash.sampler(), count.unsigned_abs(), with_values, ceiling)
        } else {
            distinct(out, hash, count as u64, with_values);
            true
        };
        Ok((true, complete))
    })?;
    ctx.count_lookup(key, hit);
    if complete {
        REPLIED
    } else {
        log::warn!("closing client {}: HRANDFIELD reply over {ceiling} bytes", ctx.session.client.id);
        Ok(Outcome::Close)
    }
}

/// `count` picks with repetition, in random order; false when the reply stopped
/// at `ceiling` bytes before the end.
fn repeated(
    out: &mut ReplyWriter,
    sampler: &Sampler<'_>,
    count: u64,
    with_values: bool,
    ceiling: usize,
) -> bool {
    write_header(out, count as usize, with_values);
    for _ in 0..count {
        write_pick(out, sampler.at(random_below(sampler.len())), with_values);
        if out.len() > ceiling {
            return false;
        }
    }
    true
}

/// `count` distinct picks (all of them when the hash holds no more).
fn distinct(out: &mut ReplyWriter, hash: &Hash, count: u64, with_values: bool) {
    let size = hash.len() as u64;
    if count == 0 {
        out.array(0);
        return;
    }
    if count == 1 {
        write_header(out, 1, with_values);
        write_pick(out, hash.sampler().at(random_below(hash.len())), with_values);
        return;
    }
    if count >= size {
        write_header(out, hash.len(), with_values);
        for pair in hash.pairs() {
            write_pick(out, pair, with_values);
        }
        return;
    }
    // From here on count < size: every allocation is bounded by the hash.
    let count = count as usize;
    let sampler = hash.sampler();
    write_header(out, count, with_values);
    if count as u64 * SUB_STRATEGY_MUL > size {
        // Most of the hash: shuffle the first `count` of all indexes into place.
        let mut indexes: Vec<u32> = (0..hash.len() as u32).collect();
        for i in 0..count {
            let j = i + random_below(indexes.len() - i);
            indexes.swap(i, j);
            write_pick(out, sampler.at(indexes[i] as usize), with_values);
        }
    } else {
        // A small part of a big hash: draw until `count` distinct ones came up.
        let mut seen = HashSet::with_capacity(count);
        while seen.len() < count {
            let index = random_below(sampler.len());
            if seen.insert(index) {
                write_pick(out, sampler.at(index), with_values);
            }
        }
    }
}
