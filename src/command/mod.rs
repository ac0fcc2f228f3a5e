//! The command table and dispatcher.
//!
//! Each command is a [`CommandSpec`] declared by its family beside its handler
//! (`string.rs`, `keys.rs`, `expire.rs`, `server.rs` …): its name, Redis's arity
//! convention (`n` exactly n arguments counting the name, `-n` at least n), Redis 7
//! flags, key specs and subcommands; [`table`] gathers them. A handler reads its
//! arguments through an [`Args`] cursor, runs against the engine, writes its reply
//! through the context's [`ReplyWriter`] and returns an [`Outcome`] (or a
//! [`CommandError`], which becomes the reply); the connection acts on the outcome.

pub mod admin;
pub mod args;
pub mod blocking;
pub mod client;
mod dispatch;
pub mod error;
pub mod expire;
pub mod function;
pub mod geo;
pub mod hash;
pub mod info;
pub mod introspection;
pub mod keys;
pub mod list;
pub mod object;
pub mod pqsort;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod set;
pub mod settings;
pub mod sort;
pub mod spec;
pub mod stream;
pub mod string;
pub mod table;
pub mod tracking;
pub mod transaction;
pub mod zset;

use std::sync::Arc;
use std::time::Instant;

pub use args::Args;
pub use dispatch::{execute, refuse_while_busy};
pub use error::{CommandError, CommandResult};
pub use spec::{BeginSearch, CommandSpec, FindKeys, Flags, KeySpec};
pub use table::{table, Command};

use crate::clients::ClientInfo;
use crate::engine::Keyspace;
use crate::protocol::ReplyWriter;
use crate::state::ServerState;
use crate::stats::LocalStats;

/// A handler: runs the command whose arguments `args` holds (positioned after the
/// name, or after the subcommand) and writes the reply.
pub type Handler = fn(&mut Context<'_>, &mut Args<'_>) -> CommandResult;

/// Redis 7's command flags (`COMMAND INFO` lists them by these names).
pub mod flags {
    use super::Flags;

    /// Changes the dataset.
    pub const WRITE: Flags = 1 << 0;
    /// Only reads the dataset.
    pub const READONLY: Flags = 1 << 1;
    /// May grow memory use: refused with `-OOM` over `maxmemory`.
    pub const DENYOOM: Flags = 1 << 2;
    /// A module's command (none here; kept for the names' order).
    pub const MODULE: Flags = 1 << 3;
    /// Administrative.
    pub const ADMIN: Flags = 1 << 4;
    /// Pub/Sub.
    pub const PUBSUB: Flags = 1 << 5;
    /// Not allowed in scripts.
    pub const NOSCRIPT: Flags = 1 << 6;
    /// May block the client.
    pub const BLOCKING: Flags = 1 << 7;
    /// Allowed while the dataset is loading.
    pub const LOADING: Flags = 1 << 8;
    /// Allowed on a stale replica.
    pub const STALE: Flags = 1 << 9;
    /// Not shown by `MONITOR`.
    pub const SKIP_MONITOR: Flags = 1 << 10;
    /// Not recorded in the slow log.
    pub const SKIP_SLOWLOG: Flags = 1 << 11;
    /// Cluster `ASKING` (none here).
    pub const ASKING: Flags = 1 << 12;
    /// O(1) or O(log n).
    pub const FAST: Flags = 1 << 13;
    /// Allowed before authentication.
    pub const NO_AUTH: Flags = 1 << 14;
    /// May replicate even when read-only.
    pub const MAY_REPLICATE: Flags = 1 << 15;
    /// Keys are optional (`COMMAND GETKEYS` answers an empty list).
    pub const NO_MANDATORY_KEYS: Flags = 1 << 16;
    /// Not allowed while loading asynchronously.
    pub const NO_ASYNC_LOADING: Flags = 1 << 17;
    /// Refused inside `MULTI` (`ERR Command not allowed inside a transaction`).
    pub const NO_MULTI: Flags = 1 << 18;
    /// Keys are not at fixed positions (derived from the key specs).
    pub const MOVABLE_KEYS: Flags = 1 << 19;
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: Flags = 1 << 20;

    /// Every flag with its `COMMAND INFO` name, in Redis's order (`may_replicate`
    /// is hidden, as Redis hides it).
    pub const NAMES: [(Flags, &str); 20] = [
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];

    /// The names of the flags set in `bits`, as `COMMAND INFO` lists them.
    pub fn names(bits: Flags) -> Vec<&'static str> {
        NAMES.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, name)| *name).collect()
    }
}

/// What the connection does after a command.
#[derive(Debug)]
pub enum Outcome {
    /// The reply is written; go on.
    Reply,
    /// Close the connection once the replies so far are written (`QUIT`,
    /// `SHUTDOWN`).
    Close,
    /// Run these queued commands with no other client's command in between
    /// (`EXEC`): the connection takes the transaction gate exclusively and calls
    /// [`transaction::run_transaction`].
    RunExclusive(Vec<transaction::Queued>),
    /// Run this script with no other client's command in between (`EVAL`…): the
    /// connection takes the transaction gate exclusively and calls
    /// [`scripting::run_script`].
    RunScript(Box<scripting::ScriptCall>),
    /// The client waits (`WAIT`, and the blocking commands): nothing more of its
    /// pipeline runs until the wait ends.
    Block(Block),
    /// The command did not run: a `CLIENT PAUSE` holds it. The connection keeps the
    /// request, waits until the pause ends, and runs it then (nothing was replied).
    Postponed,
}

/// `CLIENT REPLY`: which replies the client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Every reply (`ON`).
    #[default]
    On,
    /// None (`OFF`).
    Off,
    /// Not the next command's (`SKIP` was just run).
    SkipNext,
    /// Not this command's (the one after `SKIP`).
    Skip,
}

impl ReplyMode {
    /// After a command whose reply began at byte `mark` of `out`: drops the reply if
    /// this mode says so, and moves `SKIP` on by one command.
    /// `pushed`: the reply is a push (a (un)subscribe confirmation), which Redis
    /// sends whatever the mode (`CLIENT_PUSHING`); `SKIP` still moves on.
    #[inline]
    pub fn after_command(&mut self, out: &mut ReplyWriter, mark: usize, pushed: bool) {
        match *self {
            ReplyMode::On => {}
            ReplyMode::Off if !pushed => out.truncate(mark),
            ReplyMode::Off => {}
            ReplyMode::SkipNext => *self = ReplyMode::Skip,
            ReplyMode::Skip => {
                if !pushed {
                    out.truncate(mark);
                }
                *self = ReplyMode::On;
            }
        }
    }
}

/// A client's wait (see [`Outcome::Block`]).
#[derive(Debug)]
pub struct Block {
    /// When the wait times out; `None` waits until woken.
    pub deadline: Option<Instant>,
    /// The reply when it times out (or `CLIENT UNBLOCK … TIMEOUT` ends it).
    pub on_timeout: TimeoutReply,
    /// The keys it waits on and what to run when one is ready (the blocking
    /// commands); `None` for a plain wait (`WAIT`).
    pub on: Option<blocking::BlockOn>,
}

/// What a wait replies when it times out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// An integer (`WAIT`: the replicas that acknowledged, 0 here).
    Integer(i64),
    /// A null array (every blocking list command, `BLMOVE` included, as Redis 7.0).
    NullArray,
    /// A null.
    Null,
}

/// What a connection carries between commands.
#[derive(Debug)]
pub struct Session {
    /// The selected database.
    pub db: usize,
    /// This client's shared record (id, names).
    pub client: Arc<ClientInfo>,
    /// Whether the client has authenticated (always true without a password).
    pub authenticated: bool,
    /// Counts to fold into the server's stats after the batch.
    pub local_stats: LocalStats,
    /// A write command ran in this batch: under `appendfsync always` the replies
    /// wait for the fsync that covers it.
    pub wrote: bool,
    /// Commands queued since `MULTI`.
    pub multi: Option<transaction::Transaction>,
    /// Keys this client watches, and the flag set when one of them changes.
    pub watched: Vec<(usize, Box<[u8]>)>,
    /// Set by the watch registry when a watched key changes.
    pub watch_dirty: Arc<std::sync::atomic::AtomicBool>,
    /// Calls and time per command since the last batch.
    pub command_stats: crate::slowlog::LocalCommandStats,
    /// Subscriptions and client-tracking state (the push room's per-connection half).
    pub push: crate::pubsub::PushState,
    /// `CLIENT REPLY`.
    pub reply: ReplyMode,
    /// `CLIENT NO-TOUCH on`: reads leave keys' LRU/LFU alone (except `TOUCH`).
    pub no_touch: bool,
    /// The last command looked up (`CLIENT LIST`'s `cmd`).
    pub last_command: Option<&'static Command>,
    /// The query buffer at the start of this batch: bytes held and free (`qbuf`,
    /// `qbuf-free` of this client's own `CLIENT LIST` line).
    pub query_buffer: (usize, usize),
    /// A script's `redis.call` runs now (`MONITOR` shows it as from `lua`).
    pub in_script: bool,
}

impl Session {
    /// The session of a newly connected client.
    pub fn new(client: Arc<ClientInfo>) -> Self {
        Session {
            db: 0,
            client,
            authenticated: true,
            local_stats: LocalStats::default(),
            wrote: false,
            multi: None,
            watched: Vec::new(),
            watch_dirty: Arc::default(),
            command_stats: Default::default(),
            push: Default::default(),
            reply: ReplyMode::On,
            no_touch: false,
            last_command: None,
            query_buffer: (0, 0),
            in_script: false,
        }
    }
}

/// Everything a handler may use.
pub struct Context<'a> {
    /// The server's shared state.
    pub state: &'a ServerState,
    /// The calling connection's state.
    pub session: &'a mut Session,
    /// Where the reply goes.
    pub out: &'a mut ReplyWriter,
    /// The time of this batch, Unix milliseconds.
    pub now_ms: u64,
}

impl Context<'_> {
    /// The connection's selected database.
    #[inline]
    pub fn db(&self) -> arc_swap::Guard<Arc<Keyspace>> {
        self.state.engine.db(self.session.db)
    }

    /// Counts a read of `key` as a hit or a miss (`INFO stats`), as Redis's
    /// `lookupKeyRead` does; a miss is also published as the `keymiss` event when
    /// `notify-keyspace-events` has `m`.
    #[inline]
    pub fn count_lookup(&mut self, key: &[u8], hit: bool) {
        if hit {
            self.session.local_stats.hits += 1;
        } else {
            self.session.local_stats.misses += 1;
            self.state.notifier.key_missed(self.session.db, key);
        }
    }

    /// Counts the key reads of a multi-key command, each `(key, found)` as
    /// [`Context::count_lookup`] does.
    #[inline]
    pub fn count_lookups<'k>(&mut self, lookups: impl IntoIterator<Item = (&'k [u8], bool)>) {
        for (key, hit) in lookups {
            self.count_lookup(key, hit);
        }
    }
}

/// The most reply bytes a command whose reply the client sizes (`HRANDFIELD`,
/// `SRANDMEMBER` with a huge negative count) writes when no output-buffer limit is
/// configured; Redis would grow without bound.
pub const REPLY_CEILING: usize = 512 << 20;

/// Where such a reply stops: the output-buffer hard limit, or [`REPLY_CEILING`].
/// Past it the command ends its reply there and the connection closes, as Redis
/// closes a client over its hard limit.
pub fn reply_ceiling(ctx: &Context<'_>) -> usize {
    ctx.state.config.load().output_buffer_hard_limit().min(REPLY_CEILING)
}

/// `Ok(Outcome::Reply)`: what most handlers return.
pub const REPLIED: CommandResult = Ok(Outcome::Reply);

/// Replies a `HELP` subcommand's lines as simple strings.
pub fn help(ctx: &mut Context<'_>, lines: &[&str]) -> CommandResult {
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
    REPLIED
}

#[cfg(test)]
mod tests;
