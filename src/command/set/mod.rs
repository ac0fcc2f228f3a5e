//! The set family: `SADD`, `SREM`, `SMEMBERS`, `SISMEMBER`, `SMISMEMBER`, `SCARD`,
//! `SPOP`, `SRANDMEMBER`, `SMOVE`, `SINTER`, `SINTERCARD`, `SINTERSTORE`, `SUNION`,
//! `SUNIONSTORE`, `SDIFF`, `SDIFFSTORE`, `SSCAN`, with Redis 7.0's replies and error
//! texts (`t_set.c`) over the [`Set`] type. A missing key reads as an empty set; a
//! key of another type gets `WRONGTYPE` from every command that names it.
//!
//! Single-key commands are here, the random ones (`SPOP`, `SRANDMEMBER`) in
//! [`random`], the multi-key ones (set algebra, `SMOVE`) in [`algebra`]; the
//! encoding thresholds are read from the live configuration on every write.

mod algebra;
mod random;

use bytes::Bytes;

use super::args::as_slices;
use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{Entry, Event, EventClass};
use crate::glob::glob_match;
use crate::protocol::ReplyWriter;
use crate::types::set::{Limits, Set};

use algebra::{sdiff, sdiffstore, sinter, sintercard, sinterstore, smove, sunion, sunionstore};
use random::{spop, srandmember};

/// The keyspace events of the set commands, as Redis names them (class `s`).
pub mod events {
    use super::{Event, EventClass};

    const fn set(name: &'static str) -> Event {
        Event { name, class: EventClass::Set }
    }

    /// Members were added (`SADD`, `SMOVE`'s destination).
    pub const SADD: Event = set("sadd");
    /// Members were removed (`SREM`, `SMOVE`'s source).
    pub const SREM: Event = set("srem");
    /// Members were popped (`SPOP`).
    pub const SPOP: Event = set("spop");
    /// `SINTERSTORE` stored its result.
    pub const SINTERSTORE: Event = set("sinterstore");
    /// `SUNIONSTORE` stored its result.
    pub const SUNIONSTORE: Event = set("sunionstore");
    /// `SDIFFSTORE` stored its result.
    pub const SDIFFSTORE: Event = set("sdiffstore");
}

const SET: &[&str] = &["set"];
const RO: &[&str] = &["RO"];
const RO_ACCESS: &[&str] = &["RO", "access"];
const ONE_RO: &[KeySpec] = &[KeySpec::one(1, RO)];
const ONE_RO_ACCESS: &[KeySpec] = &[KeySpec::one(1, RO_ACCESS)];
const ALL_RO_ACCESS: &[KeySpec] = &[KeySpec::all_from(1, 1, RO_ACCESS)];
/// The destination (`OW update`, but `RW update` for `SINTERSTORE`) and the sources.
const STORE_OW: &[KeySpec] = &[KeySpec::one(1, &["OW", "update"]), KeySpec::all_from(2, 1, RO_ACCESS)];
const STORE_RW: &[KeySpec] = &[KeySpec::one(1, &["RW", "update"]), KeySpec::all_from(2, 1, RO_ACCESS)];
/// `SINTERCARD numkeys key [key …]`: the count at argument 1, the keys after it.
const NUMKEYS: &[KeySpec] = &[KeySpec {
    flags: RO_ACCESS,
    notes: None,
    begin: BeginSearch::Index(1),
    find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
}];
const ORDER: &[&str] = &["nondeterministic_output_order"];
const RANDOM: &[&str] = &["nondeterministic_output"];

/// The set family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, WRITE | DENYOOM | FAST, sadd)
        .keys(&[KeySpec::one(1, &["RW", "insert"])])
        .categories(SET),
    CommandSpec::new("srem", -3, WRITE | FAST, srem)
        .keys(&[KeySpec::one(1, &["RW", "delete"])])
        .categories(SET),
    CommandSpec::new("smembers", 2, READONLY, smembers).keys(ONE_RO_ACCESS).categories(SET).tips(ORDER),
    CommandSpec::new("sismember", 3, READONLY | FAST, sismember).keys(ONE_RO).categories(SET),
    CommandSpec::new("smismember", -3, READONLY | FAST, smismember).keys(ONE_RO_ACCESS).categories(SET),
    CommandSpec::new("scard", 2, READONLY | FAST, scard).keys(ONE_RO).categories(SET),
    CommandSpec::new("spop", -2, WRITE | FAST, spop)
        .keys(&[KeySpec::one(1, &["RW", "access", "delete"])])
        .categories(SET)
        .tips(RANDOM),
    CommandSpec::new("srandmember", -2, READONLY, srandmember)
        .keys(ONE_RO_ACCESS)
        .categories(SET)
        .tips(RANDOM),
    CommandSpec::new("smove", 4, WRITE | FAST, smove)
        .keys(&[KeySpec::one(1, &["RW", "access", "delete"]), KeySpec::one(2, &["RW", "insert"])])
        .categories(SET),
    CommandSpec::new("sinter", -2, READONLY, sinter).keys(ALL_RO_ACCESS).categories(SET).tips(ORDER),
    CommandSpec::new("sintercard", -3, READONLY, sintercard).keys(NUMKEYS).categories(SET),
    CommandSpec::new("sinterstore", -3, WRITE | DENYOOM, sinterstore).keys(STORE_RW).categories(SET),
    CommandSpec::new("sunion", -2, READONLY, sunion).keys(ALL_RO_ACCESS).categories(SET).tips(ORDER),
    CommandSpec::new("sunionstore", -3, WRITE | DENYOOM, sunionstore).keys(STORE_OW).categories(SET),
    CommandSpec::new("sdiff", -2, READONLY, sdiff).keys(ALL_RO_ACCESS).categories(SET).tips(ORDER),
    CommandSpec::new("sdiffstore", -3, WRITE | DENYOOM, sdiffstore).keys(STORE_OW).categories(SET),
    CommandSpec::new("sscan", -3, READONLY, sscan).keys(ONE_RO_ACCESS).categories(SET).tips(RANDOM),
];

/// The encoding thresholds now configured (`set-max-intset-entries`,
/// `set-max-listpack-entries`, `set-max-listpack-value`).
fn limits(ctx: &Context<'_>) -> Limits {
    let config = ctx.state.config.load();
    Limits {
        intset_entries: config.set_max_intset_entries,
        listpack_entries: config.set_max_listpack_entries,
        listpack_value: config.set_max_listpack_value,
    }
}

/// The set in `entry`: `None` for a missing key, `WRONGTYPE` for another type.
fn set_of(entry: Option<&Entry>) -> Result<Option<&Set>, CommandError> {
    Ok(entry.map(Entry::get_as::<Set>).transpose()?)
}

/// ```text
/// SADD key member [member …]
/// ```
/// How many members were new. A new key gets the encoding all the members need.
pub fn sadd(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    let limits = limits(ctx);
    let added = ctx.db().write(key, ctx.now_ms, |slot| {
        let added = slot.get_or_create::<Set>()?.add_all(members, limits);
        if added > 0 {
            slot.record(events::SADD, &as_slices(args.all()));
        }
        Ok::<_, CommandError>(added)
    })?;
    ctx.out.integer(added as i64);
    REPLIED
}

/// ```text
/// SREM key member [member …]
/// ```
/// How many members were removed; the key goes when the set empties.
pub fn srem(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    let removed = ctx.db().write(key, ctx.now_ms, |slot| {
        let removed = match slot.get_as::<Set>()? {
            None => 0,
            Some(set) if !members.iter().any(|m| set.contains(m)) => 0,
            Some(_) => {
                let set = slot.get_mut_as::<Set>()?.expect("a set just read");
                members.iter().filter(|m| set.remove(m)).count()
            }
        };
        if removed > 0 {
            slot.record(events::SREM, &as_slices(args.all()));
        }
        Ok::<_, CommandError>(removed)
    })?;
    ctx.out.integer(removed as i64);
    REPLIED
}

/// Runs `read` on the set at `key` (`None`: missing), with the reply writer,
/// and counts the lookup as a keyspace hit or miss (`INFO stats`), as Redis's
/// `lookupKeyRead` does (a key of another type is found: a hit, then `WRONGTYPE`).
fn read_set<R>(
    ctx: &mut Context<'_>,
    key: &[u8],
    read: impl FnOnce(&mut ReplyWriter, Option<&Set>) -> Result<R, CommandError>,
) -> Result<R, CommandError> {
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (hit, result) = db.read(key, ctx.now_ms, |entry| match set_of(entry) {
        Ok(set) => (set.is_some(), read(out, set)),
        Err(wrong) => (true, Err(wrong)),
    });
    ctx.count_lookup(key, hit);
    result
}

/// `SMEMBERS key`: every member (a RESP3 set).
pub fn smembers(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    read_set(ctx, key, |out, set| {
        out.set(set.map_or(0, Set::len));
        for member in set.into_iter().flat_map(|s| s.iter()) {
            out.bulk(&member);
        }
        REPLIED
    })
}

/// `SISMEMBER key member`: 1 or 0.
pub fn sismember(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, member) = (args.next_bytes()?, args.next_bytes()?);
    read_set(ctx, key, |out, set| {
        out.integer(set.is_some_and(|s| s.contains(member)) as i64);
        REPLIED
    })
}

/// `SMISMEMBER key member [member …]`: 1 or 0 for each member.
pub fn smismember(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    read_set(ctx, key, |out, set| {
        out.array(members.len());
        for member in members {
            out.integer(set.is_some_and(|s| s.contains(member)) as i64);
        }
        REPLIED
    })
}

/// `SCARD key`: how many members (0 for a missing key).
pub fn scard(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    read_set(ctx, key, |out, set| {
        out.integer(set.map_or(0, Set::len) as i64);
        REPLIED
    })
}

/// A `SCAN`-family cursor as Redis's `parseScanCursorOrReply` reads it (`strtoul`:
/// an optional sign, a negative one wrapping around; no leading space, nothing
/// after the digits, no overflow), else `ERR invalid cursor`.
pub fn scan_cursor(text: &[u8]) -> Result<u64, CommandError> {
    let invalid = || CommandError::err("invalid cursor");
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if text.is_empty() {
        return Ok(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let value = std::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok()).ok_or_else(invalid)?;
    Ok(if negative { value.wrapping_neg() } else { value })
}

/// `SSCAN`'s options, read after the key is found (as Redis does: a missing key
/// answers an empty scan whatever follows).
fn scan_options(rest: &[Bytes]) -> Result<(Option<&[u8]>, usize), CommandError> {
    let mut args = Args::new(rest, 0);
    let (mut pattern, mut count) = (None, 10usize);
    while !args.is_done() {
        if args.remaining() >= 2 && args.flag("COUNT") {
            count = match args.next_i64()? {
                n if n >= 1 => n as usize,
                _ => return Err(CommandError::Syntax),
            };
        } else if args.remaining() >= 2 && args.flag("MATCH") {
            pattern = Some(&args.next_bytes()?[..]);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    // A lone `*` matches everything; Redis skips matching then.
    Ok((pattern.filter(|p| *p != b"*"), count))
}

/// ```text
/// SSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// A compact set comes whole with cursor 0; a table about `COUNT` members a call.
pub fn sscan(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let cursor = scan_cursor(args.next_bytes()?)?;
    let rest = args.rest();
    read_set(ctx, key, |out, set| {
        let Some(set) = set else {
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return REPLIED;
        };
        let (pattern, count) = scan_options(rest)?;
        // The members' bytes live only during the visit (an intset spells them out).
        let mut found: Vec<Box<[u8]>> = Vec::new();
        let next = set.scan(cursor, count, |member| {
            if pattern.is_none_or(|p| glob_match(p, member)) {
                found.push(member.into());
            }
        });
        out.array(2);
        out.bulk(itoa::Buffer::new().format(next).as_bytes());
        out.array(found.len());
        for member in &found {
            out.bulk(member);
        }
        REPLIED
    })
}

#[cfg(test)]
mod tests {
    use super::scan_cursor;

    #[test]
    fn cursors_read_like_strtoul() {
        assert_eq!(scan_cursor(b"0"), Ok(0));
        assert_eq!(scan_cursor(b""), Ok(0));
        assert_eq!(scan_cursor(b"+7"), Ok(7));
        assert_eq!(scan_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(scan_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in ["18446744073709551616", " 1", "1 ", "x", "-", "1x"] {
            assert!(scan_cursor(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
