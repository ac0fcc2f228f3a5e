//! `LMOVE` and `RPOPLPUSH`: an element popped from one list and pushed onto another
//! (or the same one: a rotation), atomically over both keys (invariant 4), with the
//! events in Redis 7.0's order: the destination's `new` and push, then the
//! source's pop and `del`.

use super::{events, limits, CommandError, CommandResult, Context, End, REPLIED};
use crate::command::Args;
use crate::engine::{events as generic, KeyEvent};
use crate::types::list::List;

/// How a move is logged.
pub(crate) enum MoveLog {
    /// `LMOVE src dst LEFT|RIGHT LEFT|RIGHT` (`LMOVE`, a served `BLMOVE`).
    Lmove,
    /// `RPOPLPUSH src dst` (`RPOPLPUSH`, a served `BRPOPLPUSH`).
    Rpoplpush,
}

/// LMOVE's work, atomic over both keys (one write_many over both): Ok(None) when the
/// source is missing; WRONGTYPE when the source or (source present) the destination is
/// not a list, checked before anything changes, as Redis checks; pops from `from`, pushes
/// at `to` (same key allowed: rotation), events as Redis notifies them, logs
/// `LMOVE src dst LEFT|RIGHT LEFT|RIGHT` or `RPOPLPUSH src dst` per `log`.
pub(crate) fn lmove(
    ctx: &mut Context<'_>,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
    log: MoveLog,
) -> Result<Option<Vec<u8>>, CommandError> {
    let limits = limits(ctx);
    let effect: Vec<&[u8]> = match log {
        MoveLog::Lmove => vec![b"LMOVE", source, destination, from.name().as_bytes(), to.name().as_bytes()],
        MoveLog::Rpoplpush => vec![b"RPOPLPUSH", source, destination],
    };
    let keys = [source, destination];
    ctx.db().write_many(keys.into_iter(), ctx.now_ms, |view| {
        let present = view.with_slot(source, |slot| slot.get_as::<List>().map(|l| l.is_some()));
        if !present.expect("a key of the view")? {
            return Ok(None);
        }
        let db = view.db();
        if source == destination {
            let value = view
                .with_slot(source, |slot| {
                    let list = slot.get_mut_as::<List>()?.expect("a list just read");
                    let value = list.pop(from, limits).expect("a list is never empty");
                    list.push(to, &[&value], limits);
                    Ok::<_, CommandError>(value)
                })
                .expect("a key of the view")?;
            let happened = [
                KeyEvent { db, key: destination, event: events::push(to) },
                KeyEvent { db, key: source, event: events::pop(from) },
            ];
            view.record_events(&effect, &happened);
            return Ok(Some(value));
        }
        let target = view.with_slot(destination, |slot| slot.get_as::<List>().map(|_| ()));
        target.expect("a key of the view")?;
        let (value, emptied) = view
            .with_slot(source, |slot| {
                let list = slot.get_mut_as::<List>()?.expect("a list just read");
                let value = list.pop(from, limits).expect("a list is never empty");
                let emptied = list.is_empty();
                if emptied {
                    // Removed here rather than when the slot closes, so its `del`
                    // comes last in the one record below.
                    slot.remove();
                }
                Ok::<_, CommandError>((value, emptied))
            })
            .expect("a key of the view")?;
        let created = view
            .with_slot(destination, |slot| {
                slot.get_or_create::<List>()?.push(to, &[&value], limits);
                Ok::<_, CommandError>(slot.take_new())
            })
            .expect("a key of the view")?;
        let mut happened = Vec::with_capacity(4);
        if created {
            happened.push(KeyEvent { db, key: destination, event: generic::NEW });
        }
        happened.push(KeyEvent { db, key: destination, event: events::push(to) });
        happened.push(KeyEvent { db, key: source, event: events::pop(from) });
        if emptied {
            happened.push(KeyEvent { db, key: source, event: generic::DEL });
        }
        view.record_events(&effect, &happened);
        Ok(Some(value))
    })
}

/// Replies the moved element, or null.
fn reply(ctx: &mut Context<'_>, moved: Option<Vec<u8>>) -> CommandResult {
    match moved {
        Some(value) => ctx.out.bulk(&value),
        None => ctx.out.null(),
    }
    REPLIED
}

/// ```text
/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
/// ```
/// The element moved, or null when the source is missing.
pub fn lmove_command(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (source, destination) = (args.next_bytes()?, args.next_bytes()?);
    let from = End::parse(args.next_bytes()?).ok_or(CommandError::Syntax)?;
    let to = End::parse(args.next_bytes()?).ok_or(CommandError::Syntax)?;
    let moved = super::lmove(ctx, source, destination, from, to, super::MoveLog::Lmove)?;
    reply(ctx, moved)
}

/// ```text
/// RPOPLPUSH source destination
/// ```
/// `LMOVE source destination RIGHT LEFT`, logged as itself.
pub fn rpoplpush(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (source, destination) = (args.next_bytes()?, args.next_bytes()?);
    let moved = super::lmove(ctx, source, destination, End::Right, End::Left, super::MoveLog::Rpoplpush)?;
    reply(ctx, moved)
}
