//! The AOF thread: drains the channel, writes each batch with one `write`, applies
//! the fsync policy, then answers the barriers of the connections it covered.
//!
//! Under `always`, a barrier is answered only after the fsync that covers every
//! record queued before it (invariant 2); a failed write or fsync answers it with
//! the error, so that write is never acknowledged, and marks the AOF failed.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use tokio::sync::oneshot;

use super::file::{sync_dir, AofFile, AofStorage};
use super::{encode_command, AofStatus};
use crate::config::FsyncPolicy;

/// Most messages taken into one batch, so barriers are answered promptly under load.
const MAX_BATCH: usize = 16 * 1024;

/// What connections and the rewriter tell the AOF thread.
pub(super) enum Message {
    /// One change, in database `db`, encoded as RESP.
    Record { db: usize, record: Vec<u8> },
    /// Answer once everything before this is durable (per the policy).
    Barrier(oneshot::Sender<Result<(), String>>),
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
        receiver: Receiver<Message>,
        size: u64,
    ) -> Self {
        Writer {
            path,
            file,
            storage,
            status,
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
        let mut barriers = Vec::new();
        let receiver = self.receiver.clone();
        loop {
            let first = match receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(message) => Some(message),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return self.finish(),
            };
            let mut stop = false;
            let mut rewrite_done = None;
            for message in first.into_iter().chain(receiver.try_iter().take(MAX_BATCH)) {
                match message {
                    Message::Record { db, record } => self.queue(&mut pending, db, &record),
                    Message::Barrier(reply) => barriers.push(reply),
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
            let outcome = self.write_and_sync(&mut pending, !barriers.is_empty() || stop);
            for barrier in barriers.drain(..) {
                let _ = barrier.send(outcome.clone());
            }
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
    fn queue(&mut self, pending: &mut Vec<u8>, db: usize, record: &[u8]) {
        select_if_needed(pending, &mut self.db, db);
        pending.extend_from_slice(record);
        if let Some(tail) = &mut self.tail {
            select_if_needed(&mut tail.bytes, &mut tail.db, db);
            tail.bytes.extend_from_slice(record);
        }
    }

    /// Writes what is pending with one write and fsyncs as the policy says;
    /// `must_answer` is set when a barrier or shutdown waits on this batch.
    fn write_and_sync(&mut self, pending: &mut Vec<u8>, must_answer: bool) -> Result<(), String> {
        if let Some(error) = self.status.failure() {
            pending.clear();
            return Err(error);
        }
        if !pending.is_empty() {
            if let Err(e) = self.file.append(pending) {
                // Remove whatever prefix of the batch reached the file: no half record.
                let _ = self.file.truncate(self.size);
                pending.clear();
                self.status.fail(&e);
                return Err(e.to_string());
            }
            self.size += pending.len() as u64;
            self.status.current_size.store(self.size, Ordering::Relaxed);
            self.dirty = true;
            pending.clear();
        }
        let policy = self.status.policy();
        let sync_now = self.dirty
            && match policy {
                FsyncPolicy::Always => true,
                FsyncPolicy::Everysec => self.last_sync.elapsed() >= Duration::from_secs(1),
                FsyncPolicy::No => false,
            };
        if sync_now || (must_answer && self.dirty && policy == FsyncPolicy::Always) {
            if let Err(e) = self.file.sync() {
                self.status.fail(&e);
                return Err(e.to_string());
            }
            self.dirty = false;
            self.last_sync = Instant::now();
        }
        Ok(())
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
                self.status.last_rewrite_secs.store(crate::clients::unix_secs(), Ordering::Relaxed);
                self.status.recover();
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
                Message::Record { db, record } => self.queue(&mut pending, db, &record),
                Message::Barrier(reply) => {
                    let _ = reply.send(Err("the AOF is shutting down".into()));
                }
                _ => {}
            }
        }
        let _ = self.write_and_sync(&mut pending, true);
        if self.dirty {
            if let Err(e) = self.file.sync() {
                log::error!("final AOF fsync failed: {e}");
            }
        }
        log::info!("AOF flushed and closed ({} bytes)", self.size);
    }
}

fn select_if_needed(out: &mut Vec<u8>, current: &mut Option<usize>, db: usize) {
    if *current != Some(db) {
        let index = itoa::Buffer::new().format(db).to_string();
        encode_command(out, &[b"SELECT", index.as_bytes()]);
        *current = Some(db);
    }
}
