//! Reading the AOF back at boot: the file is parsed by the same request parser that
//! serves clients, and each record is handed to the caller, which runs it through
//! the same command table (no second implementation of any command; see
//! `server::loading`).
//!
//! Nothing expires while loading (as in Redis, the caller runs with the `loading`
//! flag): a key whose absolute expiry has passed is dropped after the load, by the
//! ordinary lazy and active expiry, so a command logged while the key was alive
//! replays against the same state.
//!
//! A record cut off at the end of the file (a crash mid-write) is truncated away,
//! and the offset is logged — unless `aof-load-truncated no`, which refuses to start.
//! NUL bytes at the end (a power loss on some file systems) count as such a tail.
//! Anything else that is not a valid record refuses to start, naming its offset.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::protocol::RequestParser;

/// What a replay found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    /// Records applied.
    pub records: u64,
    /// Bytes of complete records.
    pub bytes: u64,
    /// Where a torn tail was cut off, if there was one.
    pub truncated_at: Option<u64>,
}

/// Why the AOF could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError(pub String);

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReplayError {}

const CHUNK: usize = 1 << 20;

/// Runs one record (a command's arguments) against the dataset; `Err` carries the
/// error reply, which stops the load.
pub type Apply<'a> = dyn FnMut(&[Bytes]) -> Result<(), String> + 'a;

/// Reads the AOF at `path`, handing every complete record to `apply` in file order;
/// a missing file is an empty dataset. A transaction whose `EXEC` never reached the
/// file, and a torn last record, are cut off (see the module documentation).
pub fn replay(path: &Path, load_truncated: bool, apply: &mut Apply<'_>) -> Result<ReplayReport, ReplayError> {
    let io = |e: std::io::Error| ReplayError(format!("cannot read AOF {}: {e}", path.display()));
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ReplayReport::default()),
        Err(e) => return Err(io(e)),
    };
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    replay_file(path, &mut file, total, load_truncated, apply)
}

fn replay_file(
    path: &Path,
    file: &mut File,
    total: u64,
    load_truncated: bool,
    apply: &mut Apply<'_>,
) -> Result<ReplayReport, ReplayError> {
    let io = |e: std::io::Error| ReplayError(format!("cannot read AOF {}: {e}", path.display()));
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::with_capacity(CHUNK);
    let mut report = ReplayReport::default();
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut eof = false;
    // Where the open transaction's MULTI began (offset, records before it).
    let mut multi_started: Option<(u64, u64)> = None;
    // Bytes read from the file so far; `read_total - buf.len()` is where `buf` starts.
    let mut read_total: u64 = 0;
    loop {
        if !eof {
            buf.reserve(CHUNK);
            let mut chunk = vec![0u8; CHUNK];
            let n = file.read(&mut chunk).map_err(io)?;
            if n == 0 {
                eof = true;
            } else {
                buf.extend_from_slice(&chunk[..n]);
                read_total += n as u64;
            }
        }
        loop {
            if !parser.is_mid_request() {
                match buf.first() {
                    None => break,
                    Some(b'*') => {}
                    Some(_) => {
                        let at = read_total - buf.len() as u64;
                        return tail_or_garbage(path, at, report, load_truncated, "not a RESP record");
                    }
                }
            }
            let args = match parser.next_request(&mut buf) {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(e) => {
                    let at = read_total - buf.len() as u64;
                    return tail_or_garbage(path, at, report, load_truncated, &e.to_string());
                }
            };
            // The record ends where the unconsumed bytes begin. (Counting what each
            // call consumed would miss the part of a record parsed before a read
            // boundary, and a torn-tail cut would then land inside good records.)
            let record_end = read_total - buf.len() as u64;
            if args[0].eq_ignore_ascii_case(b"MULTI") {
                multi_started = Some((report.bytes, report.records));
            } else if args[0].eq_ignore_ascii_case(b"EXEC") {
                multi_started = None;
            }
            if let Err(reply) = apply(args) {
                return Err(ReplayError(format!(
                    "AOF {}: the record at offset {} failed: {reply}",
                    path.display(),
                    report.bytes
                )));
            }
            report.records += 1;
            report.bytes = record_end;
            // Look at the clock every 4096 records, not every record.
            if report.records % 4096 == 0 && last_progress.elapsed().as_secs() >= 1 {
                last_progress = Instant::now();
                log::info!(
                    "loading AOF: {} records, {:.1} of {:.1} MB",
                    report.records,
                    report.bytes as f64 / 1e6,
                    total as f64 / 1e6
                );
            }
        }
        if eof {
            break;
        }
    }
    if let Some((offset, records)) = multi_started {
        // A transaction whose EXEC never reached the file: drop all of it.
        report.bytes = offset;
        report.records = records;
        truncate_tail(path, &mut report, load_truncated, "the last transaction has no EXEC")?;
    } else if !buf.is_empty() || parser.is_mid_request() {
        // Bytes of an unfinished record remain: a torn tail.
        truncate_tail(path, &mut report, load_truncated, "the last record is incomplete")?;
    }
    log::info!(
        "AOF loaded: {} records, {} bytes in {:.3}s",
        report.records,
        report.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}

/// After an invalid byte at offset `at` (in the record that starts at
/// `report.bytes`): when it begins NUL padding that runs to the end of the file, the
/// record was torn by a power loss and is cut off; anything else refuses to start.
fn tail_or_garbage(
    path: &Path,
    at: u64,
    mut report: ReplayReport,
    load_truncated: bool,
    what: &str,
) -> Result<ReplayReport, ReplayError> {
    if rest_is_nul(path, at) {
        truncate_tail(path, &mut report, load_truncated, "NUL padding after the last record")?;
        return Ok(report);
    }
    Err(ReplayError(format!(
        "AOF {} is corrupt at offset {at} (in the record starting at {}): {what}; refusing to start \
         (repair it with redis-check-aof --fix, or truncate the file there)",
        path.display(),
        report.bytes
    )))
}

/// Whether every byte of the file from `offset` on is NUL.
fn rest_is_nul(path: &Path, offset: u64) -> bool {
    let Ok(bytes) = std::fs::read(path) else { return false };
    bytes.get(offset as usize..).is_some_and(|rest| !rest.is_empty() && rest.iter().all(|&b| b == 0))
}

fn truncate_tail(
    path: &Path,
    report: &mut ReplayReport,
    load_truncated: bool,
    why: &str,
) -> Result<(), ReplayError> {
    if !load_truncated {
        return Err(ReplayError(format!(
            "AOF {}: {why} at offset {}; aof-load-truncated is no, refusing to start",
            path.display(),
            report.bytes
        )));
    }
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| ReplayError(format!("cannot open AOF {} to truncate it: {e}", path.display())))?;
    file.set_len(report.bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| ReplayError(format!("cannot truncate AOF {}: {e}", path.display())))?;
    log::warn!("AOF {}: {why}; truncated the file at offset {}", path.display(), report.bytes);
    report.truncated_at = Some(report.bytes);
    Ok(())
}
