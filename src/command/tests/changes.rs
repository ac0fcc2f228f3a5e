//! The change records of every write command, table-driven: for each command of the
//! table that has the `write` flag there must be cases here, each giving the setup,
//! the command, its reply and the records it yields — the database, the effect (the
//! command the AOF logs to replay it) and the keys with their keyspace events, or
//! the databases of a whole-database change.
//!
//! The event names and their order are Redis 7.0's, checked against redis-server
//! 7.0.15 with `notify-keyspace-events KEAn` and a `PSUBSCRIBE __keyevent@*__:*`
//! client (lazily expired keys with `DEBUG SET-ACTIVE-EXPIRE 0`): `new` comes before
//! the command's own event (Redis's `dbAdd` notifies it), `set` before `expire`,
//! `expired` (a lazily expired key, logged as `DEL`) before everything, and a
//! `MOVE`/`RENAME`/`COPY` destination is `new` before the command's events.
//!
//! A multi-key write is one record whose keys come in the order Redis notifies them
//! (`new a`, `set a`, `new b` …).

use super::{Client, SeenChange};
use crate::command::table;

/// One key's event in an expected record: database, key, event name.
pub(super) type Ev = (usize, &'static str, &'static str);

/// The database of a record whose database is arbitrary (`FLUSHALL` runs in all).
const ANY_DB: usize = usize::MAX;

/// All sixteen databases.
const ALL_DBS: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// An expected change record.
#[derive(Debug)]
pub(super) struct Record {
    /// The database its effect runs in ([`ANY_DB`]: any).
    db: usize,
    /// The logged command, arguments joined by spaces; empty for a change that logs
    /// nothing of its own (an event notified beside another record).
    effect: &'static str,
    /// The keys and their events, in Redis's order.
    keys: &'static [Ev],
    /// The databases of a whole-database change.
    scope: Option<&'static [usize]>,
}

/// A record that logs `effect` for `keys`.
pub(super) const fn logged(db: usize, effect: &'static str, keys: &'static [Ev]) -> Record {
    Record { db, effect, keys, scope: None }
}

/// An event with no record of its own (`new`, the `expire` after a `SET … PXAT`),
/// in the database of its key.
pub(super) const fn event(keys: &'static [Ev]) -> Record {
    Record { db: keys[0].0, effect: "", keys, scope: None }
}

/// A whole-database change of `dbs`.
const fn whole(db: usize, effect: &'static str, dbs: &'static [usize]) -> Record {
    Record { db, effect, keys: &[], scope: Some(dbs) }
}

/// A `FUNCTION LOAD` of library `l`.
const LIB_LOAD: &str = "FUNCTION LOAD #!lua\tname=l\nredis.register_function('f',function()return(1)end)";

/// One case of the table.
pub(super) struct Case {
    /// The command's full name, as the command table spells it.
    pub(super) command: &'static str,
    /// Commands run first (their records are not compared).
    pub(super) setup: &'static [&'static str],
    /// The command under test.
    pub(super) run: &'static str,
    /// Its reply (RESP2).
    pub(super) reply: &'static str,
    /// The records it yields, in order.
    pub(super) records: &'static [Record],
}

/// A key stored already expired at [`super::NOW`] (lazy expiry removes it first).
pub(super) const EXPIRED_K: &str = "SET k old PXAT 1700000000000";

/// Every case, grouped by command (one line per record, so not formatted).
#[rustfmt::skip]
static CASES: &[Case] = &[
    // --- the string family ---
    Case { command: "set", setup: &[], run: "SET k v", reply: "+OK\r\n",
        records: &[logged(0, "SET k v", &[(0, "k", "new"), (0, "k", "set")])] },
    Case { command: "set", setup: &["SET k old"], run: "SET k v", reply: "+OK\r\n",
        records: &[logged(0, "SET k v", &[(0, "k", "set")])] },
    Case { command: "set", setup: &[], run: "SET k v EX 10", reply: "+OK\r\n",
        records: &[
            logged(0, "SET k v PXAT 1700000010000", &[(0, "k", "new"), (0, "k", "set")]),
            event(&[(0, "k", "expire")]),
        ] },
    Case { command: "set", setup: &[], run: "SET k v EXAT 1", reply: "+OK\r\n",
        records: &[
            logged(0, "SET k v PXAT 1000", &[(0, "k", "new"), (0, "k", "set")]),
            event(&[(0, "k", "expire")]),
        ] },
    Case { command: "set", setup: &["SET k old EX 100"], run: "SET k v KEEPTTL", reply: "+OK\r\n",
        records: &[logged(0, "SET k v KEEPTTL", &[(0, "k", "set")])] },
    Case { command: "set", setup: &["SET k old"], run: "SET k v GET", reply: "$3\r\nold\r\n",
        records: &[logged(0, "SET k v", &[(0, "k", "set")])] },
    Case { command: "set", setup: &["SET k old"], run: "SET k v NX", reply: "$-1\r\n", records: &[] },
    Case { command: "set", setup: &[], run: "SET k v XX", reply: "$-1\r\n", records: &[] },
    Case { command: "set", setup: &[EXPIRED_K], run: "SET k v", reply: "+OK\r\n",
        records: &[
            logged(0, "DEL k", &[(0, "k", "expired")]),
            logged(0, "SET k v", &[(0, "k", "new"), (0, "k", "set")]),
        ] },
    Case { command: "set", setup: &["SELECT 5"], run: "SET k v", reply: "+OK\r\n",
        records: &[logged(5, "SET k v", &[(5, "k", "new"), (5, "k", "set")])] },
    Case { command: "setnx", setup: &[], run: "SETNX k v", reply: ":1\r\n",
        records: &[logged(0, "SET k v", &[(0, "k", "new"), (0, "k", "set")])] },
    Case { command: "setnx", setup: &["SET k old"], run: "SETNX k v", reply: ":0\r\n", records: &[] },
    Case { command: "setex", setup: &[], run: "SETEX k 10 v", reply: "+OK\r\n",
        records: &[
            logged(0, "SET k v PXAT 1700000010000", &[(0, "k", "new"), (0, "k", "set")]),
            event(&[(0, "k", "expire")]),
        ] },
    Case { command: "psetex", setup: &["SET k old"], run: "PSETEX k 10000 v", reply: "+OK\r\n",
        records: &[
            logged(0, "SET k v PXAT 1700000010000", &[(0, "k", "set")]),
            event(&[(0, "k", "expire")]),
        ] },
    Case { command: "getset", setup: &[], run: "GETSET k v", reply: "$-1\r\n",
        records: &[logged(0, "SET k v", &[(0, "k", "new"), (0, "k", "set")])] },
    Case { command: "getset", setup: &["SET k old EX 100"], run: "GETSET k v", reply: "$3\r\nold\r\n",
        records: &[logged(0, "SET k v", &[(0, "k", "set")])] },
    Case { command: "getdel", setup: &["SET k old"], run: "GETDEL k", reply: "$3\r\nold\r\n",
        records: &[logged(0, "DEL k", &[(0, "k", "del")])] },
    Case { command: "getdel", setup: &[], run: "GETDEL k", reply: "$-1\r\n", records: &[] },
    Case { command: "getex", setup: &["SET k old"], run: "GETEX k EX 10", reply: "$3\r\nold\r\n",
        records: &[logged(0, "PEXPIREAT k 1700000010000", &[(0, "k", "expire")])] },
    Case { command: "getex", setup: &["SET k old EX 10"], run: "GETEX k PERSIST", reply: "$3\r\nold\r\n",
        records: &[logged(0, "PERSIST k", &[(0, "k", "persist")])] },
    Case { command: "getex", setup: &["SET k old"], run: "GETEX k PERSIST", reply: "$3\r\nold\r\n",
        records: &[] },
    Case { command: "getex", setup: &["SET k old"], run: "GETEX k PXAT 1", reply: "$3\r\nold\r\n",
        records: &[logged(0, "DEL k", &[(0, "k", "del")])] },
    Case { command: "getex", setup: &["SET k old"], run: "GETEX k", reply: "$3\r\nold\r\n", records: &[] },
    Case { command: "mset", setup: &["SET a 0", "SET b 0"], run: "MSET a 1 b 2", reply: "+OK\r\n",
        records: &[logged(0, "MSET a 1 b 2", &[(0, "a", "set"), (0, "b", "set")])] },
    Case { command: "mset", setup: &["SET a 0"], run: "MSET a 1 a 2", reply: "+OK\r\n",
        records: &[logged(0, "MSET a 1 a 2", &[(0, "a", "set"), (0, "a", "set")])] },
    Case { command: "mset", setup: &[], run: "MSET a 1 b 2", reply: "+OK\r\n",
        records: &[logged(0, "MSET a 1 b 2", &[(0, "a", "new"), (0, "a", "set"), (0, "b", "new"), (0, "b", "set")])] },
    Case { command: "mset", setup: &["SET a 0"], run: "MSET a 1 b 2", reply: "+OK\r\n",
        records: &[logged(0, "MSET a 1 b 2", &[(0, "a", "set"), (0, "b", "new"), (0, "b", "set")])] },
    Case { command: "msetnx", setup: &[], run: "MSETNX a 1 b 2", reply: ":1\r\n",
        records: &[logged(0, "MSET a 1 b 2", &[(0, "a", "new"), (0, "a", "set"), (0, "b", "new"), (0, "b", "set")])] },
    Case { command: "msetnx", setup: &[], run: "MSETNX a 1", reply: ":1\r\n",
        records: &[logged(0, "MSET a 1", &[(0, "a", "new"), (0, "a", "set")])] },
    Case { command: "msetnx", setup: &["SET b 0"], run: "MSETNX a 1 b 2", reply: ":0\r\n", records: &[] },
    Case { command: "append", setup: &[], run: "APPEND k v", reply: ":1\r\n",
        records: &[logged(0, "APPEND k v", &[(0, "k", "new"), (0, "k", "append")])] },
    Case { command: "append", setup: &["SET k x"], run: "APPEND k v", reply: ":2\r\n",
        records: &[logged(0, "APPEND k v", &[(0, "k", "append")])] },
    Case { command: "setrange", setup: &[], run: "SETRANGE k 2 v", reply: ":3\r\n",
        records: &[logged(0, "SETRANGE k 2 v", &[(0, "k", "new"), (0, "k", "setrange")])] },
    Case { command: "setrange", setup: &["SET k v"], run: "SETRANGE k 0 \"\"", reply: ":1\r\n", records: &[] },
    Case { command: "incr", setup: &[], run: "INCR k", reply: ":1\r\n",
        records: &[logged(0, "INCR k", &[(0, "k", "new"), (0, "k", "incrby")])] },
    Case { command: "incr", setup: &[EXPIRED_K], run: "INCR k", reply: ":1\r\n",
        records: &[
            logged(0, "DEL k", &[(0, "k", "expired")]),
            logged(0, "INCR k", &[(0, "k", "new"), (0, "k", "incrby")]),
        ] },
    Case { command: "decr", setup: &["SET k 10"], run: "DECR k", reply: ":9\r\n",
        records: &[logged(0, "DECR k", &[(0, "k", "incrby")])] },
    Case { command: "incrby", setup: &[], run: "INCRBY k 5", reply: ":5\r\n",
        records: &[logged(0, "INCRBY k 5", &[(0, "k", "new"), (0, "k", "incrby")])] },
    Case { command: "decrby", setup: &[], run: "DECRBY k 5", reply: ":-5\r\n",
        records: &[logged(0, "DECRBY k 5", &[(0, "k", "new"), (0, "k", "incrby")])] },
    Case { command: "incrbyfloat", setup: &[], run: "INCRBYFLOAT k 1.5", reply: "$3\r\n1.5\r\n",
        records: &[logged(0, "SET k 1.5 KEEPTTL", &[(0, "k", "new"), (0, "k", "incrbyfloat")])] },
    Case { command: "incrbyfloat", setup: &["SET k 10.5 EX 100"], run: "INCRBYFLOAT k 0.1", reply: "$4\r\n10.6\r\n",
        records: &[logged(0, "SET k 10.6 KEEPTTL", &[(0, "k", "incrbyfloat")])] },
    // --- the keyspace family ---
    Case { command: "del", setup: &["SET a 1", "SET b 2"], run: "DEL a b c", reply: ":2\r\n",
        records: &[logged(0, "DEL a b", &[(0, "a", "del"), (0, "b", "del")])] },
    Case { command: "del", setup: &["SET a 1"], run: "DEL a a", reply: ":1\r\n",
        records: &[logged(0, "DEL a", &[(0, "a", "del")])] },
    Case { command: "del", setup: &[EXPIRED_K], run: "DEL k", reply: ":0\r\n",
        records: &[logged(0, "DEL k", &[(0, "k", "expired")])] },
    Case { command: "del", setup: &[], run: "DEL k", reply: ":0\r\n", records: &[] },
    Case { command: "unlink", setup: &["SET a 1"], run: "UNLINK a", reply: ":1\r\n",
        records: &[logged(0, "DEL a", &[(0, "a", "del")])] },
    Case { command: "flushdb", setup: &["SET a 1"], run: "FLUSHDB", reply: "+OK\r\n",
        records: &[whole(0, "FLUSHDB", &[0])] },
    Case { command: "flushdb", setup: &["SELECT 3", "SET a 1"], run: "FLUSHDB ASYNC", reply: "+OK\r\n",
        records: &[whole(3, "FLUSHDB", &[3])] },
    Case { command: "flushall", setup: &["SET a 1"], run: "FLUSHALL", reply: "+OK\r\n",
        records: &[whole(ANY_DB, "FLUSHALL", ALL_DBS)] },
    Case { command: "swapdb", setup: &["SET a 1"], run: "SWAPDB 0 1", reply: "+OK\r\n",
        records: &[whole(0, "SWAPDB 0 1", &[0, 1])] },
    Case { command: "swapdb", setup: &["SELECT 2"], run: "SWAPDB 4 2", reply: "+OK\r\n",
        records: &[whole(4, "SWAPDB 4 2", &[2, 4])] },
    // A library change is one keyless record: the command itself (a tab in the
    // shebang, as these lines split on spaces).
    Case { command: "function|load", setup: &[], run: LIB_LOAD, reply: "$1\r\nl\r\n",
        records: &[logged(0, LIB_LOAD, &[])] },
    Case { command: "function|load", setup: &[LIB_LOAD], run: LIB_LOAD, reply: "-ERR Library 'l' already exists\r\n",
        records: &[] },
    Case { command: "function|delete", setup: &[LIB_LOAD], run: "FUNCTION DELETE l", reply: "+OK\r\n",
        records: &[logged(0, "FUNCTION DELETE l", &[])] },
    Case { command: "function|delete", setup: &[], run: "FUNCTION DELETE l", reply: "-ERR Library not found\r\n",
        records: &[] },
    Case { command: "function|flush", setup: &[LIB_LOAD], run: "FUNCTION FLUSH", reply: "+OK\r\n",
        records: &[logged(0, "FUNCTION FLUSH", &[])] },
    Case { command: "function|restore", setup: &[], run: "FUNCTION RESTORE bad", reply:
        "-ERR DUMP payload version or checksum are wrong\r\n", records: &[] },
    Case { command: "move", setup: &["SET a 1"], run: "MOVE a 1", reply: ":1\r\n",
        records: &[
            event(&[(1, "a", "new")]), logged(0, "MOVE a 1", &[(0, "a", "move_from"), (1, "a", "move_to")]),
        ] },
    Case { command: "move", setup: &["SELECT 1", "SET a 2", "SELECT 0", "SET a 1"], run: "MOVE a 1", reply: ":0\r\n",
        records: &[] },
    Case { command: "rename", setup: &["SET a 1 EX 100"], run: "RENAME a b", reply: "+OK\r\n",
        records: &[
            event(&[(0, "b", "new")]), logged(0, "RENAME a b", &[(0, "a", "rename_from"), (0, "b", "rename_to")]),
        ] },
    Case { command: "rename", setup: &["SET a 1", "SET k 2 PXAT 1700000000000"], run: "RENAME a k", reply: "+OK\r\n",
        records: &[
            logged(0, "DEL k", &[(0, "k", "expired")]),
            event(&[(0, "k", "new")]), logged(0, "RENAME a k", &[(0, "a", "rename_from"), (0, "k", "rename_to")]),
        ] },
    Case { command: "rename", setup: &["SET a 1"], run: "RENAME a a", reply: "+OK\r\n", records: &[] },
    Case { command: "rename", setup: &["SET a 1", "SET b 2"], run: "RENAME a b", reply: "+OK\r\n",
        records: &[
            event(&[(0, "b", "new")]), logged(0, "RENAME a b", &[(0, "a", "rename_from"), (0, "b", "rename_to")]),
        ] },
    Case { command: "renamenx", setup: &["SET a 1"], run: "RENAMENX a b", reply: ":1\r\n",
        records: &[
            event(&[(0, "b", "new")]), logged(0, "RENAMENX a b", &[(0, "a", "rename_from"), (0, "b", "rename_to")]),
        ] },
    Case { command: "renamenx", setup: &["SET a 1", "SET b 2"], run: "RENAMENX a b", reply: ":0\r\n",
        records: &[] },
    Case { command: "copy", setup: &["SET a 1"], run: "COPY a b", reply: ":1\r\n",
        records: &[event(&[(0, "b", "new")]), logged(0, "COPY a b DB 0", &[(0, "b", "copy_to")])] },
    Case { command: "copy", setup: &["SET a 1"], run: "COPY a b DB 2", reply: ":1\r\n",
        records: &[event(&[(2, "b", "new")]), logged(0, "COPY a b DB 2", &[(2, "b", "copy_to")])] },
    Case { command: "copy", setup: &["SET a 1", "SET b 2"], run: "COPY a b", reply: ":0\r\n", records: &[] },
    Case { command: "copy", setup: &["SET a 1", "SET b 2"], run: "COPY a b REPLACE", reply: ":1\r\n",
        records: &[event(&[(0, "b", "new")]), logged(0, "COPY a b DB 0 REPLACE", &[(0, "b", "copy_to")])] },
    // --- the expiry family ---
    Case { command: "expire", setup: &["SET a 1"], run: "EXPIRE a 10", reply: ":1\r\n",
        records: &[logged(0, "PEXPIREAT a 1700000010000", &[(0, "a", "expire")])] },
    Case { command: "expire", setup: &["SET a 1"], run: "EXPIRE a 0", reply: ":1\r\n",
        records: &[logged(0, "DEL a", &[(0, "a", "del")])] },
    Case { command: "expire", setup: &["SET a 1 EX 10"], run: "EXPIRE a 100 NX", reply: ":0\r\n", records: &[] },
    Case { command: "expire", setup: &[], run: "EXPIRE a 10", reply: ":0\r\n", records: &[] },
    Case { command: "pexpire", setup: &["SET a 1"], run: "PEXPIRE a 10000 GT", reply: ":0\r\n", records: &[] },
    Case { command: "pexpire", setup: &["SET a 1"], run: "PEXPIRE a 10000", reply: ":1\r\n",
        records: &[logged(0, "PEXPIREAT a 1700000010000", &[(0, "a", "expire")])] },
    Case { command: "expireat", setup: &["SET a 1"], run: "EXPIREAT a 1700000100", reply: ":1\r\n",
        records: &[logged(0, "PEXPIREAT a 1700000100000", &[(0, "a", "expire")])] },
    Case { command: "pexpireat", setup: &["SET a 1"], run: "PEXPIREAT a 1700000100000", reply: ":1\r\n",
        records: &[logged(0, "PEXPIREAT a 1700000100000", &[(0, "a", "expire")])] },
    Case { command: "pexpireat", setup: &["SET a 1"], run: "PEXPIREAT a 1700000000000", reply: ":1\r\n",
        records: &[logged(0, "DEL a", &[(0, "a", "del")])] },
    Case { command: "persist", setup: &["SET a 1 EX 10"], run: "PERSIST a", reply: ":1\r\n",
        records: &[logged(0, "PERSIST a", &[(0, "a", "persist")])] },
    Case { command: "persist", setup: &["SET a 1"], run: "PERSIST a", reply: ":0\r\n", records: &[] },
];

/// Every case: the table's own and those the type families keep beside it.
fn all_cases() -> impl Iterator<Item = &'static Case> {
    CASES
        .iter()
        .chain(super::hash::CASES)
        .chain(super::list::CASES)
        .chain(super::list_blocking::CASES)
        .chain(super::set::CASES)
        .chain(super::zset::CASES)
        .chain(super::geo::CASES)
        .chain(super::sort::CASES)
        .chain(super::stream::CASES)
        .chain(super::bits::CASES)
}

impl Record {
    /// The record as the recorder shows it.
    fn seen(&self) -> SeenChange {
        SeenChange {
            db: self.db,
            effect: self.effect.to_string(),
            keys: self.keys.iter().map(|&(db, key, event)| (db, key.to_string(), event)).collect(),
            scope: self.scope.map(<[usize]>::to_vec),
        }
    }
}

/// The command table's name for the command `line` runs (`container|sub` for a
/// subcommand).
fn full_name_of(line: &str) -> Option<String> {
    let words = super::words(line);
    let table = table();
    let command = table.lookup(&words[0])?;
    let command = match words.get(1) {
        Some(sub) if !command.spec.subcommands.is_empty() => table.subcommand(command, sub)?,
        _ => command,
    };
    Some(command.full_name.clone())
}

/// Runs `case` on a fresh server: its reply and the records it yielded (a record
/// whose database may be any gets the expected one's marker).
fn run_case(case: &Case) -> (String, Vec<SeenChange>) {
    let mut client = Client::new();
    client.setup(case.setup);
    client.recorder.take();
    let reply = client.run(case.run);
    let mut seen = client.recorder.changes();
    for (seen, expected) in seen.iter_mut().zip(case.records) {
        if expected.db == ANY_DB {
            seen.db = ANY_DB;
        }
    }
    (reply, seen)
}

/// What `case` got wrong, if anything, comparing the records one by one.
fn check_exactly(case: &Case) -> Option<String> {
    let (reply, seen) = run_case(case);
    let expected: Vec<SeenChange> = case.records.iter().map(Record::seen).collect();
    let lines = |records: &[SeenChange]| records.iter().map(|r| format!("\n    {r:?}")).collect::<String>();
    (reply != case.reply || seen != expected).then(|| {
        format!(
            "{} (after {:?}):\n  reply {reply:?}, expected {:?}\n  records:{}\n  expected:{}",
            case.run,
            case.setup,
            case.reply,
            lines(&seen),
            lines(&expected)
        )
    })
}

#[test]
fn every_write_command_of_the_table_has_cases() {
    let missing: Vec<&str> = table()
        .all()
        .filter(|c| c.spec.is_write())
        .map(|c| c.full_name.as_str())
        .filter(|name| !all_cases().any(|case| case.command == *name))
        .collect();
    assert!(missing.is_empty(), "write commands without change-record cases: {missing:?}");
}

#[test]
fn every_case_runs_the_write_command_it_names() {
    for case in all_cases() {
        let command = table().all().find(|c| c.full_name == case.command);
        assert!(
            command.is_some_and(|c| c.spec.is_write()),
            "{}: not a write command of the table",
            case.command
        );
        assert_eq!(full_name_of(case.run).as_deref(), Some(case.command), "{}", case.run);
    }
}

#[test]
fn every_write_command_yields_its_change_records() {
    let failures: Vec<String> = all_cases().filter_map(check_exactly).collect();
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn exec_groups_the_records_of_its_commands_and_multi_logs_nothing() {
    use super::Seen;
    let mut client = Client::new();
    assert_eq!(client.run("MULTI"), "+OK\r\n");
    assert_eq!(client.run("SET a 1"), "+QUEUED\r\n");
    assert_eq!(client.run("INCR a"), "+QUEUED\r\n");
    assert!(client.recorder.take().is_empty(), "MULTI and queueing change nothing");
    assert_eq!(client.run("EXEC"), "*2\r\n+OK\r\n:2\r\n");
    let change = |effect: &str, keys: &[(usize, &str, &'static str)]| {
        Seen::Change(SeenChange {
            db: 0,
            effect: effect.to_string(),
            keys: keys.iter().map(|&(db, key, event)| (db, key.to_string(), event)).collect(),
            scope: None,
        })
    };
    assert_eq!(
        client.recorder.take(),
        vec![
            Seen::Begin,
            change("SET a 1", &[(0, "a", "new"), (0, "a", "set")]),
            change("INCR a", &[(0, "a", "incrby")]),
            Seen::End,
        ]
    );
    // A transaction of reads is still one (empty) group; DISCARD is none.
    client.setup(&["MULTI", "GET a"]);
    assert_eq!(client.run("EXEC"), "*1\r\n$1\r\n2\r\n");
    assert_eq!(client.recorder.take(), vec![Seen::Begin, Seen::End]);
    client.setup(&["MULTI", "SET a 3"]);
    assert_eq!(client.run("DISCARD"), "+OK\r\n");
    assert!(client.recorder.take().is_empty());
}
