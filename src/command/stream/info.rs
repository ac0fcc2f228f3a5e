//! `XINFO STREAM [FULL [COUNT n]] | GROUPS | CONSUMERS | HELP`: what a stream and
//! its groups hold, as redis-server 7.0.15 reports it (maps in RESP3).

use super::{reply_entries, reply_entry, reply_id, stream_of, CommandError, CommandResult, Context, REPLIED};
use crate::command::args::is;
use crate::command::{help, Args};
use crate::protocol::ReplyWriter;
use crate::types::stream::{Group, Stream, StreamId};

const HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

/// `XINFO HELP`.
pub fn xinfo_help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    help(ctx, HELP)
}

/// Reads the stream at `key` (`ERR no such key` when missing) and replies.
fn with_stream(
    ctx: &mut Context<'_>,
    key: &[u8],
    reply: impl FnOnce(&mut ReplyWriter, &Stream) -> Result<(), CommandError>,
) -> CommandResult {
    let out = &mut *ctx.out;
    ctx.state.engine.db(ctx.session.db).read(key, ctx.now_ms, |entry| {
        let stream = stream_of(entry)?.ok_or_else(|| CommandError::err("no such key"))?;
        reply(out, stream)
    })?;
    REPLIED
}

fn entries_read(out: &mut ReplyWriter, group: &Group) {
    match group.entries_read {
        Some(n) => out.integer(n as i64),
        None => out.null(),
    }
}

fn lag(out: &mut ReplyWriter, stream: &Stream, group: &Group) {
    match stream.lag(group) {
        Some(n) => out.integer(n),
        None => out.null(),
    }
}

/// `XINFO STREAM key [FULL [COUNT count]]`.
pub fn stream(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let key = &all[2][..];
    let options = &all[3..];
    let syntax = || {
        CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
            String::from_utf8_lossy(&all[1])
        ))
    };
    let mut count: i64 = 10;
    let full = match options.len() {
        0 => false,
        1 | 3 if is(&options[0], "FULL") => {
            if options.len() == 3 {
                if !is(&options[1], "COUNT") {
                    return Err(syntax());
                }
                count = crate::command::args::int(&options[2])?;
                if count < 0 {
                    count = 10;
                }
            }
            true
        }
        _ => return Err(syntax()),
    };
    with_stream(ctx, key, |out, stream| {
        out.map(if full { 9 } else { 10 });
        out.bulk(b"length");
        out.integer(stream.len() as i64);
        out.bulk(b"radix-tree-keys");
        out.integer(stream.node_count() as i64);
        out.bulk(b"radix-tree-nodes");
        // Redis counts the radix tree's inner nodes; ours is a B-tree: report its
        // leaves plus one root, which is the same order of magnitude.
        out.integer(stream.node_count() as i64 + 1);
        out.bulk(b"last-generated-id");
        reply_id(out, stream.last_id);
        out.bulk(b"max-deleted-entry-id");
        reply_id(out, stream.max_deleted_id);
        out.bulk(b"entries-added");
        out.integer(stream.entries_added as i64);
        out.bulk(b"recorded-first-entry-id");
        reply_id(out, stream.first_id());
        if !full {
            out.bulk(b"groups");
            out.integer(stream.groups.len() as i64);
            out.bulk(b"first-entry");
            match stream.range(StreamId::MIN, StreamId::MAX, false).next() {
                Some(entry) => reply_entry(out, &entry),
                None => out.null(),
            }
            out.bulk(b"last-entry");
            match stream.last_entry() {
                Some(entry) => reply_entry(out, &entry),
                None => out.null(),
            }
            return Ok(());
        }
        let limit = if count == 0 { usize::MAX } else { count as usize };
        out.bulk(b"entries");
        let entries: Vec<_> = stream.range(StreamId::MIN, StreamId::MAX, false).take(limit).collect();
        reply_entries(out, &entries);
        out.bulk(b"groups");
        out.array(stream.groups.len());
        for (name, group) in &stream.groups {
            out.map(7);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"last-delivered-id");
            reply_id(out, group.last_id);
            out.bulk(b"entries-read");
            entries_read(out, group);
            out.bulk(b"lag");
            lag(out, stream, group);
            out.bulk(b"pel-count");
            out.integer(group.pel.len() as i64);
            out.bulk(b"pending");
            let pel: Vec<_> = group.pel.iter().take(limit).collect();
            out.array(pel.len());
            for (id, pending) in pel {
                out.array(4);
                reply_id(out, *id);
                out.bulk(&pending.consumer);
                out.integer(pending.delivery_time as i64);
                out.integer(pending.delivery_count as i64);
            }
            out.bulk(b"consumers");
            out.array(group.consumers.len());
            for (name, consumer) in &group.consumers {
                out.map(4);
                out.bulk(b"name");
                out.bulk(name);
                out.bulk(b"seen-time");
                out.integer(consumer.seen_time as i64);
                out.bulk(b"pel-count");
                out.integer(consumer.pending.len() as i64);
                out.bulk(b"pending");
                let own: Vec<_> = consumer.pending.iter().take(limit).collect();
                out.array(own.len());
                for id in own {
                    let pending = &group.pel[id];
                    out.array(3);
                    reply_id(out, *id);
                    out.integer(pending.delivery_time as i64);
                    out.integer(pending.delivery_count as i64);
                }
            }
        }
        Ok(())
    })
}

/// `XINFO GROUPS key`: each group's name, consumers, pending count, last id,
/// entries read and lag.
pub fn groups(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = &args.all()[2][..];
    with_stream(ctx, key, |out, stream| {
        out.array(stream.groups.len());
        for (name, group) in &stream.groups {
            out.map(6);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"consumers");
            out.integer(group.consumers.len() as i64);
            out.bulk(b"pending");
            out.integer(group.pel.len() as i64);
            out.bulk(b"last-delivered-id");
            reply_id(out, group.last_id);
            out.bulk(b"entries-read");
            entries_read(out, group);
            out.bulk(b"lag");
            lag(out, stream, group);
        }
        Ok(())
    })
}

/// `XINFO CONSUMERS key group`: each consumer's name, pending count and idle time.
pub fn consumers(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (key, name) = (&args.all()[2][..], &args.all()[3][..]);
    let now = super::wall_ms(ctx) as i64;
    with_stream(ctx, key, |out, stream| {
        let group = stream.group(name).ok_or_else(|| super::group::no_such_group(key, name))?;
        out.array(group.consumers.len());
        for (consumer_name, consumer) in &group.consumers {
            out.map(3);
            out.bulk(b"name");
            out.bulk(consumer_name);
            out.bulk(b"pending");
            out.integer(consumer.pending.len() as i64);
            out.bulk(b"idle");
            out.integer((now - consumer.seen_time as i64).max(0));
        }
        Ok(())
    })
}
