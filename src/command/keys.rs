//! Keyspace commands: `DEL`, `UNLINK`, `EXISTS`, `TYPE`, `DBSIZE`, `FLUSHDB`,
//! `FLUSHALL`, `SELECT`, `MOVE`, `SWAPDB`, `RENAME`, `RENAMENX`, `COPY`, `TOUCH`,
//! `RANDOMKEY`, `KEYS`, `SCAN`. Every one works on keys of any type.

use super::args::{self, as_slices, is};
use super::spec::{CommandSpec, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{events, Kind, Transfer, Transferred};
use crate::glob::glob_match;

const KEYSPACE: &[&str] = &["keyspace"];
const DANGEROUS: &[&str] = &["keyspace", "dangerous"];
const RO: &[&str] = &["RO", "access"];
const RM: &[&str] = &["RM", "delete"];
/// Redis sends these to every key's shard and adds the replies up.
const MULTI_SHARD_SUM: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];
/// Redis sends these to every shard and wants every one to succeed.
const ALL_SHARDS_OK: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

/// The keyspace family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, WRITE, del)
        .keys(&[KeySpec::all_from(1, 1, RM)])
        .categories(KEYSPACE)
        .tips(MULTI_SHARD_SUM),
    CommandSpec::new("unlink", -2, WRITE | FAST, del)
        .keys(&[KeySpec::all_from(1, 1, RM)])
        .categories(KEYSPACE)
        .tips(MULTI_SHARD_SUM),
    CommandSpec::new("exists", -2, READONLY | FAST, exists)
        .keys(&[KeySpec::all_from(1, 1, &["RO"])])
        .categories(KEYSPACE)
        .tips(MULTI_SHARD_SUM),
    CommandSpec::new("type", 2, READONLY | FAST, type_of)
        .keys(&[KeySpec::one(1, &["RO"])])
        .categories(KEYSPACE),
    CommandSpec::new("dbsize", 1, READONLY | FAST, dbsize)
        .categories(KEYSPACE)
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"]),
    CommandSpec::new("flushdb", -1, WRITE, flushdb).categories(DANGEROUS).tips(ALL_SHARDS_OK),
    CommandSpec::new("flushall", -1, WRITE, flushall).categories(DANGEROUS).tips(ALL_SHARDS_OK),
    CommandSpec::new("select", 2, LOADING | STALE | FAST, select).categories(&["connection"]),
    CommandSpec::new("move", 3, WRITE | FAST, move_key)
        .keys(&[KeySpec::one(1, &["RW", "access", "update"])])
        .categories(KEYSPACE),
    CommandSpec::new("swapdb", 3, WRITE | FAST, swapdb).categories(DANGEROUS),
    CommandSpec::new("rename", 3, WRITE, rename)
        .keys(&[KeySpec::one(1, &["RW", "access", "delete"]), KeySpec::one(2, &["OW", "update"])])
        .categories(KEYSPACE),
    CommandSpec::new("renamenx", 3, WRITE | FAST, renamenx)
        .keys(&[KeySpec::one(1, &["RW", "access", "delete"]), KeySpec::one(2, &["OW", "insert"])])
        .categories(KEYSPACE),
    CommandSpec::new("copy", -3, WRITE | DENYOOM, copy)
        .keys(&[KeySpec::one(1, RO), KeySpec::one(2, &["OW", "update"])])
        .categories(KEYSPACE),
    CommandSpec::new("touch", -2, READONLY | FAST, touch)
        .keys(&[KeySpec::all_from(1, 1, &["RO"])])
        .categories(KEYSPACE)
        .tips(MULTI_SHARD_SUM),
    CommandSpec::new("randomkey", 1, READONLY, randomkey)
        .categories(KEYSPACE)
        .tips(&["request_policy:all_shards", "nondeterministic_output"]),
    CommandSpec::new("keys", 2, READONLY, keys)
        .categories(DANGEROUS)
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"]),
    CommandSpec::new("scan", -2, READONLY, scan)
        .categories(KEYSPACE)
        .tips(&["nondeterministic_output", "request_policy:special"]),
];

/// `DEL key [key …]` (and `UNLINK`): how many of the keys existed; all go at once.
pub fn del(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let keys = args.rest();
    let removed = ctx.db().write_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        let mut effect: Vec<&[u8]> = vec![b"DEL"];
        for key in keys {
            if view.with_slot(key, |slot| slot.remove().is_some()).unwrap_or(false) {
                effect.push(key);
            }
        }
        if effect.len() > 1 {
            view.record(&effect, &effect[1..], events::DEL);
        }
        effect.len() as i64 - 1
    });
    ctx.out.integer(removed);
    REPLIED
}

/// `EXISTS key [key …]`: how many of the keys exist (a repeated key counts again).
pub fn exists(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let keys = args.rest();
    // Not an access (Redis's LOOKUP_NOTOUCH): OBJECT IDLETIME keeps counting.
    let found: Vec<bool> = crate::engine::access::untouched(|| {
        ctx.db().read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
            keys.iter().map(|k| view.get(k).is_some()).collect()
        })
    });
    let count = found.iter().filter(|&&hit| hit).count();
    ctx.count_lookups(keys.iter().map(|k| &k[..]).zip(found));
    ctx.out.integer(count as i64);
    REPLIED
}

/// `TYPE key`: `string`, `list`, `set`, `zset`, `hash`, `stream`, or `none`.
pub fn type_of(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let kind = ctx.db().kind_of(key, ctx.now_ms);
    ctx.count_lookup(key, kind.is_some());
    ctx.out.simple(kind.map_or("none", Kind::name));
    REPLIED
}

/// `DBSIZE`: keys in the selected database.
pub fn dbsize(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let len = ctx.db().len();
    ctx.out.integer(len as i64);
    REPLIED
}

/// The optional `ASYNC`/`SYNC` of `FLUSHDB`/`FLUSHALL`: whether the old data is
/// freed in the background (without either, `lazyfree-lazy-user-flush` says).
fn flush_is_lazy(ctx: &Context<'_>, args: &mut Args<'_>) -> Result<bool, CommandError> {
    let lazy = match args.one_of(&["ASYNC", "SYNC"]) {
        Some(0) => true,
        Some(_) => false,
        None => ctx.state.config.load().lazyfree_lazy_user_flush,
    };
    args.finish()?;
    Ok(lazy)
}

/// `FLUSHDB [ASYNC | SYNC]`: empties the selected database.
pub fn flushdb(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let lazy = flush_is_lazy(ctx, args)?;
    ctx.db().clear(&[b"FLUSHDB"], lazy);
    ctx.out.ok();
    REPLIED
}

/// `FLUSHALL [ASYNC | SYNC]`: empties every database.
pub fn flushall(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let lazy = flush_is_lazy(ctx, args)?;
    ctx.state.engine.flush_all(lazy);
    ctx.out.ok();
    REPLIED
}

/// `SELECT index`: switches the connection's database.
pub fn select(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let index = args::db_index(args.next_bytes()?)?;
    ctx.session.db = index;
    ctx.session.client.db.store(index, std::sync::atomic::Ordering::Relaxed);
    ctx.out.ok();
    REPLIED
}

/// `MOVE key db`: moves the key (with its TTL) to another database; 1 if moved, 0 if
/// it was missing here or already present there.
pub fn move_key(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let target_arg = args.next_bytes()?;
    let target = args::db_index(target_arg)?;
    if target == ctx.session.db {
        return Err(CommandError::SameObject);
    }
    let plan = Transfer {
        from: ctx.session.db,
        source: key,
        to: target,
        target: key,
        keep_source: false,
        replace: false,
        events: (Some(events::MOVE_FROM), events::MOVE_TO),
    };
    let target_text = target.to_string();
    let done = ctx.state.engine.transfer(plan, ctx.now_ms, &[b"MOVE", key, target_text.as_bytes()]);
    ctx.out.integer((done == Transferred::Done) as i64);
    REPLIED
}

/// `SWAPDB index1 index2`: exchanges two databases for every client.
pub fn swapdb(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let first = args::int32(args.next_bytes()?).map_err(|_| CommandError::err("invalid first DB index"))?;
    let second = args::int32(args.next_bytes()?).map_err(|_| CommandError::err("invalid second DB index"))?;
    let range = 0..crate::engine::DATABASES as i32;
    if !range.contains(&first) || !range.contains(&second) {
        return Err(CommandError::DbIndexOutOfRange);
    }
    ctx.state.engine.swap(first as usize, second as usize);
    ctx.out.ok();
    REPLIED
}

/// `RENAME key newkey` (`ERR no such key` when missing); `RENAMENX` replies 1, or 0
/// when `newkey` exists. The TTL moves with the value.
fn rename_generic(ctx: &mut Context<'_>, args: &mut Args<'_>, replace: bool) -> CommandResult {
    let (source, target) = (args.next_bytes()?, args.next_bytes()?);
    let plan = Transfer {
        from: ctx.session.db,
        source,
        to: ctx.session.db,
        target,
        keep_source: false,
        replace,
        events: (Some(events::RENAME_FROM), events::RENAME_TO),
    };
    match ctx.state.engine.transfer(plan, ctx.now_ms, &as_slices(args.all())) {
        Transferred::NoSource => return Err(CommandError::err("no such key")),
        Transferred::Done if replace => ctx.out.ok(),
        done => ctx.out.integer((done == Transferred::Done) as i64),
    }
    REPLIED
}

/// `RENAME key newkey`.
pub fn rename(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    rename_generic(ctx, args, true)
}

/// `RENAMENX key newkey`.
pub fn renamenx(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    rename_generic(ctx, args, false)
}

/// `COPY source destination [DB index] [REPLACE]`: 1 if copied, 0 if not. A
/// collection is shared until either key changes it.
pub fn copy(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (source, target) = (args.next_bytes()?, args.next_bytes()?);
    let mut target_db = ctx.session.db;
    let mut replace = false;
    while !args.is_done() {
        if args.flag("REPLACE") {
            replace = true;
        } else if args.remaining() >= 2 && args.flag("DB") {
            target_db = args::db_index(args.next_bytes()?)?;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if target_db == ctx.session.db && source == target {
        return Err(CommandError::SameObject);
    }
    let target_text = target_db.to_string();
    let mut effect: Vec<&[u8]> = vec![b"COPY", source, target, b"DB", target_text.as_bytes()];
    if replace {
        effect.push(b"REPLACE");
    }
    let plan = Transfer {
        from: ctx.session.db,
        source,
        to: target_db,
        target,
        keep_source: true,
        replace,
        events: (None, events::COPY_TO),
    };
    let done = ctx.state.engine.transfer(plan, ctx.now_ms, &effect);
    ctx.out.integer((done == Transferred::Done) as i64);
    REPLIED
}

/// `TOUCH key [key …]`: how many exist; each counts as an access.
pub fn touch(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let db = ctx.db();
    let found = args.rest().iter().filter(|key| db.read(key, ctx.now_ms, |e| e.is_some())).count();
    ctx.out.integer(found as i64);
    REPLIED
}

/// `RANDOMKEY`: a random key, or null when the database is empty.
pub fn randomkey(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    let key = ctx.db().random_key(ctx.now_ms);
    ctx.out.bulk_or_null(key.as_deref());
    REPLIED
}

/// `KEYS pattern`: every key matching the glob pattern (work bounded by pattern
/// length × key length per key, see [`crate::glob`]).
pub fn keys(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let pattern = args.next_bytes()?;
    let mut found: Vec<Box<[u8]>> = Vec::new();
    let match_all = pattern[..] == b"*"[..];
    ctx.db().for_each(ctx.now_ms, |key, _| {
        if match_all || glob_match(pattern, key) {
            found.push(key.into());
        }
    });
    ctx.out.array(found.len());
    for key in &found {
        ctx.out.bulk(key);
    }
    REPLIED
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`.
///
/// The cursor is a shard number: each call returns whole shards, read under their
/// lock, until about `COUNT` keys are gathered, so every key present for the whole
/// scan is returned at least once however the tables resize; the last call returns
/// cursor 0. `TYPE` matches the names `TYPE` replies, ignoring case; an unknown
/// name matches nothing, as in Redis 7.0.
pub fn scan(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let cursor = std::str::from_utf8(args.next_bytes()?)
        .ok()
        .and_then(|c| c.parse::<u64>().ok())
        .ok_or_else(|| CommandError::err("invalid cursor"))?;
    let mut pattern: Option<&[u8]> = None;
    let mut count = 10usize;
    let mut kind: Option<Option<Kind>> = None;
    while !args.is_done() {
        let option = args.next_bytes()?;
        if args.is_done() {
            return Err(CommandError::Syntax);
        }
        if is(option, "MATCH") {
            pattern = Some(args.next_bytes()?);
        } else if is(option, "COUNT") {
            count = match args.next_i64()? {
                n if n >= 1 => n as usize,
                _ => return Err(CommandError::Syntax),
            };
        } else if is(option, "TYPE") {
            kind = Some(Kind::from_name(args.next_bytes()?));
        } else {
            return Err(CommandError::Syntax);
        }
    }
    // A lone `*` matches everything, the empty key too (Redis skips matching then).
    let pattern = pattern.filter(|p| *p != b"*");
    let db = ctx.db();
    let shards = db.shard_count() as u64;
    let mut shard = cursor;
    let mut found: Vec<Box<[u8]>> = Vec::new();
    let mut scanned = 0;
    while shard < shards && scanned < count {
        db.for_each_in_shard(shard as usize, ctx.now_ms, |key, entry| {
            scanned += 1;
            let kind_ok = kind.is_none_or(|wanted| wanted == Some(entry.kind()));
            if kind_ok && pattern.is_none_or(|p| glob_match(p, key)) {
                found.push(key.into());
            }
        });
        shard += 1;
    }
    let next = if shard >= shards { 0 } else { shard };
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(found.len());
    for key in &found {
        ctx.out.bulk(key);
    }
    REPLIED
}
