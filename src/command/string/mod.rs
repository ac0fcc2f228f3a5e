//! The string family: `SET`, `GET`, `MSET`, `INCR`, `APPEND`, `SETRANGE` and friends,
//! with Redis 7's replies and error texts (see `t_string.c`). A key holding another
//! type gets `WRONGTYPE` from every command that reads it as a string; `SET`,
//! `SETEX` and `MSET` replace whatever the key held.

use bytes::Bytes;

use super::args::{self, as_slices};
use super::expire::{clear_ttl, set_ttl};
use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{events, Entry, Slot};

mod bitfield;
mod bits;
mod counters;
mod hyperloglog;
mod lcs;

use bitfield::{bitfield, bitfield_ro};
use bits::{bitcount, bitop, bitpos, getbit, setbit};
// HINCRBYFLOAT (the hash family) shares INCRBYFLOAT's arithmetic.
pub(crate) use counters::{add_long_double, long_double_is_finite, LongDoubleError};
use counters::{decr, decrby, incr, incrby, incrbyfloat};
use hyperloglog::{pfadd, pfcount, pfmerge};
use lcs::lcs_command;

/// The largest string a value may grow to: `proto-max-bulk-len` (512 MB by
/// default), within what the protocol can carry.
pub(crate) fn max_string(ctx: &Context<'_>) -> u64 {
    ctx.state.config.load().proto_max_bulk_len.min(crate::protocol::Limits::BULK_CEILING as u64)
}

const RO: &[&str] = &["RO", "access"];
const RW: &[&str] = &["RW", "access", "update"];
const OW: &[&str] = &["OW", "update"];
const ONE_RO: &[KeySpec] = &[KeySpec::one(1, RO)];
const ONE_RW: &[KeySpec] = &[KeySpec::one(1, RW)];
const ONE_OW: &[KeySpec] = &[KeySpec::one(1, OW)];
const STRING: &[&str] = &["string"];
const BITMAP: &[&str] = &["bitmap"];
const HYPERLOGLOG: &[&str] = &["hyperloglog"];
/// `MGET`, `MSET` and `MSETNX` span cluster shards in Redis.
const MULTI_SHARD: &str = "request_policy:multi_shard";

/// `SET`'s key spec: `RW access update` as declared, but `variable_flags`: see
/// [`set_key_flags`].
const SET_KEY: &[KeySpec] = &[KeySpec::one(1, &["RW", "access", "update", "variable_flags"])
    .notes("RW and ACCESS due to the optional `GET` argument")];

/// The flags `SET`'s key really has, as Redis's `setGetKeys` gives them: with a
/// `GET` argument (after the key and value) it reads the old value, `RW access
/// update`; without, it only overwrites, `OW update`.
fn set_key_flags(request: &[Bytes]) -> &'static [&'static str] {
    if request.iter().skip(3).any(|arg| arg.eq_ignore_ascii_case(b"get")) {
        RW
    } else {
        OW
    }
}

/// The flags `BITFIELD`'s key really has, as Redis's `bitfieldGetKeys` gives them:
/// only `GET`s (and `OVERFLOW`s) read it, `RO access`; a `SET`, an `INCRBY` or
/// anything unparsable may write it, `RW access update`.
fn bitfield_key_flags(request: &[Bytes]) -> &'static [&'static str] {
    let mut i = 2;
    while i < request.len() {
        let left = request.len() - i - 1;
        let word = &request[i];
        if word.eq_ignore_ascii_case(b"get") && left >= 2 {
            i += 3;
        } else if word.eq_ignore_ascii_case(b"overflow") && left >= 1 {
            i += 2;
        } else {
            return &["RW", "access", "update"];
        }
    }
    &["RO", "access"]
}

/// The string family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, READONLY | FAST, get).keys(ONE_RO).categories(STRING),
    CommandSpec::new("set", -3, WRITE | DENYOOM, set)
        .keys(SET_KEY)
        .key_flags(set_key_flags)
        .categories(STRING),
    CommandSpec::new("setnx", 3, WRITE | DENYOOM | FAST, setnx)
        .keys(&[KeySpec::one(1, &["OW", "insert"])])
        .categories(STRING),
    CommandSpec::new("setex", 4, WRITE | DENYOOM, setex).keys(ONE_OW).categories(STRING),
    CommandSpec::new("psetex", 4, WRITE | DENYOOM, psetex).keys(ONE_OW).categories(STRING),
    CommandSpec::new("getset", 3, WRITE | DENYOOM | FAST, getset).keys(ONE_RW).categories(STRING),
    CommandSpec::new("getdel", 2, WRITE | FAST, getdel)
        .keys(&[KeySpec::one(1, &["RW", "access", "delete"])])
        .categories(STRING),
    CommandSpec::new("getex", -2, WRITE | FAST, getex)
        .keys(&[KeySpec::one(1, RW).notes("RW and UPDATE because it changes the TTL")])
        .categories(STRING),
    CommandSpec::new("mset", -3, WRITE | DENYOOM, mset)
        .keys(&[KeySpec::all_from(1, 2, OW)])
        .categories(STRING)
        .tips(&[MULTI_SHARD, "response_policy:all_succeeded"]),
    CommandSpec::new("msetnx", -3, WRITE | DENYOOM, msetnx)
        .keys(&[KeySpec::all_from(1, 2, &["OW", "insert"])])
        .categories(STRING)
        .tips(&[MULTI_SHARD, "response_policy:agg_min"]),
    CommandSpec::new("mget", -2, READONLY | FAST, mget)
        .keys(&[KeySpec::all_from(1, 1, RO)])
        .categories(STRING)
        .tips(&[MULTI_SHARD]),
    CommandSpec::new("strlen", 2, READONLY | FAST, strlen)
        .keys(&[KeySpec::one(1, &["RO"])])
        .categories(STRING),
    CommandSpec::new("append", 3, WRITE | DENYOOM | FAST, append)
        .keys(&[KeySpec::one(1, &["RW", "insert"])])
        .categories(STRING),
    CommandSpec::new("getrange", 4, READONLY, getrange).keys(ONE_RO).categories(STRING),
    CommandSpec::new("substr", 4, READONLY, getrange).keys(ONE_RO).categories(STRING),
    CommandSpec::new("setrange", 4, WRITE | DENYOOM, setrange)
        .keys(&[KeySpec::one(1, &["RW", "update"])])
        .categories(STRING),
    CommandSpec::new("incr", 2, WRITE | DENYOOM | FAST, incr).keys(ONE_RW).categories(STRING),
    CommandSpec::new("decr", 2, WRITE | DENYOOM | FAST, decr).keys(ONE_RW).categories(STRING),
    CommandSpec::new("incrby", 3, WRITE | DENYOOM | FAST, incrby).keys(ONE_RW).categories(STRING),
    CommandSpec::new("decrby", 3, WRITE | DENYOOM | FAST, decrby).keys(ONE_RW).categories(STRING),
    CommandSpec::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, incrbyfloat).keys(ONE_RW).categories(STRING),
    CommandSpec::new("lcs", -3, READONLY, lcs_command)
        .keys(&[KeySpec {
            flags: RO,
            notes: None,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 1, step: 1, limit: 0 },
        }])
        .categories(STRING),
    CommandSpec::new("setbit", 4, WRITE | DENYOOM, setbit).keys(ONE_RW).categories(BITMAP),
    CommandSpec::new("getbit", 3, READONLY | FAST, getbit).keys(ONE_RO).categories(BITMAP),
    CommandSpec::new("bitcount", -2, READONLY, bitcount).keys(ONE_RO).categories(BITMAP),
    CommandSpec::new("bitpos", -3, READONLY, bitpos).keys(ONE_RO).categories(BITMAP),
    CommandSpec::new("bitop", -4, WRITE | DENYOOM, bitop)
        .keys(&[KeySpec::one(2, &["OW", "update"]), KeySpec::all_from(3, 1, RO)])
        .categories(BITMAP),
    CommandSpec::new("bitfield", -2, WRITE | DENYOOM, bitfield)
        .keys(&[KeySpec::one(1, &["RW", "access", "update", "variable_flags"])
            .notes("This command allows both access and modification of the key")])
        .key_flags(bitfield_key_flags)
        .categories(BITMAP),
    CommandSpec::new("bitfield_ro", -2, READONLY | FAST, bitfield_ro).keys(ONE_RO).categories(BITMAP),
    CommandSpec::new("pfadd", -2, WRITE | DENYOOM | FAST, pfadd)
        .keys(&[KeySpec::one(1, &["RW", "insert"])])
        .categories(HYPERLOGLOG),
    CommandSpec::new("pfcount", -2, READONLY | MAY_REPLICATE, pfcount)
        .keys(&[KeySpec::all_from(1, 1, &["RW", "access"]).notes(
            "RW because it may change the internal representation of the key, and propagate to replicas",
        )])
        .categories(HYPERLOGLOG),
    CommandSpec::new("pfmerge", -2, WRITE | DENYOOM, pfmerge)
        .keys(&[KeySpec::one(1, &["RW", "access", "insert"]), KeySpec::all_from(2, 1, RO)])
        .categories(HYPERLOGLOG),
];

/// When a write applies, depending on whether the key exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Condition {
    Always,
    IfAbsent,
    IfPresent,
}

/// What a write does to the key's time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlChange {
    /// Clear it (a plain write replaces the value and its TTL).
    Clear,
    /// Keep whatever the key had (`KEEPTTL`).
    Keep,
    /// Expire at this Unix time in milliseconds.
    At(u64),
}

/// An expiry option as the client wrote it, before it is checked.
#[derive(Clone, Copy, Debug)]
pub struct ExpiryArg<'a> {
    value: &'a [u8],
    in_seconds: bool,
    absolute: bool,
}

impl ExpiryArg<'_> {
    /// Whether both are the same option (`EX` and `EX`, say).
    fn same_kind(&self, other: &ExpiryArg<'_>) -> bool {
        (self.in_seconds, self.absolute) == (other.in_seconds, other.absolute)
    }

    /// Turns the option into an absolute Unix time in ms, with Redis's errors: not
    /// a number, not positive, or overflowing.
    fn at(self, now_ms: u64, command: &'static str) -> Result<u64, CommandError> {
        let value = args::int(self.value)?;
        let invalid = || CommandError::InvalidExpireTime(command);
        if value <= 0 {
            return Err(invalid());
        }
        let ms = if self.in_seconds { value.checked_mul(1000).ok_or_else(invalid)? } else { value };
        let at = if self.absolute { ms } else { ms.checked_add(now_ms as i64).ok_or_else(invalid)? };
        Ok(at as u64)
    }
}

/// Reads an expiry keyword (`EX`, `PX`, `EXAT`, `PXAT`) and its value, if the next
/// argument is one; a keyword without a value is `ERR syntax error`.
fn expiry_option<'a>(args: &mut Args<'a>) -> Option<Result<ExpiryArg<'a>, CommandError>> {
    let (in_seconds, absolute) = match args.one_of(&["EX", "PX", "EXAT", "PXAT"])? {
        0 => (true, false),
        1 => (false, false),
        2 => (true, true),
        _ => (false, true),
    };
    Some(args.next_bytes().map(|value| ExpiryArg { value, in_seconds, absolute }))
}

/// Stores the string `value` under the slot's key, applying `ttl`, and records it
/// as the `SET` that replays it (with an absolute `PXAT`).
fn store(slot: &mut Slot<'_>, value: &[u8], ttl: TtlChange) {
    let expire_at_ms = match ttl {
        TtlChange::Clear => None,
        TtlChange::Keep => slot.get().and_then(|e| e.expire_at_ms()),
        TtlChange::At(at) => Some(at),
    };
    slot.set(value, expire_at_ms);
    let key = slot.key();
    match ttl {
        TtlChange::Clear => slot.record(events::SET, &[b"SET", key, value]),
        TtlChange::Keep => slot.record(events::SET, &[b"SET", key, value, b"KEEPTTL"]),
        TtlChange::At(at) => {
            let mut text = itoa::Buffer::new();
            slot.record(events::SET, &[b"SET", key, value, b"PXAT", text.format(at).as_bytes()]);
            slot.notify(events::EXPIRE);
        }
    }
}

/// ```text
/// SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]
/// ```
/// `+OK`, or a null when `NX`/`XX` stopped it; with `GET`, the old value (or null).
pub fn set(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, value) = (args.next_bytes()?, args.next_bytes()?);
    let mut condition = Condition::Always;
    let (mut get, mut keep_ttl) = (false, false);
    let mut expiry: Option<ExpiryArg<'_>> = None;
    while !args.is_done() {
        if condition != Condition::IfPresent && args.flag("NX") {
            condition = Condition::IfAbsent;
        } else if condition != Condition::IfAbsent && args.flag("XX") {
            condition = Condition::IfPresent;
        } else if args.flag("GET") {
            get = true;
        } else if expiry.is_none() && args.flag("KEEPTTL") {
            keep_ttl = true;
        } else if let Some(option) = expiry_option(args) {
            let option = option?;
            // Redis lets the same option repeat (the last wins), not two different ones.
            if keep_ttl || expiry.is_some_and(|e| !e.same_kind(&option)) {
                return Err(CommandError::Syntax);
            }
            expiry = Some(option);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let ttl = match expiry {
        Some(option) => TtlChange::At(option.at(ctx.now_ms, "set")?),
        None if keep_ttl => TtlChange::Keep,
        None => TtlChange::Clear,
    };
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.write(key, ctx.now_ms, |slot| {
        if get {
            out.bulk_or_null(slot.string()?);
        }
        let exists = slot.get().is_some();
        let applies = match condition {
            Condition::Always => true,
            Condition::IfAbsent => !exists,
            Condition::IfPresent => exists,
        };
        if applies {
            store(slot, value, ttl);
            if !get {
                out.ok();
            }
        } else if !get {
            out.null();
        }
        REPLIED
    })
}

/// `SETNX key value`: 1 if the key was set, 0 if it existed (whatever its type).
pub fn setnx(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, value) = (args.next_bytes()?, args.next_bytes()?);
    let set = ctx.db().set_if_absent(key, value, ctx.now_ms);
    ctx.out.integer(set as i64);
    REPLIED
}

/// `SETEX key seconds value` and `PSETEX key milliseconds value`.
fn set_with_expiry(
    ctx: &mut Context<'_>,
    args: &mut Args<'_>,
    in_seconds: bool,
    name: &'static str,
) -> CommandResult {
    let (key, time, value) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let at = ExpiryArg { value: time, in_seconds, absolute: false }.at(ctx.now_ms, name)?;
    ctx.db().write(key, ctx.now_ms, |slot| store(slot, value, TtlChange::At(at)));
    ctx.out.ok();
    REPLIED
}

/// `SETEX key seconds value`.
pub fn setex(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    set_with_expiry(ctx, args, true, "setex")
}

/// `PSETEX key milliseconds value`.
pub fn psetex(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    set_with_expiry(ctx, args, false, "psetex")
}

/// `GET key`: the value, or null.
pub fn get(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let db = ctx.db();
    let out = &mut *ctx.out;
    let hit = db.read(key, ctx.now_ms, |entry| {
        let value = entry.map(|e| e.string()).transpose()?;
        out.bulk_or_null(value);
        Ok::<_, CommandError>(value.is_some())
    })?;
    ctx.count_lookup(key, hit);
    REPLIED
}

/// `GETSET key value`: sets the value (clearing any TTL) and returns the old one.
pub fn getset(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, value) = (args.next_bytes()?, args.next_bytes()?);
    let db = ctx.db();
    let out = &mut *ctx.out;
    db.write(key, ctx.now_ms, |slot| {
        out.bulk_or_null(slot.string()?);
        store(slot, value, TtlChange::Clear);
        REPLIED
    })
}

/// `GETDEL key`: returns the value and deletes the key.
pub fn getdel(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let db = ctx.db();
    let out = &mut *ctx.out;
    let hit = db.write(key, ctx.now_ms, |slot| {
        let value = slot.string()?;
        let found = value.is_some();
        out.bulk_or_null(value);
        if found {
            slot.remove();
            slot.record(events::DEL, &[b"DEL", key]);
        }
        Ok::<_, CommandError>(found)
    })?;
    ctx.count_lookup(key, hit);
    REPLIED
}

/// `GETEX key [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]`: returns the
/// value and changes its TTL. As in Redis, a missing key answers null before the
/// time is checked, and an absolute time in the past deletes the key.
pub fn getex(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let mut persist = false;
    let mut expiry: Option<ExpiryArg<'_>> = None;
    while !args.is_done() {
        if expiry.is_none() && args.flag("PERSIST") {
            persist = true;
        } else if let Some(option) = expiry_option(args) {
            let option = option?;
            if persist || expiry.is_some_and(|e| !e.same_kind(&option)) {
                return Err(CommandError::Syntax);
            }
            expiry = Some(option);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let (now, db) = (ctx.now_ms, ctx.db());
    let out = &mut *ctx.out;
    let hit = db.write(key, now, |slot| {
        let Some(value) = slot.string()? else {
            out.null();
            return Ok(false);
        };
        let at = expiry.map(|option| option.at(now, "getex")).transpose()?;
        out.bulk(value);
        match at {
            Some(at) if expiry.is_some_and(|e| e.absolute) && at <= now => {
                slot.remove();
                slot.record(events::DEL, &[b"DEL", key]);
            }
            Some(at) => set_ttl(slot, at),
            None if persist => {
                clear_ttl(slot);
            }
            None => {}
        }
        Ok::<_, CommandError>(true)
    })?;
    ctx.count_lookup(key, hit);
    REPLIED
}

/// The `key value` pairs of `MSET`/`MSETNX` (`ERR wrong number of arguments` for an
/// odd count, as Redis says).
fn pairs<'a>(args: &Args<'a>, name: &str) -> Result<&'a [Bytes], CommandError> {
    let pairs = args.rest();
    if pairs.len() % 2 != 0 {
        return Err(CommandError::WrongArity(name.into()));
    }
    Ok(pairs)
}

/// `MSET key value [key value …]`: sets all pairs at once; no reader sees half.
pub fn mset(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let pairs: Vec<(&[u8], &[u8])> =
        self::pairs(args, "mset")?.chunks_exact(2).map(|p| (&p[0][..], &p[1][..])).collect();
    ctx.db().set_many(&pairs, ctx.now_ms, &as_slices(args.all()));
    ctx.out.ok();
    REPLIED
}

/// `MSETNX key value [key value …]`: sets all pairs if none of the keys exists (1),
/// otherwise nothing (0).
pub fn msetnx(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let pairs: Vec<(&[u8], &[u8])> =
        self::pairs(args, "msetnx")?.chunks_exact(2).map(|p| (&p[0][..], &p[1][..])).collect();
    // Logged as the `MSET` it amounts to.
    let mut effect = as_slices(args.all());
    effect[0] = b"MSET";
    let set = ctx.db().set_many_if_absent(&pairs, ctx.now_ms, &effect);
    ctx.out.integer(set as i64);
    REPLIED
}

/// `MGET key [key …]`: the values (null for missing keys and other types), read
/// consistently.
pub fn mget(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let keys = args.rest();
    let db = ctx.db();
    let out = &mut *ctx.out;
    let found = db.read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        out.array(keys.len());
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            // A key of another type is found (a hit, as Redis counts it), replied null.
            let entry = view.get(key);
            found.push(entry.is_some());
            out.bulk_or_null(entry.and_then(|e| e.string().ok()));
        }
        found
    });
    ctx.count_lookups(keys.iter().map(|k| &k[..]).zip(found));
    REPLIED
}

/// `STRLEN key`: the value's length, 0 for a missing key.
pub fn strlen(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let (hit, len) = ctx.db().read(key, ctx.now_ms, |e| {
        (e.is_some(), e.map(|e| e.string()).transpose().map(|v| v.map_or(0, <[u8]>::len)))
    });
    ctx.count_lookup(key, hit);
    ctx.out.integer(len? as i64);
    REPLIED
}

/// Checks that a string of `len + extra` bytes stays within `max` (see
/// [`max_string`]).
fn check_length(len: u64, extra: u64, max: u64) -> Result<u64, CommandError> {
    len.checked_add(extra).filter(|&total| total <= max).ok_or(CommandError::StringTooLong)
}

/// `APPEND key value`: appends (creating the key) and returns the new length. An
/// appended string is `raw`, as in Redis.
pub fn append(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, suffix) = (args.next_bytes()?, args.next_bytes()?);
    let max = max_string(ctx);
    let len = ctx.db().write(key, ctx.now_ms, |slot| {
        let total = match slot.string()? {
            Some(current) => {
                let total = check_length(current.len() as u64, suffix.len() as u64, max)? as usize;
                let mut value = Vec::with_capacity(total);
                value.extend_from_slice(current);
                value.extend_from_slice(suffix);
                let entry = slot.get_mut().expect("present");
                entry.set_value(&value);
                entry.mark_raw();
                total
            }
            None => {
                slot.set(suffix, None);
                suffix.len()
            }
        };
        slot.record(events::APPEND, &[b"APPEND", key, suffix]);
        Ok::<_, CommandError>(total)
    })?;
    ctx.out.integer(len as i64);
    REPLIED
}

/// `GETRANGE key start end` (and `SUBSTR`): the bytes between two inclusive offsets,
/// negative offsets counting from the end.
pub fn getrange(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let (start, end) = (args.next_i64()?, args.next_i64()?);
    let db = ctx.db();
    let out = &mut *ctx.out;
    let mut hit = false;
    let result = db.read(key, ctx.now_ms, |entry| {
        hit = entry.is_some();
        let value = entry.map(|e| e.string()).transpose()?.unwrap_or(&[]);
        out.bulk(substring(value, start, end));
        REPLIED
    });
    ctx.count_lookup(key, hit);
    result
}

/// Redis's `GETRANGE` arithmetic.
fn substring(value: &[u8], mut start: i64, mut end: i64) -> &[u8] {
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if len == 0 || start > end {
        return &[];
    }
    &value[start as usize..=end as usize]
}

/// `SETRANGE key offset value`: overwrites from `offset`, zero-padding as needed;
/// returns the new length. The string becomes `raw`, as in Redis.
pub fn setrange(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let offset_arg = args.next_bytes()?;
    let patch = args.next_bytes()?;
    let offset = args::int(offset_arg)?;
    if offset < 0 {
        return Err(CommandError::OffsetOutOfRange);
    }
    let offset = offset as u64;
    let max = max_string(ctx);
    let len = ctx.db().write(key, ctx.now_ms, |slot| {
        let current = slot.string()?;
        let current_len = current.map_or(0, <[u8]>::len);
        if patch.is_empty() {
            return Ok(current_len);
        }
        let end = check_length(offset, patch.len() as u64, max)? as usize;
        let offset = offset as usize;
        let mut value = current.map_or_else(Vec::new, <[u8]>::to_vec);
        if value.len() < end {
            value.resize(end, 0);
        }
        value[offset..end].copy_from_slice(patch);
        // Changed in place, so `raw` (one write: the entry's access is counted once).
        match slot.get_mut() {
            Some(entry) => {
                entry.set_value(&value);
                entry.mark_raw();
            }
            None => {
                let mut entry = Entry::new(key, &value, None);
                entry.mark_raw();
                slot.put(entry);
            }
        }
        slot.record(events::SETRANGE, &[b"SETRANGE", key, offset_arg, patch]);
        Ok::<_, CommandError>(value.len())
    })?;
    ctx.out.integer(len as i64);
    REPLIED
}

#[cfg(test)]
mod tests {
    use super::substring;

    #[test]
    fn substring_follows_redis() {
        let v = b"This is a string";
        assert_eq!(substring(v, 0, 3), b"This");
        assert_eq!(substring(v, -3, -1), b"ing");
        assert_eq!(substring(v, 0, -1), v);
        assert_eq!(substring(v, 10, 100), b"string");
        assert_eq!(substring(v, 5, 3), b"");
        assert_eq!(substring(v, -1, -5), b"");
        assert_eq!(substring(b"", 0, -1), b"");
        assert_eq!(substring(v, -100, 0), b"T");
    }
}
