//! Keyspace commands: `DEL`, `EXISTS`, `TYPE`, `DBSIZE`, `FLUSHDB`, `FLUSHALL`,
//! `SELECT`, `MOVE`, `SWAPDB`, `RENAME`, `RENAMENX`, `COPY`, `TOUCH`, `RANDOMKEY`,
//! `KEYS`, `SCAN`.

use bytes::Bytes;

use super::args::{self, is};
use super::{CommandError, CommandResult, Context};
use crate::engine::Transfer;
use crate::glob::glob_match;

/// `DEL key [key …]` (and `UNLINK`): how many of the keys existed; all go at once.
pub fn del(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let keys = &args[1..];
    let db = ctx.db();
    let removed = db.write_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        let mut record: Vec<&[u8]> = vec![b"DEL"];
        for key in keys {
            if view.with_slot(key, |slot| slot.remove().is_some()).unwrap_or(false) {
                record.push(key);
            }
        }
        if record.len() > 1 {
            view.log(&record);
        }
        record.len() as i64 - 1
    });
    ctx.out.integer(removed);
    Ok(())
}

/// `EXISTS key [key …]`: how many of the keys exist (a repeated key counts again).
pub fn exists(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let keys = &args[1..];
    let db = ctx.db();
    let count = db.read_many(keys.iter().map(|k| &k[..]), ctx.now_ms, |view| {
        keys.iter().filter(|k| view.get(k).is_some()).count()
    });
    ctx.out.integer(count as i64);
    Ok(())
}

/// `TYPE key`: `string`, or `none` for a missing key.
pub fn type_of(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let exists = ctx.db().read(&args[1], ctx.now_ms, |e| e.is_some());
    ctx.out.simple(if exists { "string" } else { "none" });
    Ok(())
}

/// `DBSIZE`: keys in the selected database.
pub fn dbsize(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    let len = ctx.db().len();
    ctx.out.integer(len as i64);
    Ok(())
}

/// Checks the optional `ASYNC`/`SYNC` of `FLUSHDB`/`FLUSHALL` (both flush at once here).
fn flush_mode(args: &[Bytes]) -> CommandResult {
    match args {
        [_] => Ok(()),
        [_, mode] if is(mode, "ASYNC") || is(mode, "SYNC") => Ok(()),
        _ => Err(CommandError::Syntax),
    }
}

/// `FLUSHDB [ASYNC | SYNC]`: empties the selected database.
pub fn flushdb(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    flush_mode(args)?;
    ctx.db().clear(&[b"FLUSHDB"]);
    ctx.out.ok();
    Ok(())
}

/// `FLUSHALL [ASYNC | SYNC]`: empties every database.
pub fn flushall(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    flush_mode(args)?;
    ctx.state.engine.flush_all();
    ctx.out.ok();
    Ok(())
}

/// `SELECT index`: switches the connection's database.
pub fn select(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let index = args::db_index(&args[1])?;
    ctx.session.db = index;
    ctx.session.client.db.store(index, std::sync::atomic::Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

/// `MOVE key db`: moves the key (with its TTL) to another database; 1 if moved, 0 if
/// it was missing here or already present there.
pub fn move_key(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let target = args::db_index(&args[2])?;
    if target == ctx.session.db {
        return Err(CommandError::SameObject);
    }
    let moved = ctx.state.engine.move_key(ctx.session.db, target, &args[1], ctx.now_ms);
    ctx.out.integer(moved as i64);
    Ok(())
}

/// `SWAPDB index1 index2`: exchanges two databases for every client.
pub fn swapdb(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let first = args::int32(&args[1]).map_err(|_| CommandError::err("invalid first DB index"))?;
    let second = args::int32(&args[2]).map_err(|_| CommandError::err("invalid second DB index"))?;
    let range = 0..crate::engine::DATABASES as i32;
    if !range.contains(&first) || !range.contains(&second) {
        return Err(CommandError::DbIndexOutOfRange);
    }
    ctx.state.engine.swap(first as usize, second as usize);
    ctx.out.ok();
    Ok(())
}

/// `RENAME key newkey` (`ERR no such key` when missing); `RENAMENX` replies 1, or 0
/// when `newkey` exists. The TTL moves with the value.
fn rename_generic(ctx: &mut Context<'_>, args: &[Bytes], replace: bool) -> CommandResult {
    let db = ctx.session.db;
    let record = crate::command::string::as_slices(args);
    let done =
        ctx.state.engine.transfer(db, db, &args[1], &args[2], Transfer::Move, replace, ctx.now_ms, &record);
    match done {
        None => return Err(CommandError::err("no such key")),
        Some(done) if replace => {
            debug_assert!(done);
            ctx.out.ok()
        }
        Some(done) => ctx.out.integer(done as i64),
    }
    Ok(())
}

/// `RENAME key newkey`.
pub fn rename(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    rename_generic(ctx, args, true)
}

/// `RENAMENX key newkey`.
pub fn renamenx(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    rename_generic(ctx, args, false)
}

/// `COPY source destination [DB index] [REPLACE]`: 1 if copied, 0 if not.
pub fn copy(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let mut target_db = ctx.session.db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "REPLACE") {
            replace = true;
        } else if is(&args[i], "DB") && i + 1 < args.len() {
            target_db = args::db_index(&args[i + 1])?;
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if target_db == ctx.session.db && args[1] == args[2] {
        return Err(CommandError::SameObject);
    }
    let target = target_db.to_string();
    let mut record: Vec<&[u8]> = vec![b"COPY", &args[1], &args[2], b"DB", target.as_bytes()];
    if replace {
        record.push(b"REPLACE");
    }
    let done = ctx.state.engine.transfer(
        ctx.session.db,
        target_db,
        &args[1],
        &args[2],
        Transfer::Copy,
        replace,
        ctx.now_ms,
        &record,
    );
    ctx.out.integer(done.unwrap_or(false) as i64);
    Ok(())
}

/// `TOUCH key [key …]`: how many exist; each counts as an access.
pub fn touch(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let db = ctx.db();
    let found = args[1..].iter().filter(|key| db.read(key, ctx.now_ms, |e| e.is_some())).count();
    ctx.out.integer(found as i64);
    Ok(())
}

/// `RANDOMKEY`: a random key, or null when the database is empty.
pub fn randomkey(ctx: &mut Context<'_>, _args: &[Bytes]) -> CommandResult {
    let key = ctx.db().random_key(ctx.now_ms);
    ctx.out.bulk_or_null(key.as_deref());
    Ok(())
}

/// `KEYS pattern`: every key matching the glob pattern (work bounded by pattern
/// length × key length per key, see [`crate::glob`]).
pub fn keys(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let pattern = &args[1];
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
    Ok(())
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`.
///
/// The cursor is a shard number: each call returns whole shards, read under their
/// lock, until about `COUNT` keys are gathered, so every key present for the whole
/// scan is returned at least once however the tables resize; the last call returns
/// cursor 0.
pub fn scan(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let cursor = std::str::from_utf8(&args[1])
        .ok()
        .and_then(|c| c.parse::<u64>().ok())
        .ok_or_else(|| CommandError::err("invalid cursor"))?;
    let mut pattern: Option<&[u8]> = None;
    let mut count = 10usize;
    let mut type_ok = true;
    let mut i = 2;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else { return Err(CommandError::Syntax) };
        if is(&args[i], "MATCH") {
            pattern = Some(value);
        } else if is(&args[i], "COUNT") {
            count = match args::int(value)? {
                n if n >= 1 => n as usize,
                _ => return Err(CommandError::Syntax),
            };
        } else if is(&args[i], "TYPE") {
            type_ok = is(value, "string");
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    let db = ctx.db();
    let shards = db.shard_count() as u64;
    let mut shard = cursor;
    let mut found: Vec<Box<[u8]>> = Vec::new();
    let mut scanned = 0;
    while shard < shards && scanned < count {
        db.for_each_in_shard(shard as usize, ctx.now_ms, |key, _| {
            scanned += 1;
            if type_ok && pattern.is_none_or(|p| glob_match(p, key)) {
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
    Ok(())
}
