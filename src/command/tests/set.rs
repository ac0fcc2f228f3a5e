//! The set family's change records, checked against redis-server 7.0.15's
//! keyspace events (`notify-keyspace-events KEA`, `new` as `dbAdd` notifies it):
//! `srem` before the `del` of an emptied set, `spop` before `del`, `SMOVE`'s
//! `srem`/`del` on the source before `new`/`sadd` on the destination, a store's
//! `new` before its own event, and `del` when a store's result is empty.

use super::changes::{event, logged, Case};

#[rustfmt::skip]
pub(super) static CASES: &[Case] = &[
    Case { command: "sadd", setup: &[], run: "SADD s a b", reply: ":2\r\n",
        records: &[logged(0, "SADD s a b", &[(0, "s", "new"), (0, "s", "sadd")])] },
    Case { command: "sadd", setup: &["SADD s a"], run: "SADD s a b", reply: ":1\r\n",
        records: &[logged(0, "SADD s a b", &[(0, "s", "sadd")])] },
    Case { command: "sadd", setup: &["SADD s a"], run: "SADD s a", reply: ":0\r\n", records: &[] },
    Case { command: "sadd", setup: &["SET s v"], run: "SADD s a",
        reply: "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", records: &[] },
    Case { command: "srem", setup: &["SADD s a b"], run: "SREM s a x", reply: ":1\r\n",
        records: &[logged(0, "SREM s a x", &[(0, "s", "srem")])] },
    Case { command: "srem", setup: &["SADD s a b"], run: "SREM s a b", reply: ":2\r\n",
        records: &[logged(0, "SREM s a b", &[(0, "s", "srem")]), event(&[(0, "s", "del")])] },
    Case { command: "srem", setup: &["SADD s a"], run: "SREM s x", reply: ":0\r\n", records: &[] },
    Case { command: "srem", setup: &[], run: "SREM s x", reply: ":0\r\n", records: &[] },
    Case { command: "spop", setup: &["SADD s 7 8"], run: "SPOP s 0", reply: "*0\r\n", records: &[] },
    Case { command: "spop", setup: &["SADD s a"], run: "SPOP s", reply: "$1\r\na\r\n",
        records: &[logged(0, "SREM s a", &[(0, "s", "spop")]), event(&[(0, "s", "del")])] },
    Case { command: "spop", setup: &["SADD s 1 2"], run: "SPOP s 5", reply: "*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
        records: &[logged(0, "DEL s", &[(0, "s", "spop")]), event(&[(0, "s", "del")])] },
    Case { command: "spop", setup: &[], run: "SPOP s", reply: "$-1\r\n", records: &[] },
    Case { command: "smove", setup: &["SADD s a b"], run: "SMOVE s d a", reply: ":1\r\n",
        records: &[logged(0, "SMOVE s d a", &[(0, "s", "srem"), (0, "d", "new"), (0, "d", "sadd")])] },
    Case { command: "smove", setup: &["SADD s a", "SADD d a"], run: "SMOVE s d a", reply: ":1\r\n",
        records: &[logged(0, "SMOVE s d a", &[(0, "s", "srem"), (0, "s", "del")])] },
    Case { command: "smove", setup: &["SADD s a"], run: "SMOVE s s a", reply: ":1\r\n", records: &[] },
    Case { command: "smove", setup: &["SADD s a"], run: "SMOVE s d x", reply: ":0\r\n", records: &[] },
    Case { command: "smove", setup: &["SET d v"], run: "SMOVE s d x", reply: ":0\r\n", records: &[] },
    Case { command: "sinterstore", setup: &["SADD a 1 2", "SADD b 2 3"], run: "SINTERSTORE d a b", reply: ":1\r\n",
        records: &[logged(0, "SINTERSTORE d a b", &[(0, "d", "new"), (0, "d", "sinterstore")])] },
    Case { command: "sinterstore", setup: &["SADD a 1", "SET d v EX 100"], run: "SINTERSTORE d a", reply: ":1\r\n",
        records: &[logged(0, "SINTERSTORE d a", &[(0, "d", "sinterstore")])] },
    Case { command: "sinterstore", setup: &["SADD a 1", "SADD d x"], run: "SINTERSTORE d a nx", reply: ":0\r\n",
        records: &[logged(0, "DEL d", &[(0, "d", "del")])] },
    Case { command: "sinterstore", setup: &["SADD a 1"], run: "SINTERSTORE d a nx", reply: ":0\r\n", records: &[] },
    Case { command: "sunionstore", setup: &["SADD a 1", "SADD b x"], run: "SUNIONSTORE d a b", reply: ":2\r\n",
        records: &[logged(0, "SUNIONSTORE d a b", &[(0, "d", "new"), (0, "d", "sunionstore")])] },
    Case { command: "sunionstore", setup: &["SADD d x"], run: "SUNIONSTORE d nx", reply: ":0\r\n",
        records: &[logged(0, "DEL d", &[(0, "d", "del")])] },
    Case { command: "sdiffstore", setup: &["SADD a 1 2", "SADD b 2"], run: "SDIFFSTORE d a b", reply: ":1\r\n",
        records: &[logged(0, "SDIFFSTORE d a b", &[(0, "d", "new"), (0, "d", "sdiffstore")])] },
    Case { command: "sdiffstore", setup: &["SADD a 1", "SADD d x"], run: "SDIFFSTORE d a a", reply: ":0\r\n",
        records: &[logged(0, "DEL d", &[(0, "d", "del")])] },
];
