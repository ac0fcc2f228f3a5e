//! The blocking room: which clients wait for which keys (`BLPOP`, `BLMOVE`, and the
//! sorted-set and stream forms to come), which of those keys a write made ready, and
//! the order the waiting clients are served in.
//!
//! Redis's model, which `unit/type/list` checks and DESIGN.md asks for:
//! - a client waits on one or more keys of one database, first come first served per
//!   key;
//! - a write never serves anybody itself. The registry is a [`ChangeHook`]: a change
//!   to a key somebody waits on marks the key *ready* for the thread that made it
//!   (a thread-local list, since a command runs start to finish on one thread). After
//!   the top-level command, `EXEC` or script, the connection calls
//!   [`BlockedKeys::serve_ready`], which offers each ready key to its waiters in
//!   order; the command layer's `serve` closure performs the pop or move for the
//!   waiter (logging that effect) and writes the waiter's reply. So `LPUSH` + `DEL`
//!   in one `MULTI` wakes nobody, and a served `BLMOVE` that pushes into a key
//!   another client waits on marks that key ready in turn: chains settle before the
//!   pushing client's next command.
//! - registering cannot lose a wake-up: a waiter is registered first and then offers
//!   itself its own keys (see [`BlockedKeys::register`]); the loom model
//!   `loom-tests/tests/blocking.rs` checks that a push racing a registration serves
//!   the waiter exactly once.
//! - a waiter is served at most once and ends at most once: its [`Phase`] moves
//!   `Waiting → Serving → Served` under its own lock, and a connection that stops
//!   waiting (timeout, `CLIENT UNBLOCK`, disconnect) only ends a waiter that is not
//!   being served; one being served is waited for, and its reply delivered.
//!
//! Lock order: a shard lock may be held while a stripe of this registry is locked
//! (the hook runs under the changed key's shard lock); never the other way round, so
//! serving looks waiters up first, releases the stripe, then lets `serve` lock
//! shards.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use crate::engine::{Change, ChangeHook, Scope, DATABASES};
use crate::sync::{Arc, AtomicUsize, Mutex, MutexGuard, Ordering};

/// What the command layer keeps with a waiter: which command it runs and its
/// arguments, read back by that command's serve function.
pub type Payload = Box<dyn Any + Send + Sync>;

/// How many independently locked parts the registry has.
const STRIPES: usize = 16;

/// Ready keys on one thread beyond which new ones are no longer checked for
/// duplicates (a flush of a database with many waiters); a duplicate only costs a
/// second look at a key with nothing to serve.
const DEDUP_LIMIT: usize = 64;

/// Where a waiter stands.
#[derive(Debug)]
enum Phase {
    /// Registered, waiting for one of its keys.
    Waiting,
    /// A serving thread claimed it and is trying to pop for it; `contended` when
    /// another serving thread wanted it meanwhile (its key may hold something new).
    Serving { contended: bool },
    /// Served: its reply, not yet taken by its connection.
    Served(Vec<u8>),
    /// Its wait is over (reply taken, or ended by its connection).
    Ended,
}

/// How a connection's attempt to stop waiting went (see [`Waiter::finish`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Finish {
    /// The wait ended before anyone served it: reply as a timeout (or error).
    Ended,
    /// It was served meanwhile: send this reply instead.
    Served(Vec<u8>),
    /// A serving thread holds it right now: wait for [`Waiter::woken`] and try again.
    Busy,
}

/// One client waiting on keys.
pub struct Waiter {
    /// The waiting client's id.
    pub client: u64,
    /// The database its keys are in.
    pub db: usize,
    /// The keys it waits on, in the order it named them (duplicates removed).
    pub keys: Vec<Box<[u8]>>,
    /// The command layer's description of what to do when a key is ready.
    pub payload: Payload,
    phase: Mutex<Phase>,
    /// Still in the registry (so removal counts it out exactly once).
    registered: crate::sync::AtomicBool,
    /// Its place in every queue it joins: the registry's arrival counter.
    arrival: crate::sync::AtomicU64,
    /// Wakes its connection (not modelled by loom, which checks the phases).
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter").field("client", &self.client).field("db", &self.db).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Waiter {
    /// A waiter for `client` on `keys` of database `db`.
    pub fn new(client: u64, db: usize, keys: Vec<Box<[u8]>>, payload: Payload) -> Arc<Waiter> {
        let mut distinct: Vec<Box<[u8]>> = Vec::with_capacity(keys.len());
        for key in keys {
            if !distinct.contains(&key) {
                distinct.push(key);
            }
        }
        Arc::new(Waiter {
            client,
            db,
            keys: distinct,
            payload,
            phase: Mutex::new(Phase::Waiting),
            registered: crate::sync::AtomicBool::new(false),
            arrival: crate::sync::AtomicU64::new(0),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// A serving thread takes the waiter; false if it is being served elsewhere, or
    /// its wait is over.
    pub fn claim(&self) -> bool {
        let mut phase = lock(&self.phase);
        match &mut *phase {
            Phase::Waiting => {
                *phase = Phase::Serving { contended: false };
                true
            }
            // Whoever holds it must look again once done: what this thread's
            // write made ready may have come after its look.
            Phase::Serving { contended } => {
                *contended = true;
                false
            }
            Phase::Served(_) | Phase::Ended => false,
        }
    }

    /// The claimed waiter could not be served: it waits on. True when another
    /// serving thread wanted it meanwhile: the caller must offer it the key again.
    pub fn release(&self) -> bool {
        let mut phase = lock(&self.phase);
        let contended = matches!(*phase, Phase::Serving { contended: true });
        *phase = Phase::Waiting;
        drop(phase);
        self.notify();
        contended
    }

    /// The claimed waiter was served with `reply`.
    pub fn complete(&self, reply: Vec<u8>) {
        *lock(&self.phase) = Phase::Served(reply);
        self.notify();
    }

    /// Its connection stops waiting (timeout, `CLIENT UNBLOCK`, disconnect).
    pub fn finish(&self) -> Finish {
        let mut phase = lock(&self.phase);
        match std::mem::replace(&mut *phase, Phase::Ended) {
            Phase::Waiting | Phase::Ended => Finish::Ended,
            Phase::Served(reply) => Finish::Served(reply),
            serving @ Phase::Serving { .. } => {
                *phase = serving;
                Finish::Busy
            }
        }
    }

    /// Its reply, if it was served (the wait is then over).
    pub fn take_reply(&self) -> Option<Vec<u8>> {
        let mut phase = lock(&self.phase);
        match std::mem::replace(&mut *phase, Phase::Ended) {
            Phase::Served(reply) => Some(reply),
            other => {
                *phase = other;
                None
            }
        }
    }

    /// Whether it still waits (not claimed, served or ended).
    pub fn is_waiting(&self) -> bool {
        matches!(*lock(&self.phase), Phase::Waiting)
    }

    fn notify(&self) {
        self.wake.notify_one();
    }

    /// Resolves when a serving thread served or released it (check
    /// [`Waiter::take_reply`]; a wake-up may be left over).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// What `serve` did with a waiter and a ready key (see [`BlockedKeys::serve_ready`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Served {
    /// The waiter is served: its reply (which may be an error, as a `BLMOVE` into a
    /// key of another type gets).
    Reply(Vec<u8>),
    /// The key holds nothing this waiter takes (another type): try the next waiter.
    Skip,
    /// The key has nothing left (absent): stop serving it.
    Exhausted,
}

/// The waiters of one database's keys: per key, by arrival (so a waiter leaves its
/// queue in O(log n) however many wait: 10,000 clients disconnecting at once).
type Queues = HashMap<Box<[u8]>, BTreeMap<u64, Arc<Waiter>>>;

/// One independently locked part of the registry.
struct Stripe {
    dbs: [Queues; DATABASES],
}

crate::sync::thread_local! {
    /// Keys this thread's writes made ready, in the order they became ready. (Not
    /// a `const` initialiser: loom's `thread_local!` takes none.)
    #[allow(clippy::missing_const_for_thread_local)]
    static READY: std::cell::RefCell<Vec<(usize, Box<[u8]>)>> = std::cell::RefCell::new(Vec::new());
}

/// Which clients wait on which keys; a [`ChangeHook`] that marks keys ready.
pub struct BlockedKeys {
    /// Registered waiters: the hook's fast path while nobody waits.
    waiters: AtomicUsize,
    /// Arrivals so far: each waiter's place in its queues.
    arrivals: crate::sync::AtomicU64,
    stripes: Vec<Mutex<Stripe>>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for BlockedKeys {
    fn default() -> Self {
        BlockedKeys {
            waiters: AtomicUsize::new(0),
            arrivals: crate::sync::AtomicU64::new(0),
            stripes: (0..STRIPES)
                .map(|_| Mutex::new(Stripe { dbs: std::array::from_fn(|_| HashMap::new()) }))
                .collect(),
            hasher: Default::default(),
        }
    }
}

impl std::fmt::Debug for BlockedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockedKeys").field("waiters", &self.len()).finish_non_exhaustive()
    }
}

impl BlockedKeys {
    fn stripe(&self, key: &[u8]) -> MutexGuard<'_, Stripe> {
        lock(&self.stripes[self.hasher.hash_one(key) as usize % STRIPES])
    }

    /// Adds `waiter` at the back of the queue of each of its keys, then marks its
    /// keys ready on this thread: the caller's next [`BlockedKeys::serve_ready`]
    /// offers them to their queues, so an element pushed between the command's own
    /// look and this registration is not missed (a push after it sees the waiter).
    pub fn register(&self, waiter: &Arc<Waiter>) {
        if waiter.db >= DATABASES || waiter.registered.swap(true, Ordering::SeqCst) {
            return;
        }
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let arrival = self.arrivals.fetch_add(1, Ordering::SeqCst);
        waiter.arrival.store(arrival, Ordering::SeqCst);
        for key in &waiter.keys {
            self.stripe(key).dbs[waiter.db].entry(key.clone()).or_default().insert(arrival, waiter.clone());
        }
        for key in &waiter.keys {
            mark_ready(waiter.db, key);
        }
    }

    /// Takes `waiter` out of every queue it is in (idempotent).
    pub fn remove(&self, waiter: &Arc<Waiter>) {
        if !waiter.registered.swap(false, Ordering::SeqCst) {
            return;
        }
        let arrival = waiter.arrival.load(Ordering::SeqCst);
        for key in &waiter.keys {
            let mut stripe = self.stripe(key);
            let queues = &mut stripe.dbs[waiter.db];
            if let Some(queue) = queues.get_mut(key) {
                queue.remove(&arrival);
                if queue.is_empty() {
                    queues.remove(key);
                }
            }
        }
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// How many clients wait on keys.
    pub fn len(&self) -> usize {
        self.waiters.load(Ordering::SeqCst)
    }

    /// Whether nobody waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many distinct keys are waited on (the registry's size, for tests and
    /// leak checks).
    pub fn keys(&self) -> usize {
        self.stripes.iter().map(|s| lock(s).dbs.iter().map(HashMap::len).sum::<usize>()).sum()
    }

    /// Whether anybody waits on `key` of `db`.
    pub fn is_waited_on(&self, db: usize, key: &[u8]) -> bool {
        db < DATABASES && self.stripe(key).dbs[db].contains_key(key)
    }

    /// The first waiter on `key` of `db`.
    fn first(&self, db: usize, key: &[u8]) -> Option<Arc<Waiter>> {
        self.stripe(key).dbs[db].get(key).and_then(|q| q.first_key_value()).map(|(_, w)| w.clone())
    }

    /// Every waiter on `key` of `db`, in arrival order.
    fn queue(&self, db: usize, key: &[u8]) -> Vec<Arc<Waiter>> {
        self.stripe(key).dbs[db].get(key).map(|q| q.values().cloned().collect()).unwrap_or_default()
    }

    /// Marks `key` of `db` ready on this thread if somebody waits on it (what the
    /// change hook does for each changed key).
    pub fn key_changed(&self, db: usize, key: &[u8]) {
        if self.waiters.load(Ordering::SeqCst) != 0 && self.is_waited_on(db, key) {
            mark_ready(db, key);
        }
    }

    /// Serves the waiters of every key this thread marked ready, in the order the
    /// keys became ready and, per key, in the order the clients blocked, until no
    /// ready key is left (serving one waiter can make another key ready).
    ///
    /// `serve(waiter, key)` is called with the waiter claimed and no registry lock
    /// held; it performs the waiter's pop or move on `key` and returns its reply, or
    /// says why it could not. A served waiter leaves the registry and is handed its
    /// reply. Cheap when nothing is ready: one thread-local look.
    pub fn serve_ready(&self, mut serve: impl FnMut(&Arc<Waiter>, &[u8]) -> Served) {
        loop {
            let ready = READY.with(|r| std::mem::take(&mut *r.borrow_mut()));
            if ready.is_empty() {
                return;
            }
            for (db, key) in ready {
                self.serve_key(db, &key, &mut serve);
            }
        }
    }

    /// Releases a waiter `key` could not serve; if another thread wanted it
    /// meanwhile, marks the key ready again so this thread looks once more (that
    /// thread's push may have landed after this one's look).
    fn release(&self, waiter: &Waiter, db: usize, key: &[u8]) {
        if waiter.release() {
            mark_ready(db, key);
        }
    }

    /// Offers `key` to its waiters in order until it is exhausted.
    fn serve_key(&self, db: usize, key: &[u8], serve: &mut impl FnMut(&Arc<Waiter>, &[u8]) -> Served) {
        // The common case: the first waiter takes it (and then the next first).
        // Once one is skipped or cannot be claimed, walk a snapshot of the queue.
        while let Some(first) = self.first(db, key) {
            if !first.claim() {
                break;
            }
            match serve(&first, key) {
                Served::Reply(reply) => {
                    self.remove(&first);
                    first.complete(reply);
                }
                Served::Skip => {
                    self.release(&first, db, key);
                    break;
                }
                Served::Exhausted => {
                    self.release(&first, db, key);
                    return;
                }
            }
        }
        for waiter in self.queue(db, key) {
            if !waiter.claim() {
                continue;
            }
            match serve(&waiter, key) {
                Served::Reply(reply) => {
                    self.remove(&waiter);
                    waiter.complete(reply);
                }
                Served::Skip => self.release(&waiter, db, key),
                Served::Exhausted => {
                    self.release(&waiter, db, key);
                    return;
                }
            }
        }
    }
}

/// Marks `key` of `db` ready on this thread.
fn mark_ready(db: usize, key: &[u8]) {
    READY.with(|r| {
        let mut ready = r.borrow_mut();
        if ready.len() < DEDUP_LIMIT && ready.iter().any(|(d, k)| *d == db && **k == *key) {
            return;
        }
        ready.push((db, key.into()));
    });
}

/// Forgets the keys this thread marked ready without serving them (a thread that
/// is not a connection's, such as a replay, has no one to serve).
pub fn forget_ready() {
    READY.with(|r| r.borrow_mut().clear());
}

impl ChangeHook for BlockedKeys {
    fn on_change(&self, change: &Change<'_>) {
        if self.waiters.load(Ordering::SeqCst) == 0 {
            return;
        }
        match change.scope {
            Scope::Keys => {
                for happened in change.keys {
                    // A removal gives nobody anything to take, but a consumer-group
                    // read waiting on the key must learn that it is gone (its serve
                    // function answers the error; every other one finds the key
                    // absent and keeps waiting, as after a flush).
                    self.key_changed(happened.db, happened.key);
                }
            }
            // A swap brings other keys under the waiters (a flush leaves nothing,
            // which serving finds at once).
            Scope::Databases { dbs, .. } => {
                for &db in dbs.iter().filter(|&&db| db < DATABASES) {
                    let mut keys = Vec::new();
                    for stripe in &self.stripes {
                        keys.extend(lock(stripe).dbs[db].keys().cloned());
                    }
                    for key in keys {
                        mark_ready(db, &key);
                    }
                }
            }
        }
    }
}

#[cfg(all(test, not(ferrum_loom)))]
mod tests;
