//! The blocking list commands: `BLPOP`, `BRPOP`, `BLMPOP`, `BLMOVE`, `BRPOPLPUSH`.
//!
//! Each first does what its non-blocking form does, through the same functions
//! (`pop`, `lmove`), so the two cannot drift apart. Finding every key missing, it
//! waits through the blocking room ([`crate::command::blocking`]): inside `EXEC`
//! the wait is its timeout at once (a null array), as Redis answers a client that
//! may not block. When a key it waits on is ready, [`serve`] runs in the context
//! of the waiting client, in the thread of the write that made it ready, and logs
//! what Redis 7.0 propagates for a served client: `LPOP key` (`BLPOP`), `LPOP key n`
//! (`BLMPOP`), `LMOVE …` (`BLMOVE`), `RPOPLPUSH …` (`BRPOPLPUSH`). A key that now
//! holds another type leaves the client waiting, as in 7.0; a `BLMOVE` whose
//! destination holds another type is answered `WRONGTYPE`, with nothing moved.

use std::any::Any;

use super::{lmove, parse_multi_pop, pop, reply_key_and_elements, End, MoveLog, MultiPop};
use crate::command::blocking::{parse_timeout, Attempt, BlockOn, Pending};
use crate::command::flags::*;
use crate::command::{
    Args, BeginSearch, Block, CommandError, CommandResult, CommandSpec, Context, FindKeys, KeySpec, Outcome,
    TimeoutReply, REPLIED,
};
use crate::engine::Kind;

const LIST: &[&str] = &["list"];
/// `BLPOP key [key …] timeout`: every argument but the last.
const KEYS_BEFORE_TIMEOUT: &[KeySpec] = &[KeySpec {
    flags: &["RW", "access", "delete"],
    notes: None,
    begin: BeginSearch::Index(1),
    find: FindKeys::Range { last: -2, step: 1, limit: 0 },
}];
const MOVE: &[KeySpec] = &[KeySpec::one(1, &["RW", "access", "delete"]), KeySpec::one(2, &["RW", "insert"])];
/// `BLMPOP timeout numkeys key [key …]`: the count at argument 2, the keys after.
const NUMKEYS: &[KeySpec] = &[KeySpec {
    flags: &["RW", "access", "delete"],
    notes: None,
    begin: BeginSearch::Index(2),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

/// The blocking list commands.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, blpop)
        .keys(KEYS_BEFORE_TIMEOUT)
        .categories(LIST),
    CommandSpec::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, brpop)
        .keys(KEYS_BEFORE_TIMEOUT)
        .categories(LIST),
    CommandSpec::new("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, blmove).keys(MOVE).categories(LIST),
    CommandSpec::new("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, brpoplpush)
        .keys(MOVE)
        .categories(LIST),
    CommandSpec::new("blmpop", -5, WRITE | BLOCKING, blmpop).keys(NUMKEYS).categories(LIST),
];

/// What a waiting list client does when served.
#[derive(Debug)]
enum ListWait {
    /// `BLPOP`/`BRPOP` (`count` None: reply `[key, element]`) or `BLMPOP` (`count`
    /// Some: reply `[key, [elements…]]`).
    Pop { end: End, count: Option<usize> },
    /// `BLMOVE` / `BRPOPLPUSH`: move into `destination`, reply the element.
    Move { destination: Vec<u8>, from: End, to: End, rpoplpush: bool },
}

/// Waits on `keys` for `wait`, until `deadline`.
fn block(keys: Vec<Box<[u8]>>, wait: ListWait, deadline: Option<std::time::Instant>) -> CommandResult {
    let pending = Pending { serve, args: Box::new(wait), command: 0 };
    Ok(Outcome::Block(Block {
        deadline,
        on_timeout: TimeoutReply::NullArray,
        on: Some(BlockOn { keys, pending }),
    }))
}

/// `BLPOP`/`BRPOP key [key …] timeout`.
fn blocking_pop(ctx: &mut Context<'_>, args: &mut Args<'_>, end: End) -> CommandResult {
    let all = args.rest();
    let (timeout, keys) = all.split_last().expect("arity: a key and a timeout");
    let deadline = parse_timeout(timeout)?;
    for key in keys {
        if let Some(popped) = pop(ctx, key, end, None)? {
            reply_pair(ctx, key, &popped[0]);
            return REPLIED;
        }
    }
    block(keys.iter().map(|k| k[..].into()).collect(), ListWait::Pop { end, count: None }, deadline)
}

fn reply_pair(ctx: &mut Context<'_>, key: &[u8], element: &[u8]) {
    ctx.out.array(2);
    ctx.out.bulk(key);
    ctx.out.bulk(element);
}

/// ```text
/// BLPOP key [key …] timeout
/// ```
/// `[key, element]` from the head of the first non-empty list, waiting up to
/// `timeout` seconds (0: forever) for one; a null array on timeout.
pub fn blpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    blocking_pop(ctx, args, End::Left)
}

/// ```text
/// BRPOP key [key …] timeout
/// ```
/// `BLPOP` at the tail.
pub fn brpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    blocking_pop(ctx, args, End::Right)
}

/// ```text
/// BLMPOP timeout numkeys key [key …] LEFT|RIGHT [COUNT count]
/// ```
/// `LMPOP`, waiting for one of the lists. The arguments after the timeout are
/// checked before it, as Redis does.
pub fn blmpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let timeout = args.next_bytes()?;
    let MultiPop { keys, end, count } = parse_multi_pop(args)?;
    let deadline = parse_timeout(timeout)?;
    let count = count.unwrap_or(1);
    for key in &keys {
        if let Some(popped) = pop(ctx, key, end, Some(count))? {
            reply_key_and_elements(ctx, key, &popped);
            return REPLIED;
        }
    }
    block(
        keys.into_iter().map(Vec::into_boxed_slice).collect(),
        ListWait::Pop { end, count: Some(count) },
        deadline,
    )
}

/// `BLMOVE`/`BRPOPLPUSH` once the arguments are read.
fn blocking_move(
    ctx: &mut Context<'_>,
    (source, destination): (&[u8], &[u8]),
    (from, to): (End, End),
    rpoplpush: bool,
    deadline: Option<std::time::Instant>,
) -> CommandResult {
    let log = if rpoplpush { MoveLog::Rpoplpush } else { MoveLog::Lmove };
    match lmove(ctx, source, destination, from, to, log)? {
        Some(element) => {
            ctx.out.bulk(&element);
            REPLIED
        }
        None => {
            let wait = ListWait::Move { destination: destination.to_vec(), from, to, rpoplpush };
            block(vec![source.into()], wait, deadline)
        }
    }
}

/// ```text
/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
/// ```
/// `LMOVE`, waiting for the source.
pub fn blmove(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (source, destination) = (args.next_bytes()?, args.next_bytes()?);
    let from = End::parse(args.next_bytes()?).ok_or(CommandError::Syntax)?;
    let to = End::parse(args.next_bytes()?).ok_or(CommandError::Syntax)?;
    let deadline = parse_timeout(args.next_bytes()?)?;
    blocking_move(ctx, (source, destination), (from, to), false, deadline)
}

/// ```text
/// BRPOPLPUSH source destination timeout
/// ```
/// `BLMOVE source destination RIGHT LEFT timeout`, logged as `RPOPLPUSH`.
pub fn brpoplpush(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (source, destination) = (args.next_bytes()?, args.next_bytes()?);
    let deadline = parse_timeout(args.next_bytes()?)?;
    blocking_move(ctx, (source, destination), (End::Right, End::Left), true, deadline)
}

/// Serves a waiting list client from `key` (see [`crate::command::blocking`]).
fn serve(ctx: &mut Context<'_>, args: &(dyn Any + Send + Sync), key: &[u8]) -> Result<Attempt, CommandError> {
    let Some(wait) = args.downcast_ref::<ListWait>() else { return Ok(Attempt::Skip) };
    match wait {
        ListWait::Pop { end, count } => match pop(ctx, key, *end, *count) {
            Ok(Some(popped)) if !popped.is_empty() => {
                match count {
                    None => reply_pair(ctx, key, &popped[0]),
                    Some(_) => reply_key_and_elements(ctx, key, &popped),
                }
                Ok(Attempt::Replied)
            }
            Ok(_) => Ok(Attempt::Exhausted),
            // Another type now: this client keeps waiting, as in Redis 7.0.
            Err(CommandError::WrongType) => Ok(Attempt::Skip),
            Err(other) => Err(other),
        },
        ListWait::Move { destination, from, to, rpoplpush } => {
            match ctx.db().kind_of(key, ctx.now_ms) {
                None => return Ok(Attempt::Exhausted),
                Some(Kind::List) => {}
                Some(_) => return Ok(Attempt::Skip),
            }
            let log = if *rpoplpush { MoveLog::Rpoplpush } else { MoveLog::Lmove };
            // A destination of another type is this client's answer (an error).
            match lmove(ctx, key, destination, *from, *to, log)? {
                Some(element) => {
                    ctx.out.bulk(&element);
                    Ok(Attempt::Replied)
                }
                None => Ok(Attempt::Exhausted),
            }
        }
    }
}
