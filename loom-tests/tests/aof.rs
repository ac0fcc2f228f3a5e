//! Loom models of the AOF's group-commit acknowledgements (invariant 2: no early
//! acknowledgement), run with
//! `RUSTFLAGS="--cfg ferrum_loom" cargo test --profile loom -p loom-tests`.
//!
//! The ledger is the server's own `ferrum_kv::aof::commit` (`GroupCommit`, `Arrivals`),
//! whose lock and atomics come from loom under `ferrum_loom`. Two client threads do
//! what a connection does under `appendfsync always`: take a sequence number, send the
//! record, register for everything issued so far and wait. A third thread does what
//! the AOF thread (`src/aof/writer.rs`) does with each batch: receive what is queued,
//! write it, publish "written through N", fsync, publish "fsynced through N", or, when
//! the fsync fails, publish the failure and refuse every later batch. The channel and
//! the file are stand-ins (crossbeam and the disk are not loom-aware): the file is a
//! set of record numbers made durable by the last successful fsync, and a client
//! that is acknowledged checks that its record is in it.
//!
//! Preemptions are bounded (3 unless `LOOM_MAX_PREEMPTIONS` says otherwise) so each
//! model finishes in seconds.
#![cfg(ferrum_loom)]

use ferrum_kv::aof::commit::{Arrivals, Durability, GroupCommit, Outcome, Waiter};
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::sync::{mpsc, Arc, Condvar, Mutex};
use loom::thread;

/// Clients in each model (each sends one record).
const CLIENTS: usize = 2;

/// Runs `model` under loom with at most 3 preemptions per execution by default.
fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(model);
}

/// A set of record numbers (1..=63) as bits.
fn bit(seq: u64) -> u64 {
    1 << seq
}

/// What a client blocks on; the server's connections await a oneshot instead.
#[derive(Clone)]
struct Ack(Arc<(Mutex<Option<Outcome>>, Condvar)>);

impl Ack {
    fn new() -> Self {
        Ack(Arc::new((Mutex::new(None), Condvar::new())))
    }

    fn wait(&self) -> Outcome {
        let (slot, released) = &*self.0;
        let mut outcome = slot.lock().unwrap();
        loop {
            if let Some(outcome) = outcome.take() {
                return outcome;
            }
            outcome = released.wait(outcome).unwrap();
        }
    }
}

impl Waiter for Ack {
    fn release(self, outcome: Outcome) {
        let (slot, released) = &*self.0;
        *slot.lock().unwrap() = Some(outcome);
        released.notify_one();
    }
}

/// One client: send a record, wait for its acknowledgement, and check that an
/// acknowledged record was covered by an fsync that had returned.
fn client(commit: &GroupCommit<Ack>, records: &mpsc::Sender<u64>, durable: &AtomicU64) -> (u64, Outcome) {
    let seq = commit.issue();
    records.send(seq).unwrap();
    let ack = Ack::new();
    let target = commit.register(Durability::Synced, ack.clone());
    assert!(target >= seq, "waits for {target}, before its own record {seq}");
    let outcome = ack.wait();
    if outcome.is_ok() {
        let durable = durable.load(Ordering::Acquire);
        assert!(durable & bit(seq) != 0, "record {seq} acknowledged before an fsync covered it: {durable:b}");
    }
    (seq, outcome)
}

/// The AOF thread's batches until every record is in; the fsync numbered
/// `failing_sync` (0 = the first) fails.
fn aof_thread(
    commit: &GroupCommit<Ack>,
    records: &mpsc::Receiver<u64>,
    durable: &AtomicU64,
    failing_sync: Option<usize>,
) {
    let mut arrivals = Arrivals::new();
    let mut written = 0;
    let mut received = 0;
    let mut syncs = 0;
    let mut failed = false;
    while received < CLIENTS {
        let mut batch = vec![records.recv().unwrap()];
        batch.extend(std::iter::from_fn(|| records.try_recv().ok()));
        received += batch.len();
        if failed {
            // The writer refuses every batch until a rewrite recovers.
            commit.fail("EIO".into());
            continue;
        }
        for seq in batch {
            arrivals.arrive(seq);
            written |= bit(seq);
        }
        let through = arrivals.through();
        commit.written(through);
        if failing_sync == Some(syncs) {
            failed = true;
            commit.fail("EIO".into());
        } else {
            durable.store(written, Ordering::Release);
            commit.synced(through);
        }
        syncs += 1;
    }
}

/// Runs the clients against the AOF thread; returns each client's (seq, outcome) and
/// the durable records.
fn run(failing_sync: Option<usize>) -> (Vec<(u64, Outcome)>, u64) {
    let commit = Arc::new(GroupCommit::<Ack>::new());
    let file = Arc::new(AtomicU64::new(0));
    let (sender, receiver) = mpsc::channel();
    let aof = {
        let (commit, file) = (commit.clone(), file.clone());
        thread::spawn(move || aof_thread(&commit, &receiver, &file, failing_sync))
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (commit, file, sender) = (commit.clone(), file.clone(), sender.clone());
            thread::spawn(move || client(&commit, &sender, &file))
        })
        .collect();
    let outcomes = clients.into_iter().map(|c| c.join().unwrap()).collect();
    aof.join().unwrap();
    (outcomes, file.load(Ordering::Acquire))
}

#[test]
fn group_commit_acknowledges_only_after_the_covering_fsync() {
    check(|| {
        let (outcomes, durable) = run(None);
        for (seq, outcome) in outcomes {
            assert_eq!(outcome, Ok(()), "record {seq}");
        }
        assert_eq!(durable, bit(1) | bit(2));
    });
}

#[test]
fn a_failed_first_fsync_acknowledges_nothing() {
    check(|| {
        let (outcomes, durable) = run(Some(0));
        assert_eq!(durable, 0);
        for (seq, outcome) in outcomes {
            assert_eq!(outcome, Err("EIO".to_string()), "record {seq}");
        }
    });
}

#[test]
fn a_failed_second_fsync_acknowledges_only_what_the_first_covered() {
    check(|| {
        let (outcomes, durable) = run(Some(1));
        // Whether a record is acknowledged depends on the interleaving (was it in the
        // first batch, did its client register before the failure); an acknowledged
        // one was checked against the file when it was released, all others get the
        // error.
        for (seq, outcome) in outcomes {
            if outcome.is_ok() {
                assert!(durable & bit(seq) != 0, "record {seq}");
            } else {
                assert_eq!(outcome, Err("EIO".to_string()), "record {seq}");
            }
        }
    });
}
