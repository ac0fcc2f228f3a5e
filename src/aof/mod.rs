//! Persistence: the append-only file.
//!
//! Every change is encoded as a RESP2 record (exactly what a client could send) while
//! its shard is locked and sent over a crossbeam channel to one AOF thread, which
//! writes, applies the fsync policy and, under `appendfsync always`, releases the
//! replies of the connections whose records the fsync covered (group commit, see
//! [`commit`]). [`replay`] rebuilds the dataset on boot; [`rewrite`] compacts the file.

pub mod commit;
pub mod file;
pub mod replay;
pub mod rewrite;
mod switch;
mod writer;

pub use switch::AofSwitch;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{unbounded, Sender};
use tokio::sync::oneshot;

use crate::config::FsyncPolicy;
use crate::engine::{Change, ChangeHook};
use crate::sync::lock;
use commit::{Durability, GroupCommit};
use file::AofStorage;
use writer::{Message, Writer};

/// Encodes `args` as a RESP2 multibulk request into `out`.
pub fn encode_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    let mut number = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(number.format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        out.push(b'$');
        out.extend_from_slice(number.format(arg.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// What `INFO persistence` reports and what decides `-MISCONF`.
#[derive(Debug, Default)]
pub struct AofStatus {
    /// Set after a failed write or fsync; writes are refused until a rewrite succeeds.
    failed: AtomicBool,
    last_error: Mutex<String>,
    /// A rewrite is running.
    pub rewrite_in_progress: AtomicBool,
    /// The last rewrite failed.
    pub last_rewrite_failed: AtomicBool,
    /// Bytes in the current file.
    pub current_size: AtomicU64,
    /// Bytes in the file after the last rewrite (or at start).
    pub base_size: AtomicU64,
    /// Rewrites completed.
    pub rewrites: AtomicU64,
    /// Unix seconds of the last successful rewrite (0: none yet).
    pub last_rewrite_secs: AtomicU64,
    policy: AtomicU8,
}

impl AofStatus {
    /// The error to refuse writes with, while the AOF is failing.
    pub fn failure(&self) -> Option<String> {
        if self.failed.load(Ordering::Acquire) {
            Some(lock(&self.last_error).clone())
        } else {
            None
        }
    }

    fn fail(&self, error: &std::io::Error) {
        let text = error.to_string();
        log::error!("AOF write failed: {text}; refusing writes until a rewrite succeeds");
        *lock(&self.last_error) = text;
        self.failed.store(true, Ordering::Release);
    }

    fn recover(&self) {
        if self.failed.swap(false, Ordering::AcqRel) {
            log::warn!("AOF recovered: the rewritten file holds the whole dataset again");
        }
    }

    /// The fsync policy in force.
    pub fn policy(&self) -> FsyncPolicy {
        match self.policy.load(Ordering::Relaxed) {
            0 => FsyncPolicy::Always,
            1 => FsyncPolicy::Everysec,
            _ => FsyncPolicy::No,
        }
    }

    fn set_policy(&self, policy: FsyncPolicy) {
        let code = match policy {
            FsyncPolicy::Always => 0,
            FsyncPolicy::Everysec => 1,
            FsyncPolicy::No => 2,
        };
        self.policy.store(code, Ordering::Relaxed);
    }
}

/// How a connection learns that its writes are durable: it awaits the receiver.
pub(crate) type Ack = oneshot::Sender<commit::Outcome>;

/// The handle to a running AOF: the channel to its thread and its status.
pub struct Aof {
    path: PathBuf,
    sender: Sender<Message>,
    status: Arc<AofStatus>,
    /// Sequence numbers of records and the connections waiting for them.
    commit: Arc<GroupCommit<Ack>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Aof {
    /// Opens (creating) the AOF at `path` on the real disk and starts its thread.
    pub fn open(path: &Path, policy: FsyncPolicy) -> std::io::Result<Arc<Aof>> {
        Self::open_with(path, policy, Arc::new(file::DiskStorage))
    }

    /// Like [`Aof::open`] with the file I/O of `storage` (tests inject faults here).
    pub fn open_with(
        path: &Path,
        policy: FsyncPolicy,
        storage: Arc<dyn AofStorage>,
    ) -> std::io::Result<Arc<Aof>> {
        let file = storage.open(path)?;
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let status = Arc::new(AofStatus::default());
        status.set_policy(policy);
        status.current_size.store(size, Ordering::Relaxed);
        status.base_size.store(size, Ordering::Relaxed);
        let (sender, receiver) = unbounded();
        let commit = Arc::new(GroupCommit::new());
        let writer =
            Writer::new(path.to_path_buf(), file, storage, status.clone(), commit.clone(), receiver, size);
        let thread = std::thread::Builder::new().name("aof".into()).spawn(move || writer.run())?;
        Ok(Arc::new(Aof {
            path: path.to_path_buf(),
            sender,
            status,
            commit,
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The status `INFO persistence` and `-MISCONF` read.
    pub fn status(&self) -> &AofStatus {
        &self.status
    }

    /// Changes the fsync policy (`CONFIG SET appendfsync`).
    pub fn set_policy(&self, policy: FsyncPolicy) {
        self.status.set_policy(policy);
    }

    /// Returns a receiver that resolves once every record sent before this call (by
    /// any thread) has been written and, under `always`, fsynced; `Err` carries the
    /// I/O error if that failed, and stays the answer until a rewrite recovers. A
    /// connection awaits it before sending its replies.
    pub fn barrier(&self) -> oneshot::Receiver<commit::Outcome> {
        let (tx, rx) = oneshot::channel();
        let durability = match self.status.policy() {
            FsyncPolicy::Always => Durability::Synced,
            FsyncPolicy::Everysec | FsyncPolicy::No => Durability::Written,
        };
        self.commit.register(durability, tx);
        rx
    }

    /// Flushes and fsyncs everything queued, then stops the thread (shutdown).
    pub fn close(&self) {
        let _ = self.sender.send(Message::Shutdown);
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }

    fn send(&self, message: Message) {
        // The thread only stops at shutdown, after which nothing is logged.
        let _ = self.sender.send(message);
    }
}

/// The records of the group (`EXEC`, a script) this thread is running, and the AOF
/// they are for.
struct OpenGroup {
    aof: *const Aof,
    records: Vec<(usize, Vec<u8>)>,
}

thread_local! {
    static GROUP: std::cell::RefCell<Option<OpenGroup>> = const { std::cell::RefCell::new(None) };
}

impl Aof {
    /// Sends one record, or keeps it for the group this thread has open.
    fn log(&self, db: usize, record: Vec<u8>) {
        let me = self as *const Aof;
        let record = GROUP.with(|group| match group.borrow_mut().as_mut() {
            Some(open) if open.aof == me => {
                open.records.push((db, record));
                None
            }
            _ => Some(record),
        });
        if let Some(record) = record {
            self.send_record(db, record);
        }
    }

    /// Sends one record under the next commit number.
    fn send_record(&self, db: usize, record: Vec<u8>) {
        let seq = self.commit.issue();
        self.send(Message::Record { seq, db, record });
    }
}

impl ChangeHook for Aof {
    /// Encodes the change's effect as a RESP2 record (nothing for a change without
    /// one) and sends it, in the order changes reach it (invariant 1).
    fn on_change(&self, change: &Change<'_>) {
        if change.effect.is_empty() {
            return;
        }
        let mut record = Vec::with_capacity(16 + change.effect.iter().map(|a| a.len() + 16).sum::<usize>());
        encode_command(&mut record, change.effect);
        self.log(change.db, record);
    }

    fn begin_group(&self) {
        GROUP.with(|group| *group.borrow_mut() = Some(OpenGroup { aof: self, records: Vec::new() }));
    }

    /// Sends the group's records as one message: alone if there is one, between
    /// `MULTI` and `EXEC` if there are several, so the file never holds half of it
    /// (a cut-off group is dropped at boot) and no other record falls inside.
    fn end_group(&self) {
        let me = self as *const Aof;
        let Some(open) = GROUP.with(|group| group.borrow_mut().take_if(|open| open.aof == me)) else {
            return;
        };
        let mut records = open.records;
        match records.len() {
            0 => {}
            1 => {
                if let Some((db, record)) = records.pop() {
                    self.send_record(db, record);
                }
            }
            _ => {
                let (first_db, last_db) = (records[0].0, records[records.len() - 1].0);
                let mut multi = Vec::new();
                encode_command(&mut multi, &[b"MULTI"]);
                let mut exec = Vec::new();
                encode_command(&mut exec, &[b"EXEC"]);
                records.insert(0, (first_db, multi));
                records.push((last_db, exec));
                let seq = self.commit.issue();
                self.send(Message::Group { seq, records });
            }
        }
    }
}

impl Drop for Aof {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests;
