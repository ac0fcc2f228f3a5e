//! `XADD`, `XTRIM` and `XSETID`: what grows, shrinks or resets a stream, with
//! Redis's trimming arguments (`MAXLEN|MINID [=|~] n [LIMIT c]`).

use super::{events, limits, parse_id_form, strict_id, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::{int, is};
use crate::command::Args;
use crate::types::stream::{IdText, Stream, StreamId, Trim, NODE_MAX_SIZE};

/// The trimming and id arguments of `XADD`/`XTRIM` (Redis's `streamAddTrimArgs`).
#[derive(Debug, Default)]
struct AddArgs {
    /// The strategy, with where its value argument is.
    trim: Option<(Trim, usize)>,
    /// `~`: whole nodes only.
    approx: bool,
    /// Most entries an approximate trim removes (0: no limit).
    limit: u64,
    /// `NOMKSTREAM`.
    no_mkstream: bool,
    /// The id given (`None`: `*`), and where it is.
    id: Option<super::ParsedId>,
    /// Where the id argument is.
    id_at: usize,
}

/// Parses the options from argument 2 on (Redis's
/// `streamParseAddOrTrimArgsOrReply`); for `XADD` up to and including the id.
/// `node_max_entries` (`stream-node-max-entries`) sets a `~` trim's default
/// `LIMIT`.
fn parse_add_trim(all: &[bytes::Bytes], xadd: bool, node_max_entries: u64) -> Result<AddArgs, CommandError> {
    let mut parsed = AddArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    while i < all.len() {
        let more = all.len() - 1 - i;
        let opt = &all[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if parsed.trim.is_some() {
                return Err(CommandError::err(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            parsed.approx = false;
            let next = &all[i + 1][..];
            if more >= 2 && (next == b"~" || next == b"=") {
                parsed.approx = next == b"~";
                i += 1;
            }
            let value = &all[i + 1][..];
            let strategy = if is(opt, "maxlen") {
                let max = int(value)?;
                if max < 0 {
                    return Err(CommandError::err("The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(max as u64)
            } else {
                Trim::MinId(strict_id(value)?)
            };
            i += 1;
            parsed.trim = Some((strategy, i));
        } else if is(opt, "limit") && more > 0 {
            let limit = int(&all[i + 1])?;
            if limit < 0 {
                return Err(CommandError::err("The LIMIT argument must be >= 0."));
            }
            parsed.limit = limit as u64;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            parsed.no_mkstream = true;
        } else if xadd {
            parsed.id = Some(parse_id_form(opt, 0, true, true)?);
            break;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    parsed.id_at = i;
    if parsed.limit > 0 && parsed.trim.is_none() {
        return Err(CommandError::err(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && parsed.trim.is_none() {
        return Err(CommandError::err("syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !parsed.approx {
            return Err(CommandError::err("syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if parsed.approx {
        parsed.limit = node_max_entries.saturating_mul(100);
        if parsed.limit == 0 {
            parsed.limit = 10_000;
        }
        parsed.limit = parsed.limit.min(1_000_000);
    } else {
        parsed.limit = 0;
    }
    Ok(parsed)
}

/// The exact trim a `~` trim is logged as: `MAXLEN = <length>` or `MINID =
/// <first id>`, written on the stack.
enum ExactTrim {
    /// The length left.
    Len(itoa::Buffer, u64),
    /// The first id left.
    Id(IdText),
}

impl ExactTrim {
    fn as_bytes(&mut self) -> &[u8] {
        match self {
            ExactTrim::Len(buf, n) => buf.format(*n).as_bytes(),
            ExactTrim::Id(text) => text.as_bytes(),
        }
    }
}

/// Trims `stream` as `parsed` says: how many entries went, and for an
/// approximate trim the exact result to log in place of `~ n`.
fn trim(stream: &mut Stream, parsed: &AddArgs) -> (u64, Option<ExactTrim>) {
    let Some((how, _)) = parsed.trim else { return (0, None) };
    let removed = stream.trim(how, parsed.approx, parsed.limit);
    if !parsed.approx {
        return (removed, None);
    }
    let exact = match how {
        Trim::MaxLen(_) => ExactTrim::Len(itoa::Buffer::new(), stream.len()),
        // An emptied stream's edge is the greatest id, as Redis's
        // `streamGetEdgeID` answers it.
        Trim::MinId(_) if stream.is_empty() => ExactTrim::Id(StreamId::MAX.text()),
        Trim::MinId(_) => ExactTrim::Id(stream.first_id().text()),
    };
    (removed, Some(exact))
}

/// The arguments as logged: `all` with the generated id (if any) at `id_at` and
/// an approximate trim made exact (`=` and its result) before `trim_at`.
fn effect<'a>(
    all: &'a [bytes::Bytes],
    id: Option<(usize, &'a [u8])>,
    exact: Option<(usize, &'a [u8])>,
) -> Vec<&'a [u8]> {
    let mut effect: Vec<&[u8]> = all.iter().map(|a| &a[..]).collect();
    if let Some((at, text)) = id {
        effect[at] = text;
    }
    if let Some((at, text)) = exact {
        effect[at - 1] = b"=";
        effect[at] = text;
    }
    effect
}

/// ```text
/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value …]
/// ```
/// The id of the new entry (null with `NOMKSTREAM` on a missing key). Logged with
/// the id it got and an exact trim.
pub fn xadd(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let limits = limits(ctx);
    let parsed = parse_add_trim(all, true, limits.max_entries)?;
    let fields = all.get(parsed.id_at + 1..).unwrap_or_default();
    if fields.len() < 2 || fields.len() % 2 != 0 {
        return Err(CommandError::WrongArity("xadd".into()));
    }
    if let Some(given) = parsed.id {
        if given.seq_given && given.id.is_zero() {
            return Err(CommandError::err("The ID specified in XADD must be greater than 0-0"));
        }
    }
    let size: usize = fields.iter().map(|f| f.len()).sum();
    let pairs: Vec<(&[u8], &[u8])> = fields.chunks_exact(2).map(|p| (&p[0][..], &p[1][..])).collect();
    let key = &all[1][..];
    let now_ms = ctx.now_ms;
    let id = ctx.db().write(key, now_ms, |slot| {
        let existing = slot.get_as::<Stream>()?;
        if existing.is_none() && parsed.no_mkstream {
            return Ok::<_, CommandError>(None);
        }
        let empty = Stream::new();
        let current = existing.unwrap_or(&empty);
        if current.last_id == StreamId::MAX {
            return Err(CommandError::err(
                "The stream has exhausted the last possible ID, unable to add more items",
            ));
        }
        let id = match parsed.id {
            None => current.next_id(now_ms),
            Some(given) if given.seq_given => Some(given.id),
            Some(given) => current.next_id_in(given.id.ms),
        };
        let id = match id {
            Some(id) if id > current.last_id => id,
            _ => {
                return Err(CommandError::err(
                    "The ID specified in XADD is equal or smaller than the target stream top item",
                ))
            }
        };
        if size > NODE_MAX_SIZE {
            return Err(CommandError::err("Elements are too large to be stored"));
        }
        let stream = slot.get_or_create::<Stream>()?;
        stream.append(id, &pairs, limits);
        let id_text = id.text();
        let generated = parsed.id.is_none_or(|given| !given.seq_given);
        let (removed, mut exact) = trim(stream, &parsed);
        let exact_at = parsed.trim.map_or(0, |(_, at)| at);
        let logged = effect(
            all,
            generated.then_some((parsed.id_at, id_text.as_bytes())),
            exact.as_mut().map(|e| (exact_at, e.as_bytes())),
        );
        slot.record(events::XADD, &logged);
        if removed > 0 {
            slot.notify(events::XTRIM);
        }
        Ok(Some(id_text))
    })?;
    ctx.out.bulk_or_null(id.as_ref().map(IdText::as_bytes));
    REPLIED
}

/// ```text
/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
/// ```
/// How many entries went; logged with the exact result of a `~` trim.
pub fn xtrim(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let parsed = parse_add_trim(all, false, limits(ctx).max_entries)?;
    let key = &all[1][..];
    let removed = ctx.db().write(key, ctx.now_ms, |slot| {
        if slot.get_as::<Stream>()?.is_none_or(|s| s.is_empty()) {
            return Ok::<_, CommandError>(0);
        }
        let stream = slot.get_mut_as::<Stream>()?.expect("present");
        let (removed, mut exact) = trim(stream, &parsed);
        if removed > 0 {
            let exact_at = parsed.trim.map_or(0, |(_, at)| at);
            let logged = effect(all, None, exact.as_mut().map(|e| (exact_at, e.as_bytes())));
            slot.record(events::XTRIM, &logged);
        }
        Ok(removed)
    })?;
    ctx.out.integer(removed as i64);
    REPLIED
}

/// ```text
/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
/// ```
/// Sets the stream's last id and counters (what the AOF rewrite writes).
pub fn xsetid(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let key = args.next_bytes()?;
    let id = strict_id(args.next_bytes()?)?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    while !args.is_done() {
        if args.remaining() >= 2 && args.flag("ENTRIESADDED") {
            let n = args.next_i64()?;
            if n < 0 {
                return Err(CommandError::err("entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if args.remaining() >= 2 && args.flag("MAXDELETEDID") {
            max_deleted = strict_id(args.next_bytes()?)?;
            if id < max_deleted {
                return Err(CommandError::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CommandError::Syntax);
        }
    }
    ctx.db().write(key, ctx.now_ms, |slot| {
        let Some(stream) = slot.get_as::<Stream>()? else {
            return Err(CommandError::err("no such key"));
        };
        if !stream.is_empty() {
            let top = stream.last_live_id().unwrap_or(StreamId::MIN);
            if id < top {
                return Err(CommandError::err(
                    "The ID specified in XSETID is smaller than the target stream top item",
                ));
            }
            if entries_added.is_some_and(|n| stream.len() > n) {
                return Err(CommandError::err(
                    "The entries_added specified in XSETID is smaller than the target stream length",
                ));
            }
        }
        let stream = slot.get_mut_as::<Stream>()?.expect("present");
        stream.last_id = id;
        if let Some(n) = entries_added {
            stream.entries_added = n;
        }
        if !max_deleted.is_zero() {
            stream.max_deleted_id = max_deleted;
        }
        let effect: Vec<&[u8]> = all.iter().map(|a| &a[..]).collect();
        slot.record(events::XSETID, &effect);
        Ok(())
    })?;
    ctx.out.ok();
    REPLIED
}
