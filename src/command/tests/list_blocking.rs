//! The blocking list commands' change records when they find an element at once
//! (a served waiter is covered end to end in `tests/blocking.rs`): logged as the
//! non-blocking form Redis 7.0 rewrites them to (`BLPOP` → `LPOP key`, `BLMPOP` →
//! `LPOP key n`, `BLMOVE` → `LMOVE`, `BRPOPLPUSH` → `RPOPLPUSH`); finding nothing
//! records nothing (the client waits, or inside `EXEC` gets its timeout reply).

use super::changes::{event, logged, Case};

#[rustfmt::skip]
pub(super) static CASES: &[Case] = &[
    Case { command: "blpop", setup: &["RPUSH l a b"], run: "BLPOP x l 0", reply: "*2\r\n$1\r\nl\r\n$1\r\na\r\n",
        records: &[logged(0, "LPOP l", &[(0, "l", "lpop")])] },
    Case { command: "blpop", setup: &["SET x v"], run: "BLPOP x 0",
        reply: "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", records: &[] },
    Case { command: "blpop", setup: &[], run: "BLPOP l -1", reply: "-ERR timeout is negative\r\n", records: &[] },
    Case { command: "brpop", setup: &["RPUSH l a"], run: "BRPOP l 1.5", reply: "*2\r\n$1\r\nl\r\n$1\r\na\r\n",
        records: &[logged(0, "RPOP l", &[(0, "l", "rpop")]), event(&[(0, "l", "del")])] },
    Case { command: "blmpop", setup: &["RPUSH l a b c"], run: "BLMPOP 0 2 x l RIGHT COUNT 2",
        reply: "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n", records: &[logged(0, "RPOP l 2", &[(0, "l", "rpop")])] },
    Case { command: "blmpop", setup: &["RPUSH l a"], run: "BLMPOP 0 1 l LEFT",
        reply: "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n",
        records: &[logged(0, "LPOP l 1", &[(0, "l", "lpop")]), event(&[(0, "l", "del")])] },
    Case { command: "blmove", setup: &["RPUSH s a b"], run: "BLMOVE s d LEFT RIGHT 0", reply: "$1\r\na\r\n",
        records: &[logged(0, "LMOVE s d LEFT RIGHT", &[(0, "d", "new"), (0, "d", "rpush"), (0, "s", "lpop")])] },
    Case { command: "blmove", setup: &["RPUSH s a", "SET d v"], run: "BLMOVE s d LEFT LEFT 0",
        reply: "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", records: &[] },
    Case { command: "brpoplpush", setup: &["RPUSH s a b"], run: "BRPOPLPUSH s d 0", reply: "$1\r\nb\r\n",
        records: &[logged(0, "RPOPLPUSH s d", &[(0, "d", "new"), (0, "d", "lpush"), (0, "s", "rpop")])] },
];
