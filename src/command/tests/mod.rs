//! Command-level tests of the typed core: every write command's change records
//! (`changes`), the type tag's paths through the commands with the `Probe` test
//! collection (`typed`, `typed_lifecycle`), the hash family's records and encodings (`hash`),
//! the client controls' dispatch (`controls`), and the introspection replies compared
//! with redis-server 7.0.15's bytes (`introspection`).
//!
//! Everything runs through the real dispatcher ([`crate::command::execute`]) on a
//! [`ServerState`] of its own, at a fixed clock ([`NOW`]) so that the absolute
//! times commands log (`PXAT`, `PEXPIREAT`) are exact.

mod bits;
mod changes;
mod controls;
mod geo;
mod hash;
mod introspection;
mod list;
mod list_blocking;
mod set;
mod sort;
mod stream;
mod typed;
mod typed_lifecycle;
mod zset;

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::command::{execute, transaction, Context, Outcome, Session};
use crate::config::Config;
use crate::engine::value::probe::Probe;
use crate::engine::{Change, ChangeHook, Scope};
use crate::protocol::{Protocol, ReplyWriter};
use crate::state::ServerState;

/// The fixed time of every command in these tests, Unix milliseconds
/// (2023-11-14T22:13:20Z).
pub(super) const NOW: u64 = 1_700_000_000_000;

/// One key a recorded change touched: its database, its bytes and the event's name.
pub(super) type SeenKey = (usize, String, &'static str);

/// A change as the tests compare it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SeenChange {
    /// The database the effect runs in.
    pub db: usize,
    /// The logged command, its arguments joined by spaces (empty: no record).
    pub effect: String,
    /// The keys with their events, in the order the change lists them.
    pub keys: Vec<SeenKey>,
    /// For a whole-database change, its databases in ascending order.
    pub scope: Option<Vec<usize>>,
}

/// What a [`Recorder`] saw: a change, or the bounds of a change group (`EXEC`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seen {
    /// A change.
    Change(SeenChange),
    /// A group began on the recording thread.
    Begin,
    /// The group ended.
    End,
}

/// A change hook remembering everything it is handed, in order.
#[derive(Default)]
pub(super) struct Recorder(Mutex<Vec<Seen>>);

impl ChangeHook for Recorder {
    fn on_change(&self, change: &Change<'_>) {
        let effect = change.effect.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" ");
        let keys = change
            .keys
            .iter()
            .map(|k| (k.db, String::from_utf8_lossy(k.key).into_owned(), k.event.name))
            .collect();
        let scope = match change.scope {
            Scope::Keys => None,
            Scope::Databases { dbs, .. } => {
                let mut dbs = dbs.to_vec();
                dbs.sort_unstable();
                Some(dbs)
            }
        };
        self.push(Seen::Change(SeenChange { db: change.db, effect, keys, scope }));
    }

    fn begin_group(&self) {
        self.push(Seen::Begin);
    }

    fn end_group(&self) {
        self.push(Seen::End);
    }
}

impl Recorder {
    fn push(&self, seen: Seen) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(seen);
    }

    /// Everything seen since the last call.
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The changes seen since the last call, group bounds left out.
    pub fn changes(&self) -> Vec<SeenChange> {
        self.take()
            .into_iter()
            .filter_map(|seen| match seen {
                Seen::Change(change) => Some(change),
                _ => None,
            })
            .collect()
    }
}

/// One client of a fresh server: its session and reply buffer, and a recorder of
/// every change the server makes.
pub(super) struct Client {
    /// The server.
    pub state: ServerState,
    /// Every change since the last `take`.
    pub recorder: Arc<Recorder>,
    session: Session,
    out: ReplyWriter,
}

impl Client {
    /// A client of a server with the default configuration, speaking RESP2.
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A client of a server configured by `config`.
    pub fn with_config(config: Config) -> Self {
        let state = ServerState::new(config);
        let recorder = Arc::new(Recorder::default());
        state.engine.add_hook(recorder.clone());
        let session = Session::new(state.clients.register_detached());
        Client { state, recorder, session, out: ReplyWriter::new(Protocol::Resp2) }
    }

    /// Runs one command given as its arguments, returning the raw reply bytes. An
    /// `EXEC` runs its queue as the connection would.
    pub fn call(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.out.clear();
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let mut ctx =
            Context { state: &self.state, session: &mut self.session, out: &mut self.out, now_ms: NOW };
        if let Outcome::RunExclusive(queued) = execute(&mut ctx, &args) {
            transaction::run_transaction(&mut ctx, queued);
        }
        self.out.as_bytes().to_vec()
    }

    /// Runs one command written as words separated by spaces (`""` is an empty
    /// argument), returning the reply as text.
    pub fn run(&mut self, line: &str) -> String {
        let words = words(line);
        let args: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        String::from_utf8_lossy(&self.call(&args)).into_owned()
    }

    /// Runs each line, asserting none of them failed.
    pub fn setup(&mut self, lines: &[&str]) {
        for line in lines {
            let reply = self.run(line);
            assert!(!reply.starts_with('-'), "setup {line:?} failed: {reply:?}");
        }
    }

    /// Stores a `Probe` holding `items` at `key` of database `db`, expiring at
    /// `expire_at` if given, straight through the engine (no command creates one).
    pub fn put_probe(&self, db: usize, key: &[u8], items: &[&[u8]], expire_at: Option<u64>) {
        self.state.engine.db(db).write(key, NOW, |slot| {
            slot.get_or_create::<Probe>().expect("no other kind there").items =
                items.iter().map(|i| i.to_vec()).collect();
            slot.get_mut().expect("just created").set_expire_at_ms(expire_at);
        });
        self.recorder.take();
    }

    /// The items of the `Probe` at `key` of database `db` at [`NOW`], if the key
    /// holds one.
    pub fn probe(&self, db: usize, key: &[u8]) -> Option<Vec<Vec<u8>>> {
        self.state
            .engine
            .db(db)
            .read_quiet(key, NOW, |e| e.and_then(|e| e.get_as::<Probe>().ok()).map(|p| p.items.clone()))
    }

    /// The absolute expiry of `key` in database `db`, if it exists and has one.
    pub fn expiry(&self, db: usize, key: &[u8]) -> Option<u64> {
        self.state.engine.db(db).read_quiet(key, NOW, |e| e.and_then(|e| e.expire_at_ms()))
    }

    /// Keys with a TTL in database `db`.
    pub fn expires(&self, db: usize) -> usize {
        self.state.engine.db(db).expires_count()
    }

    /// Switches the protocol replies are written in.
    pub fn speak(&mut self, protocol: Protocol) {
        self.out.set_protocol(protocol);
    }
}

/// The expiry the probes of the typed tests carry: 100 s after [`NOW`].
pub(super) const LATER: u64 = NOW + 100_000;

/// The items `a`, `b` as the probe of [`with_probe`] holds them.
pub(super) fn ab() -> Option<Vec<Vec<u8>>> {
    Some(vec![b"a".to_vec(), b"b".to_vec()])
}

/// A client whose database 0 holds the probe `p` (`a`, `b`, expiring at [`LATER`])
/// and the string `s`.
pub(super) fn with_probe() -> Client {
    let mut client = Client::new();
    client.setup(&["SET s str"]);
    client.put_probe(0, b"p", &[b"a", b"b"], Some(LATER));
    client
}

/// The arguments of `line`: words separated by single spaces, `""` standing for an
/// empty argument.
pub(super) fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| if w == "\"\"" { Vec::new() } else { w.as_bytes().to_vec() }).collect()
}
