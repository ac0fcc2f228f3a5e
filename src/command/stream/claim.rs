//! The pending entries lists: `XPENDING` (summary and extended form), `XCLAIM` and
//! `XAUTOCLAIM`. A claim logs one `XCLAIM … FORCE JUSTID LASTID` per entry it
//! hands over or drops (see [`claim_effect`]), as Redis's `streamPropagateXCLAIM`.

use super::{
    events, no_group, range_bound, reply_entry, reply_id, stream_of, strict_id, CommandError, CommandResult,
    Context, REPLIED,
};
use crate::command::args::{int, is};
use crate::command::Args;
use crate::protocol::ReplyWriter;
use crate::types::stream::{Group, Pending, Stream, StreamId};

/// A command to log, made of owned pieces: its arguments packed into one buffer
/// (two allocations per command, not one per argument).
#[derive(Debug, Default)]
pub(super) struct Effect {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Effect {
    /// A command of `args`.
    pub(super) fn of(args: &[&[u8]]) -> Effect {
        let mut effect = Effect {
            bytes: Vec::with_capacity(args.iter().map(|a| a.len()).sum()),
            ends: Vec::with_capacity(args.len()),
        };
        for arg in args {
            effect.bytes.extend_from_slice(arg);
            effect.ends.push(effect.bytes.len());
        }
        effect
    }

    /// The arguments.
    fn args(&self) -> Vec<&[u8]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let arg = &self.bytes[start..end];
                start = end;
                arg
            })
            .collect()
    }
}

/// The command that recreates pending entry `id` as `pending` says, with the
/// group's last id (Redis's `streamPropagateXCLAIM`): idempotent on replay.
pub(super) fn claim_effect(
    key: &[u8],
    group_name: &[u8],
    group: &Group,
    id: StreamId,
    pending: &Pending,
) -> Effect {
    let (mut time, mut count) = (itoa::Buffer::new(), itoa::Buffer::new());
    Effect::of(&[
        b"XCLAIM",
        key,
        group_name,
        &pending.consumer,
        b"0",
        id.text().as_bytes(),
        b"TIME",
        time.format(pending.delivery_time).as_bytes(),
        b"RETRYCOUNT",
        count.format(pending.delivery_count).as_bytes(),
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        group.last_id.text().as_bytes(),
    ])
}

/// `XGROUP SETID key group last-id ENTRIESREAD n` (Redis's
/// `streamPropagateGroupID`).
pub(super) fn group_id_effect(key: &[u8], group_name: &[u8], group: &Group) -> Effect {
    let mut read = itoa::Buffer::new();
    Effect::of(&[
        b"XGROUP",
        b"SETID",
        key,
        group_name,
        group.last_id.text().as_bytes(),
        b"ENTRIESREAD",
        read.format(group.entries_read.map_or(-1, |n| n as i64)).as_bytes(),
    ])
}

/// Records owned commands as the stream's silent pending-list changes.
pub(super) fn record_all(slot: &crate::engine::Slot<'_>, effects: &[Effect]) {
    for effect in effects {
        slot.record(events::PENDING, &effect.args());
    }
}

/// ```text
/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
/// ```
/// The summary (count, smallest and greatest id, entries per consumer), or the
/// pending entries in the range with their owner, idle time and deliveries.
pub fn xpending(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let (key, name) = (&all[1][..], &all[2][..]);
    let argc = all.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CommandError::Syntax);
    }
    let mut extended = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(&all[3], "IDLE") {
            min_idle = int(&all[4])?;
            if argc < 8 {
                return Err(CommandError::Syntax);
            }
            at += 2;
        }
        let count = int(&all[at + 2])?.max(0) as u64;
        let start = range_bound(&all[at], true)?;
        let end = range_bound(&all[at + 1], false)?;
        let consumer = all.get(at + 3).map(|c| &c[..]);
        extended = Some((min_idle, start, end, count, consumer));
    }
    let now = super::wall_ms(ctx) as i64;
    let out = &mut *ctx.out;
    ctx.state.engine.db(ctx.session.db).read(key, ctx.now_ms, |entry| {
        let group = stream_of(entry)?.and_then(|s| s.group(name)).ok_or_else(|| no_group(key, name, ""))?;
        let Some((min_idle, start, end, mut count, consumer)) = extended else {
            out.array(4);
            out.integer(group.pel.len() as i64);
            match (group.pel.first_key_value(), group.pel.last_key_value()) {
                (Some((first, _)), Some((last, _))) => {
                    reply_id(out, *first);
                    reply_id(out, *last);
                    let owners: Vec<_> =
                        group.consumers.iter().filter(|(_, c)| !c.pending.is_empty()).collect();
                    out.array(owners.len());
                    for (owner, consumer) in owners {
                        out.array(2);
                        out.bulk(owner);
                        out.bulk(consumer.pending.len().to_string().as_bytes());
                    }
                }
                _ => {
                    out.null();
                    out.null();
                    out.null_array();
                }
            }
            return Ok::<_, CommandError>(());
        };
        let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
            Some(consumer) => match group.consumers.get(consumer) {
                Some(c) if start <= end => Box::new(c.pending.range(start..=end).copied()),
                Some(_) => Box::new(std::iter::empty()),
                None => {
                    out.array(0);
                    return Ok(());
                }
            },
            None if start <= end => Box::new(group.pel.range(start..=end).map(|(id, _)| *id)),
            None => Box::new(std::iter::empty()),
        };
        let mut rows = ReplyWriter::new(out.protocol());
        let mut n = 0;
        for id in ids {
            if count == 0 {
                break;
            }
            let pending = &group.pel[&id];
            let idle = now - pending.delivery_time as i64;
            if min_idle > 0 && idle < min_idle {
                continue;
            }
            count -= 1;
            n += 1;
            rows.array(4);
            reply_id(&mut rows, id);
            rows.bulk(&pending.consumer);
            rows.integer(idle.max(0));
            rows.integer(pending.delivery_count as i64);
        }
        out.array(n);
        out.raw(rows.as_bytes());
        Ok(())
    })?;
    REPLIED
}

/// The group of the stream at `key` in `slot`, or `NOGROUP`.
fn check_group(slot: &crate::engine::Slot<'_>, key: &[u8], name: &[u8]) -> Result<(), CommandError> {
    match slot.get_as::<Stream>()? {
        Some(stream) if stream.group(name).is_some() => Ok(()),
        _ => Err(no_group(key, name, "")),
    }
}

/// Makes `consumer` exist in `group`, notifying its creation; seen now.
fn touch_consumer(group: &mut Group, consumer: &[u8], now_ms: u64, created: &mut bool) {
    match group.consumers.get_mut(consumer) {
        Some(c) => c.seen_time = now_ms,
        None => {
            group.create_consumer(consumer, now_ms);
            *created = true;
        }
    }
}

/// An `ERR <message>` for a bad integer option of `XCLAIM`/`XAUTOCLAIM`.
fn int_or(arg: &[u8], message: &'static str) -> Result<i64, CommandError> {
    int(arg).map_err(|_| CommandError::err(message))
}

/// ```text
/// XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME unix-ms]
///        [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
/// ```
/// The entries (or ids, `JUSTID`) now owned by `consumer`.
pub fn xclaim(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let (key, name, consumer) = (&all[1][..], &all[2][..], &all[3][..]);
    let now = super::wall_ms(ctx);
    let protocol = ctx.out.protocol();
    let reply = ctx.db().write(key, ctx.now_ms, |slot| {
        check_group(slot, key, name)?;
        let min_idle = int_or(&all[4], "Invalid min-idle-time argument for XCLAIM")?.max(0);
        let mut ids = Vec::new();
        let mut j = 5;
        while j < all.len() {
            match strict_id(&all[j]) {
                Ok(id) => ids.push(id),
                Err(_) => break,
            }
            j += 1;
        }
        let (mut force, mut justid) = (false, false);
        let (mut delivery, mut retry, mut last_id) = (None::<i64>, None::<i64>, StreamId::MIN);
        while j < all.len() {
            let more = all.len() - 1 - j;
            let opt = &all[j][..];
            if is(opt, "FORCE") {
                force = true;
            } else if is(opt, "JUSTID") {
                justid = true;
            } else if is(opt, "IDLE") && more > 0 {
                j += 1;
                delivery = Some(now as i64 - int_or(&all[j], "Invalid IDLE option argument for XCLAIM")?);
            } else if is(opt, "TIME") && more > 0 {
                j += 1;
                delivery = Some(int_or(&all[j], "Invalid TIME option argument for XCLAIM")?);
            } else if is(opt, "RETRYCOUNT") && more > 0 {
                j += 1;
                retry = Some(int_or(&all[j], "Invalid RETRYCOUNT option argument for XCLAIM")?);
            } else if is(opt, "LASTID") && more > 0 {
                j += 1;
                last_id = strict_id(&all[j])?;
            } else {
                return Err(CommandError::err(format!(
                    "Unrecognized XCLAIM option '{}'",
                    String::from_utf8_lossy(opt)
                )));
            }
            j += 1;
        }
        let delivery = match delivery {
            Some(t) if t >= 0 && t <= now as i64 => t as u64,
            _ => now,
        };
        let stream = slot.get_mut_as::<Stream>()?.expect("checked");
        let exists: Vec<bool> = ids.iter().map(|id| stream.get(*id).is_some()).collect();
        let group = stream.group_mut(name).expect("checked");
        let mut propagate_last_id = false;
        if last_id > group.last_id {
            group.last_id = last_id;
            propagate_last_id = true;
        }
        let mut effects = Vec::new();
        let mut claimed = Vec::new();
        let mut created = false;
        for (&id, &exists) in ids.iter().zip(&exists) {
            if !exists {
                if let Some(pending) = group.pel.get(&id).cloned() {
                    effects.push(claim_effect(key, name, group, id, &pending));
                    propagate_last_id = false;
                    group.ack(id);
                }
                continue;
            }
            let previous = group.pel.get(&id).cloned();
            if previous.is_none() && !force {
                continue;
            }
            if let Some(previous) = &previous {
                let idle = now as i64 - previous.delivery_time as i64;
                if min_idle > 0 && idle < min_idle {
                    continue;
                }
            }
            touch_consumer(group, consumer, now, &mut created);
            let count = match (retry, &previous) {
                (Some(n), _) if n >= 0 => n as u64,
                (_, Some(p)) if !justid => p.delivery_count + 1,
                (_, Some(p)) => p.delivery_count,
                (_, None) if !justid => 2,
                (_, None) => 1,
            };
            group.assign(id, consumer, delivery, count);
            let pending = group.pel[&id].clone();
            effects.push(claim_effect(key, name, group, id, &pending));
            propagate_last_id = false;
            claimed.push(id);
        }
        if propagate_last_id {
            effects.push(group_id_effect(key, name, group));
        }
        let mut out = ReplyWriter::new(protocol);
        out.array(claimed.len());
        for id in claimed {
            if justid {
                reply_id(&mut out, id);
            } else if let Some(entry) = stream.get(id) {
                reply_entry(&mut out, &entry);
            }
        }
        if created {
            slot.notify(events::XGROUP_CREATECONSUMER);
        }
        record_all(slot, &effects);
        Ok::<_, CommandError>(out.into_bytes())
    })?;
    ctx.out.raw(&reply);
    REPLIED
}

/// ```text
/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
/// ```
/// `[next-cursor, claimed entries, ids of deleted entries dropped from the PEL]`.
/// At most `COUNT` (default 100) entries, looking at most ten times that many.
pub fn xautoclaim(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let (key, name, consumer) = (&all[1][..], &all[2][..], &all[3][..]);
    let min_idle = int_or(&all[4], "Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = range_bound(&all[5], true)?;
    let mut count: u64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < all.len() {
        let more = all.len() - 1 - j;
        if is(&all[j], "COUNT") && more > 0 {
            let max = i64::MAX / 16;
            count = match int(&all[j + 1]) {
                Ok(n) if (1..=max).contains(&n) => n as u64,
                _ => return Err(CommandError::err("COUNT must be > 0")),
            };
            j += 1;
        } else if is(&all[j], "JUSTID") {
            justid = true;
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    let now = super::wall_ms(ctx);
    let protocol = ctx.out.protocol();
    let reply = ctx.db().write(key, ctx.now_ms, |slot| {
        check_group(slot, key, name)?;
        let stream = slot.get_mut_as::<Stream>()?.expect("checked");
        let mut attempts = count.saturating_mul(10);
        // Bounded by the PEL, never by the client's count.
        let candidates: Vec<StreamId> =
            stream.group(name).expect("checked").pel.range(start..).map(|(id, _)| *id).collect();
        let exists: Vec<bool> = candidates.iter().map(|id| stream.get(*id).is_some()).collect();
        let group = stream.group_mut(name).expect("checked");
        let (mut claimed, mut deleted, mut effects) = (Vec::new(), Vec::new(), Vec::new());
        let mut created = false;
        let mut next = 0;
        while attempts > 0 && count > 0 && next < candidates.len() {
            attempts -= 1;
            let (id, exists) = (candidates[next], exists[next]);
            next += 1;
            let pending = group.pel[&id].clone();
            if !exists {
                effects.push(claim_effect(key, name, group, id, &pending));
                group.ack(id);
                deleted.push(id);
                count -= 1;
                continue;
            }
            if min_idle > 0 && (now as i64 - pending.delivery_time as i64) < min_idle {
                continue;
            }
            touch_consumer(group, consumer, now, &mut created);
            let deliveries = pending.delivery_count + u64::from(!justid);
            group.assign(id, consumer, now, deliveries);
            let pending = group.pel[&id].clone();
            effects.push(claim_effect(key, name, group, id, &pending));
            claimed.push(id);
            count -= 1;
        }
        let cursor = candidates.get(next).copied().unwrap_or(StreamId::MIN);
        let mut out = ReplyWriter::new(protocol);
        out.array(3);
        reply_id(&mut out, cursor);
        out.array(claimed.len());
        for id in claimed {
            if justid {
                reply_id(&mut out, id);
            } else if let Some(entry) = stream.get(id) {
                reply_entry(&mut out, &entry);
            }
        }
        out.array(deleted.len());
        for id in deleted {
            reply_id(&mut out, id);
        }
        if created {
            slot.notify(events::XGROUP_CREATECONSUMER);
        }
        record_all(slot, &effects);
        Ok::<_, CommandError>(out.into_bytes())
    })?;
    ctx.out.raw(&reply);
    REPLIED
}
