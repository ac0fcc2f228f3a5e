//! `XREAD` and `XREADGROUP`, and their `BLOCK` form on the blocking room.
//!
//! Both try to serve every stream at once; with nothing to serve and `BLOCK ms`
//! they wait on all the keys (`$` resolved to the stream's last id when the client
//! blocked) and are served, in the writer's context, after the `XADD` that made
//! one ready. A served `XREADGROUP` logs what it handed out (one `XCLAIM` per
//! entry, or `XGROUP SETID` under `NOACK`), like the non-blocking one.

use std::any::Any;
use std::time::{Duration, Instant};

use super::claim::{claim_effect, group_id_effect, record_all, Effect};
use super::{
    events, no_group, reply_entry, reply_id, stream_of, strict_id, CommandError, CommandResult, Context,
    REPLIED,
};
use crate::command::args::{int, is};
use crate::command::blocking::{Attempt, BlockOn, Pending};
use crate::command::{Args, Block, Outcome, TimeoutReply};
use crate::protocol::{Protocol, ReplyWriter};
use crate::types::stream::{Stream, StreamId};

/// Entries a blocked read hands out when it gave no `COUNT` (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// The group side of an `XREADGROUP`.
#[derive(Clone, Debug)]
struct GroupRead {
    group: Box<[u8]>,
    consumer: Box<[u8]>,
    noack: bool,
}

/// A parsed `XREAD`/`XREADGROUP`: the streams with the id to read after
/// (`None`: `>`, new entries for the group; for `XREAD`, `$` is resolved later).
#[derive(Debug)]
struct Read {
    block: Option<Option<Instant>>,
    count: usize,
    keys: Vec<Box<[u8]>>,
    ids: Vec<bytes::Bytes>,
    group: Option<GroupRead>,
}

/// An id argument of `STREAMS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdArg {
    /// Entries after this id.
    After(StreamId),
    /// `>`: the group's new entries.
    New,
}

/// A blocked read: the keys with the id each waits after, and what it reads.
#[derive(Debug)]
struct StreamWait {
    keys: Vec<(Box<[u8]>, IdArg)>,
    count: usize,
    group: Option<GroupRead>,
}

fn parse(args: &Args<'_>, xreadgroup: bool, in_script: bool) -> Result<Read, CommandError> {
    let all = args.all();
    let (mut block, mut count, mut streams_at, mut group, mut noack) = (None, 0usize, 0, None, false);
    let mut i = 1;
    while i < all.len() {
        let more = all.len() - i - 1;
        let opt = &all[i][..];
        if is(opt, "BLOCK") && more > 0 {
            if in_script {
                // As Redis: BLOCK has no sense in a script (the name as typed).
                return Err(CommandError::err(format!(
                    "{} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(&all[0])
                )));
            }
            i += 1;
            let ms =
                int(&all[i]).map_err(|_| CommandError::err("timeout is not an integer or out of range"))?;
            if ms < 0 {
                return Err(CommandError::err("timeout is negative"));
            }
            block = Some(if ms == 0 {
                None
            } else {
                Instant::now().checked_add(Duration::from_millis(ms as u64))
            });
        } else if is(opt, "COUNT") && more > 0 {
            i += 1;
            count = int(&all[i])?.max(0) as usize;
        } else if is(opt, "STREAMS") && more > 0 {
            streams_at = i + 1;
            if (all.len() - streams_at) % 2 != 0 {
                return Err(CommandError::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            break;
        } else if is(opt, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(CommandError::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((all[i + 1][..].into(), all[i + 2][..].into()));
            i += 2;
        } else if is(opt, "NOACK") {
            if !xreadgroup {
                return Err(CommandError::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if streams_at == 0 {
        return Err(CommandError::Syntax);
    }
    if xreadgroup && group.is_none() {
        return Err(CommandError::err("Missing GROUP option for XREADGROUP"));
    }
    let half = (all.len() - streams_at) / 2;
    let keys: Vec<Box<[u8]>> = all[streams_at..streams_at + half].iter().map(|k| k[..].into()).collect();
    let ids: Vec<bytes::Bytes> = all[streams_at + half..].to_vec();
    let group = group.map(|(group, consumer)| GroupRead { group, consumer, noack });
    Ok(Read { block, count, keys, ids, group })
}

/// Interprets one id argument of `STREAMS` for the stream it names (`$`: its last
/// id now), with Redis's errors for `$` and `>` where they do not belong.
fn id_arg(raw: &[u8], xreadgroup: bool, stream: Option<&Stream>) -> Result<IdArg, CommandError> {
    match raw {
        b"$" if xreadgroup => Err(CommandError::err(
            "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by \
             specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty \
             result set.",
        )),
        b"$" => Ok(IdArg::After(stream.map_or(StreamId::MIN, |s| s.last_id))),
        b">" if !xreadgroup => Err(CommandError::err(
            "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        )),
        b">" => Ok(IdArg::New),
        other => Ok(IdArg::After(strict_id(other)?)),
    }
}

/// Writes one stream's part of the reply: `[key, entries]` (RESP2) or `key`
/// then the entries (a map's pair, RESP3).
fn part_header(out: &mut ReplyWriter, key: &[u8]) {
    if out.protocol() == Protocol::Resp2 {
        out.array(2);
    }
    out.bulk(key);
}

/// Reads the entries of `key` after `after` (`XREAD`): the reply part, if there
/// is anything newer.
fn read_plain(
    ctx: &mut Context<'_>,
    key: &[u8],
    after: StreamId,
    count: usize,
) -> Result<Option<Vec<u8>>, CommandError> {
    let protocol = ctx.out.protocol();
    let (found, part) = ctx.state.engine.db(ctx.session.db).read(key, ctx.now_ms, |entry| {
        let Some(stream) = stream_of(entry)? else { return Ok::<_, CommandError>((false, None)) };
        let newer = stream.last_live_id().is_some_and(|last| last > after);
        let Some(start) = after.next().filter(|_| newer) else { return Ok((true, None)) };
        let limit = if count == 0 { usize::MAX } else { count };
        let entries: Vec<_> = stream.range(start, StreamId::MAX, false).take(limit).collect();
        let mut out = ReplyWriter::new(protocol);
        part_header(&mut out, key);
        out.array(entries.len());
        for entry in &entries {
            reply_entry(&mut out, entry);
        }
        Ok((true, Some(out.into_bytes())))
    })?;
    ctx.count_lookup(key, found);
    Ok(part)
}

/// Reads `key` for a group (`XREADGROUP`): the consumer's history after `after`,
/// or (`IdArg::New`) the group's new entries, assigned to the consumer and logged.
/// The reply part, if there was something to serve (history always serves).
fn read_group(
    ctx: &mut Context<'_>,
    key: &[u8],
    id: IdArg,
    count: usize,
    read: &GroupRead,
) -> Result<Option<Vec<u8>>, CommandError> {
    let protocol = ctx.out.protocol();
    let now = super::wall_ms(ctx);
    ctx.db().write(key, ctx.now_ms, |slot| {
        let stream = slot.get_as::<Stream>()?;
        let group = stream
            .and_then(|s| s.group(&read.group))
            .ok_or_else(|| no_group(key, &read.group, " in XREADGROUP with GROUP option"))?;
        let stream = stream.expect("has the group");
        let newer = |s: &Stream| s.last_live_id().is_some_and(|last| last > group.last_id);
        if id == IdArg::New && !newer(stream) {
            return Ok(None);
        }
        let limit = if count == 0 { usize::MAX } else { count };
        let stream = slot.get_mut_as::<Stream>()?.expect("present");
        let mut created = false;
        let mut effects = Vec::new();
        let mut out = ReplyWriter::new(protocol);
        part_header(&mut out, key);
        if let IdArg::After(after) = id {
            let ids: Vec<StreamId> =
                match stream.group(&read.group).expect("present").consumers.get(&read.consumer) {
                    Some(consumer) => match after.next() {
                        Some(start) => consumer.pending.range(start..).take(limit).copied().collect(),
                        None => Vec::new(),
                    },
                    None => Vec::new(),
                };
            let exists: Vec<bool> = ids.iter().map(|id| stream.get(*id).is_some()).collect();
            let group = stream.group_mut(&read.group).expect("present");
            touch(group, &read.consumer, now, &mut created);
            for (id, exists) in ids.iter().zip(&exists) {
                if *exists {
                    let pending = group.pel.get_mut(id).expect("in the consumer's list");
                    pending.delivery_time = now;
                    pending.delivery_count += 1;
                }
            }
            out.array(ids.len());
            for (id, exists) in ids.iter().zip(exists) {
                match stream.get(*id).filter(|_| exists) {
                    Some(entry) => reply_entry(&mut out, &entry),
                    None => {
                        out.array(2);
                        reply_id(&mut out, *id);
                        out.null_array();
                    }
                }
            }
        } else {
            let start =
                stream.group(&read.group).expect("present").last_id.next().expect("an entry is newer");
            let ids: Vec<StreamId> =
                stream.range(start, StreamId::MAX, false).take(limit).map(|e| e.id).collect();
            let mut reads = Vec::with_capacity(ids.len());
            for &id in &ids {
                let counted = stream.group(&read.group).expect("present").entries_read;
                let valid = counted.is_some() && !stream.has_tombstones_from(id);
                reads.push(if valid {
                    counted.map(|n| n + 1)
                } else if stream.entries_added > 0 {
                    stream.estimate_entries_read(id)
                } else {
                    counted
                });
                let group = stream.group_mut(&read.group).expect("present");
                group.entries_read = *reads.last().expect("pushed");
                group.last_id = id;
            }
            let group = stream.group_mut(&read.group).expect("present");
            touch(group, &read.consumer, now, &mut created);
            if created && read.noack {
                effects.push(Effect::of(&[b"XGROUP", b"CREATECONSUMER", key, &read.group, &read.consumer]));
            }
            for &id in &ids {
                if read.noack {
                    continue;
                }
                group.assign(id, &read.consumer, now, 1);
                effects.push(claim_effect(key, &read.group, group, id, &group.pel[&id]));
            }
            if read.noack && !ids.is_empty() {
                effects.push(group_id_effect(key, &read.group, group));
            }
            out.array(ids.len());
            for id in ids {
                reply_entry(&mut out, &stream.get(id).expect("just read"));
            }
        }
        if created {
            slot.notify(events::XGROUP_CREATECONSUMER);
        }
        record_all(slot, &effects);
        Ok(Some(out.into_bytes()))
    })
}

/// Makes the consumer exist, seen now.
fn touch(group: &mut crate::types::stream::Group, consumer: &[u8], now: u64, created: &mut bool) {
    match group.consumers.get_mut(consumer) {
        Some(c) => c.seen_time = now,
        None => *created = group.create_consumer(consumer, now),
    }
}

/// Serves one stream of a read; the reply part if it had something.
fn serve_one(
    ctx: &mut Context<'_>,
    key: &[u8],
    id: IdArg,
    count: usize,
    group: Option<&GroupRead>,
) -> Result<Option<Vec<u8>>, CommandError> {
    match (group, id) {
        (Some(group), id) => read_group(ctx, key, id, count, group),
        (None, IdArg::After(after)) => read_plain(ctx, key, after, count),
        (None, _) => Ok(None),
    }
}

/// Writes the parts as the whole reply (a map in RESP3).
fn reply_parts(ctx: &mut Context<'_>, parts: &[Vec<u8>]) {
    if ctx.out.protocol() == Protocol::Resp2 {
        ctx.out.array(parts.len());
    } else {
        ctx.out.map(parts.len());
    }
    for part in parts {
        ctx.out.raw(part);
    }
}

fn execute(ctx: &mut Context<'_>, args: &mut Args<'_>, xreadgroup: bool) -> CommandResult {
    let read = parse(args, xreadgroup, ctx.session.in_script)?;
    // Every key must hold a stream (and, for a group read, the group) before
    // anything is served.
    let mut ids = Vec::with_capacity(read.ids.len());
    for (key, raw) in read.keys.iter().zip(&read.ids) {
        let id = ctx.state.engine.db(ctx.session.db).read(key, ctx.now_ms, |entry| {
            let stream = stream_of(entry)?;
            if let Some(group) = &read.group {
                if stream.and_then(|s| s.group(&group.group)).is_none() {
                    return Err(no_group(key, &group.group, " in XREADGROUP with GROUP option"));
                }
            }
            id_arg(raw, xreadgroup, stream)
        })?;
        ids.push(id);
    }
    let mut parts = Vec::new();
    for (key, id) in read.keys.iter().zip(&ids) {
        if let Some(part) = serve_one(ctx, key, *id, read.count, read.group.as_ref())? {
            parts.push(part);
        }
    }
    if !parts.is_empty() {
        reply_parts(ctx, &parts);
        return REPLIED;
    }
    let Some(deadline) = read.block else {
        ctx.out.null_array();
        return REPLIED;
    };
    let count = if read.count == 0 { BLOCKED_DEFAULT_COUNT } else { read.count };
    let wait = StreamWait { keys: read.keys.iter().cloned().zip(ids).collect(), count, group: read.group };
    Ok(Outcome::Block(Block {
        deadline,
        on_timeout: TimeoutReply::NullArray,
        on: Some(BlockOn { keys: read.keys, pending: Pending { serve, args: Box::new(wait), command: 0 } }),
    }))
}

/// Serves a blocked read when `key` is ready: the entries after the id it waited
/// after, or the group's new ones.
fn serve(ctx: &mut Context<'_>, args: &(dyn Any + Send + Sync), key: &[u8]) -> Result<Attempt, CommandError> {
    let Some(wait) = args.downcast_ref::<StreamWait>() else { return Ok(Attempt::Skip) };
    let Some((_, id)) = wait.keys.iter().find(|(k, _)| &k[..] == key) else { return Ok(Attempt::Skip) };
    if let Some(group) = &wait.group {
        // What 7.0.15's `serveClientsBlockedOnStreamKey` answers a group read whose
        // stream went away (deleted, replaced, flushed, swapped) or lost the group.
        let state = ctx.state.engine.db(ctx.session.db).read(key, ctx.now_ms, |entry| match entry {
            Some(entry) => match entry.get_as::<Stream>() {
                Ok(stream) => Some(stream.group(&group.group).is_some()),
                Err(_) => None,
            },
            None => None,
        });
        match state {
            None => return Err(CommandError::Other("UNBLOCKED the stream key no longer exists".into())),
            Some(false) => {
                return Err(CommandError::Other(
                    "NOGROUP the consumer group this client was blocked on no longer exists".into(),
                ))
            }
            Some(true) => {}
        }
    }
    match serve_one(ctx, key, *id, wait.count, wait.group.as_ref()) {
        Ok(Some(part)) => {
            reply_parts(ctx, &[part]);
            Ok(Attempt::Replied)
        }
        Ok(None) | Err(CommandError::WrongType) => Ok(Attempt::Skip),
        Err(other) => Err(other),
    }
}

/// ```text
/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key …] id [id …]
/// ```
/// The entries after each id (`$`: after the last one), per stream that has any;
/// null when none has (after waiting, with `BLOCK`).
pub fn xread(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    execute(ctx, args, false)
}

/// ```text
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK]
///            STREAMS key [key …] id [id …]
/// ```
/// With `>`: entries never delivered to the group, now pending for the consumer;
/// with an id: the consumer's own pending entries after it.
pub fn xreadgroup(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    execute(ctx, args, true)
}
