//! `SORT`'s change records, checked against redis-server 7.0.15's keyspace events:
//! only `STORE` writes — `new` then `sortstore` (class `l`), logged as given; an
//! empty result deletes the destination (`del`, logged `DEL`); a plain `SORT`, a
//! refused score changes nothing.

use super::changes::{logged, Case};

#[rustfmt::skip]
pub(super) static CASES: &[Case] = &[
    Case { command: "sort", setup: &["RPUSH l 2 1"], run: "SORT l STORE s", reply: ":2\r\n",
        records: &[logged(0, "SORT l STORE s", &[(0, "s", "new"), (0, "s", "sortstore")])] },
    Case { command: "sort", setup: &["RPUSH l 2 1", "SET s x"], run: "SORT l BY nosort GET # GET w_* STORE s",
        reply: ":4\r\n", records: &[logged(0, "SORT l BY nosort GET # GET w_* STORE s", &[(0, "s", "sortstore")])] },
    Case { command: "sort", setup: &["RPUSH s x"], run: "SORT nokey STORE s", reply: ":0\r\n",
        records: &[logged(0, "DEL s", &[(0, "s", "del")])] },
    Case { command: "sort", setup: &[], run: "SORT nokey STORE s", reply: ":0\r\n", records: &[] },
    Case { command: "sort", setup: &["RPUSH l 2 1"], run: "SORT l", reply: "*2\r\n$1\r\n1\r\n$1\r\n2\r\n", records: &[] },
    Case { command: "sort", setup: &["RPUSH l a 1"], run: "SORT l STORE s",
        reply: "-ERR One or more scores can't be converted into double\r\n", records: &[] },
];
