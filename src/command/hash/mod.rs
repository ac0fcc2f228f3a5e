//! The hash family: `HSET`, `HGET`, `HDEL`, `HINCRBY`, `HRANDFIELD`, `HSCAN` and
//! friends, with redis-server 7.0's replies and error texts (see `t_hash.c`). The
//! structure is [`crate::types::hash::Hash`]; the encoding thresholds
//! (`hash-max-listpack-entries`, `hash-max-listpack-value`) are read from the live
//! configuration at each write. A key holding another type gets `WRONGTYPE`; a hash
//! emptied by `HDEL` is deleted by the slot that emptied it.
//!
//! What each write logs: `HSET`, `HMSET` and a successful `HSETNX` log `HSET key
//! field value …`; `HINCRBY` logs itself; `HINCRBYFLOAT` logs the `HSET` of its
//! result (so replay cannot drift by rounding); `HDEL` logs the fields it removed.

use super::spec::{CommandSpec, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::Entry;
use crate::types::hash::{Hash, Limits};

mod counters;
mod random;
mod scan;

use counters::{hincrby, hincrbyfloat};
use random::hrandfield;
use scan::hscan;

/// The keyspace events of the hash commands, as Redis names them.
pub mod events {
    use crate::engine::{Event, EventClass};

    const fn hash(name: &'static str) -> Event {
        Event { name, class: EventClass::Hash }
    }

    /// `HSET`, `HMSET`, `HSETNX` (when it sets).
    pub const HSET: Event = hash("hset");
    /// `HDEL` (when it removed a field).
    pub const HDEL: Event = hash("hdel");
    /// `HINCRBY`.
    pub const HINCRBY: Event = hash("hincrby");
    /// `HINCRBYFLOAT`.
    pub const HINCRBYFLOAT: Event = hash("hincrbyfloat");
}

const HASH: &[&str] = &["hash"];
const RO_ACCESS: &[KeySpec] = &[KeySpec::one(1, &["RO", "access"])];
const RO: &[KeySpec] = &[KeySpec::one(1, &["RO"])];
const RW_UPDATE: &[KeySpec] = &[KeySpec::one(1, &["RW", "update"])];
const RW_ACCESS_UPDATE: &[KeySpec] = &[KeySpec::one(1, &["RW", "access", "update"])];
const ORDER: &[&str] = &["nondeterministic_output_order"];
const RANDOM: &[&str] = &["nondeterministic_output"];

/// The hash family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, WRITE | DENYOOM | FAST, hset).keys(RW_UPDATE).categories(HASH),
    CommandSpec::new("hsetnx", 4, WRITE | DENYOOM | FAST, hsetnx)
        .keys(&[KeySpec::one(1, &["RW", "insert"])])
        .categories(HASH),
    CommandSpec::new("hmset", -4, WRITE | DENYOOM | FAST, hmset).keys(RW_UPDATE).categories(HASH),
    CommandSpec::new("hget", 3, READONLY | FAST, hget).keys(RO_ACCESS).categories(HASH),
    CommandSpec::new("hmget", -3, READONLY | FAST, hmget).keys(RO_ACCESS).categories(HASH),
    CommandSpec::new("hgetall", 2, READONLY, hgetall).keys(RO_ACCESS).categories(HASH).tips(ORDER),
    CommandSpec::new("hkeys", 2, READONLY, hkeys).keys(RO_ACCESS).categories(HASH).tips(ORDER),
    CommandSpec::new("hvals", 2, READONLY, hvals).keys(RO_ACCESS).categories(HASH).tips(ORDER),
    CommandSpec::new("hlen", 2, READONLY | FAST, hlen).keys(RO).categories(HASH),
    CommandSpec::new("hstrlen", 3, READONLY | FAST, hstrlen).keys(RO).categories(HASH),
    CommandSpec::new("hexists", 3, READONLY | FAST, hexists).keys(RO).categories(HASH),
    CommandSpec::new("hdel", -3, WRITE | FAST, hdel)
        .keys(&[KeySpec::one(1, &["RW", "delete"])])
        .categories(HASH),
    CommandSpec::new("hincrby", 4, WRITE | DENYOOM | FAST, hincrby).keys(RW_ACCESS_UPDATE).categories(HASH),
    CommandSpec::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, hincrbyfloat)
        .keys(RW_ACCESS_UPDATE)
        .categories(HASH),
    CommandSpec::new("hrandfield", -2, READONLY, hrandfield).keys(RO_ACCESS).categories(HASH).tips(RANDOM),
    CommandSpec::new("hscan", -3, READONLY, hscan).keys(RO_ACCESS).categories(HASH).tips(RANDOM),
];

/// The packed-encoding thresholds in force now (`CONFIG SET` changes them live).
fn limits(ctx: &Context<'_>) -> Limits {
    let config = ctx.state.config.load();
    Limits { max_entries: config.hash_max_listpack_entries, max_value: config.hash_max_listpack_value }
}

/// The hash an entry holds: `Ok(None)` for a missing key, `WRONGTYPE` for another
/// kind.
fn hash_of(entry: Option<&Entry>) -> Result<Option<&Hash>, CommandError> {
    Ok(entry.map(Entry::get_as::<Hash>).transpose()?)
}

/// Reads the hash at `key` (counting the lookup as a hit or a miss) and replies
/// through `reply`, given the hash or `None` for a missing key.
fn read_hash(
    ctx: &mut Context<'_>,
    key: &[u8],
    reply: impl FnOnce(&mut crate::protocol::ReplyWriter, Option<&Hash>),
) -> CommandResult {
    let db = ctx.db();
    let out = &mut *ctx.out;
    let hit = db.read(key, ctx.now_ms, |entry| {
        let hash = hash_of(entry)?;
        reply(out, hash);
        Ok::<_, CommandError>(hash.is_some())
    })?;
    ctx.count_lookup(key, hit);
    REPLIED
}

/// The `field value` pairs of `HSET`/`HMSET` (`ERR wrong number of arguments` for a
/// field without its value).
fn field_values<'a>(args: &Args<'a>, name: &str) -> Result<&'a [bytes::Bytes], CommandError> {
    let pairs = args.rest();
    if pairs.len() % 2 != 0 {
        return Err(CommandError::WrongArity(name.into()));
    }
    Ok(pairs)
}

/// Sets the pairs, recording them as one `HSET`; how many fields were new.
fn set_pairs(ctx: &mut Context<'_>, args: &mut Args<'_>, name: &str) -> Result<i64, CommandError> {
    let key = args.next_bytes()?;
    let pairs = field_values(args, name)?;
    let limits = limits(ctx);
    // Built before the shard is locked, so the lock is held for the change alone.
    let mut effect: Vec<&[u8]> = Vec::with_capacity(args.all().len());
    effect.push(b"HSET");
    effect.extend(args.all()[1..].iter().map(|a| &a[..]));
    ctx.db().write(key, ctx.now_ms, |slot| {
        let hash = slot.get_or_create::<Hash>()?;
        let mut created = 0;
        for pair in pairs.chunks_exact(2) {
            created += hash.insert(&pair[0], &pair[1], limits) as i64;
        }
        slot.record(events::HSET, &effect);
        Ok(created)
    })
}

/// ```text
/// HSET key field value [field value …]
/// ```
/// How many fields were new.
pub fn hset(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let created = set_pairs(ctx, args, "hset")?;
    ctx.out.integer(created);
    REPLIED
}

/// `HMSET key field value [field value …]`: `HSET` replying `+OK` (deprecated).
pub fn hmset(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    set_pairs(ctx, args, "hmset")?;
    ctx.out.ok();
    REPLIED
}

/// `HSETNX key field value`: 1 if the field was set, 0 if it existed.
pub fn hsetnx(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, field, value) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let limits = limits(ctx);
    let set = ctx.db().write(key, ctx.now_ms, |slot| {
        if slot.get_as::<Hash>()?.is_some_and(|hash| hash.contains(field)) {
            return Ok::<_, CommandError>(false);
        }
        slot.get_or_create::<Hash>()?.insert(field, value, limits);
        slot.record(events::HSET, &[b"HSET", key, field, value]);
        Ok(true)
    })?;
    ctx.out.integer(set as i64);
    REPLIED
}

/// `HGET key field`: the value, or null.
pub fn hget(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, field) = (args.next_bytes()?, args.next_bytes()?);
    read_hash(ctx, key, |out, hash| out.bulk_or_null(hash.and_then(|h| h.get(field))))
}

/// `HMGET key field [field …]`: each value, or null (all null for a missing key).
pub fn hmget(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let fields = args.rest();
    read_hash(ctx, key, |out, hash| {
        out.array(fields.len());
        for field in fields {
            out.bulk_or_null(hash.and_then(|h| h.get(field)));
        }
    })
}

/// What `HGETALL`, `HKEYS` and `HVALS` list of each pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    Pairs,
    Fields,
    Values,
}

/// Lists the whole hash: a map of the pairs (RESP3 `%`), or an array of the fields
/// or the values.
fn list(ctx: &mut Context<'_>, args: &mut Args<'_>, listing: Listing) -> CommandResult {
    let key = args.next_bytes()?;
    read_hash(ctx, key, |out, hash| {
        let len = hash.map_or(0, Hash::len);
        if listing == Listing::Pairs {
            out.map(len);
        } else {
            out.array(len);
        }
        for (field, value) in hash.into_iter().flat_map(Hash::pairs) {
            if listing != Listing::Values {
                out.bulk(field);
            }
            if listing != Listing::Fields {
                out.bulk(value);
            }
        }
    })
}

/// `HGETALL key`: every field and its value (a map in RESP3).
pub fn hgetall(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    list(ctx, args, Listing::Pairs)
}

/// `HKEYS key`: every field.
pub fn hkeys(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    list(ctx, args, Listing::Fields)
}

/// `HVALS key`: every value.
pub fn hvals(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    list(ctx, args, Listing::Values)
}

/// `HLEN key`: how many fields (0 for a missing key).
pub fn hlen(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    read_hash(ctx, key, |out, hash| out.integer(hash.map_or(0, Hash::len) as i64))
}

/// `HSTRLEN key field`: the value's length (0 when the field or key is missing).
pub fn hstrlen(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, field) = (args.next_bytes()?, args.next_bytes()?);
    read_hash(ctx, key, |out, hash| {
        out.integer(hash.and_then(|h| h.get(field)).map_or(0, <[u8]>::len) as i64)
    })
}

/// `HEXISTS key field`: 1 if the field exists.
pub fn hexists(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, field) = (args.next_bytes()?, args.next_bytes()?);
    read_hash(ctx, key, |out, hash| out.integer(hash.is_some_and(|h| h.contains(field)) as i64))
}

/// `HDEL key field [field …]`: how many fields were removed, logged as the `HDEL`
/// of those; the hash goes with its last field.
pub fn hdel(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let fields = args.rest();
    let removed = ctx.db().write(key, ctx.now_ms, |slot| {
        // Only a removal changes the hash (and copies it, when shared).
        let present = slot.get_as::<Hash>()?.is_some_and(|h| fields.iter().any(|f| h.contains(f)));
        if !present {
            return Ok::<_, CommandError>(0);
        }
        let hash = slot.get_mut_as::<Hash>()?.expect("present");
        let mut effect: Vec<&[u8]> = vec![b"HDEL", key];
        for field in fields {
            if hash.remove(field) {
                effect.push(field);
                if hash.is_empty() {
                    break;
                }
            }
        }
        slot.record(events::HDEL, &effect);
        Ok(effect.len() as i64 - 2)
    })?;
    ctx.out.integer(removed);
    REPLIED
}
