//! Introspection of stored values: `OBJECT FREQ | IDLETIME | ENCODING | REFCOUNT` and
//! `MEMORY USAGE | STATS | DOCTOR`. None of them counts as an access to the key.

use bytes::Bytes;

use super::args::{self, is};
use super::{help, subcommand_arity, CommandError, CommandResult, Context};
use crate::engine::{access, Entry};
use crate::protocol::parser::parse_i64;

/// Per-key overhead of the table: the slot (one pointer to the entry) and its
/// control byte.
const ENTRY_OVERHEAD: usize = std::mem::size_of::<Entry>() + 1;

/// Bytes an allocation of `len` really takes (jemalloc's size class).
fn allocation(ptr: *const u8, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    // SAFETY: `ptr` is the start of a live allocation of `len > 0` bytes (an entry's
    // block, read under its shard lock), which jemalloc, the global allocator,
    // handed out.
    unsafe { tikv_jemallocator::usable_size(ptr) }
}

/// Redis's encoding name for a string value.
fn encoding(value: &[u8]) -> &'static str {
    if value.len() <= 20 && parse_i64(value).is_some() {
        "int"
    } else if value.len() <= 44 {
        "embstr"
    } else {
        "raw"
    }
}

/// `OBJECT FREQ | IDLETIME | ENCODING | REFCOUNT key`, or `OBJECT HELP`.
pub fn object(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let sub = &args[1];
    if is(sub, "HELP") {
        let lines = [
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "FREQ <key>",
            "IDLETIME <key>",
            "REFCOUNT <key>",
        ];
        help(ctx, &lines);
        return Ok(());
    }
    if args.len() != 3 {
        return Err(subcommand_arity("object", sub));
    }
    let policy = ctx.state.config.load().maxmemory_policy;
    let now = ctx.now_ms;
    let meta_and_value = ctx.db().read_quiet(&args[2], now, |e| e.map(|e| (e.meta(), encoding(e.value()))));
    let Some((meta, encoding)) = meta_and_value else {
        ctx.out.null();
        return Ok(());
    };
    if is(sub, "FREQ") {
        if !policy.is_lfu() {
            return Err(CommandError::err(
                "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
                 switching between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        ctx.out.integer(access::frequency(meta, now) as i64);
    } else if is(sub, "IDLETIME") {
        if policy.is_lfu() {
            return Err(CommandError::err(
                "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
                 between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        ctx.out.integer((access::idle_ms(meta, now) / 1000) as i64);
    } else if is(sub, "ENCODING") {
        ctx.out.bulk(encoding.as_bytes());
    } else if is(sub, "REFCOUNT") {
        ctx.out.integer(1);
    } else {
        return Err(CommandError::UnknownSubcommand { sub: args::text(sub), command: "OBJECT" });
    }
    Ok(())
}

/// `MEMORY USAGE key [SAMPLES n]` (bytes the key takes, allocator size classes
/// included), `MEMORY STATS`, `MEMORY DOCTOR`, `MEMORY HELP`.
pub fn memory(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let sub = &args[1];
    if is(sub, "USAGE") {
        match args.len() {
            3 => {}
            5 if is(&args[3], "SAMPLES") => {
                args::int(&args[4])?;
            }
            n if n < 3 => return Err(subcommand_arity("memory", sub)),
            _ => return Err(CommandError::Syntax),
        }
        let key = &args[2];
        let usage = ctx.db().read_quiet(key, ctx.now_ms, |entry| {
            entry.map(|e: &Entry| ENTRY_OVERHEAD + allocation(e.block(), e.allocated_len()))
        });
        match usage {
            Some(bytes) => ctx.out.integer(bytes as i64),
            None => ctx.out.null(),
        }
    } else if is(sub, "STATS") {
        let used = crate::memory::used_memory();
        let keys = ctx.state.engine.total_keys();
        let buckets: usize = (0..crate::engine::DATABASES).map(|db| ctx.state.engine.db(db).buckets()).sum();
        ctx.out.map(5);
        ctx.out.bulk(b"keys.table-buckets");
        ctx.out.integer(buckets as i64);
        ctx.out.bulk(b"peak.allocated");
        ctx.out.integer(crate::memory::peak_memory() as i64);
        ctx.out.bulk(b"total.allocated");
        ctx.out.integer(used as i64);
        ctx.out.bulk(b"keys.count");
        ctx.out.integer(keys as i64);
        ctx.out.bulk(b"keys.bytes-per-key");
        ctx.out.integer(used.checked_div(keys as u64).unwrap_or(0) as i64);
    } else if is(sub, "DOCTOR") {
        ctx.out.verbatim("txt", b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.");
    } else if is(sub, "HELP") {
        let lines = [
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "STATS",
            "USAGE <key> [SAMPLES <count>]",
        ];
        help(ctx, &lines);
    } else {
        return Err(CommandError::UnknownSubcommand { sub: args::text(sub), command: "MEMORY" });
    }
    Ok(())
}
