//! The command table and dispatcher.
//!
//! Each command is a [`CommandSpec`]: its name, Redis's arity convention (`n` exactly
//! n arguments counting the name, `-n` at least n), flags, key positions and handler.
//! Handlers live one family per file (`string`, `keys`, `server`); they validate their
//! arguments, run against the engine and write their reply through the context's
//! [`ReplyWriter`], or return a [`CommandError`] that becomes the reply.

pub mod admin;
pub mod args;
pub mod error;
pub mod expire;
pub mod info;
pub mod keys;
pub mod object;
pub mod server;
pub mod string;
mod table;
pub mod transaction;

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

pub use error::{CommandError, CommandResult};
pub use table::COMMANDS;

use crate::clients::ClientInfo;
use crate::config::Config;
use crate::engine::Keyspace;
use crate::protocol::ReplyWriter;
use crate::state::ServerState;
use crate::stats::LocalStats;

/// A handler: runs the command in `args` (`args[0]` is its name) and writes the reply.
pub type Handler = fn(&mut Context<'_>, &[Bytes]) -> CommandResult;

/// Flags a command carries (`COMMAND INFO` reports them).
pub mod flags {
    /// Changes the dataset.
    pub const WRITE: u8 = 1;
    /// Only reads the dataset.
    pub const READONLY: u8 = 2;
    /// May grow memory use.
    pub const DENYOOM: u8 = 4;
    /// Administrative.
    pub const ADMIN: u8 = 8;
    /// O(1) or O(log n).
    pub const FAST: u8 = 16;
    /// Allowed before authentication.
    pub const NO_AUTH: u8 = 32;
    /// Touches connection state only.
    pub const CONNECTION: u8 = 64;

    /// The names of the flags set in `bits`, as `COMMAND INFO` lists them.
    pub fn names(bits: u8) -> Vec<&'static str> {
        let all = [
            (WRITE, "write"),
            (READONLY, "readonly"),
            (DENYOOM, "denyoom"),
            (ADMIN, "admin"),
            (FAST, "fast"),
            (NO_AUTH, "no_auth"),
        ];
        all.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, name)| *name).collect()
    }
}

/// One entry of the command table.
#[derive(Debug)]
pub struct CommandSpec {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis's arity: `n` exactly, `-n` at least `n` arguments, the name included.
    pub arity: i32,
    /// Bitwise-or of [`flags`].
    pub flags: u8,
    /// Position of the first key (0: no keys).
    pub first_key: i32,
    /// Position of the last key (-1: the last argument).
    pub last_key: i32,
    /// Step between keys.
    pub key_step: i32,
    /// The implementation.
    pub handler: Handler,
}

impl CommandSpec {
    /// Whether `argc` arguments (the name included) satisfy the arity.
    pub fn accepts(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Whether the command changes the dataset.
    pub fn is_write(&self) -> bool {
        self.flags & flags::WRITE != 0
    }
}

/// What a connection carries between commands.
#[derive(Debug)]
pub struct Session {
    /// The selected database.
    pub db: usize,
    /// This client's shared record (id, names).
    pub client: Arc<ClientInfo>,
    /// Set by `QUIT`: close once the replies so far are written.
    pub closing: bool,
    /// Whether the client has authenticated (always true without a password).
    pub authenticated: bool,
    /// Counts to fold into the server's stats after the batch.
    pub local_stats: LocalStats,
    /// A write command ran in this batch: under `appendfsync always` the replies
    /// wait for the fsync that covers it.
    pub wrote: bool,
    /// Commands queued since `MULTI`.
    pub multi: Option<transaction::Transaction>,
    /// A transaction `EXEC` has released, for the connection to run exclusively.
    pub ready_transaction: Option<Vec<Vec<Bytes>>>,
    /// Keys this client watches, and the flag set when one of them changes.
    pub watched: Vec<(usize, Box<[u8]>)>,
    /// Set by the watch registry when a watched key changes.
    pub watch_dirty: Arc<std::sync::atomic::AtomicBool>,
    /// Calls and time per command since the last batch.
    pub command_stats: crate::slowlog::LocalCommandStats,
}

impl Session {
    /// The session of a newly connected client.
    pub fn new(client: Arc<ClientInfo>) -> Self {
        Session {
            db: 0,
            client,
            closing: false,
            authenticated: true,
            local_stats: LocalStats::default(),
            wrote: false,
            multi: None,
            ready_transaction: None,
            watched: Vec::new(),
            watch_dirty: Arc::default(),
            command_stats: Default::default(),
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

    /// Counts a key read as a hit or a miss (`INFO stats`).
    #[inline]
    pub fn count_lookup(&mut self, hit: bool) {
        if hit {
            self.session.local_stats.hits += 1;
        } else {
            self.session.local_stats.misses += 1;
        }
    }
}

/// The current Unix time in milliseconds.
pub fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Longest command name we look up; longer ones are unknown.
const MAX_NAME: usize = 32;

/// Finds a command by name, ignoring case, without allocating.
///
/// The table is bucketed by name length and first letter, so a lookup compares
/// against one to three names and hashes nothing.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    static INDEX: OnceLock<Vec<Vec<&'static CommandSpec>>> = OnceLock::new();
    let bucket = |len: usize, first: u8| len * 32 + (first.to_ascii_lowercase() & 31) as usize;
    let index = INDEX.get_or_init(|| {
        let mut index = vec![Vec::new(); (MAX_NAME + 1) * 32];
        for spec in COMMANDS {
            index[bucket(spec.name.len(), spec.name.as_bytes()[0])].push(spec);
        }
        index
    });
    let (&first, _) = name.split_first()?;
    if name.len() > MAX_NAME {
        return None;
    }
    index[bucket(name.len(), first)]
        .iter()
        .copied()
        .find(|spec| spec.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Runs one request and writes its reply (or error) into `ctx.out`.
pub fn execute(ctx: &mut Context<'_>, args: &[Bytes]) {
    ctx.session.local_stats.commands += 1;
    let start = ctx.out.len();
    let result = dispatch(ctx, args);
    if let Err(error) = result {
        // A handler never leaves half a reply behind an error.
        ctx.out.truncate(start);
        ctx.out.error(&error.to_string());
    }
}

/// Checks and runs one command (inside `MULTI`, checks and queues it).
fn dispatch(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let Some(name) = args.first() else { return Ok(()) };
    let checked = check(ctx, args);
    let queue = ctx.session.multi.as_mut().filter(|_| !transaction::runs_inside_multi(name));
    if let Some(transaction) = queue {
        if checked.is_err() {
            transaction.failed = true;
        } else {
            transaction.queued.push(args.to_vec());
            ctx.out.simple("QUEUED");
        }
        return checked.map(|_| ());
    }
    let spec = checked?;
    run(ctx, spec, args)
}

/// Finds the command and checks authentication and arity.
fn check(ctx: &Context<'_>, args: &[Bytes]) -> Result<&'static CommandSpec, CommandError> {
    let spec = lookup(&args[0]).ok_or_else(|| unknown_command(args))?;
    if !ctx.session.authenticated && spec.flags & flags::NO_AUTH == 0 {
        return Err(CommandError::NoAuth);
    }
    if !spec.accepts(args.len()) {
        return Err(CommandError::WrongArity(spec.name.to_string()));
    }
    Ok(spec)
}

/// Runs a checked command: the `-MISCONF` gate for writes, then the handler.
fn run(ctx: &mut Context<'_>, spec: &'static CommandSpec, args: &[Bytes]) -> CommandResult {
    if ctx.state.loading.load(std::sync::atomic::Ordering::Relaxed) {
        // Replaying the AOF: no timing, no slow log.
        return run_checked(ctx, spec, args, &ctx.state.config.load());
    }
    let config = ctx.state.config.load();
    let started = std::time::Instant::now();
    let result = run_checked(ctx, spec, args, &config);
    let usec = started.elapsed().as_micros() as u64;
    // The table is a static slice, so a spec's position is its index.
    let index = (spec as *const CommandSpec as usize - COMMANDS.as_ptr() as usize)
        / std::mem::size_of::<CommandSpec>();
    ctx.session.command_stats.record(index, usec, result.is_err());
    let threshold = config.slowlog_log_slower_than;
    if threshold >= 0 && usec >= threshold as u64 {
        let client = &ctx.session.client;
        let name = crate::sync::lock(&client.names).name.clone();
        ctx.state.slowlog.push(args, usec, client.addr.to_string(), name, config.slowlog_max_len);
    }
    result
}

/// `run` without the bookkeeping; `config` is the one `run` loaded for this command.
fn run_checked(
    ctx: &mut Context<'_>,
    spec: &'static CommandSpec,
    args: &[Bytes],
    config: &Config,
) -> CommandResult {
    if spec.is_write() {
        if let Some(aof) = ctx.state.aof.get() {
            if let Some(error) = aof.status().failure() {
                return Err(CommandError::Other(
                    format!("MISCONF Errors writing to the AOF file: {error}").into(),
                ));
            }
        }
        ctx.session.wrote = true;
        if ctx.state.make_room(config, ctx.now_ms).is_err() && spec.flags & flags::DENYOOM != 0 {
            return Err(CommandError::Other(
                "OOM command not allowed when used memory > 'maxmemory'.".into(),
            ));
        }
    }
    (spec.handler)(ctx, args)
}

/// Redis's reply to an unknown command: the name and up to 128 characters of the
/// arguments, each quoted and followed by a space.
pub fn unknown_command(args: &[Bytes]) -> CommandError {
    let name = String::from_utf8_lossy(&args[0]);
    let name: String = name.chars().take(128).collect();
    let mut shown = String::new();
    for arg in &args[1..] {
        let room = 128usize.saturating_sub(shown.len());
        if room == 0 {
            break;
        }
        let text = String::from_utf8_lossy(arg);
        let text: String = text.chars().take(room).collect();
        shown.push_str(&format!("'{text}' "));
    }
    CommandError::UnknownCommand(format!("ERR unknown command '{name}', with args beginning with: {shown}"))
}

/// Replies a `HELP` subcommand's lines as simple strings.
pub fn help(ctx: &mut Context<'_>, lines: &[&str]) {
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
}

/// The wrong-arity error for subcommand `sub` of `command` (`'client|setname'`).
pub fn subcommand_arity(command: &str, sub: &[u8]) -> CommandError {
    CommandError::WrongArity(format!("{command}|{}", String::from_utf8_lossy(sub).to_ascii_lowercase()))
}
