//! `XGROUP CREATE | SETID | DESTROY | CREATECONSUMER | DELCONSUMER | HELP` and
//! `XACK`: the consumer groups' bookkeeping. Each logs itself.

use super::{events, loose_id, strict_id, CommandError, CommandResult, Context, REPLIED};
use crate::command::{help, Args};
use crate::engine::Slot;
use crate::types::stream::{Group, Stream, StreamId};

const HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// `XGROUP HELP`.
pub fn xgroup_help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    help(ctx, HELP)
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try XGROUP HELP.`
fn sub_syntax(args: &Args<'_>, command: &str) -> CommandError {
    let sub = String::from_utf8_lossy(&args.all()[1]).into_owned();
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {command} HELP."
    ))
}

/// The options after `<id>` of `CREATE`/`SETID`: `MKSTREAM` (create only) and
/// `ENTRIESREAD n` (`None`: -1, unknown).
fn group_options(args: &mut Args<'_>, create: bool) -> Result<(bool, Option<u64>), CommandError> {
    let mut mkstream = false;
    let mut entries_read = None;
    while !args.is_done() {
        if create && args.flag("MKSTREAM") {
            mkstream = true;
        } else if args.remaining() >= 2 && args.flag("ENTRIESREAD") {
            let n = args.next_i64()?;
            if n < -1 {
                return Err(CommandError::err("value for ENTRIESREAD must be positive or -1"));
            }
            entries_read = (n >= 0).then_some(n as u64);
        } else {
            return Err(sub_syntax(args, "XGROUP"));
        }
    }
    Ok((mkstream, entries_read))
}

/// `ERR The XGROUP subcommand requires the key to exist…`
fn key_required() -> CommandError {
    CommandError::err(
        "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the \
         MKSTREAM option to create an empty stream automatically.",
    )
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'`.
pub(super) fn no_such_group(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::Other(
        format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            super::c_text(group),
            super::c_text(key)
        )
        .into(),
    )
}

/// The group `name` of the stream in `slot`, for change, or the errors `XGROUP`'s
/// subcommands reply.
fn existing_group<'s>(
    slot: &'s mut Slot<'_>,
    key: &[u8],
    name: &[u8],
) -> Result<&'s mut Group, CommandError> {
    let stream = slot.get_as::<Stream>()?.ok_or_else(key_required)?;
    if stream.group(name).is_none() {
        return Err(no_such_group(key, name));
    }
    let stream = slot.get_mut_as::<Stream>()?.expect("present");
    Ok(stream.group_mut(name).expect("present"))
}

/// The whole request, for the log.
fn effect<'a>(args: &Args<'a>) -> Vec<&'a [u8]> {
    args.all().iter().map(|a| &a[..]).collect()
}

/// ```text
/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
/// ```
pub fn create(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, name, id_arg) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let (mkstream, entries_read) = group_options(args, true)?;
    let logged = effect(args);
    ctx.db().write(key, ctx.now_ms, |slot| {
        let existing = slot.get_as::<Stream>()?;
        if existing.is_none() && !mkstream {
            return Err(key_required());
        }
        let id = if &id_arg[..] == b"$" {
            existing.map_or(StreamId::MIN, |s| s.last_id)
        } else {
            strict_id(id_arg)?
        };
        if existing.is_some_and(|s| s.group(name).is_some()) {
            return Err(CommandError::Other("BUSYGROUP Consumer Group name already exists".into()));
        }
        let stream = slot.get_or_create::<Stream>()?;
        stream.groups.insert(name[..].into(), Group::new(id, entries_read));
        slot.record(events::XGROUP_CREATE, &logged);
        Ok::<_, CommandError>(())
    })?;
    ctx.out.ok();
    REPLIED
}

/// ```text
/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
/// ```
pub fn setid(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, name, id_arg) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    if !matches!(args.remaining(), 0 | 2) {
        return Err(sub_syntax(args, "XGROUP"));
    }
    let (_, entries_read) = group_options(args, false)?;
    let logged = effect(args);
    ctx.db().write(key, ctx.now_ms, |slot| {
        let last = slot.get_as::<Stream>()?.map(|s| s.last_id);
        let group = existing_group(slot, key, name)?;
        let id = if &id_arg[..] == b"$" { last.unwrap_or_default() } else { loose_id(id_arg, 0)? };
        group.last_id = id;
        group.entries_read = entries_read;
        slot.record(events::XGROUP_SETID, &logged);
        Ok::<_, CommandError>(())
    })?;
    ctx.out.ok();
    REPLIED
}

/// `XGROUP DESTROY key group`: 1 if the group was there.
pub fn destroy(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, name) = (args.next_bytes()?, args.next_bytes()?);
    let logged = effect(args);
    let destroyed = ctx.db().write(key, ctx.now_ms, |slot| {
        let stream = slot.get_as::<Stream>()?.ok_or_else(key_required)?;
        if stream.group(name).is_none() {
            return Ok::<_, CommandError>(false);
        }
        slot.get_mut_as::<Stream>()?.expect("present").groups.remove(&name[..]);
        slot.record(events::XGROUP_DESTROY, &logged);
        Ok(true)
    })?;
    ctx.out.integer(destroyed as i64);
    REPLIED
}

/// `XGROUP CREATECONSUMER key group consumer`: 1 if it was new.
pub fn createconsumer(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, name, consumer) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let logged = effect(args);
    let now_ms = super::wall_ms(ctx);
    let created = ctx.db().write(key, ctx.now_ms, |slot| {
        let stream = slot.get_as::<Stream>()?.ok_or_else(key_required)?;
        let group = stream.group(name).ok_or_else(|| no_such_group(key, name))?;
        if group.consumers.contains_key(&consumer[..]) {
            return Ok::<_, CommandError>(false);
        }
        existing_group(slot, key, name)?.create_consumer(consumer, now_ms);
        slot.record(events::XGROUP_CREATECONSUMER, &logged);
        Ok(true)
    })?;
    ctx.out.integer(created as i64);
    REPLIED
}

/// `XGROUP DELCONSUMER key group consumer`: how many entries it had pending (they
/// leave the group's pending list with it).
pub fn delconsumer(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, name, consumer) = (args.next_bytes()?, args.next_bytes()?, args.next_bytes()?);
    let logged = effect(args);
    let pending = ctx.db().write(key, ctx.now_ms, |slot| {
        let stream = slot.get_as::<Stream>()?.ok_or_else(key_required)?;
        let group = stream.group(name).ok_or_else(|| no_such_group(key, name))?;
        if !group.consumers.contains_key(&consumer[..]) {
            return Ok::<_, CommandError>(0);
        }
        let pending = existing_group(slot, key, name)?.delete_consumer(consumer).unwrap_or(0);
        slot.record(events::XGROUP_DELCONSUMER, &logged);
        Ok(pending)
    })?;
    ctx.out.integer(pending as i64);
    REPLIED
}

/// `XACK key group id [id …]`: how many of the ids were pending (and are no more),
/// logged as itself when any was.
pub fn xack(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, name) = (args.next_bytes()?, args.next_bytes()?);
    let raw = args.rest();
    let logged = effect(args);
    let acked = ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(group) = slot.get_as::<Stream>()?.and_then(|s| s.group(name)) else {
            return Ok::<_, CommandError>(0);
        };
        let ids = raw.iter().map(|a| strict_id(a)).collect::<Result<Vec<_>, _>>()?;
        if !ids.iter().any(|id| group.pel.contains_key(id)) {
            return Ok(0);
        }
        let group = slot.get_mut_as::<Stream>()?.expect("present").group_mut(name).expect("present");
        let acked = ids.iter().filter(|id| group.ack(**id)).count();
        slot.record(events::PENDING, &logged);
        Ok(acked as i64)
    })?;
    ctx.out.integer(acked);
    REPLIED
}
