//! The AOF thread: drains the channel, writes each batch with one `write`, applies
//! the fsync policy, then publishes how far the file is written and fsynced to the
//! [`GroupCommit`] ledger, which releases the connections that were covered.
//!
//! Under `always`, a waiting connection is released only after the fsync that covers
//! every record issued before it registered (invariant 2); a failed write or fsync
//! releases it with the error, so that write is never acknowledged, and marks the AOF
//! failed.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::commit::{Arrivals, GroupCommit};
use super::file::{sync_dir, AofFile, AofStorage};
use super::{encode_command, Ack, AofStatus};
use crate::config::FsyncPolicy;

/// Most messages taken into one batch, so waiters are released promptly under load.
const MAX_BATCH: usize = 16 * 1024;

/// Under `everysec` and `no`, how long records gather after a busy round before the
/// next write. Nobody waits for those writes, so a short pause costs no client any
/// latency; it turns one `write(2)` per record into one per millisecond, and the
/// connections find this thread awake instead of paying a futex wake per record.
/// (Measured before: SET under `everysec` cost 1.4× the CPU of SET without AOF.)
const GATHER: Duration = Duration::from_millis(1);

/// What connections and the rewriter tell the AOF thread.
pub(super) enum Message {
    /// One change, in database `db`, encoded as RESP; `seq` is its number from
    /// [`GroupCommit::issue`].
    Record { seq: u64, db: usize, record: Vec<u8> },
    /// Several records written together (`MULTI`, the changes, `EXEC`), each with
    /// its database, under one sequence number.
    Group { seq: u64, records: Vec<(usize, Vec<u8>)> },
    /// A rewrite's snapshot was cut here: from now on, also keep records aside.
    RewriteBegin,
    /// The rewriter has written and fsynced the snapshot to `temp` (or failed).
    RewriteDone { temp: PathBuf, result: std::io::Result<()> },
    /// Flush, fsync and stop.
    Shutdown,
}

/// Records written since the rewrite's cut, to append to the new file.
struct RewriteTail {
    bytes: Vec<u8>,
    db: Option<usize>,
}

pub(super) struct Writer {
    path: PathBuf,
    file: Box<dyn AofFile>,
    storage: Arc<dyn AofStorage>,
    status: Arc<AofStatus>,
    commit: Arc<GroupCommit<Ack>>,
    /// The sequence numbers received so far.
    arrivals: Arrivals,
    /// Every record up to this sequence number is in the file.
    written: u64,
    receiver: Receiver<Message>,
    /// The database the file's last record was for (a `SELECT` goes before a change).
    db: Option<usize>,
    /// Bytes known to be in the file (written without error).
    size: u64,
    /// Written but not yet fsynced.
    dirty: bool,
    last_sync: Instant,
    tail: Option<RewriteTail>,
}

impl Writer {
    pub(super) fn new(
        path: PathBuf,
        file: Box<dyn AofFile>,
        storage: Arc<dyn AofStorage>,
        status: Arc<AofStatus>,
        commit: Arc<GroupCommit<Ack>>,
        receiver: Receiver<Message>,
        size: u64,
    ) -> Self {
        Writer {
            path,
            file,
            storage,
            status,
            commit,
            arrivals: Arrivals::new(),
            written: 0,
            receiver,
            db: None,
            size,
            dirty: false,
            last_sync: Instant::now(),
            tail: None,
        }
    }

    pub(super) fn run(mut self) {
        let mut pending = Vec::with_capacity(64 * 1024);
        let receiver = self.receiver.clone();
        let mut busy = false;
        loop {
            if busy && self.status.policy() != FsyncPolicy::Always {
                std::thread::sleep(GATHER);
            }
            let first = match receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(message) => Some(message),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return self.finish(),
            };
            busy = first.is_some();
            let mut stop = false;
            let mut rewrite_done = None;
            for message in first.into_iter().chain(receiver.try_iter().take(MAX_BATCH)) {
                match message {
                    Message::Record { seq, db, record } => self.queue(&mut pending, seq, db, &record),
                    Message::Group { seq, records } => self.queue_group(&mut pending, seq, &records),
                    Message::RewriteBegin => self.tail = Some(RewriteTail { bytes: Vec::new(), db: None }),
                    Message::RewriteDone { temp, result } => {
                        // Apply after this batch is written, so the tail is complete.
                        rewrite_done = Some((temp, result));
                        break;
                    }
                    Message::Shutdown => {
                        stop = true;
                        break;
                    }
                }
            }
            self.write_and_sync(&mut pending);
            if let Some((temp, result)) = rewrite_done {
                self.finish_rewrite(temp, result);
            }
            if stop {
                return self.finish();
            }
        }
    }

    /// Adds a record to the pending write (and to the rewrite tail, if one is kept),
    /// preceded by `SELECT` when its database differs from the previous record's.
    fn queue(&mut self, pending: &mut Vec<u8>, seq: u64, db: usize, record: &[u8]) {
        self.arrivals.arrive(seq);
        select_if_needed(pending, &mut self.db, db);
        pending.extend_from_slice(record);
        if let Some(tail) = &mut self.tail {
            select_if_needed(&mut tail.bytes, &mut tail.db, db);
            tail.bytes.extend_from_slice(record);
        }
    }

    /// Adds a group's records to the pending write, under one sequence number.
    fn queue_group(&mut self, pending: &mut Vec<u8>, seq: u64, records: &[(usize, Vec<u8>)]) {
        self.arrivals.arrive(seq);
        for (db, record) in records {
            select_if_needed(pending, &mut self.db, *db);
            pending.extend_from_slice(record);
            if let Some(tail) = &mut self.tail {
                select_if_needed(&mut tail.bytes, &mut tail.db, *db);
                tail.bytes.extend_from_slice(record);
            }
        }
    }

    /// Writes what is pending with one write and fsyncs as the policy says, then
    /// publishes how far that got (or the failure) to the ledger.
    fn write_and_sync(&mut self, pending: &mut Vec<u8>) {
        if let Some(error) = self.status.failure() {
            // Refused until a rewrite recovers; the ledger already answers with this.
            pending.clear();
            self.commit.fail(error);
            return;
        }
        if !pending.is_empty() {
            if let Err(e) = self.file.append(pending) {
                // Remove whatever prefix of the batch reached the file: no half record.
                let _ = self.file.truncate(self.size);
                pending.clear();
                self.fail(&e);
                return;
            }
            self.size += pending.len() as u64;
            self.status.current_size.store(self.size, Ordering::Relaxed);
            self.dirty = true;
            pending.clear();
        }
        // Every number up to `through` was queued in this batch or an earlier one.
        let through = self.arrivals.through();
        if through > self.written {
            self.written = through;
            self.commit.written(through);
        }
        let policy = self.status.policy();
        let sync_now = self.dirty
            && match policy {
                FsyncPolicy::Always => true,
                FsyncPolicy::Everysec => self.last_sync.elapsed() >= Duration::from_secs(1),
                FsyncPolicy::No => false,
            };
        if sync_now {
            self.sync();
        }
    }

    /// Fsyncs the file and publishes it (or the failure).
    fn sync(&mut self) {
        if let Err(e) = self.file.sync() {
            self.fail(&e);
            return;
        }
        self.dirty = false;
        self.last_sync = Instant::now();
        self.commit.synced(self.written);
    }

    /// Marks the AOF failed: `-MISCONF` for writes, an error for every waiter.
    fn fail(&mut self, error: &std::io::Error) {
        self.status.fail(error);
        self.commit.fail(error.to_string());
    }

    /// Completes a rewrite: append the tail to the new file, fsync it, rename it over
    /// the old one, fsync the directory, then continue on the new file.
    fn finish_rewrite(&mut self, temp: PathBuf, result: std::io::Result<()>) {
        let tail = self.tail.take();
        let outcome = result.and_then(|()| {
            let tail = tail.ok_or_else(|| std::io::Error::other("rewrite finished without a cut"))?;
            let mut file = self.storage.open(&temp)?;
            file.append(&tail.bytes)?;
            file.sync()?;
            drop(file);
            std::fs::rename(&temp, &self.path)?;
            if let Some(dir) = self.path.parent() {
                sync_dir(if dir.as_os_str().is_empty() { std::path::Path::new(".") } else { dir })?;
            }
            let file = self.storage.open(&self.path)?;
            Ok((file, tail.db))
        });
        match outcome {
            Ok((file, db)) => {
                self.file = file;
                self.db = db;
                self.size = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
                self.dirty = false;
                self.status.current_size.store(self.size, Ordering::Relaxed);
                self.status.base_size.store(self.size, Ordering::Relaxed);
                self.status.last_rewrite_failed.store(false, Ordering::Relaxed);
                self.status.rewrites.fetch_add(1, Ordering::Relaxed);
                self.status.last_rewrite_secs.store(crate::clock::unix_secs(), Ordering::Relaxed);
                self.status.recover();
                // The new file holds every record received so far, fsynced.
                self.written = self.arrivals.through();
                self.commit.recover(self.written);
                log::info!("AOF rewrite done: {} bytes", self.size);
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                self.status.last_rewrite_failed.store(true, Ordering::Relaxed);
                log::error!("AOF rewrite failed: {e}");
            }
        }
        self.status.rewrite_in_progress.store(false, Ordering::Release);
    }

    /// Final flush at shutdown or when every sender is gone.
    fn finish(mut self) {
        let mut pending = Vec::new();
        let receiver = self.receiver.clone();
        for message in receiver.try_iter() {
            match message {
                Message::Record { seq, db, record } => self.queue(&mut pending, seq, db, &record),
                Message::Group { seq, records } => self.queue_group(&mut pending, seq, &records),
                _ => {}
            }
        }
        self.write_and_sync(&mut pending);
        if self.dirty {
            // Even after a failure: flush what can be flushed (nothing is acknowledged
            // while the ledger holds a failure).
            match self.file.sync() {
                Ok(()) => self.commit.synced(self.written),
                Err(e) => {
                    log::error!("final AOF fsync failed: {e}");
                    self.commit.fail(e.to_string());
                }
            }
        }
        self.commit.close("the AOF is shutting down");
        log::info!("AOF flushed and closed ({} bytes)", self.size);
    }
}

impl Drop for Writer {
    /// However the thread ends, nobody waits for it forever.
    fn drop(&mut self) {
        self.commit.close("the AOF thread has stopped");
    }
}

fn select_if_needed(out: &mut Vec<u8>, current: &mut Option<usize>, db: usize) {
    if *current != Some(db) {
        let index = itoa::Buffer::new().format(db).to_string();
        encode_command(out, &[b"SELECT", index.as_bytes()]);
        *current = Some(db);
    }
}
