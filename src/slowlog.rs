//! Per-command statistics (`INFO commandstats`) and the slow log (`SLOWLOG`).
//!
//! Connections time each command and keep the counts in their session; they add
//! them to the shared table once per batch, like the other counters.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;

use crate::command::COMMANDS;
use crate::sync::lock;

/// Calls and total microseconds of one command.
#[derive(Debug, Default)]
pub struct CommandCounter {
    /// Times it ran.
    pub calls: AtomicU64,
    /// Microseconds it took in all.
    pub usec: AtomicU64,
    /// Times it replied with an error.
    pub failed: AtomicU64,
}

/// The shared table, one counter per entry of [`COMMANDS`].
#[derive(Debug)]
pub struct CommandStats {
    counters: Box<[CommandCounter]>,
}

impl Default for CommandStats {
    fn default() -> Self {
        CommandStats { counters: COMMANDS.iter().map(|_| CommandCounter::default()).collect() }
    }
}

/// A connection's counts since the last batch: (command index, calls, usec, failed).
#[derive(Debug, Default)]
pub struct LocalCommandStats {
    entries: Vec<(usize, u64, u64, u64)>,
}

impl LocalCommandStats {
    /// Counts one run of command `index` that took `usec`.
    #[inline]
    pub fn record(&mut self, index: usize, usec: u64, failed: bool) {
        match self.entries.iter_mut().find(|e| e.0 == index) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += usec;
                entry.3 += failed as u64;
            }
            None => self.entries.push((index, 1, usec, failed as u64)),
        }
    }
}

impl CommandStats {
    /// Adds a connection's counts and clears them.
    pub fn absorb(&self, local: &mut LocalCommandStats) {
        for (index, calls, usec, failed) in local.entries.drain(..) {
            if let Some(counter) = self.counters.get(index) {
                counter.calls.fetch_add(calls, Ordering::Relaxed);
                counter.usec.fetch_add(usec, Ordering::Relaxed);
                if failed > 0 {
                    counter.failed.fetch_add(failed, Ordering::Relaxed);
                }
            }
        }
    }

    /// `cmdstat_<name>:calls=…,usec=…,usec_per_call=…,rejected_calls=0,failed_calls=…`
    /// lines for every command that ran.
    pub fn info_lines(&self) -> String {
        let mut text = String::new();
        for (spec, counter) in COMMANDS.iter().zip(self.counters.iter()) {
            let calls = counter.calls.load(Ordering::Relaxed);
            if calls == 0 {
                continue;
            }
            let usec = counter.usec.load(Ordering::Relaxed);
            text.push_str(&format!(
                "cmdstat_{}:calls={calls},usec={usec},usec_per_call={:.2},rejected_calls=0,failed_calls={}\r\n",
                spec.name,
                usec as f64 / calls as f64,
                counter.failed.load(Ordering::Relaxed)
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
            time: crate::clients::unix_secs(),
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
