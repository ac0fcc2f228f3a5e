//! The list edits away from the ends: `LSET`, `LINSERT`, `LREM`, `LTRIM`, with
//! Redis 7.0's order of checks (arguments, then the key) and events.

use super::read::{clip, position};
use super::{events, limits, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::{as_slices, int};
use crate::command::Args;
use crate::types::list::List;

/// ```text
/// LSET key index element
/// ```
/// Replaces the element at `index`: `ERR no such key` for a missing key, `ERR index
/// out of range` past either end.
pub fn lset(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, index, element) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let limits = limits(ctx);
    ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(list) = slot.get_mut_as::<List>()? else { return Err(CommandError::err("no such key")) };
        let index = int(index)?;
        let at = position(index, list.len()).ok_or_else(|| CommandError::err("index out of range"))?;
        list.set(at, element, limits);
        slot.record(events::LSET, &as_slices(args.all()));
        Ok(())
    })?;
    ctx.out.ok();
    REPLIED
}

/// ```text
/// LINSERT key BEFORE|AFTER pivot element
/// ```
/// The new length, 0 for a missing key, -1 when the pivot is not found.
pub fn linsert(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let after = match args.one_of(&["BEFORE", "AFTER"]) {
        Some(which) => which == 1,
        None => return Err(CommandError::Syntax),
    };
    let (pivot, element) = (args.next_bytes()?, args.next_bytes()?);
    let limits = limits(ctx);
    let reply = ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(list) = slot.get_as::<List>()? else { return Ok(0) };
        let Some(at) = list.iter().position(|item| item == &pivot[..]) else { return Ok(-1) };
        let list = slot.get_mut_as::<List>()?.expect("a list just read");
        list.insert(at + after as usize, element, limits);
        let len = list.len() as i64;
        slot.record(events::LINSERT, &as_slices(args.all()));
        Ok::<_, CommandError>(len)
    })?;
    ctx.out.integer(reply);
    REPLIED
}

/// ```text
/// LREM key count element
/// ```
/// Removes the first `count` elements equal to `element` (from the tail for a
/// negative count, all for 0); how many went. One pass over the list.
pub fn lrem(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let count = args.next_i64()?;
    let element = args.next_bytes()?;
    let limits = limits(ctx);
    let removed = ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(list) = slot.get_as::<List>()? else { return Ok(0) };
        if !list.iter().any(|item| item == &element[..]) {
            return Ok(0);
        }
        let list = slot.get_mut_as::<List>()?.expect("a list just read");
        let limit = (count != 0).then(|| usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX));
        let removed = list.remove_matching(element, limit, count < 0, limits);
        slot.record(events::LREM, &as_slices(args.all()));
        Ok::<_, CommandError>(removed)
    })?;
    ctx.out.integer(removed as i64);
    REPLIED
}

/// ```text
/// LTRIM key start stop
/// ```
/// Keeps only `start ..= stop` (negative from the end); an empty range deletes the
/// key. `OK` even for a missing key. Notified as `ltrim` even when nothing went, as
/// Redis does (and then not logged).
pub fn ltrim(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let (start, stop) = (args.next_i64()?, args.next_i64()?);
    let limits = limits(ctx);
    ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(list) = slot.get_as::<List>()? else { return Ok(()) };
        let len = list.len();
        let keep = clip(start, stop, len);
        if keep == Some((0, len)) {
            slot.notify(events::LTRIM);
            return Ok(());
        }
        let list = slot.get_mut_as::<List>()?.expect("a list just read");
        match keep {
            Some((first, count)) => list.trim(first, first + count - 1, limits),
            None => list.clear(),
        }
        // An emptied list is deleted when the slot closes, notified as `del`.
        slot.record(events::LTRIM, &as_slices(args.all()));
        Ok::<_, CommandError>(())
    })?;
    ctx.out.ok();
    REPLIED
}
