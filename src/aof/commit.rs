//! Group-commit acknowledgements: when a connection may be told its writes are durable.
//!
//! Every record sent to the AOF thread takes a sequence number first
//! ([`GroupCommit::issue`]). A connection that must not reply before its writes are
//! durable registers a [`Waiter`] for everything issued so far
//! ([`GroupCommit::register`]); the AOF thread publishes how far the file is written
//! ([`GroupCommit::written`]) and how far it is fsynced ([`GroupCommit::synced`]), and
//! each publication releases exactly the waiters it covers. A failed write or fsync
//! ([`GroupCommit::fail`]) releases every waiter with the error and answers later ones
//! the same way until a rewrite has put the whole dataset on disk again
//! ([`GroupCommit::recover`]): invariant 2, "no early acknowledgement".
//!
//! A sequence number is issued before its record enters the channel, so two threads
//! can deliver theirs in the other order; the AOF thread therefore only ever publishes
//! the prefix of sequence numbers it has received without a gap ([`Arrivals`]).
//!
//! The bookkeeping takes its lock and atomics from [`crate::sync`], so
//! `loom-tests/tests/aof.rs` model-checks this very code.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::sync::{AtomicU64, Mutex, MutexGuard, Ordering};

/// The outcome a waiter is released with: `Err` carries the I/O error.
pub type Outcome = Result<(), String>;

/// Something to tell when the writes it waits for are durable (or have failed).
pub trait Waiter {
    /// Delivers the outcome; called once, without the ledger's lock held.
    fn release(self, outcome: Outcome);
}

/// A connection awaits the receiving half.
impl Waiter for tokio::sync::oneshot::Sender<Outcome> {
    fn release(self, outcome: Outcome) {
        // The connection may have gone away; nobody is left to tell.
        let _ = self.send(outcome);
    }
}

/// What a waiter waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The records are in the file (`appendfsync everysec` / `no`).
    Written,
    /// The records are in the file and fsynced (`appendfsync always`).
    Synced,
}

/// Sequence numbers for records and the waiters for their durability.
pub struct GroupCommit<W> {
    /// The last sequence number handed out (the first is 1).
    issued: AtomicU64,
    ledger: Mutex<Ledger<W>>,
}

struct Ledger<W> {
    /// Every record up to this sequence number is in the file.
    written: u64,
    /// Every record up to this sequence number is fsynced.
    synced: u64,
    /// Set by a failed write or fsync (or at close): every waiter gets this error.
    failure: Option<String>,
    /// The AOF thread has stopped: nothing is ever acknowledged again.
    closed: bool,
    /// Waiters for [`Durability::Written`], in ascending order of their target.
    after_write: VecDeque<(u64, W)>,
    /// Waiters for [`Durability::Synced`], in ascending order of their target.
    after_sync: VecDeque<(u64, W)>,
}

impl<W: Waiter> Default for GroupCommit<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Waiter> GroupCommit<W> {
    /// Nothing issued, nothing written.
    pub fn new() -> Self {
        GroupCommit {
            issued: AtomicU64::new(0),
            ledger: Mutex::new(Ledger {
                written: 0,
                synced: 0,
                failure: None,
                closed: false,
                after_write: VecDeque::new(),
                after_sync: VecDeque::new(),
            }),
        }
    }

    /// The sequence number for the next record; call it just before sending the record.
    pub fn issue(&self) -> u64 {
        self.issued.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Releases `waiter` once every record issued before this call (by any thread) is
    /// as durable as `durability` says, or with the error if writing it failed; at
    /// once if that is already decided. Returns the sequence number it waits for.
    pub fn register(&self, durability: Durability, waiter: W) -> u64 {
        let mut ledger = self.lock();
        // Read under the lock, so targets enter each queue in ascending order. This
        // thread's own `issue` happened before, so the target covers its records.
        let target = self.issued.load(Ordering::Relaxed);
        let decided = match &ledger.failure {
            Some(error) => Some(Err(error.clone())),
            None if ledger.reached(durability, target) => Some(Ok(())),
            None => None,
        };
        match decided {
            Some(outcome) => {
                drop(ledger);
                waiter.release(outcome);
            }
            None => match durability {
                Durability::Written => ledger.after_write.push_back((target, waiter)),
                Durability::Synced => ledger.after_sync.push_back((target, waiter)),
            },
        }
        target
    }

    /// The AOF thread: every record up to `through` is in the file.
    pub fn written(&self, through: u64) {
        let mut ledger = self.lock();
        ledger.written = ledger.written.max(through);
        let ready = ledger.ready();
        drop(ledger);
        release_all(ready, Ok(()));
    }

    /// The AOF thread: every record up to `through` is in the file and fsynced.
    pub fn synced(&self, through: u64) {
        let mut ledger = self.lock();
        ledger.written = ledger.written.max(through);
        ledger.synced = ledger.synced.max(through);
        let ready = ledger.ready();
        drop(ledger);
        release_all(ready, Ok(()));
    }

    /// The AOF thread: a write or fsync failed. Every waiter, now and until
    /// [`recover`](Self::recover), is released with `error`.
    pub fn fail(&self, error: String) {
        let mut ledger = self.lock();
        if !ledger.closed {
            ledger.failure = Some(error);
        }
        self.release_failed(ledger);
    }

    /// The AOF thread: a rewrite put every record up to `through` into a new, fsynced
    /// file; acknowledgements resume.
    pub fn recover(&self, through: u64) {
        let mut ledger = self.lock();
        if ledger.closed {
            return;
        }
        ledger.failure = None;
        ledger.written = ledger.written.max(through);
        ledger.synced = ledger.synced.max(through);
        let ready = ledger.ready();
        drop(ledger);
        release_all(ready, Ok(()));
    }

    /// The AOF thread has stopped: every waiter, now and later, is released with an
    /// error (the first failure's, or `reason`).
    pub fn close(&self, reason: &str) {
        let mut ledger = self.lock();
        ledger.closed = true;
        if ledger.failure.is_none() {
            ledger.failure = Some(reason.to_string());
        }
        self.release_failed(ledger);
    }

    /// How far the file is written and fsynced (sequence numbers).
    pub fn watermarks(&self) -> (u64, u64) {
        let ledger = self.lock();
        (ledger.written, ledger.synced)
    }

    /// The last sequence number issued.
    pub fn issued(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    fn release_failed(&self, mut ledger: MutexGuard<'_, Ledger<W>>) {
        let error = ledger.failure.clone().unwrap_or_default();
        let queues = &mut *ledger;
        let waiters: Vec<W> =
            queues.after_write.drain(..).chain(queues.after_sync.drain(..)).map(|(_, w)| w).collect();
        drop(ledger);
        release_all(waiters, Err(error));
    }

    fn lock(&self) -> MutexGuard<'_, Ledger<W>> {
        // Every method leaves the ledger consistent between statements.
        self.ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<W> Ledger<W> {
    fn reached(&self, durability: Durability, target: u64) -> bool {
        match durability {
            Durability::Written => self.written >= target,
            Durability::Synced => self.synced >= target,
        }
    }

    /// Takes the waiters the watermarks now cover (none while failed).
    fn ready(&mut self) -> Vec<W> {
        let mut ready = Vec::new();
        if self.failure.is_some() {
            return ready;
        }
        for (queue, mark) in [(&mut self.after_write, self.written), (&mut self.after_sync, self.synced)] {
            while queue.front().is_some_and(|(target, _)| *target <= mark) {
                ready.extend(queue.pop_front().map(|(_, w)| w));
            }
        }
        ready
    }
}

fn release_all<W: Waiter>(waiters: Vec<W>, outcome: Outcome) {
    for waiter in waiters {
        waiter.release(outcome.clone());
    }
}

/// The AOF thread's view of which sequence numbers it has received: the longest
/// prefix without a gap is what a write or fsync may be published for.
#[derive(Debug, Default)]
pub struct Arrivals {
    through: u64,
    /// Received ahead of a gap.
    early: BinaryHeap<Reverse<u64>>,
}

impl Arrivals {
    /// Nothing received yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes that the record numbered `seq` was received.
    pub fn arrive(&mut self, seq: u64) {
        if seq != self.through + 1 {
            if seq > self.through {
                self.early.push(Reverse(seq));
            }
            return;
        }
        self.through = seq;
        while self.early.peek() == Some(&Reverse(self.through + 1)) {
            self.early.pop();
            self.through += 1;
        }
    }

    /// Every sequence number up to this one has been received.
    pub fn through(&self) -> u64 {
        self.through
    }
}

#[cfg(all(test, not(ferrum_loom)))]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records which waiter was released with what.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<(u32, Outcome)>>>);

    struct Probe(u32, Log);

    impl Waiter for Probe {
        fn release(self, outcome: Outcome) {
            self.1 .0.lock().unwrap().push((self.0, outcome));
        }
    }

    impl Log {
        fn take(&self) -> Vec<(u32, Outcome)> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    #[test]
    fn a_synced_waiter_is_released_by_the_fsync_not_the_write() {
        let log = Log::default();
        let commit = GroupCommit::new();
        assert_eq!(commit.issue(), 1);
        assert_eq!(commit.issue(), 2);
        assert_eq!(commit.register(Durability::Synced, Probe(1, log.clone())), 2);
        assert_eq!(commit.register(Durability::Written, Probe(2, log.clone())), 2);
        commit.written(1);
        assert_eq!(log.take(), vec![]);
        commit.written(2);
        assert_eq!(log.take(), vec![(2, Ok(()))]);
        commit.synced(1);
        assert_eq!(log.take(), vec![]);
        commit.synced(2);
        assert_eq!(log.take(), vec![(1, Ok(()))]);
        // Already covered: released at once.
        commit.register(Durability::Synced, Probe(3, log.clone()));
        assert_eq!(log.take(), vec![(3, Ok(()))]);
        assert_eq!(commit.watermarks(), (2, 2));
    }

    #[test]
    fn waiters_are_released_in_order_of_their_targets() {
        let log = Log::default();
        let commit = GroupCommit::new();
        for n in 1..=3 {
            commit.issue();
            commit.register(Durability::Synced, Probe(n, log.clone()));
        }
        commit.synced(2);
        assert_eq!(log.take(), vec![(1, Ok(())), (2, Ok(()))]);
        commit.synced(3);
        assert_eq!(log.take(), vec![(3, Ok(()))]);
    }

    #[test]
    fn a_failure_releases_everyone_with_the_error_until_a_rewrite_recovers() {
        let log = Log::default();
        let commit = GroupCommit::new();
        commit.issue();
        commit.register(Durability::Synced, Probe(1, log.clone()));
        commit.written(1);
        commit.fail("EIO".into());
        assert_eq!(log.take(), vec![(1, Err("EIO".into()))]);
        // A later fsync of the same records does not acknowledge anything.
        commit.synced(1);
        commit.register(Durability::Written, Probe(2, log.clone()));
        assert_eq!(log.take(), vec![(2, Err("EIO".into()))]);
        commit.issue();
        commit.recover(2);
        commit.register(Durability::Synced, Probe(3, log.clone()));
        assert_eq!(log.take(), vec![(3, Ok(()))]);
    }

    #[test]
    fn close_answers_pending_and_later_waiters_with_an_error() {
        let log = Log::default();
        let commit = GroupCommit::new();
        commit.issue();
        commit.register(Durability::Synced, Probe(1, log.clone()));
        commit.close("stopped");
        commit.recover(1);
        commit.register(Durability::Written, Probe(2, log.clone()));
        assert_eq!(log.take(), vec![(1, Err("stopped".into())), (2, Err("stopped".into()))]);
    }

    #[test]
    fn arrivals_publish_only_the_prefix_without_a_gap() {
        let mut arrivals = Arrivals::new();
        arrivals.arrive(2);
        arrivals.arrive(4);
        assert_eq!(arrivals.through(), 0);
        arrivals.arrive(1);
        assert_eq!(arrivals.through(), 2);
        arrivals.arrive(3);
        assert_eq!(arrivals.through(), 4);
        arrivals.arrive(3);
        arrivals.arrive(5);
        assert_eq!(arrivals.through(), 5);
    }
}
