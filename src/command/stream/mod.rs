//! The stream family: `XADD`, `XRANGE`, `XREAD`, consumer groups (`XGROUP`,
//! `XREADGROUP`, `XACK`, `XPENDING`, `XCLAIM`, `XAUTOCLAIM`), `XINFO` and
//! `XSETID`, with redis-server 7.0.15's replies and error texts (see `t_stream.c`).
//! The structure is [`crate::types::stream::Stream`]; the node limits
//! (`stream-node-max-bytes`, `stream-node-max-entries`) are read from the live
//! configuration at each `XADD`. An empty stream stays (a stream is never deleted
//! by the slot for being empty).
//!
//! What each write logs, as Redis propagates it: `XADD *` (or `<ms>-*`) logs the
//! id it generated, and a `~` trim logs the exact result (`MAXLEN = <length>` or
//! `MINID = <first id>`); `XREADGROUP`, `XCLAIM` and `XAUTOCLAIM` log one
//! `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID id` per
//! entry they hand out (or drop), and `XGROUP SETID … ENTRIESREAD n` when the
//! group moved without one (`NOACK`, `LASTID`).

use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::Entry;
use crate::protocol::ReplyWriter;
use crate::types::stream::{EntryView, Limits, Stream, StreamId};

mod add;
mod claim;
mod group;
mod info;
mod read;

/// The keyspace events of the stream commands, as Redis names them.
pub mod events {
    use crate::engine::{Event, EventClass};

    const fn stream(name: &'static str) -> Event {
        Event { name, class: EventClass::Stream }
    }

    /// `XADD`.
    pub const XADD: Event = stream("xadd");
    /// `XDEL` (when it deleted something).
    pub const XDEL: Event = stream("xdel");
    /// `XTRIM`, or `XADD` with a trim that removed entries.
    pub const XTRIM: Event = stream("xtrim");
    /// `XSETID`.
    pub const XSETID: Event = stream("xsetid");
    /// `XGROUP CREATE`.
    pub const XGROUP_CREATE: Event = stream("xgroup-create");
    /// `XGROUP SETID`.
    pub const XGROUP_SETID: Event = stream("xgroup-setid");
    /// `XGROUP DESTROY`.
    pub const XGROUP_DESTROY: Event = stream("xgroup-destroy");
    /// A consumer created (`XGROUP CREATECONSUMER`, or implicitly by `XREADGROUP`,
    /// `XCLAIM`, `XAUTOCLAIM`).
    pub const XGROUP_CREATECONSUMER: Event = stream("xgroup-createconsumer");
    /// `XGROUP DELCONSUMER`.
    pub const XGROUP_DELCONSUMER: Event = stream("xgroup-delconsumer");
    /// What `XACK` and the pending-list changes of `XREADGROUP`/`XCLAIM` are
    /// recorded as: logged, never notified (Redis notifies none of them).
    pub const PENDING: Event = crate::engine::events::TOUCHED;
}

const STREAM: &[&str] = &["stream"];
const RO: &[KeySpec] = &[KeySpec::one(1, &["RO"])];
const RO_ACCESS: &[KeySpec] = &[KeySpec::one(1, &["RO", "access"])];
const RW_UPDATE: &[KeySpec] = &[KeySpec::one(1, &["RW", "update"])];
const RW_DELETE: &[KeySpec] = &[KeySpec::one(1, &["RW", "delete"])];
const SUB_RO_ACCESS: &[KeySpec] = &[KeySpec::one(2, &["RO", "access"])];
const SUB_RW_INSERT: &[KeySpec] = &[KeySpec::one(2, &["RW", "insert"])];
const SUB_RW_UPDATE: &[KeySpec] = &[KeySpec::one(2, &["RW", "update"])];
const SUB_RW_DELETE: &[KeySpec] = &[KeySpec::one(2, &["RW", "delete"])];
const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];

/// The keys of `XREAD`/`XREADGROUP`: the first half of what follows `STREAMS`.
const fn after_streams(start_from: isize) -> KeySpec {
    KeySpec {
        flags: &["RO", "access"],
        notes: None,
        begin: BeginSearch::Keyword { keyword: "STREAMS", start_from },
        find: FindKeys::Range { last: -1, step: 1, limit: 2 },
    }
}

/// The stream family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("xadd", -5, WRITE | DENYOOM | FAST, add::xadd)
        .keys(&[KeySpec::one(1, &["RW", "update"])
            .notes("UPDATE instead of INSERT because of the optional trimming feature")])
        .categories(STREAM)
        .tips(NONDETERMINISTIC),
    CommandSpec::new("xlen", 2, READONLY | FAST, xlen).keys(RO).categories(STREAM),
    CommandSpec::new("xrange", -4, READONLY, xrange).keys(RO_ACCESS).categories(STREAM),
    CommandSpec::new("xrevrange", -4, READONLY, xrevrange).keys(RO_ACCESS).categories(STREAM),
    CommandSpec::new("xdel", -3, WRITE | FAST, xdel).keys(RW_DELETE).categories(STREAM),
    CommandSpec::new("xtrim", -4, WRITE, add::xtrim)
        .keys(RW_DELETE)
        .categories(STREAM)
        .tips(NONDETERMINISTIC),
    CommandSpec::new("xsetid", -3, WRITE | DENYOOM | FAST, add::xsetid).keys(RW_UPDATE).categories(STREAM),
    CommandSpec::new("xread", -4, READONLY | BLOCKING | MOVABLE_KEYS, read::xread)
        .keys(&[after_streams(1)])
        .categories(STREAM),
    CommandSpec::new("xreadgroup", -7, WRITE | BLOCKING | MOVABLE_KEYS, read::xreadgroup)
        .keys(&[after_streams(4)])
        .categories(STREAM),
    CommandSpec::new("xack", -4, WRITE | FAST, group::xack).keys(RW_UPDATE).categories(STREAM),
    CommandSpec::new("xpending", -3, READONLY, claim::xpending)
        .keys(RO_ACCESS)
        .categories(STREAM)
        .tips(NONDETERMINISTIC),
    CommandSpec::new("xclaim", -6, WRITE | FAST, claim::xclaim)
        .keys(RW_UPDATE)
        .categories(STREAM)
        .tips(NONDETERMINISTIC),
    CommandSpec::new("xautoclaim", -6, WRITE | FAST, claim::xautoclaim)
        .keys(RW_DELETE)
        .categories(STREAM)
        .tips(NONDETERMINISTIC),
    CommandSpec::new("xgroup", -2, 0, group::xgroup_help).subcommands(XGROUP),
    CommandSpec::new("xinfo", -2, 0, info::xinfo_help).subcommands(XINFO),
];

/// The subcommands of `XGROUP`.
static XGROUP: &[CommandSpec] = &[
    CommandSpec::new("create", -5, WRITE | DENYOOM, group::create).keys(SUB_RW_INSERT).categories(STREAM),
    CommandSpec::new("createconsumer", 5, WRITE | DENYOOM, group::createconsumer)
        .keys(SUB_RW_INSERT)
        .categories(STREAM),
    CommandSpec::new("destroy", 4, WRITE, group::destroy).keys(SUB_RW_DELETE).categories(STREAM),
    CommandSpec::new("help", 2, LOADING | STALE, group::xgroup_help).categories(STREAM),
    CommandSpec::new("setid", -5, WRITE, group::setid).keys(SUB_RW_UPDATE).categories(STREAM),
    CommandSpec::new("delconsumer", 5, WRITE, group::delconsumer).keys(SUB_RW_DELETE).categories(STREAM),
];

/// The subcommands of `XINFO`.
static XINFO: &[CommandSpec] = &[
    CommandSpec::new("stream", -3, READONLY, info::stream).keys(SUB_RO_ACCESS).categories(STREAM),
    CommandSpec::new("consumers", 4, READONLY, info::consumers)
        .keys(SUB_RO_ACCESS)
        .categories(STREAM)
        .tips(NONDETERMINISTIC),
    CommandSpec::new("help", 2, LOADING | STALE, info::xinfo_help).categories(STREAM),
    CommandSpec::new("groups", 3, READONLY, info::groups).keys(SUB_RO_ACCESS).categories(STREAM),
];

/// `ERR Invalid stream ID specified as stream command argument`.
fn invalid_id() -> CommandError {
    CommandError::err("Invalid stream ID specified as stream command argument")
}

/// Redis's `string2ull`: decimal digits only, within `u64`.
fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// How an id argument was written (Redis's `streamGenericParseIDOrReply`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParsedId {
    /// The id (for `<ms>-*`, sequence 0).
    pub id: StreamId,
    /// Whether the sequence was given (false for `<ms>-*`).
    pub seq_given: bool,
}

/// Parses an id: `<ms>-<seq>`, `<ms>` (sequence `missing_seq`), and unless
/// `strict` also `-` and `+`; with `allow_star`, `<ms>-*`.
fn parse_id_form(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_star: bool,
) -> Result<ParsedId, CommandError> {
    if arg.len() > 127 {
        return Err(invalid_id());
    }
    match arg {
        b"-" | b"+" if strict => return Err(invalid_id()),
        b"-" => return Ok(ParsedId { id: StreamId::MIN, seq_given: true }),
        b"+" => return Ok(ParsedId { id: StreamId::MAX, seq_given: true }),
        _ => {}
    }
    let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
        Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
        None => (arg, None),
    };
    let ms = parse_u64(ms).ok_or_else(invalid_id)?;
    match seq {
        Some(b"*") if allow_star => Ok(ParsedId { id: StreamId::new(ms, 0), seq_given: false }),
        Some(seq) => {
            Ok(ParsedId { id: StreamId::new(ms, parse_u64(seq).ok_or_else(invalid_id)?), seq_given: true })
        }
        None => Ok(ParsedId { id: StreamId::new(ms, missing_seq), seq_given: true }),
    }
}

/// A strict id (`-` and `+` refused), an incomplete one taking sequence 0.
pub(crate) fn strict_id(arg: &[u8]) -> Result<StreamId, CommandError> {
    parse_id_form(arg, 0, true, false).map(|p| p.id)
}

/// An id where `-` and `+` are allowed.
fn loose_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CommandError> {
    parse_id_form(arg, missing_seq, false, false).map(|p| p.id)
}

/// A range bound (`XRANGE`, `XPENDING`): `(` makes it exclusive. `start` bounds
/// take sequence 0 when incomplete, end bounds `u64::MAX`.
fn range_bound(arg: &[u8], start: bool) -> Result<StreamId, CommandError> {
    let missing = if start { 0 } else { u64::MAX };
    if arg.len() > 1 && arg[0] == b'(' {
        let id = parse_id_form(&arg[1..], missing, true, false)?.id;
        if start {
            id.next().ok_or_else(|| CommandError::err("invalid start ID for the interval"))
        } else {
            id.prev().ok_or_else(|| CommandError::err("invalid end ID for the interval"))
        }
    } else {
        loose_id(arg, missing)
    }
}

/// The node limits in force now (`CONFIG SET` changes them live).
fn limits(ctx: &Context<'_>) -> Limits {
    let config = ctx.state.config.load();
    Limits { max_bytes: config.stream_node_max_bytes, max_entries: config.stream_node_max_entries }
}

/// The wall clock for delivery and seen times (Redis's `mstime()`): the command's
/// time, except while the AOF loads (time 0 there, so nothing expires), when a
/// replayed `XCLAIM … TIME t` must still keep its time.
fn wall_ms(ctx: &Context<'_>) -> u64 {
    if ctx.now_ms == 0 {
        crate::clock::unix_millis()
    } else {
        ctx.now_ms
    }
}

/// The stream an entry holds: `Ok(None)` for a missing key, `WRONGTYPE` for another
/// kind.
fn stream_of(entry: Option<&Entry>) -> Result<Option<&Stream>, CommandError> {
    Ok(entry.map(Entry::get_as::<Stream>).transpose()?)
}

/// Writes an id as a bulk string.
fn reply_id(out: &mut ReplyWriter, id: StreamId) {
    out.bulk(id.text().as_bytes());
}

/// Writes one entry: `[id, [field, value, …]]`.
fn reply_entry(out: &mut ReplyWriter, entry: &EntryView<'_>) {
    out.array(2);
    reply_id(out, entry.id);
    out.array(entry.pairs.len() * 2);
    for (field, value) in &entry.pairs {
        out.bulk(field);
        out.bulk(value);
    }
}

/// Writes the entries of a list (`XRANGE`'s reply).
fn reply_entries(out: &mut ReplyWriter, entries: &[EntryView<'_>]) {
    out.array(entries.len());
    for entry in entries {
        reply_entry(out, entry);
    }
}

/// `bytes` as Redis's `%s` prints it into an error: up to the first NUL (the
/// rest of the line's sanitising is the reply writer's).
pub(crate) fn c_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
}

/// `NOGROUP No such key '<key>' or consumer group '<group>'` plus `suffix`.
fn no_group(key: &[u8], group: &[u8], suffix: &str) -> CommandError {
    CommandError::Other(
        format!("NOGROUP No such key '{}' or consumer group '{}'{suffix}", c_text(key), c_text(group)).into(),
    )
}

/// `XLEN key`: how many entries (0 for a missing key).
pub fn xlen(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let out = &mut *ctx.out;
    let hit = ctx.state.engine.db(ctx.session.db).read(key, ctx.now_ms, |entry| {
        let stream = stream_of(entry)?;
        out.integer(stream.map_or(0, Stream::len) as i64);
        Ok::<_, CommandError>(stream.is_some())
    })?;
    ctx.count_lookup(key, hit);
    REPLIED
}

/// `XRANGE`/`XREVRANGE`: the entries between the bounds, at most `COUNT`.
fn range(ctx: &mut Context<'_>, args: &mut Args<'_>, rev: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let (first, second) = (args.next_bytes()?, args.next_bytes()?);
    let (start_arg, end_arg) = if rev { (second, first) } else { (first, second) };
    let start = range_bound(start_arg, true)?;
    let end = range_bound(end_arg, false)?;
    let mut count: Option<i64> = None;
    while !args.is_done() {
        if args.remaining() >= 2 && args.flag("COUNT") {
            count = Some(args.next_i64()?.max(0));
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let out = &mut *ctx.out;
    let hit = ctx.state.engine.db(ctx.session.db).read(key, ctx.now_ms, |entry| {
        let Some(stream) = stream_of(entry)? else {
            out.array(0);
            return Ok::<_, CommandError>(false);
        };
        if count == Some(0) {
            out.null_array();
            return Ok(true);
        }
        let limit = count.map_or(usize::MAX, |c| c as usize);
        let entries: Vec<EntryView<'_>> = stream.range(start, end, rev).take(limit).collect();
        reply_entries(out, &entries);
        Ok(true)
    })?;
    ctx.count_lookup(key, hit);
    REPLIED
}

/// ```text
/// XRANGE key start end [COUNT count]
/// ```
/// The entries from `start` to `end` (`-`, `+`, `(` for exclusive bounds).
pub fn xrange(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    range(ctx, args, false)
}

/// `XREVRANGE key end start [COUNT count]`: `XRANGE` from the end.
pub fn xrevrange(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    range(ctx, args, true)
}

/// `XDEL key id [id …]`: how many entries were deleted, logged as the `XDEL` of
/// the ids given.
pub fn xdel(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let raw = args.rest();
    let deleted = ctx.db().write(key, ctx.now_ms, |slot| {
        // A missing key answers 0 before any id is parsed, as in Redis.
        if slot.get_as::<Stream>()?.is_none() {
            return Ok(0);
        }
        let ids = raw.iter().map(|a| strict_id(a)).collect::<Result<Vec<_>, _>>()?;
        let present = slot.get_as::<Stream>()?.is_some_and(|s| ids.iter().any(|id| s.get(*id).is_some()));
        if !present {
            return Ok::<_, CommandError>(0);
        }
        let stream = slot.get_mut_as::<Stream>()?.expect("present");
        let deleted = ids.iter().filter(|id| stream.delete(**id)).count();
        let mut effect: Vec<&[u8]> = vec![b"XDEL", key];
        effect.extend(raw.iter().map(|a| &a[..]));
        slot.record(events::XDEL, &effect);
        Ok(deleted as i64)
    })?;
    ctx.out.integer(deleted);
    REPLIED
}

#[cfg(test)]
mod tests {
    use super::parse_u64;

    #[test]
    fn parse_u64_takes_digits_within_u64_only() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"000123"), Some(123));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        for bad in
            [&b""[..], b"18446744073709551616", b"99999999999999999999", b"-1", b"+1", b"1a", b" 1", b"1.0"]
        {
            assert_eq!(parse_u64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
