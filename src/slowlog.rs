//! Per-command statistics (`INFO commandstats`) and the slow log (`SLOWLOG`).
//!
//! Connections time each command and keep the counts in their session; they add
//! them to the shared table once per batch, like the other counters.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;

use crate::sync::lock;

/// Calls and total microseconds of one command.
#[derive(Debug, Default)]
pub struct CommandCounter {
    /// Times it ran.
    pub calls: AtomicU64,
    /// Microseconds it took in all.
    pub usec: AtomicU64,
    /// Times it replied with an error while running.
    pub failed: AtomicU64,
    /// Times it was refused before running (arity, `-NOAUTH`, `-OOM` …).
    pub rejected: AtomicU64,
}

/// The shared table: one counter per command and subcommand of the command table,
/// by id, each shown under the name `names` gives it.
#[derive(Debug)]
pub struct CommandStats {
    counters: Box<[CommandCounter]>,
    names: Box<[String]>,
}

impl CommandStats {
    /// A table of zeroed counters for commands named `names` (by id).
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        let names: Box<[String]> = names.into_iter().collect();
        CommandStats { counters: names.iter().map(|_| CommandCounter::default()).collect(), names }
    }
}

/// One command's counts in a batch: (calls, usec, failed, rejected).
type Counts = (u64, u64, u64, u64);

/// A connection's counts since the last batch, by command id.
#[derive(Debug, Default)]
pub struct LocalCommandStats {
    entries: Vec<(usize, Counts)>,
}

impl LocalCommandStats {
    fn counts(&mut self, id: usize) -> &mut Counts {
        let at = match self.entries.iter().position(|e| e.0 == id) {
            Some(at) => at,
            None => {
                self.entries.push((id, (0, 0, 0, 0)));
                self.entries.len() - 1
            }
        };
        &mut self.entries[at].1
    }

    /// Counts one run of command `id` that took `usec`.
    #[inline]
    pub fn record(&mut self, id: usize, usec: u64, failed: bool) {
        let counts = self.counts(id);
        counts.0 += 1;
        counts.1 += usec;
        counts.2 += failed as u64;
    }

    /// Counts one refusal of command `id` before it ran.
    pub fn record_rejected(&mut self, id: usize) {
        self.counts(id).3 += 1;
    }

    /// Counts a failure of command `id` found after its call was counted (a
    /// script that ended in an error).
    pub fn record_failure(&mut self, id: usize) {
        self.counts(id).2 += 1;
    }
}

impl CommandStats {
    /// Counts a failure of command `id` outside its call: a blocked client served
    /// an error (its call was counted when it blocked).
    pub fn count_failure(&self, id: usize) {
        if let Some(counter) = self.counters.get(id) {
            counter.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Adds a connection's counts and clears them.
    pub fn absorb(&self, local: &mut LocalCommandStats) {
        for (id, (calls, usec, failed, rejected)) in local.entries.drain(..) {
            if let Some(counter) = self.counters.get(id) {
                counter.calls.fetch_add(calls, Ordering::Relaxed);
                counter.usec.fetch_add(usec, Ordering::Relaxed);
                if failed > 0 {
                    counter.failed.fetch_add(failed, Ordering::Relaxed);
                }
                if rejected > 0 {
                    counter.rejected.fetch_add(rejected, Ordering::Relaxed);
                }
            }
        }
    }

    /// `cmdstat_<name>:calls=…,usec=…,usec_per_call=…,rejected_calls=…,failed_calls=…`
    /// lines for every command that ran or was refused.
    pub fn info_lines(&self) -> String {
        let mut text = String::new();
        for (name, counter) in self.names.iter().zip(self.counters.iter()) {
            let calls = counter.calls.load(Ordering::Relaxed);
            let failed = counter.failed.load(Ordering::Relaxed);
            let rejected = counter.rejected.load(Ordering::Relaxed);
            if calls == 0 && failed == 0 && rejected == 0 {
                continue;
            }
            let usec = counter.usec.load(Ordering::Relaxed);
            let per_call = if calls == 0 { 0.0 } else { usec as f64 / calls as f64 };
            text.push_str(&format!(
                "cmdstat_{name}:calls={calls},usec={usec},usec_per_call={per_call:.2},rejected_calls={rejected},failed_calls={failed}\r\n",
            ));
        }
        text
    }

    /// Zeroes every counter (`CONFIG RESETSTAT`).
    pub fn reset(&self) {
        for counter in self.counters.iter() {
            counter.calls.store(0, Ordering::Relaxed);
            counter.usec.store(0, Ordering::Relaxed);
            counter.failed.store(0, Ordering::Relaxed);
            counter.rejected.store(0, Ordering::Relaxed);
        }
    }
}

/// One slow-log entry, as `SLOWLOG GET` shows it.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    /// Increasing id.
    pub id: u64,
    /// Unix seconds when the command ran.
    pub time: u64,
    /// How long it took, in microseconds.
    pub usec: u64,
    /// The arguments (at most 32, each cut to 128 bytes, as Redis does).
    pub args: Vec<Bytes>,
    /// The client's address.
    pub addr: String,
    /// The client's name.
    pub name: String,
}

/// The slow log: the latest commands slower than `slowlog-log-slower-than`.
#[derive(Debug, Default)]
pub struct SlowLog {
    entries: Mutex<VecDeque<SlowEntry>>,
    next_id: AtomicU64,
}

impl SlowLog {
    /// Records a slow command, keeping at most `max_len` entries.
    pub fn push(&self, args: &[Bytes], usec: u64, addr: String, name: String, max_len: usize) {
        // Copies, not slices: a slice would keep the connection's whole read buffer alive.
        let mut shown: Vec<Bytes> =
            args.iter().take(32).map(|a| Bytes::copy_from_slice(&a[..a.len().min(128)])).collect();
        if args.len() > 32 {
            shown[31] = Bytes::from(format!("... ({} more arguments)", args.len() - 31));
        }
        for (arg, full) in shown.iter_mut().zip(args) {
            if full.len() > 128 {
                *arg = Bytes::from(format!(
                    "{}... ({} more bytes)",
                    String::from_utf8_lossy(&full[..128]),
                    full.len() - 128
                ));
            }
        }
        let entry = SlowEntry {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            time: crate::clock::unix_secs(),
            usec,
            args: shown,
            addr,
            name,
        };
        let mut entries = lock(&self.entries);
        entries.push_front(entry);
        entries.truncate(max_len);
    }

    /// The newest `count` entries.
    pub fn latest(&self, count: usize) -> Vec<SlowEntry> {
        lock(&self.entries).iter().take(count).cloned().collect()
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry.
    pub fn reset(&self) {
        lock(&self.entries).clear();
    }
}
