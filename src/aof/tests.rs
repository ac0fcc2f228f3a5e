//! AOF unit tests: injected I/O faults, torn tails at every byte offset, garbage in
//! the middle, group-commit acknowledgements.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use super::file::{AofFile, AofStorage, DiskStorage};
use super::replay::ReplayReport;
use super::*;
use crate::command::{execute, Context, Session};
use crate::config::{Config, FsyncPolicy};
use crate::engine::{Change, Entry, Scope};
use crate::protocol::{Protocol, ReplyWriter};
use crate::state::ServerState;

/// Replays the AOF at `path` into `state` through the server's loader.
fn replay(
    path: &Path,
    state: &ServerState,
    load_truncated: bool,
) -> Result<ReplayReport, super::replay::ReplayError> {
    crate::server::loading::load(state, path, load_truncated)
}

/// Hands `aof` one change as the engine would.
fn append(aof: &Aof, db: usize, effect: &[&[u8]]) {
    aof.on_change(&Change { db, effect, keys: &[], scope: Scope::Keys });
}

/// The string at `key` (for comparing with `Some(b"…")`).
fn string(e: Option<&Entry>) -> Option<&[u8]> {
    e.and_then(|e| e.string().ok())
}

/// What the next append or sync does.
const OK: u8 = 0;
const APPEND_EIO: u8 = 1;
const APPEND_TORN: u8 = 2;
const SYNC_EIO: u8 = 3;

/// Real files whose next operation can be made to fail.
struct FaultyStorage {
    mode: Arc<AtomicU8>,
}

struct FaultyFile {
    inner: Box<dyn AofFile>,
    mode: Arc<AtomicU8>,
}

impl AofStorage for FaultyStorage {
    fn open(&self, path: &Path) -> io::Result<Box<dyn AofFile>> {
        Ok(Box::new(FaultyFile { inner: DiskStorage.open(path)?, mode: self.mode.clone() }))
    }
}

impl AofFile for FaultyFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.mode.load(Ordering::SeqCst) {
            APPEND_EIO => Err(io::Error::from_raw_os_error(5)),
            APPEND_TORN => {
                self.inner.append(&bytes[..bytes.len() / 2])?;
                Err(io::Error::from_raw_os_error(28))
            }
            _ => self.inner.append(bytes),
        }
    }
    fn sync(&mut self) -> io::Result<()> {
        if self.mode.load(Ordering::SeqCst) == SYNC_EIO {
            return Err(io::Error::from_raw_os_error(5));
        }
        self.inner.sync()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.inner.truncate(len)
    }
}

fn state() -> ServerState {
    ServerState::new(Config::default())
}

/// Runs one command against `state` as a client would, returning the reply bytes.
fn run(state: &ServerState, args: &[&str]) -> String {
    let mut session = Session::new(state.clients.register_detached());
    let mut out = ReplyWriter::new(Protocol::Resp2);
    let args: Vec<bytes::Bytes> = args.iter().map(|a| bytes::Bytes::copy_from_slice(a.as_bytes())).collect();
    let mut ctx =
        Context { state, session: &mut session, out: &mut out, now_ms: crate::clock::unix_millis() };
    execute(&mut ctx, &args);
    String::from_utf8_lossy(out.as_bytes()).into_owned()
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn record(args: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    encode_command(&mut out, &args);
    out
}

/// Every record of `bytes` is complete (the parser consumes it all).
fn all_complete(bytes: &[u8]) -> bool {
    let mut parser = crate::protocol::RequestParser::default();
    let mut buf = bytes::BytesMut::from(bytes);
    while let Ok(Some(_)) = parser.next_request(&mut buf) {}
    buf.is_empty() && !parser.is_mid_request()
}

#[test]
fn acknowledged_writes_reach_the_file_and_failures_are_never_acknowledged() {
    for fault in [APPEND_EIO, APPEND_TORN, SYNC_EIO] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.aof");
        let mode = Arc::new(AtomicU8::new(OK));
        let aof = Aof::open_with(&path, FsyncPolicy::Always, Arc::new(FaultyStorage { mode: mode.clone() }))
            .unwrap();
        append(&aof, 0, &[b"SET", b"a", b"1"]);
        assert_eq!(block_on(aof.barrier()).unwrap(), Ok(()));
        mode.store(fault, Ordering::SeqCst);
        append(&aof, 0, &[b"SET", b"b", b"2"]);
        let outcome = block_on(aof.barrier()).unwrap();
        assert!(outcome.is_err(), "fault {fault} was acknowledged");
        assert!(aof.status().failure().is_some());
        // Recovery of the disk does not make later writes acknowledged (fsyncgate).
        mode.store(OK, Ordering::SeqCst);
        append(&aof, 0, &[b"SET", b"c", b"3"]);
        assert!(block_on(aof.barrier()).unwrap().is_err());
        aof.close();
        let bytes = std::fs::read(&path).unwrap();
        assert!(all_complete(&bytes), "fault {fault} left a half record: {bytes:?}");
        assert!(bytes.starts_with(&record(&["SELECT", "0"])));
        if fault != SYNC_EIO {
            // The failed append was cut back off: the file ends with the acknowledged write.
            assert!(bytes.ends_with(&record(&["SET", "a", "1"])), "fault {fault}: {bytes:?}");
        }
    }
}

#[test]
fn misconf_refuses_writes_until_a_rewrite_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.aof");
    let mode = Arc::new(AtomicU8::new(OK));
    let state = state();
    let aof =
        Aof::open_with(&path, FsyncPolicy::Always, Arc::new(FaultyStorage { mode: mode.clone() })).unwrap();
    state.install_aof(aof.clone());
    assert_eq!(run(&state, &["SET", "k", "1"]), "+OK\r\n");
    mode.store(APPEND_EIO, Ordering::SeqCst);
    assert_eq!(run(&state, &["SET", "k", "2"]), "+OK\r\n");
    assert!(block_on(aof.barrier()).unwrap().is_err());
    assert!(run(&state, &["SET", "k", "3"]).starts_with("-MISCONF Errors writing to the AOF file: "));
    assert_eq!(run(&state, &["GET", "k"]), "$1\r\n2\r\n", "reads keep working");
    mode.store(OK, Ordering::SeqCst);
    assert_eq!(run(&state, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
    while aof.status().rewrite_in_progress.load(Ordering::Acquire) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(aof.status().failure(), None);
    assert_eq!(run(&state, &["SET", "k", "4"]), "+OK\r\n");
    assert_eq!(block_on(aof.barrier()).unwrap(), Ok(()));
    aof.close();
    let reloaded = self::state();
    replay(&path, &reloaded, true).unwrap();
    assert_eq!(run(&reloaded, &["GET", "k"]), "$1\r\n4\r\n");
}

/// The AOF of three databases' worth of writes, and the offsets where records end.
fn sample_aof() -> (Vec<u8>, Vec<usize>) {
    let records = [
        record(&["SELECT", "0"]),
        record(&["SET", "a", "1"]),
        record(&["INCR", "a"]),
        record(&["SET", "bin", "x\r\n\0y"]),
        record(&["SELECT", "2"]),
        record(&["APPEND", "s", "hello"]),
        record(&["SET", "t", "v", "PXAT", "99999999999999"]),
    ];
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for r in records {
        bytes.extend_from_slice(&r);
        ends.push(bytes.len());
    }
    (bytes, ends)
}

#[test]
fn truncation_at_every_byte_of_the_last_three_records_recovers_the_complete_ones() {
    let (bytes, ends) = sample_aof();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.aof");
    let first_cut = ends[ends.len() - 4];
    for cut in first_cut..=bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let state = state();
        let report = replay(&path, &state, true).unwrap();
        let complete = ends.iter().filter(|&&e| e <= cut).count() as u64;
        assert_eq!(report.records, complete, "cut at {cut}");
        let boundary = ends.iter().copied().filter(|&e| e <= cut).max().unwrap_or(0);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), boundary as u64, "cut at {cut}");
        assert_eq!(report.truncated_at.is_some(), boundary != cut);
        // An append after recovery survives the next restart.
        let aof = Aof::open(&path, FsyncPolicy::Always).unwrap();
        append(&aof, 5, &[b"SET", b"after", b"yes"]);
        assert_eq!(block_on(aof.barrier()).unwrap(), Ok(()));
        aof.close();
        let again = self::state();
        assert_eq!(replay(&path, &again, false).unwrap().records, complete + 2, "cut at {cut}");
        assert!(again.engine.db(5).read(b"after", 0, |e| string(e) == Some(b"yes")));
    }
}

#[test]
fn a_torn_tail_after_records_that_straddle_read_boundaries_is_cut_exactly() {
    // Several megabytes, so records cross the loader's 1 MB reads.
    let mut bytes = record(&["SELECT", "0"]);
    let mut records = 1u64;
    for i in 0..40_000 {
        bytes.extend_from_slice(&record(&["SET", &format!("key:{i:08}"), &"v".repeat(37 + i % 50)]));
        records += 1;
    }
    let complete = bytes.len() as u64;
    bytes.extend_from_slice(&record(&["SET", "torn", "value"])[..12]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.aof");
    std::fs::write(&path, &bytes).unwrap();
    let state = state();
    let report = replay(&path, &state, true).unwrap();
    assert_eq!((report.records, report.bytes, report.truncated_at), (records, complete, Some(complete)));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), complete);
    // And the next start finds nothing to cut.
    let again = replay(&path, &self::state(), true).unwrap();
    assert_eq!((again.records, again.truncated_at), (records, None));
    assert_eq!(again.bytes, complete);
}

#[test]
fn truncated_tail_is_refused_when_load_truncated_is_off() {
    let (bytes, _) = sample_aof();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.aof");
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let error = replay(&path, &state(), false).unwrap_err();
    assert!(error.0.contains("aof-load-truncated is no"), "{error}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), bytes.len() as u64 - 3, "file untouched");
}

#[test]
fn nul_padding_after_a_power_loss_is_a_torn_tail() {
    let (mut bytes, ends) = sample_aof();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.aof");
    // Half of a last record, then NULs, as a file system may leave after power loss.
    bytes.extend_from_slice(&record(&["SET", "lost", "value"])[..9]);
    bytes.extend_from_slice(&[0u8; 4096]);
    std::fs::write(&path, &bytes).unwrap();
    let report = replay(&path, &state(), true).unwrap();
    assert_eq!(report.records, ends.len() as u64);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), *ends.last().unwrap() as u64);
}

#[test]
fn garbage_in_the_middle_refuses_to_start_and_names_the_offset() {
    let (bytes, ends) = sample_aof();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.aof");
    let mut corrupt = bytes[..ends[2]].to_vec();
    corrupt.extend_from_slice(b"hello world\r\n");
    corrupt.extend_from_slice(&bytes[ends[2]..]);
    std::fs::write(&path, &corrupt).unwrap();
    let error = replay(&path, &state(), true).unwrap_err();
    assert!(error.0.contains(&format!("corrupt at offset {}", ends[2])), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), corrupt, "the file is left as it was");
}

#[test]
fn replay_restores_every_database_and_absolute_expiries() {
    let (bytes, _) = sample_aof();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.aof");
    std::fs::write(&path, &bytes).unwrap();
    let state = state();
    replay(&path, &state, true).unwrap();
    let db0 = state.engine.db(0);
    assert!(db0.read(b"a", 0, |e| string(e) == Some(b"2")));
    assert!(db0.read(b"bin", 0, |e| string(e) == Some(b"x\r\n\0y")));
    let db2 = state.engine.db(2);
    assert!(db2.read(b"s", 0, |e| string(e) == Some(b"hello")));
    assert_eq!(db2.read(b"t", 0, |e| e.and_then(Entry::expire_at_ms)), Some(99_999_999_999_999));
}

#[test]
fn relative_expiries_are_logged_as_absolute_times() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.aof");
    let state = state();
    let aof = Aof::open(&path, FsyncPolicy::Always).unwrap();
    state.install_aof(aof.clone());
    run(&state, &["SET", "k", "v", "EX", "100"]);
    run(&state, &["SETEX", "s", "100", "v"]);
    run(&state, &["EXPIRE", "k", "200"]);
    run(&state, &["INCRBYFLOAT", "f", "0.1"]);
    aof.close();
    let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    assert!(!text.contains("EX\r\n") && !text.contains("SETEX") && !text.contains("EXPIRE\r\n"), "{text}");
    assert_eq!(text.matches("PXAT").count(), 2, "{text}");
    assert!(text.contains("PEXPIREAT"));
    assert!(text.contains("KEEPTTL"), "INCRBYFLOAT is logged as its result: {text}");
}

#[test]
fn rewrite_compacts_and_keeps_writes_made_during_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.aof");
    let state = state();
    let aof = Aof::open(&path, FsyncPolicy::Everysec).unwrap();
    state.install_aof(aof.clone());
    for _ in 0..500 {
        run(&state, &["INCR", "counter"]);
    }
    run(&state, &["SELECT", "1"]);
    let before = {
        assert_eq!(block_on(aof.barrier()).unwrap(), Ok(()));
        std::fs::metadata(&path).unwrap().len()
    };
    assert!(run(&state, &["BGREWRITEAOF"]).starts_with("+Background"));
    for _ in 0..100 {
        run(&state, &["INCR", "counter"]);
    }
    while aof.status().rewrite_in_progress.load(Ordering::Acquire) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for _ in 0..10 {
        run(&state, &["INCR", "counter"]);
    }
    aof.close();
    assert!(std::fs::metadata(&path).unwrap().len() < before);
    let reloaded = self::state();
    replay(&path, &reloaded, false).unwrap();
    assert_eq!(run(&reloaded, &["GET", "counter"]), "$3\r\n610\r\n");
    assert!(!temp_exists(&path));
}

fn temp_exists(path: &Path) -> bool {
    rewrite::temp_path(path).exists()
}

/// One key of a dump: (db, key, value, expiry).
type Dumped = (usize, Vec<u8>, Vec<u8>, Option<u64>);

/// What a key holds, comparable across servers: a string's bytes, or a collection's
/// kind and its rewrite commands' elements, sorted (a hash's as field/value pairs).
fn contents(key: &[u8], entry: &crate::engine::Entry) -> Vec<u8> {
    let Some(collection) = entry.collection() else {
        return entry.string().map(<[u8]>::to_vec).unwrap_or_default();
    };
    let group = match collection.kind() {
        crate::engine::Kind::Hash | crate::engine::Kind::ZSet => 2,
        _ => 1,
    };
    let mut elements: Vec<Vec<u8>> = Vec::new();
    collection.rewrite(key, &mut |command| {
        elements.extend(command[2..].chunks(group).map(|element| element.join(&b'\0')));
    });
    if collection.kind() != crate::engine::Kind::List {
        elements.sort();
    }
    [collection.kind().name().as_bytes().to_vec(), elements.join(&b'\n')].join(&b':')
}

/// Every key of every database.
fn dump(state: &ServerState) -> Vec<Dumped> {
    let mut all = Vec::new();
    for db in 0..crate::engine::DATABASES {
        state.engine.db(db).for_each(0, |k, e| all.push((db, k.to_vec(), contents(k, e), e.expire_at_ms())));
    }
    all.sort();
    all
}

/// Every write command, run live, then replayed from the AOF, gives the same data.
#[test]
fn replaying_the_log_of_every_write_command_reproduces_the_dataset() {
    let script: &[&[&str]] = &[
        &["SET", "s", "1"],
        &["SET", "s", "2", "EX", "1000", "GET"],
        &["SET", "keep", "k", "PX", "500000"],
        &["SET", "keep", "k2", "KEEPTTL"],
        &["SET", "nx", "a", "NX"],
        &["SET", "nx", "b", "NX"],
        &["SETNX", "setnx", "x"],
        &["SETNX", "setnx", "y"],
        &["SETEX", "setex", "100", "v"],
        &["PSETEX", "psetex", "100000", "v"],
        &["GETSET", "s", "3"],
        &["SET", "gd", "v"],
        &["GETDEL", "gd"],
        &["GETEX", "keep", "EX", "300"],
        &["GETEX", "setex", "PERSIST"],
        &["MSET", "m1", "1", "m2", "2"],
        &["MSETNX", "n1", "1", "n2", "2"],
        &["MSETNX", "n1", "x", "n3", "3"],
        &["APPEND", "ap", "hello"],
        &["APPEND", "ap", " world"],
        &["SETRANGE", "sr", "5", "xy"],
        &["SETRANGE", "ap", "0", "J"],
        &["INCR", "c"],
        &["INCRBY", "c", "10"],
        &["DECR", "c"],
        &["DECRBY", "c", "3"],
        &["INCRBYFLOAT", "fl", "1.1"],
        &["INCRBYFLOAT", "fl", "2.2"],
        &["HSET", "h", "a", "1", "b", "2"],
        &["HMSET", "h", "c", "3"],
        &["HSETNX", "h", "a", "9"],
        &["HSETNX", "h", "d", "4"],
        &["HDEL", "h", "b", "missing"],
        &["HINCRBY", "h", "a", "41"],
        &["HINCRBYFLOAT", "h", "f", "1.1"],
        &["HINCRBYFLOAT", "h", "f", "2.2"],
        &["HSET", "hgone", "x", "1"],
        &["HDEL", "hgone", "x"],
        &["SETBIT", "bm", "100", "1"],
        &["SETBIT", "bm", "3", "1"],
        &["SETBIT", "bm", "3", "1"],
        &[
            "BITFIELD", "bf", "SET", "u8", "#2", "200", "INCRBY", "i5", "3", "7", "OVERFLOW", "FAIL",
            "INCRBY", "u8", "#2", "100",
        ],
        &["BITFIELD", "grown", "OVERFLOW", "FAIL", "INCRBY", "u8", "#10", "300"],
        &["BITOP", "XOR", "bo", "bm", "bf"],
        &["BITOP", "NOT", "bo", "bo"],
        &["BITOP", "AND", "bm2", "nothing", "none"],
        &["PFADD", "hll", "a", "b", "c"],
        &["PFCOUNT", "hll"],
        &["PFADD", "hll", "d"],
        &["PFADD", "hll2", "x"],
        &["PFMERGE", "hllm", "hll", "hll2"],
        &["PFCOUNT", "hllm"],
        &["DEL", "m1", "missing"],
        &["UNLINK", "m2"],
        &["EXPIRE", "n1", "1000"],
        &["PEXPIRE", "n2", "1000000"],
        &["EXPIREAT", "n3", "99999999999"],
        &["PEXPIREAT", "c", "99999999999999"],
        &["EXPIRE", "n1", "10", "GT"],
        &["PERSIST", "n2"],
        &["SET", "r1", "v"],
        &["RENAME", "r1", "r2"],
        &["SET", "r3", "w"],
        &["RENAMENX", "r3", "r2"],
        &["RENAMENX", "r3", "r4"],
        &["COPY", "r2", "c1"],
        &["COPY", "r4", "c1", "REPLACE"],
        &["COPY", "r4", "c2", "DB", "7"],
        &["SET", "gone", "v"],
        &["EXPIRE", "gone", "-1"],
        &["SELECT", "4"],
        &["SET", "four", "4"],
        &["MOVE", "four", "5"],
        &["SET", "stay", "s"],
        &["SWAPDB", "4", "6"],
        &["SELECT", "9"],
        &["SET", "nine", "9"],
        &["FLUSHDB"],
        &["SET", "nine-again", "9"],
        &["SELECT", "0"],
        // The set family (SPOP's random choice is logged as the SREM of it).
        &["SADD", "set", "1", "2", "3", "a", "b", "c"],
        &["SADD", "ints", "1", "2", "3"],
        &["SREM", "set", "b", "x"],
        &["SPOP", "set"],
        &["SPOP", "set", "2"],
        &["SPOP", "ints", "10"],
        &["SADD", "ints", "4", "5"],
        &["SMOVE", "set", "moved", "c"],
        &["SMOVE", "set", "moved", "a"],
        &["SADD", "other", "2", "5", "z"],
        &["SINTERSTORE", "inter", "set", "other"],
        &["SUNIONSTORE", "union", "ints", "other", "moved"],
        &["SDIFFSTORE", "diff", "union", "ints"],
        &["SDIFFSTORE", "inter", "ints", "ints"],
        // The list family (a pop is logged with the count it took).
        &["RPUSH", "list", "a", "b", "c", "d", "e", "f", "g"],
        &["LPUSH", "list", "z", "y"],
        &["LPUSHX", "list", "x"],
        &["RPUSHX", "list", "h"],
        &["RPUSHX", "nolist", "h"],
        &["LPOP", "list"],
        &["RPOP", "list", "2"],
        &["LSET", "list", "1", "set"],
        &["LINSERT", "list", "BEFORE", "c", "ins"],
        &["LREM", "list", "-1", "d"],
        &["LTRIM", "list", "1", "-2"],
        &["LMOVE", "list", "moved-list", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "list", "moved-list"],
        &["RPUSH", "short", "1"],
        &["LMPOP", "2", "none", "short", "LEFT", "COUNT", "5"],
        &["LMPOP", "1", "list", "RIGHT"],
        // The blocking forms finding an element at once (logged as LPOP, LMOVE …).
        &["RPUSH", "queue", "a", "b", "c", "d", "e"],
        &["BLPOP", "none", "queue", "0"],
        &["BRPOP", "queue", "0"],
        &["BLMPOP", "0", "1", "queue", "LEFT", "COUNT", "2"],
        &["BLMOVE", "queue", "moved-list", "LEFT", "RIGHT", "0"],
        &["BRPOPLPUSH", "moved-list", "queue", "0"],
        // Sorted sets (ZMPOP and the blocking pops logged as ZPOPMIN/ZPOPMAX key [n]).
        &["ZADD", "zs", "1.1", "a", "2", "b", "3", "c", "-inf", "lo", "+inf", "hi", "0", "z1", "0", "z2"],
        &["ZADD", "zs", "INCR", "0.5", "a"],
        &["ZINCRBY", "zs", "0.1", "b"],
        &["ZREM", "zs", "c", "none"],
        &["ZREMRANGEBYSCORE", "zs", "(5", "+inf"],
        &["ZREMRANGEBYLEX", "zs", "[z2", "[z2"],
        &["ZADD", "zs", "7", "d", "8", "e", "9", "f"],
        &["ZREMRANGEBYRANK", "zs", "-1", "-1"],
        &["ZPOPMIN", "zs"],
        &["ZPOPMAX", "zs", "1"],
        &["ZMPOP", "2", "none", "zs", "MIN", "COUNT", "1"],
        &["BZPOPMIN", "none", "zs", "0"],
        &["BZPOPMAX", "zs", "0"],
        &["ZADD", "zt", "1", "x", "2", "b"],
        &["BZMPOP", "0", "1", "zt", "MAX", "COUNT", "1"],
        &["ZADD", "zt", "3", "a"],
        &["ZUNIONSTORE", "zu", "2", "zs", "zt", "WEIGHTS", "2", "3", "AGGREGATE", "MAX"],
        &["ZINTERSTORE", "zi", "2", "zs", "zt"],
        &["ZDIFFSTORE", "zd", "2", "zt", "zs"],
        &["ZRANGESTORE", "zr", "zu", "0", "1"],
        &["GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        &["GEOADD", "geo", "XX", "CH", "13.5", "38.2", "Palermo"],
        &["GEOSEARCHSTORE", "gs", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"],
        &["GEORADIUS", "geo", "15", "37", "200", "km", "STORE", "gr"],
        &["GEORADIUSBYMEMBER", "geo", "Palermo", "500", "km", "COUNT", "1", "STOREDIST", "gm"],
        &["RPUSH", "sl", "3", "1", "2"],
        &["SORT", "sl", "DESC", "STORE", "so"],
        &["SORT", "nokey", "STORE", "gr"],
        // Streams (XADD * logged with its id, ~ trims exactly, group reads as XCLAIM).
        &["XADD", "st", "*", "a", "1"],
        &["XADD", "st", "2000000-*", "b", "2"],
        &["XADD", "st", "MAXLEN", "~", "1", "2000001-1", "c", "3"],
        &["XADD", "st", "2000002-1", "d", "4", "e", "5"],
        &["XDEL", "st", "2000001-1"],
        &["XTRIM", "st", "MINID", "=", "1"],
        &["XGROUP", "CREATE", "st", "g", "0"],
        &["XGROUP", "CREATE", "st", "h", "0", "ENTRIESREAD", "0"],
        &["XGROUP", "CREATECONSUMER", "st", "g", "idle"],
        &["XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "st", ">"],
        &["XREADGROUP", "GROUP", "h", "c2", "NOACK", "STREAMS", "st", ">"],
        &["XACK", "st", "g", "2000002-1"],
        &["XCLAIM", "st", "g", "c3", "0", "2000000-0", "TIME", "123", "JUSTID"],
        &["XAUTOCLAIM", "st", "g", "c4", "0", "-", "COUNT", "1"],
        &["XGROUP", "SETID", "st", "h", "2000000-0"],
        &["XGROUP", "DELCONSUMER", "st", "g", "idle"],
        &["XGROUP", "CREATE", "st", "gone", "$"],
        &["XGROUP", "DESTROY", "st", "gone"],
        &["XSETID", "st", "3000000-0", "ENTRIESADDED", "10", "MAXDELETEDID", "2000001-1"],
        &["XADD", "empty", "MAXLEN", "0", "1-1", "x", "y"],
        // Functions: each library change is logged as the command; FCALL's effects.
        &["FUNCTION", "LOAD", LIBRARY],
        &["FCALL", "aofset", "1", "viafcall", "v"],
        &["FUNCTION", "LOAD", "REPLACE", LIBRARY],
        &["FUNCTION", "LOAD", "#!lua name=gone\nredis.register_function('gone', function() return 1 end)"],
        &["FUNCTION", "DELETE", "gone"],
        &["FUNCTION", "LOAD", "#!lua name=flushed\nredis.register_function('fl', function() return 1 end)"],
        &["FUNCTION", "FLUSH"],
    ];
    const LIBRARY: &str =
        "#!lua name=aoflib\nredis.register_function('aofset', function(k, a) return redis.call('set', k[1], a[1]) end)";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.aof");
    let live = state();
    let aof = Aof::open(&path, FsyncPolicy::Always).unwrap();
    live.install_aof(aof.clone());
    let mut session = Session::new(live.clients.register_detached());
    let mut out = ReplyWriter::new(Protocol::Resp2);
    let mut covered = std::collections::HashSet::new();
    for command in script {
        covered.insert(command[0].to_ascii_lowercase());
        // A container's subcommand (`XGROUP CREATE`) counts under its own name.
        if command[0].eq_ignore_ascii_case("xgroup") || command[0].eq_ignore_ascii_case("function") {
            covered.insert(command[1].to_ascii_lowercase());
        }
        let args: Vec<bytes::Bytes> =
            command.iter().map(|a| bytes::Bytes::copy_from_slice(a.as_bytes())).collect();
        let mut ctx = Context { state: &live, session: &mut session, out: &mut out, now_ms: 1_000_000 };
        execute(&mut ctx, &args);
        assert!(
            !out.as_bytes().starts_with(b"-"),
            "{command:?}: {}",
            String::from_utf8_lossy(out.as_bytes())
        );
        out.clear();
    }
    // FUNCTION RESTORE of a (binary) payload: the library is back after the flush.
    let payload = crate::scripting::functions::payload::encode(std::iter::once(LIBRARY.as_bytes()));
    let restore = [&b"FUNCTION"[..], b"RESTORE", &payload].map(bytes::Bytes::copy_from_slice);
    let mut ctx = Context { state: &live, session: &mut session, out: &mut out, now_ms: 1_000_000 };
    execute(&mut ctx, &restore);
    assert_eq!(out.as_bytes(), b"+OK\r\n");
    covered.insert("restore".to_string());
    aof.close();
    for command in crate::command::table().all().filter(|c| c.spec.is_write() && c.spec.name != "flushall") {
        assert!(
            covered.contains(command.spec.name),
            "write command {} is not in the replay script",
            command.full_name
        );
    }
    let replayed = state();
    replay(&path, &replayed, false).unwrap();
    assert_eq!(dump(&replayed), dump(&live));
    assert_eq!(replayed.scripting.function_codes(), vec![bytes::Bytes::from_static(LIBRARY.as_bytes())]);
    assert!(!dump(&live).is_empty());
    let hash = dump(&live).into_iter().find(|(db, key, _, _)| *db == 0 && key == b"h").map(|d| d.2);
    assert_eq!(hash.as_deref(), Some(&b"hash:a\x0042\nc\x003\nd\x004\nf\x003.3"[..]), "the hash is compared");
    assert!(dump(&live).iter().any(|(_, key, value, _)| key == b"union" && value.starts_with(b"set:")));
    let list = dump(&live).into_iter().find(|(db, key, _, _)| *db == 0 && key == b"list").map(|d| d.2);
    assert_eq!(list.as_deref(), Some(&b"list:a\nb\nins"[..]), "the list is compared, in order");
}
