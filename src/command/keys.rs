//! Keyspace commands: `DEL`, `EXISTS`, `TYPE`, `DBSIZE`, `FLUSHDB`, `FLUSHALL`,
//! `SELECT`, `MOVE`, `SWAPDB`.

use bytes::Bytes;

use super::args::{self, is};
use super::{CommandError, CommandResult, Context};

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
