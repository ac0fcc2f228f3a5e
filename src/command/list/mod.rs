//! The list family: `LPUSH`, `RPUSH`, `LPUSHX`, `RPUSHX`, `LPOP`, `RPOP`, `LLEN`,
//! `LMPOP` here; `LRANGE`, `LINDEX`, `LPOS` in [`read`]; `LSET`, `LINSERT`, `LREM`,
//! `LTRIM` in [`edit`]; `LMOVE`, `RPOPLPUSH` in [`moves`] — with Redis 7.0's
//! replies, error texts and keyspace events (`t_list.c`) over the [`List`] type.
//!
//! The pops and the move are also the blocking room's: [`pop`], [`lmove`],
//! [`parse_multi_pop`] and [`reply_key_and_elements`] are what `BLPOP`, `BRPOP`,
//! `BLMOVE`, `BRPOPLPUSH` and `BLMPOP` do once a key is ready, and the commands
//! here go through them too, so the two cannot drift apart. The node limit
//! (`list-max-listpack-size`) is read from the live configuration on every write.

pub mod blocking;
mod edit;
mod moves;
mod read;

use super::args::{as_slices, int};
use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{Entry, Event, EventClass};
use crate::types::list::{Limits, List};

pub use crate::types::list::End;
pub(crate) use moves::{lmove, MoveLog};

use edit::{linsert, lrem, lset, ltrim};
use moves::{lmove_command, rpoplpush};
use read::{lindex, lpos, lrange};

/// The keyspace events of the list commands, as Redis names them (class `l`).
pub mod events {
    use super::{Event, EventClass};

    const fn list(name: &'static str) -> Event {
        Event { name, class: EventClass::List }
    }

    /// Elements were pushed at the head (`LPUSH`, `LPUSHX`, a move's destination).
    pub const LPUSH: Event = list("lpush");
    /// Elements were pushed at the tail.
    pub const RPUSH: Event = list("rpush");
    /// Elements were popped from the head (`LPOP`, `LMPOP`, a move's source).
    pub const LPOP: Event = list("lpop");
    /// Elements were popped from the tail.
    pub const RPOP: Event = list("rpop");
    /// `LSET` replaced an element.
    pub const LSET: Event = list("lset");
    /// `LINSERT` inserted an element.
    pub const LINSERT: Event = list("linsert");
    /// `LREM` removed elements.
    pub const LREM: Event = list("lrem");
    /// `LTRIM` ran (notified even when it removed nothing, as Redis does).
    pub const LTRIM: Event = list("ltrim");

    /// The push event of `end`.
    pub fn push(end: super::End) -> Event {
        match end {
            super::End::Left => LPUSH,
            super::End::Right => RPUSH,
        }
    }

    /// The pop event of `end`.
    pub fn pop(end: super::End) -> Event {
        match end {
            super::End::Left => LPOP,
            super::End::Right => RPOP,
        }
    }
}

const LIST: &[&str] = &["list"];
const RO: &[KeySpec] = &[KeySpec::one(1, &["RO"])];
const RO_ACCESS: &[KeySpec] = &[KeySpec::one(1, &["RO", "access"])];
const RW_INSERT: &[KeySpec] = &[KeySpec::one(1, &["RW", "insert"])];
const RW_POP: &[KeySpec] = &[KeySpec::one(1, &["RW", "access", "delete"])];
const RW_DELETE: &[KeySpec] = &[KeySpec::one(1, &["RW", "delete"])];
const MOVE: &[KeySpec] = &[KeySpec::one(1, &["RW", "access", "delete"]), KeySpec::one(2, &["RW", "insert"])];
/// `LMPOP numkeys key [key …]`: the count at argument 1, the keys after it.
const NUMKEYS: &[KeySpec] = &[KeySpec {
    flags: &["RW", "access", "delete"],
    notes: None,
    begin: BeginSearch::Index(1),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];

/// The list family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, WRITE | DENYOOM | FAST, lpush).keys(RW_INSERT).categories(LIST),
    CommandSpec::new("rpush", -3, WRITE | DENYOOM | FAST, rpush).keys(RW_INSERT).categories(LIST),
    CommandSpec::new("lpushx", -3, WRITE | DENYOOM | FAST, lpushx).keys(RW_INSERT).categories(LIST),
    CommandSpec::new("rpushx", -3, WRITE | DENYOOM | FAST, rpushx).keys(RW_INSERT).categories(LIST),
    CommandSpec::new("lpop", -2, WRITE | FAST, lpop).keys(RW_POP).categories(LIST),
    CommandSpec::new("rpop", -2, WRITE | FAST, rpop).keys(RW_POP).categories(LIST),
    CommandSpec::new("llen", 2, READONLY | FAST, llen).keys(RO).categories(LIST),
    CommandSpec::new("lrange", 4, READONLY, lrange).keys(RO_ACCESS).categories(LIST),
    CommandSpec::new("lindex", 3, READONLY, lindex).keys(RO_ACCESS).categories(LIST),
    CommandSpec::new("lset", 4, WRITE | DENYOOM, lset)
        .keys(&[KeySpec::one(1, &["RW", "update"])])
        .categories(LIST),
    CommandSpec::new("linsert", 5, WRITE | DENYOOM, linsert).keys(RW_INSERT).categories(LIST),
    CommandSpec::new("lrem", 4, WRITE, lrem).keys(RW_DELETE).categories(LIST),
    CommandSpec::new("ltrim", 4, WRITE, ltrim).keys(RW_DELETE).categories(LIST),
    CommandSpec::new("lpos", -3, READONLY, lpos).keys(RO_ACCESS).categories(LIST),
    CommandSpec::new("lmove", 5, WRITE | DENYOOM, lmove_command).keys(MOVE).categories(LIST),
    CommandSpec::new("rpoplpush", 3, WRITE | DENYOOM, rpoplpush).keys(MOVE).categories(LIST),
    CommandSpec::new("lmpop", -4, WRITE, lmpop).keys(NUMKEYS).categories(LIST),
];

/// The node limit now configured (`list-max-listpack-size`).
pub(crate) fn limits(ctx: &Context<'_>) -> Limits {
    Limits { fill: ctx.state.config.load().list_max_listpack_size }
}

/// The list in `entry`: `None` for a missing key, `WRONGTYPE` for another type.
fn list_of(entry: Option<&Entry>) -> Result<Option<&List>, CommandError> {
    Ok(entry.map(Entry::get_as::<List>).transpose()?)
}

/// Runs `read` on the list at `key` (`None`: missing) with the reply writer, and
/// counts the lookup as a keyspace hit or miss (`INFO stats`).
fn read_list<R>(
    ctx: &mut Context<'_>,
    key: &[u8],
    read: impl FnOnce(&mut crate::protocol::ReplyWriter, Option<&List>) -> Result<R, CommandError>,
) -> Result<R, CommandError> {
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (hit, result) = db.read(key, ctx.now_ms, |entry| match list_of(entry) {
        Ok(list) => (list.is_some(), read(out, list)),
        Err(wrong) => (true, Err(wrong)),
    });
    ctx.count_lookup(key, hit);
    result
}

/// Pushes the arguments after the key at `end`; `only_existing` for the `…X`
/// forms (a missing key stays missing, and the reply is 0).
fn push(ctx: &mut Context<'_>, args: &mut Args<'_>, end: End, only_existing: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let items = args.rest();
    let limits = limits(ctx);
    let len = ctx.db().write(key, ctx.now_ms, |slot| {
        let list = if only_existing {
            match slot.get_mut_as::<List>()? {
                Some(list) => list,
                None => return Ok(0),
            }
        } else {
            slot.get_or_create::<List>()?
        };
        list.push(end, items, limits);
        let len = list.len();
        slot.record(events::push(end), &as_slices(args.all()));
        Ok::<_, CommandError>(len)
    })?;
    ctx.out.integer(len as i64);
    REPLIED
}

/// ```text
/// LPUSH key element [element …]
/// ```
/// Pushes each element at the head in turn; the new length.
pub fn lpush(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    push(ctx, args, End::Left, false)
}

/// ```text
/// RPUSH key element [element …]
/// ```
/// Pushes each element at the tail in turn; the new length.
pub fn rpush(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    push(ctx, args, End::Right, false)
}

/// ```text
/// LPUSHX key element [element …]
/// ```
/// `LPUSH` only if the list exists; 0 otherwise.
pub fn lpushx(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    push(ctx, args, End::Left, true)
}

/// ```text
/// RPUSHX key element [element …]
/// ```
/// `RPUSH` only if the list exists; 0 otherwise.
pub fn rpushx(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    push(ctx, args, End::Right, true)
}

/// Pops up to `count` elements (one when `None`) from `end` of the list at `key` in
/// database `ctx.session.db`: deletes the key when it empties, records the change with
/// Redis's events (`lpop`/`rpop`, then `del`), and logs the effect `LPOP key` (count None)
/// or `LPOP key n` with n = min(count, length) (count Some) — what Redis 7.0 propagates
/// for LPOP/RPOP/LMPOP and for a served BLPOP/BRPOP/BLMPOP. Ok(None): no such key.
/// Err: WRONGTYPE when the key holds another type.
///
/// `Some(0)` pops nothing and records nothing (`Ok(Some([]))` for a list).
pub(crate) fn pop(
    ctx: &mut Context<'_>,
    key: &[u8],
    end: End,
    count: Option<usize>,
) -> Result<Option<Vec<Vec<u8>>>, CommandError> {
    let limits = limits(ctx);
    ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(list) = slot.get_mut_as::<List>()? else { return Ok(None) };
        let wanted = count.unwrap_or(1).min(list.len());
        if wanted == 0 {
            return Ok(Some(Vec::new()));
        }
        let popped: Vec<Vec<u8>> = (0..wanted).filter_map(|_| list.pop(end, limits)).collect();
        let command: &[u8] = match end {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        };
        let mut number = itoa::Buffer::new();
        match count {
            None => slot.record(events::pop(end), &[command, key]),
            Some(_) => slot.record(events::pop(end), &[command, key, number.format(popped.len()).as_bytes()]),
        }
        // The slot deletes the emptied key when it closes, notified as `del`.
        Ok(Some(popped))
    })
}

/// A pop count as Redis's `getPositiveLongFromObjectOrReply` reads it.
fn positive_count(arg: &[u8]) -> Result<usize, CommandError> {
    int(arg)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| CommandError::err("value is out of range, must be positive"))
}

/// `LPOP`/`RPOP key [count]`.
fn pop_command(ctx: &mut Context<'_>, args: &mut Args<'_>, end: End) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        1 => Some(positive_count(args.next_bytes()?)?),
        _ => {
            let name = match end {
                End::Left => "lpop",
                End::Right => "rpop",
            };
            return Err(CommandError::WrongArity(name.into()));
        }
    };
    match (pop(ctx, key, end, count)?, count) {
        (None, None) => ctx.out.null(),
        (None, Some(_)) => ctx.out.null_array(),
        (Some(popped), None) => ctx.out.bulk(&popped[0]),
        (Some(popped), Some(_)) => {
            ctx.out.array(popped.len());
            for item in &popped {
                ctx.out.bulk(item);
            }
        }
    }
    REPLIED
}

/// ```text
/// LPOP key [count]
/// ```
/// The head element (null for a missing key), or up to `count` of them (a null
/// array for a missing key).
pub fn lpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    pop_command(ctx, args, End::Left)
}

/// ```text
/// RPOP key [count]
/// ```
/// `LPOP` at the tail (elements in the order they were popped).
pub fn rpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    pop_command(ctx, args, End::Right)
}

/// `LLEN key`: the length (0 for a missing key).
pub fn llen(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    read_list(ctx, key, |out, list| {
        out.integer(list.map_or(0, List::len) as i64);
        REPLIED
    })
}

/// LMPOP's arguments from `numkeys` on: `numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
pub(crate) struct MultiPop {
    /// The keys, in the order to try them.
    pub keys: Vec<Vec<u8>>,
    /// Which end to pop from.
    pub end: End,
    /// `COUNT`, if given.
    pub count: Option<usize>,
}

/// LMPOP's arguments from `numkeys` on: `numkeys key [key ...] LEFT|RIGHT [COUNT count]`,
/// with Redis 7.0.15's errors (`ERR numkeys should be greater than 0`, `ERR count should
/// be greater than 0`, syntax errors). BLMPOP calls it after reading its timeout.
pub(crate) fn parse_multi_pop(args: &mut Args<'_>) -> Result<MultiPop, CommandError> {
    let numkeys = int(args.next_bytes()?)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| CommandError::err("numkeys should be greater than 0"))? as u64;
    // The keys and the end must be there (no allocation from the declared count).
    if numkeys >= args.remaining() as u64 {
        return Err(CommandError::Syntax);
    }
    let keys: Vec<Vec<u8>> =
        (0..numkeys).map(|_| args.next_bytes().map(|k| k.to_vec())).collect::<Result<_, _>>()?;
    let end = End::parse(args.next_bytes()?).ok_or(CommandError::Syntax)?;
    let mut count = None;
    while !args.is_done() {
        if count.is_none() && args.remaining() >= 2 && args.flag("COUNT") {
            let n = int(args.next_bytes()?)
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| CommandError::err("count should be greater than 0"))?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(MultiPop { keys, end, count })
}

/// Writes LMPOP's reply: [key, [elements…]].
pub(crate) fn reply_key_and_elements(ctx: &mut Context<'_>, key: &[u8], elements: &[Vec<u8>]) {
    ctx.out.array(2);
    ctx.out.bulk(key);
    ctx.out.array(elements.len());
    for element in elements {
        ctx.out.bulk(element);
    }
}

/// ```text
/// LMPOP numkeys key [key …] LEFT|RIGHT [COUNT count]
/// ```
/// Pops up to `count` (default 1) elements from the first non-empty list among the
/// keys: `[key, [elements…]]`, or a null array when all are missing. A key of
/// another type before the first list found is `WRONGTYPE`. Logged as
/// `LPOP`/`RPOP key n`.
pub fn lmpop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let MultiPop { keys, end, count } = parse_multi_pop(args)?;
    for key in &keys {
        if let Some(popped) = pop(ctx, key, end, Some(count.unwrap_or(1)))? {
            reply_key_and_elements(ctx, key, &popped);
            return REPLIED;
        }
    }
    ctx.out.null_array();
    REPLIED
}
