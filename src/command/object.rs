//! Introspection of stored values: `OBJECT FREQ | IDLETIME | ENCODING | REFCOUNT` and
//! `MEMORY USAGE | STATS | DOCTOR`. None of them counts as an access to the key.

use super::spec::{CommandSpec, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{access, Entry, Value};
use crate::number::parse_i64;

const KEY: &[KeySpec] = &[KeySpec::one(2, &["RO"])];
/// What `OBJECT` reports of a value is an implementation detail that changes.
const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];
/// `MEMORY STATS` and `MEMORY DOCTOR`: per node, nondeterministic.
const PER_NODE: &[&str] =
    &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"];

/// The introspection family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("object", -2, 0, object_help).subcommands(OBJECT),
    CommandSpec::new("memory", -2, 0, memory_help).subcommands(MEMORY),
];

/// The subcommands of `OBJECT`.
static OBJECT: &[CommandSpec] = &[
    CommandSpec::new("encoding", 3, READONLY, object_encoding)
        .keys(KEY)
        .categories(&["keyspace"])
        .tips(NONDETERMINISTIC),
    CommandSpec::new("freq", 3, READONLY, object_freq)
        .keys(KEY)
        .categories(&["keyspace"])
        .tips(NONDETERMINISTIC),
    CommandSpec::new("idletime", 3, READONLY, object_idletime)
        .keys(KEY)
        .categories(&["keyspace"])
        .tips(NONDETERMINISTIC),
    CommandSpec::new("refcount", 3, READONLY, object_refcount)
        .keys(KEY)
        .categories(&["keyspace"])
        .tips(NONDETERMINISTIC),
    CommandSpec::new("help", 2, LOADING | STALE, object_help).categories(&["keyspace"]),
];

/// The subcommands of `MEMORY`.
static MEMORY: &[CommandSpec] = &[
    CommandSpec::new("usage", -3, READONLY, memory_usage).keys(KEY),
    CommandSpec::new("stats", 2, 0, memory_stats).tips(PER_NODE),
    CommandSpec::new("doctor", 2, 0, memory_doctor).tips(PER_NODE),
    CommandSpec::new("help", 2, LOADING | STALE, memory_help),
];

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

/// The encoding `OBJECT ENCODING` reports: for a string `int`, `embstr` or `raw` as
/// Redis chooses them (by content, and `raw` once changed in place, whatever the
/// content); for a collection, its own.
pub fn encoding(entry: &Entry) -> &'static str {
    match entry.value() {
        Value::Collection(collection) => collection.encoding(),
        Value::String(_) if entry.is_raw() => "raw",
        Value::String(value) if value.len() <= 20 && parse_i64(value).is_some() => "int",
        Value::String(value) if value.len() <= 44 => "embstr",
        Value::String(_) => "raw",
    }
}

/// The key's metadata word and encoding, without counting an access; `None` when
/// the key is missing (the reply is then a null).
fn inspect(ctx: &Context<'_>, args: &mut Args<'_>) -> Result<Option<(u64, &'static str)>, CommandError> {
    let key = args.next_bytes()?;
    Ok(ctx.db().read_quiet(key, ctx.now_ms, |e| e.map(|e| (e.meta(), encoding(e)))))
}

/// `OBJECT ENCODING key`.
fn object_encoding(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    match inspect(ctx, args)? {
        Some((_, encoding)) => ctx.out.bulk(encoding.as_bytes()),
        None => ctx.out.null(),
    }
    REPLIED
}

/// `OBJECT FREQ key`: the decayed LFU counter (only under an LFU policy).
fn object_freq(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let Some((meta, _)) = inspect(ctx, args)? else {
        ctx.out.null();
        return REPLIED;
    };
    if !ctx.state.config.load().maxmemory_policy.is_lfu() {
        return Err(CommandError::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.out.integer(access::frequency(meta, ctx.now_ms, ctx.state.engine.evictor.lfu()) as i64);
    REPLIED
}

/// `OBJECT IDLETIME key`: seconds since the last access (not under an LFU policy).
fn object_idletime(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let Some((meta, _)) = inspect(ctx, args)? else {
        ctx.out.null();
        return REPLIED;
    };
    if ctx.state.config.load().maxmemory_policy.is_lfu() {
        return Err(CommandError::err(
            "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
             between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.out.integer((access::idle_ms(meta, ctx.now_ms) / 1000) as i64);
    REPLIED
}

/// `OBJECT REFCOUNT key`: 1 (values are not shared between keys).
fn object_refcount(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    match inspect(ctx, args)? {
        Some(_) => ctx.out.integer(1),
        None => ctx.out.null(),
    }
    REPLIED
}

/// `OBJECT HELP`.
fn object_help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        ],
    )
}

/// `MEMORY USAGE key [SAMPLES n]`: bytes the key takes, allocator size classes
/// included: its entry, and a collection's structure.
fn memory_usage(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    if args.remaining() > 0 {
        if !(args.remaining() == 2 && args.flag("SAMPLES")) {
            return Err(CommandError::Syntax);
        }
        args.next_i64()?;
    }
    let usage = ctx.db().read_quiet(key, ctx.now_ms, |entry| {
        entry.map(|e: &Entry| {
            let heap = e.collection().map_or(0, |c| c.heap_bytes());
            ENTRY_OVERHEAD + allocation(e.block(), e.allocated_len()) + heap
        })
    });
    match usage {
        Some(bytes) => ctx.out.integer(bytes as i64),
        None => ctx.out.null(),
    }
    REPLIED
}

/// `MEMORY STATS`: a few of Redis's fields, measured.
fn memory_stats(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
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
    REPLIED
}

/// `MEMORY DOCTOR`.
fn memory_doctor(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.verbatim(
        "txt",
        b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.",
    );
    REPLIED
}

/// `MEMORY HELP`.
fn memory_help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ],
    )
}
