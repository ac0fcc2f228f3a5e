//! The string type's completion at the command level: the change records of SETBIT,
//! BITOP, BITFIELD, PFADD and PFMERGE (joined to the table of `changes`). Events and
//! their order are redis-server 7.0.15's: `setbit` (also for BITFIELD), `set` or `del`
//! for BITOP's destination, `pfadd` (also for PFMERGE), each after `new`; a write
//! that changed nothing yields no record.

use super::changes::{logged, Case};

/// The bit and HyperLogLog commands' change-record cases (one line per record, so
/// not formatted).
#[rustfmt::skip]
pub(super) static CASES: &[Case] = &[
    Case { command: "setbit", setup: &[], run: "SETBIT k 7 1", reply: ":0\r\n",
        records: &[logged(0, "SETBIT k 7 1", &[(0, "k", "new"), (0, "k", "setbit")])] },
    Case { command: "setbit", setup: &["SETBIT k 7 1"], run: "SETBIT k 7 1", reply: ":1\r\n", records: &[] },
    Case { command: "setbit", setup: &["SET k a"], run: "SETBIT k 100 0", reply: ":0\r\n",
        records: &[logged(0, "SETBIT k 100 0", &[(0, "k", "setbit")])] },
    Case { command: "setbit", setup: &[], run: "SETBIT k 4294967296 1",
        reply: "-ERR bit offset is not an integer or out of range\r\n", records: &[] },
    Case { command: "bitop", setup: &["SET a x", "SET b y"], run: "BITOP AND d a b", reply: ":1\r\n",
        records: &[logged(0, "BITOP AND d a b", &[(0, "d", "new"), (0, "d", "set")])] },
    Case { command: "bitop", setup: &["SET d v"], run: "BITOP OR d none", reply: ":0\r\n",
        records: &[logged(0, "BITOP OR d none", &[(0, "d", "del")])] },
    Case { command: "bitop", setup: &[], run: "BITOP OR d none", reply: ":0\r\n", records: &[] },
    Case { command: "bitfield", setup: &[], run: "BITFIELD k SET u8 0 1", reply: "*1\r\n:0\r\n",
        records: &[logged(0, "BITFIELD k SET u8 0 1", &[(0, "k", "new"), (0, "k", "setbit")])] },
    Case { command: "bitfield", setup: &["BITFIELD k SET u8 0 1"], run: "BITFIELD k SET u8 0 1",
        reply: "*1\r\n:1\r\n", records: &[] },
    // Only zero bytes added (the write failed): no event, but logged for replay.
    Case { command: "bitfield", setup: &[], run: "BITFIELD k OVERFLOW FAIL INCRBY u8 0 300",
        reply: "*1\r\n$-1\r\n",
        records: &[logged(0, "BITFIELD k OVERFLOW FAIL INCRBY u8 0 300", &[(0, "k", "new"), (0, "k", "")])] },
    Case { command: "bitfield", setup: &[], run: "BITFIELD k GET u8 0", reply: "*1\r\n:0\r\n", records: &[] },
    Case { command: "pfadd", setup: &[], run: "PFADD h a", reply: ":1\r\n",
        records: &[logged(0, "PFADD h a", &[(0, "h", "new"), (0, "h", "pfadd")])] },
    Case { command: "pfadd", setup: &["PFADD h a"], run: "PFADD h a", reply: ":0\r\n", records: &[] },
    Case { command: "pfmerge", setup: &["PFADD a x"], run: "PFMERGE d a", reply: "+OK\r\n",
        records: &[logged(0, "PFMERGE d a", &[(0, "d", "new"), (0, "d", "pfadd")])] },
];
