//! HyperLogLog commands: `PFADD`, `PFCOUNT`, `PFMERGE`, over values in Redis's own
//! format (see [`crate::types::hyperloglog`]).
//!
//! Logged effects, as Redis propagates them: `PFADD` and `PFMERGE` as given (the
//! hash is fixed, so replay rebuilds the same bytes), and a single-key `PFCOUNT`
//! that refreshed the cached cardinality as given too, so the stored bytes (which
//! `GET` shows) are the same after a restart.

use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{events, Entry, Event, EventClass};
use crate::types::hyperloglog::{self as hll, Corrupt, NotHll, REGISTERS};

/// `PFADD` changed a register; `PFMERGE` reports the same event, as in Redis.
pub const PFADD: Event = Event { name: "pfadd", class: EventClass::String };

impl From<NotHll> for CommandError {
    fn from(_: NotHll) -> Self {
        CommandError::Other("WRONGTYPE Key is not a valid HyperLogLog string value.".into())
    }
}

impl From<Corrupt> for CommandError {
    fn from(_: Corrupt) -> Self {
        CommandError::Other("INVALIDOBJ Corrupted HLL object detected".into())
    }
}

/// The string value of an entry checked to be a HyperLogLog.
fn hll_value(entry: &Entry) -> Result<&[u8], CommandError> {
    let value = entry.string()?;
    hll::check(value)?;
    Ok(value)
}

/// Stores `value` over the slot's string, raw (Redis's HLLs are raw strings).
fn store(slot: &mut crate::engine::Slot<'_>, value: &[u8]) {
    match slot.get_mut() {
        Some(entry) => {
            entry.set_value(value);
            entry.mark_raw();
        }
        None => {
            let mut entry = Entry::new(slot.key(), value, None);
            entry.mark_raw();
            slot.put(entry);
        }
    }
}

/// `PFADD key [element …]`: 1 if a register changed (or the key was created),
/// else 0.
pub(super) fn pfadd(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let elements = args.rest();
    let sparse_max = ctx.state.config.load().hll_sparse_max_bytes;
    let effect = super::super::args::as_slices(args.all());
    let updated = ctx.db().write(key, ctx.now_ms, |slot| {
        let (mut value, mut updated) = match slot.get() {
            None => (hll::new_sparse(), true),
            Some(entry) => (hll_value(entry)?.to_vec(), false),
        };
        for element in elements {
            match hll::add(&mut value, element, sparse_max) {
                Ok(changed) => updated |= changed,
                Err(corrupt) => {
                    // Redis edits in place and stops at the corrupt register: what
                    // the elements before it changed stays. It propagates nothing;
                    // we log the bytes, so replay still gives this value.
                    if updated {
                        store(slot, &value);
                        slot.record(events::TOUCHED, &[b"SET", key, &value, b"KEEPTTL"]);
                    }
                    return Err(corrupt.into());
                }
            }
        }
        if updated {
            hll::invalidate(&mut value);
            store(slot, &value);
            slot.record(PFADD, &effect);
        }
        Ok::<_, CommandError>(updated)
    })?;
    ctx.out.integer(updated as i64);
    REPLIED
}

/// `PFCOUNT key [key …]`: the estimated cardinality of one HyperLogLog (cached in
/// the value), or of the union of several (missing keys count as empty).
pub(super) fn pfcount(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let keys = args.rest();
    if keys.len() > 1 {
        let card = ctx.db().read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
            let mut max = Box::new([0u8; REGISTERS]);
            for key in keys {
                if let Some(entry) = view.get(key) {
                    hll::merge_into(&mut max, hll_value(entry)?)?;
                }
            }
            Ok::<_, CommandError>(hll::count_registers(&max))
        })?;
        ctx.out.integer(card as i64);
        return REPLIED;
    }
    let key = &keys[0];
    let effect = super::super::args::as_slices(args.all());
    let card = ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(entry) = slot.get() else { return Ok(0) };
        let value = hll_value(entry)?;
        if let Some(card) = hll::cached(value) {
            return Ok(card);
        }
        let card = hll::count(value)?;
        let mut value = value.to_vec();
        hll::set_cache(&mut value, card);
        store(slot, &value);
        // No keyspace event (Redis sends none), but WATCH and the AOF see it.
        slot.record(events::TOUCHED, &effect);
        Ok::<_, CommandError>(card)
    })?;
    ctx.out.integer(card as i64);
    REPLIED
}

/// `PFMERGE destkey [sourcekey …]`: the union of the sources and the destination
/// stored in the destination (dense if any input is).
pub(super) fn pfmerge(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let keys = args.rest();
    let dest = &args.all()[1];
    let sparse_max = ctx.state.config.load().hll_sparse_max_bytes;
    let effect = super::super::args::as_slices(args.all());
    ctx.db().write_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        let mut max = Box::new([0u8; REGISTERS]);
        let mut dense = false;
        for key in keys {
            let merged = view.with_slot(key, |slot| {
                let Some(entry) = slot.get() else { return Ok(()) };
                let value = hll_value(entry)?;
                dense |= hll::encoding(value) == hll::Encoding::Dense;
                hll::merge_into(&mut max, value).map_err(CommandError::from)
            });
            merged.expect("a key of the view")?;
        }
        view.with_slot(dest, |slot| {
            let mut value = match slot.get() {
                Some(entry) => entry.string()?.to_vec(),
                None => hll::new_sparse(),
            };
            if dense {
                hll::to_dense(&mut value)?;
            }
            for (index, &count) in max.iter().enumerate() {
                if count > 0 {
                    // A corrupt destination was refused by the merge above.
                    let _ = hll::set_register(&mut value, index, count, sparse_max);
                }
            }
            hll::invalidate(&mut value);
            store(slot, &value);
            slot.record(PFADD, &effect);
            Ok::<_, CommandError>(())
        })
        .expect("a key of the view")
    })?;
    ctx.out.ok();
    REPLIED
}
