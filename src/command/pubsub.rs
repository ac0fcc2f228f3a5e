//! Pub/Sub and `MONITOR`: `SUBSCRIBE`, `UNSUBSCRIBE`, `PSUBSCRIBE`,
//! `PUNSUBSCRIBE`, `SSUBSCRIBE`, `SUNSUBSCRIBE`, `PUBLISH`, `SPUBLISH`,
//! `PUBSUB CHANNELS | NUMSUB | NUMPAT | SHARDCHANNELS | SHARDNUMSUB | HELP`, `MONITOR`,
//! with Redis 7.0's replies (`pubsub.c`) over the [`crate::pubsub`] room.
//!
//! The subscription replies are arrays in RESP2 and push frames in RESP3; a
//! subscribed RESP2 connection may only run the subscription commands, `PING`,
//! `QUIT` and `RESET` (checked by the dispatcher). Messages reach a subscriber
//! through its outbox, which its connection drains.
//!
//! ```text
//! SUBSCRIBE channel [channel ...]      PUBLISH channel message
//! PSUBSCRIBE pattern [pattern ...]     SPUBLISH shardchannel message
//! SSUBSCRIBE shardchannel [...]        PUBSUB CHANNELS [pattern]
//! UNSUBSCRIBE [channel ...]            PUBSUB NUMSUB [channel ...]
//! PUNSUBSCRIBE [pattern ...]           PUBSUB NUMPAT
//! SUNSUBSCRIBE [shardchannel ...]      MONITOR
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

use super::spec::{CommandSpec, KeySpec};
use super::{flags::*, Args, CommandError, CommandResult, Context, Session, REPLIED};
use crate::protocol::Protocol;
use crate::pubsub::Subscriptions;
use crate::state::ServerState;

const PUBSUB: &[&str] = &["pubsub"];
const SUBSCRIBING: super::Flags = super::flags::PUBSUB | NOSCRIPT | LOADING | STALE;
const PUBLISHING: super::Flags = super::flags::PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE;
/// Shard channels are declared as keys (`not_key`), as Redis 7.0 declares them.
const SHARD_ALL: &[KeySpec] = &[KeySpec::all_from(1, 1, &["not_key"])];
const SHARD_ONE: &[KeySpec] = &[KeySpec::one(1, &["not_key"])];

/// The Pub/Sub family and `MONITOR`.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("subscribe", -2, SUBSCRIBING, subscribe).categories(PUBSUB),
    CommandSpec::new("unsubscribe", -1, SUBSCRIBING, unsubscribe).categories(PUBSUB),
    CommandSpec::new("psubscribe", -2, SUBSCRIBING, psubscribe).categories(PUBSUB),
    CommandSpec::new("punsubscribe", -1, SUBSCRIBING, punsubscribe).categories(PUBSUB),
    CommandSpec::new("ssubscribe", -2, SUBSCRIBING, ssubscribe).keys(SHARD_ALL).categories(PUBSUB),
    CommandSpec::new("sunsubscribe", -1, SUBSCRIBING, sunsubscribe).keys(SHARD_ALL).categories(PUBSUB),
    CommandSpec::new("publish", 3, PUBLISHING, publish).categories(PUBSUB),
    CommandSpec::new("spublish", 3, PUBLISHING, spublish).keys(SHARD_ONE).categories(PUBSUB),
    CommandSpec::new("pubsub", -2, 0, pubsub_help).subcommands(PUBSUB_SPECS),
    CommandSpec::new("monitor", 1, ADMIN | NOSCRIPT | LOADING | STALE, monitor),
];

/// The subcommands of `PUBSUB`.
static PUBSUB_SPECS: &[CommandSpec] = &[
    CommandSpec::new("channels", -2, super::flags::PUBSUB | LOADING | STALE, channels).categories(PUBSUB),
    CommandSpec::new("numsub", -2, super::flags::PUBSUB | LOADING | STALE, numsub).categories(PUBSUB),
    CommandSpec::new("numpat", 2, super::flags::PUBSUB | LOADING | STALE, numpat).categories(PUBSUB),
    CommandSpec::new("shardchannels", -2, super::flags::PUBSUB | LOADING | STALE, shardchannels)
        .categories(PUBSUB),
    CommandSpec::new("shardnumsub", -2, super::flags::PUBSUB | LOADING | STALE, shardnumsub)
        .categories(PUBSUB),
    CommandSpec::new("help", 2, LOADING | STALE, pubsub_help),
];

/// The commands a subscribed RESP2 connection may still run (Redis 7.0's
/// `processCommand`).
pub fn allowed_while_subscribed(name: &str) -> bool {
    matches!(
        name,
        "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// Which of a client's three kinds of subscription a command works on.
#[derive(Clone, Copy)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn set(self, subscriptions: &mut Subscriptions) -> &mut std::collections::HashSet<Bytes> {
        match self {
            Kind::Channel => &mut subscriptions.channels,
            Kind::Pattern => &mut subscriptions.patterns,
            Kind::Shard => &mut subscriptions.shard_channels,
        }
    }

    fn counter(self, client: &crate::clients::ClientInfo) -> &AtomicUsize {
        match self {
            Kind::Channel => &client.subscriptions.channels,
            Kind::Pattern => &client.subscriptions.patterns,
            Kind::Shard => &client.subscriptions.shard_channels,
        }
    }

    /// The count a (un)subscription reply carries: channels and patterns together,
    /// shard channels on their own.
    fn count(self, subscriptions: &Subscriptions) -> usize {
        match self {
            Kind::Shard => subscriptions.shard_channels.len(),
            _ => subscriptions.channels.len() + subscriptions.patterns.len(),
        }
    }

    fn add(self, state: &ServerState, session: &mut Session, name: &Bytes) {
        if !self.set(&mut session.push.subscriptions).insert(name.clone()) {
            return;
        }
        let client = &session.client;
        match self {
            Kind::Channel => state.pubsub.channels.subscribe(name.clone(), client),
            Kind::Pattern => state.pubsub.patterns.subscribe(name.clone(), client),
            Kind::Shard => state.pubsub.shard_channels.subscribe(name.clone(), client),
        }
        self.counter(client).fetch_add(1, Ordering::Relaxed);
    }

    fn remove(self, state: &ServerState, session: &mut Session, name: &[u8]) {
        if !self.set(&mut session.push.subscriptions).remove(name) {
            return;
        }
        let id = session.client.id;
        match self {
            Kind::Channel => state.pubsub.channels.unsubscribe(name, id),
            Kind::Pattern => state.pubsub.patterns.unsubscribe(name, id),
            Kind::Shard => state.pubsub.shard_channels.unsubscribe(name, id),
        }
        self.counter(&session.client).fetch_sub(1, Ordering::Relaxed);
    }
}

/// The header of a subscription reply: an array in RESP2, a push in RESP3.
fn push_header(ctx: &mut Context<'_>, len: usize) {
    match ctx.out.protocol() {
        Protocol::Resp2 => ctx.out.array(len),
        Protocol::Resp3 => ctx.out.raw(format!(">{len}\r\n").as_bytes()),
    }
}

/// One `[subscribe, name, count]`-style reply (`name` null for an unsubscription
/// from nothing).
fn confirm(ctx: &mut Context<'_>, verb: &str, name: Option<&[u8]>, count: usize) {
    push_header(ctx, 3);
    ctx.out.bulk(verb.as_bytes());
    ctx.out.bulk_or_null(name);
    ctx.out.integer(count as i64);
}

fn subscribe_to(ctx: &mut Context<'_>, args: &mut Args<'_>, kind: Kind, verb: &str) -> CommandResult {
    for name in args.rest() {
        kind.add(ctx.state, ctx.session, name);
        let count = kind.count(&ctx.session.push.subscriptions);
        confirm(ctx, verb, Some(name), count);
    }
    REPLIED
}

fn unsubscribe_from(ctx: &mut Context<'_>, args: &mut Args<'_>, kind: Kind, verb: &str) -> CommandResult {
    let names: Vec<Bytes> = if args.is_done() {
        kind.set(&mut ctx.session.push.subscriptions).iter().cloned().collect()
    } else {
        args.rest().to_vec()
    };
    if names.is_empty() {
        let count = kind.count(&ctx.session.push.subscriptions);
        confirm(ctx, verb, None, count);
        return REPLIED;
    }
    for name in &names {
        kind.remove(ctx.state, ctx.session, name);
        let count = kind.count(&ctx.session.push.subscriptions);
        confirm(ctx, verb, Some(name), count);
    }
    REPLIED
}

/// `SUBSCRIBE channel [channel …]`.
fn subscribe(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    subscribe_to(ctx, args, Kind::Channel, "subscribe")
}

/// `UNSUBSCRIBE [channel …]`: from the given channels, or from every one.
fn unsubscribe(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    unsubscribe_from(ctx, args, Kind::Channel, "unsubscribe")
}

/// `PSUBSCRIBE pattern [pattern …]`.
fn psubscribe(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    subscribe_to(ctx, args, Kind::Pattern, "psubscribe")
}

/// `PUNSUBSCRIBE [pattern …]`.
fn punsubscribe(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    unsubscribe_from(ctx, args, Kind::Pattern, "punsubscribe")
}

/// `SSUBSCRIBE shardchannel [shardchannel …]`.
fn ssubscribe(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    subscribe_to(ctx, args, Kind::Shard, "ssubscribe")
}

/// `SUNSUBSCRIBE [shardchannel …]`.
fn sunsubscribe(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    unsubscribe_from(ctx, args, Kind::Shard, "sunsubscribe")
}

/// `PUBLISH channel message`: the number of deliveries.
fn publish(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (channel, message) = (args.next_bytes()?, args.next_bytes()?);
    let receivers = ctx.state.pubsub.publish(channel, message);
    ctx.out.integer(receivers as i64);
    REPLIED
}

/// `SPUBLISH shardchannel message`.
fn spublish(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (channel, message) = (args.next_bytes()?, args.next_bytes()?);
    let receivers = ctx.state.pubsub.spublish(channel, message);
    ctx.out.integer(receivers as i64);
    REPLIED
}

fn list_channels(ctx: &mut Context<'_>, args: &mut Args<'_>, shard: bool) -> CommandResult {
    if args.remaining() > 1 {
        return Err(CommandError::Other(
            format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                super::args::text(&args.all()[1])
            )
            .into(),
        ));
    }
    let pattern = args.rest().first().map(|p| &p[..]);
    let registry = if shard { &ctx.state.pubsub.shard_channels } else { &ctx.state.pubsub.channels };
    let names = registry.names(pattern);
    ctx.out.array(names.len());
    for name in &names {
        ctx.out.bulk(name);
    }
    REPLIED
}

fn count_subscribers(ctx: &mut Context<'_>, args: &mut Args<'_>, shard: bool) -> CommandResult {
    let registry = if shard { &ctx.state.pubsub.shard_channels } else { &ctx.state.pubsub.channels };
    let channels = args.rest();
    ctx.out.array(channels.len() * 2);
    for channel in channels {
        ctx.out.bulk(channel);
        ctx.out.integer(registry.subscribers(channel) as i64);
    }
    REPLIED
}

/// `PUBSUB CHANNELS [pattern]`: the channels with a subscriber.
fn channels(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    list_channels(ctx, args, false)
}

/// `PUBSUB NUMSUB [channel …]`: each channel and its subscriber count.
fn numsub(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    count_subscribers(ctx, args, false)
}

/// `PUBSUB NUMPAT`: how many patterns have a subscriber.
fn numpat(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    ctx.out.integer(ctx.state.pubsub.patterns.len() as i64);
    REPLIED
}

/// `PUBSUB SHARDCHANNELS [pattern]`.
fn shardchannels(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    list_channels(ctx, args, true)
}

/// `PUBSUB SHARDNUMSUB [shardchannel …]`.
fn shardnumsub(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    count_subscribers(ctx, args, true)
}

/// `PUBSUB HELP`.
fn pubsub_help(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    super::help(
        ctx,
        &[
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Prints this help.",
        ],
    )
}

/// `MONITOR`: from now on every command any client runs is sent to this one.
fn monitor(ctx: &mut Context<'_>, _args: &mut Args<'_>) -> CommandResult {
    if ctx.session.push.in_exec {
        return Err(CommandError::err("MONITOR isn't allowed for DENY BLOCKING client"));
    }
    if ctx.session.client.monitor.load(Ordering::Relaxed) {
        // Already a monitor: ignored, with no reply, as Redis does.
        return REPLIED;
    }
    ctx.state.monitors.add(&ctx.session.client);
    ctx.out.ok();
    REPLIED
}

/// Ends everything the push room knows of a connection, without replying: its
/// subscriptions (channels, patterns, shard channels), client tracking and
/// `MONITOR` mode. Called when the connection closes, and by `RESET` (Redis's
/// `clearClientConnectionState` does the same).
pub fn reset_subscriptions(state: &ServerState, session: &mut Session) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        let names: Vec<Bytes> = kind.set(&mut session.push.subscriptions).iter().cloned().collect();
        for name in &names {
            kind.remove(state, session, name);
        }
    }
    state.tracking.disable(&session.client);
    state.monitors.remove(&session.client);
    session.push.caching = false;
}

/// Before a command runs (outside `EXEC`): pushes already queued for the client
/// (an invalidation caused by the eviction this command's check made) go before
/// its reply, as Redis writes them at once.
pub(super) fn before_run(ctx: &mut Context<'_>) {
    if ctx.session.client.push.queued() > 0 && !ctx.session.push.in_exec {
        let mut pushed = Vec::new();
        ctx.session.client.push.take_into(&mut pushed, usize::MAX);
        ctx.out.raw(&pushed);
    }
}

/// After a command ran (queued ones too): `MONITOR` sees it (unless `admin` or
/// `skip_monitor`; an `EXEC`'s line waits for its queue), and a tracking client
/// remembers the keys a read-only command read.
pub(super) fn after_run(
    ctx: &mut Context<'_>,
    command: &super::Command,
    args: &[Bytes],
    config: &crate::config::Config,
    result: &CommandResult,
) {
    let spec = command.spec;
    let state = ctx.state;
    if state.monitors.active() && !spec.has(ADMIN) && !spec.has(SKIP_MONITOR) {
        if spec.name == "exec" && matches!(result, Ok(super::Outcome::RunExclusive(_))) {
            ctx.session.push.exec_args = Some(args.to_vec());
        } else if ctx.session.in_script {
            state.monitors.feed_from("lua", ctx.session.db, args, state.pubsub.limits());
        } else {
            state.monitors.feed(&ctx.session.client, ctx.session.db, args, state.pubsub.limits());
        }
    }
    let tracking = ctx.session.client.tracking.load(Ordering::Relaxed);
    // A script's own reads are not remembered: the script remembers its declared
    // keys instead (`remember_script_reads`), as Redis does; nor is an `EVAL_RO`.
    if tracking & crate::pubsub::tracking::flag::ON != 0
        && spec.has(READONLY)
        && !ctx.session.in_script
        && !spec.name.starts_with("eval")
    {
        let keys = spec.key_positions(args);
        let keys = keys.iter().flatten().filter_map(|&at| args.get(at)).map(|key| &key[..]);
        remember_reads(ctx, keys, tracking, config);
    }
}

/// A read-only command ran inside a script: a default-mode tracking client
/// remembers the script's declared keys (Redis's `trackingRememberKeys` on the
/// script's caller), whatever the command read.
pub(super) fn remember_script_reads(ctx: &mut Context<'_>, declared: &[Bytes]) {
    let tracking = ctx.session.client.tracking.load(Ordering::Relaxed);
    if tracking & crate::pubsub::tracking::flag::ON != 0 && !declared.is_empty() {
        let config = ctx.state.config.load();
        remember_reads(ctx, declared.iter().map(|key| &key[..]), tracking, &config);
    }
}

/// Remembers the keys of a read-only command for a default-mode tracking client.
fn remember_reads<'k>(
    ctx: &mut Context<'_>,
    keys: impl Iterator<Item = &'k [u8]>,
    tracking: u8,
    config: &crate::config::Config,
) {
    use crate::pubsub::tracking::flag;
    let caching = ctx.session.push.caching;
    if tracking & flag::BCAST != 0
        || (tracking & flag::OPTIN != 0 && !caching)
        || (tracking & flag::OPTOUT != 0 && caching)
    {
        return;
    }
    ctx.state.tracking.remember(&ctx.session.client, keys, config.compat.tracking_table_max_keys);
}

/// After a top-level command: what was pushed to the client meanwhile follows its
/// reply, then its own deferred invalidations; `BCAST` sends what the command
/// changed; the tracking table is brought within `tracking-table-max-keys`.
pub(super) fn after_command(ctx: &mut Context<'_>) {
    let client = &ctx.session.client;
    if client.push.queued() > 0 {
        let mut pushed = Vec::new();
        client.push.take_into(&mut pushed, usize::MAX);
        ctx.out.raw(&pushed);
    }
    crate::pubsub::tracking::take_deferred(ctx.out);
    let tracking = &ctx.state.tracking;
    tracking.send_broadcasts();
    if tracking.total_keys() > 0 {
        tracking.enforce_limit(ctx.state.config.load().compat.tracking_table_max_keys);
    }
}

/// Whether the client's `CLIENT CACHING` answer is spent after `command` (any
/// command but `CLIENT …` and those inside `MULTI`, as Redis's `resetClient`).
pub(super) fn after_dispatch(ctx: &mut Context<'_>, command: &super::Command, result: &CommandResult) {
    let name = command.parent.map_or(command.spec.name, |parent| parent.name);
    if ctx.session.push.caching
        && name != "client"
        && ctx.session.multi.is_none()
        && !matches!(result, Ok(super::Outcome::RunExclusive(_)))
    {
        ctx.session.push.caching = false;
    }
}

/// Marks the start of an `EXEC`'s queue.
pub(super) fn begin_transaction(ctx: &mut Context<'_>) {
    ctx.session.push.in_exec = true;
}

/// After an `EXEC`'s queue ran: its `MONITOR` line, the invalidations its
/// commands deferred, `BCAST`'s messages; `CLIENT CACHING` is spent.
pub(super) fn end_transaction(ctx: &mut Context<'_>) {
    ctx.session.push.in_exec = false;
    ctx.session.push.caching = false;
    if let Some(args) = ctx.session.push.exec_args.take() {
        let state = ctx.state;
        state.monitors.feed(&ctx.session.client, ctx.session.db, &args, state.pubsub.limits());
    }
    after_command(ctx);
}
