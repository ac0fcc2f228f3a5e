//! The random commands: `SPOP` and `SRANDMEMBER`, with and without a count. Picks
//! come from [`random_u64`]; a table picks a uniform position in O(1). Replies are
//! bounded by the set, never by the count the client gave (CVE-2023-25155's
//! `SRANDMEMBER key -9223372036854775808` is refused as Redis refuses it); picks
//! with repetition are written straight into the reply, which stops at the
//! output-buffer limit ([`crate::command::reply_ceiling`]) and closes the
//! connection, as `HRANDFIELD` does.

use std::collections::HashSet;

use super::{events, read_set, CommandError, CommandResult, Context, REPLIED};
use crate::command::args;
use crate::command::Args;
use crate::command::Outcome;
use crate::engine::access::random_u64;
use crate::engine::events as generic;
use crate::types::blob::Blob;
use crate::types::set::{Member, Set};

/// `SPOP`'s count: `ERR value is out of range, must be positive` for anything
/// but a non-negative integer, as Redis 7.0 says (even for text).
fn positive_count(arg: &[u8]) -> Result<usize, CommandError> {
    args::int(arg)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| CommandError::err("value is out of range, must be positive"))
}

/// ```text
/// SPOP key [count]
/// ```
/// Removes and returns a random member (null for a missing key), or up to `count`
/// of them (a RESP3 set). Logged as the `SREM` of what it removed, or as `DEL` when
/// the count takes the whole set, as Redis propagates it.
pub fn spop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        1 => Some(positive_count(args.next_bytes()?)?),
        _ => return Err(CommandError::Syntax),
    };
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.write(key, ctx.now_ms, |slot| {
        let Some(set) = slot.get_as::<Set>()? else {
            match count {
                None => out.null(),
                Some(_) => out.set(0),
            }
            return REPLIED;
        };
        let count = match count {
            None => {
                let set = slot.get_mut_as::<Set>()?.expect("a set just read");
                let member = set.pop_random(random_u64());
                out.bulk(&member);
                slot.record(events::SPOP, &[b"SREM", key, &member]);
                return REPLIED;
            }
            Some(0) => {
                out.set(0);
                return REPLIED;
            }
            Some(count) => count,
        };
        if count >= set.len() {
            out.set(set.len());
            for member in set.iter() {
                out.bulk(&member);
            }
            slot.remove();
            slot.record(events::SPOP, &[b"DEL", key]);
            slot.notify(generic::DEL);
            return REPLIED;
        }
        let set = slot.get_mut_as::<Set>()?.expect("a set just read");
        let popped: Vec<Blob> = (0..count).map(|_| set.pop_random(random_u64())).collect();
        out.set(popped.len());
        let mut effect: Vec<&[u8]> = Vec::with_capacity(popped.len() + 2);
        effect.extend([&b"SREM"[..], key]);
        for member in &popped {
            out.bulk(member);
            effect.push(member);
        }
        slot.record(events::SPOP, &effect);
        REPLIED
    })
}

/// ```text
/// SRANDMEMBER key [count]
/// ```
/// A random member (null for a missing key); with a count, an array of up to
/// `count` distinct members, or for a negative count exactly `-count` picks that
/// may repeat.
pub fn srandmember(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let ceiling = crate::command::reply_ceiling(ctx);
    let count =
        match args.remaining() {
            0 => None,
            1 => match args.next_i64()? {
                i64::MIN => return Err(CommandError::err(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )),
                n => Some(n),
            },
            _ => return Err(CommandError::Syntax),
        };
    read_set(ctx, key, |out, set| {
        let (set, count) = match (set, count) {
            (None, None) => {
                out.null();
                return REPLIED;
            }
            (Some(set), None) => {
                out.bulk(&set.random(random_u64()));
                return REPLIED;
            }
            (None, Some(_)) | (_, Some(0)) => {
                out.array(0);
                return REPLIED;
            }
            (Some(set), Some(count)) => (set, count),
        };
        if count < 0 {
            let picks = count.unsigned_abs();
            out.array(usize::try_from(picks).unwrap_or(usize::MAX));
            // Positions in a listpack are found by walking it: spell it out once.
            let listed: Vec<Member<'_>> =
                if set.encoding_name() == "listpack" { set.iter().collect() } else { Vec::new() };
            for _ in 0..picks {
                if listed.is_empty() {
                    out.bulk(&set.random(random_u64()));
                } else {
                    out.bulk(&listed[(random_u64() % listed.len() as u64) as usize]);
                }
                if out.len() > ceiling {
                    log::warn!("closing a client: SRANDMEMBER reply over {ceiling} bytes");
                    return Ok(Outcome::Close);
                }
            }
            return REPLIED;
        }
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let len = set.len();
        if count >= len {
            out.array(len);
            for member in set.iter() {
                out.bulk(&member);
            }
        } else if set.encoding_name() == "hashtable" && count.saturating_mul(3) <= len {
            // Few of many: distinct random positions (Redis's CASE 4).
            let mut picked: HashSet<usize> = HashSet::with_capacity(count);
            while picked.len() < count {
                picked.insert((random_u64() % len as u64) as usize);
            }
            out.array(count);
            for position in picked {
                out.bulk(&set.at(position));
            }
        } else {
            // Most of them (or a compact set): all, less random ones (Redis's CASE 3).
            let mut all: Vec<Member<'_>> = set.iter().collect();
            while all.len() > count {
                all.swap_remove((random_u64() % all.len() as u64) as usize);
            }
            out.array(count);
            for member in &all {
                out.bulk(member);
            }
        }
        REPLIED
    })
}
