//! Compaction (`BGREWRITEAOF` and the automatic rewrite).
//!
//! 1. With every shard read-locked for a moment, the engine copies the live dataset
//!    and, still under the locks, a `RewriteBegin` marker is queued to the AOF
//!    thread: every change before the marker is in the copy, every change after it
//!    will be kept aside by the AOF thread as the "tail" (and still written to the
//!    old file, which stays complete).
//! 2. A background thread writes the copy to a temp file and fsyncs it: a string as
//!    `SET key value [PXAT t]`, a collection as the commands its type gives
//!    ([`crate::engine::Collection::rewrite`]) then `PEXPIREAT` if it has a TTL.
//!    Collections are shared with the live dataset copy-on-write, so the copy costs
//!    one reference per key, and writers are not blocked meanwhile.
//! 3. The AOF thread appends the tail, fsyncs, renames the temp file over the AOF and
//!    fsyncs the directory. A crash before the rename leaves the old, complete file;
//!    after it, the new, complete one.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::writer::Message;
use super::{encode_command, Aof};
use crate::engine::{KvEngine, SnapshotEntry, Value};

/// Why a rewrite could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteError {
    /// Another rewrite is running.
    InProgress,
    /// The background thread could not be started.
    Spawn(String),
}

impl std::fmt::Display for RewriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RewriteError::InProgress => {
                f.write_str("Background append only file rewriting already in progress")
            }
            RewriteError::Spawn(e) => write!(f, "cannot start the rewrite: {e}"),
        }
    }
}

/// The temp file a rewrite writes next to the AOF.
pub fn temp_path(aof: &Path) -> PathBuf {
    let mut name = aof.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".rewrite.tmp");
    aof.with_file_name(name)
}

/// Starts a rewrite in the background. `first` gives the records that go before
/// the keys (the `FUNCTION LOAD` of each library); it is called at the cut, with
/// every shard locked, so it must not lock a shard.
pub fn start(
    aof: &Aof,
    engine: &KvEngine,
    now_ms: u64,
    first: impl FnOnce() -> Vec<Vec<bytes::Bytes>>,
) -> Result<(), RewriteError> {
    if aof.status.rewrite_in_progress.swap(true, Ordering::AcqRel) {
        return Err(RewriteError::InProgress);
    }
    let mut preamble = Vec::new();
    let snapshot = engine.snapshot(now_ms, || {
        preamble = first();
        aof.send(Message::RewriteBegin)
    });
    let temp = temp_path(aof.path());
    let sender = aof.sender.clone();
    let spawned = std::thread::Builder::new().name("aof-rewrite".into()).spawn(move || {
        let result = write_snapshot(&temp, &preamble, &snapshot);
        let _ = sender.send(Message::RewriteDone { temp, result });
    });
    if let Err(e) = spawned {
        // The marker is queued; tell the AOF thread the rewrite is off.
        aof.send(Message::RewriteDone {
            temp: temp_path(aof.path()),
            result: Err(std::io::Error::other("no thread")),
        });
        return Err(RewriteError::Spawn(e.to_string()));
    }
    log::info!("AOF rewrite started");
    Ok(())
}

/// Writes `preamble`, then `snapshot` as replayable records, and fsyncs the file.
fn write_snapshot(
    temp: &Path,
    preamble: &[Vec<bytes::Bytes>],
    snapshot: &[SnapshotEntry],
) -> std::io::Result<()> {
    let file = File::create(temp)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut record = Vec::with_capacity(256);
    for command in preamble {
        record.clear();
        let args: Vec<&[u8]> = command.iter().map(|a| &a[..]).collect();
        encode_command(&mut record, &args);
        out.write_all(&record)?;
    }
    let mut current_db = None;
    let mut number = itoa::Buffer::new();
    for (db, entry) in snapshot {
        record.clear();
        if current_db != Some(*db) {
            encode_command(&mut record, &[b"SELECT", number.format(*db).as_bytes()]);
            current_db = Some(*db);
        }
        let key = entry.key();
        let at = entry.expire_at_ms().map(|at| number.format(at).to_string());
        match (entry.value(), &at) {
            (Value::String(value), Some(at)) => {
                encode_command(&mut record, &[b"SET", key, value, b"PXAT", at.as_bytes()])
            }
            (Value::String(value), None) => encode_command(&mut record, &[b"SET", key, value]),
            (Value::Collection(collection), _) => {
                collection.rewrite(key, &mut |command| encode_command(&mut record, command));
                if let Some(at) = &at {
                    encode_command(&mut record, &[b"PEXPIREAT", key, at.as_bytes()]);
                }
            }
        }
        out.write_all(&record)?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// Whether the automatic rewrite is due: the file is at least `min_size` and has
/// grown by `percentage` since the last rewrite (Redis's `auto-aof-rewrite-*`), or
/// the AOF is failing and a rewrite is the way back.
pub fn is_due(aof: &Aof, percentage: u64, min_size: u64) -> bool {
    let status = aof.status();
    if status.rewrite_in_progress.load(Ordering::Acquire) {
        return false;
    }
    if status.failure().is_some() {
        return true;
    }
    let current = status.current_size.load(Ordering::Relaxed);
    let base = status.base_size.load(Ordering::Relaxed).max(1);
    percentage > 0 && current >= min_size && (current - base.min(current)) * 100 / base >= percentage
}
