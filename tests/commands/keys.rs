//! Keys and databases: DEL, UNLINK, EXISTS, TYPE, DBSIZE, FLUSHDB, FLUSHALL, SELECT,
//! MOVE, SWAPDB.

use crate::common::{bulk, err, int, simple, Proto, Server, OK};

const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const OUT_OF_RANGE: &str = "-ERR DB index is out of range\r\n";

fn del_unlink_exists(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("MSET a 1 b 2 c 3", OK);
    c.expect("DEL a", int(1));
    c.expect("DEL a", int(0));
    c.expect("DEL a b c d", int(2));
    c.expect("MSET a 1 b 2", OK);
    // A repeated key is deleted once.
    c.expect("UNLINK a b a", int(2));
    c.expect("UNLINK x", int(0));
    c.expect("SET a 1", OK);
    // EXISTS counts a repeated key every time.
    c.expect("EXISTS a a a nosuch", int(3));
    c.expect("EXISTS nosuch", int(0));
    c.expect("DEL", err("ERR wrong number of arguments for 'del' command"));
    c.expect("UNLINK", err("ERR wrong number of arguments for 'unlink' command"));
    c.expect("EXISTS", err("ERR wrong number of arguments for 'exists' command"));
}

fn type_dbsize(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("DBSIZE", int(0));
    c.expect("SET a 1", OK);
    c.expect("TYPE a", simple("string"));
    c.expect("TYPE nosuch", simple("none"));
    c.expect("MSET b 1 c 2", OK);
    c.expect("DBSIZE", int(3));
    c.expect("SELECT 1", OK);
    c.expect("DBSIZE", int(0));
    c.expect("TYPE a", simple("none"));
    c.expect("TYPE", err("ERR wrong number of arguments for 'type' command"));
    c.expect("DBSIZE x", err("ERR wrong number of arguments for 'dbsize' command"));
}

fn flushdb_flushall(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("MSET a 1 b 2", OK);
    c.expect("SELECT 3", OK);
    c.expect("SET c 3", OK);
    c.expect("FLUSHDB", OK);
    c.expect("DBSIZE", int(0));
    c.expect("SELECT 0", OK);
    c.expect("DBSIZE", int(2));
    c.expect("FLUSHDB ASYNC", OK);
    c.expect("DBSIZE", int(0));
    c.expect("FLUSHDB sync", OK);
    for line in ["FLUSHDB FOO", "FLUSHDB SYNC ASYNC", "FLUSHALL FOO", "FLUSHALL ASYNC SYNC"] {
        c.expect(line, SYNTAX);
    }
    c.expect("SET a 1", OK);
    c.expect("SELECT 15", OK);
    c.expect("SET z 1", OK);
    c.expect("FLUSHALL", OK);
    c.expect("DBSIZE", int(0));
    c.expect("SELECT 0", OK);
    c.expect("DBSIZE", int(0));
    c.expect("SET a 1", OK);
    c.expect("FLUSHALL ASYNC", OK);
    c.expect("EXISTS a", int(0));
    c.expect("FLUSHALL SYNC", OK);
}

fn select(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET k db0", OK);
    for db in 1..16 {
        c.expect(&format!("SELECT {db}"), OK);
        c.expect("GET k", p.nil());
        c.expect(&format!("SET k db{db}"), OK);
    }
    for db in 0..16 {
        c.expect(&format!("SELECT {db}"), OK);
        c.expect("GET k", bulk(&format!("db{db}")));
    }
    c.expect("SELECT 16", OUT_OF_RANGE);
    c.expect("SELECT -1", OUT_OF_RANGE);
    c.expect("SELECT abc", NOT_INT);
    c.expect("SELECT 1.5", NOT_INT);
    c.expect("SELECT 99999999999999999999", NOT_INT);
    c.expect("SELECT", err("ERR wrong number of arguments for 'select' command"));
    c.expect("SELECT 1 2", err("ERR wrong number of arguments for 'select' command"));
    // A refused SELECT leaves the connection where it was.
    c.expect("GET k", bulk("db15"));
    // Each connection has its own selected database.
    let mut other = s.raw_proto(p);
    other.expect("GET k", bulk("db0"));
}

fn move_key(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("SET a 1", OK);
    c.expect("MOVE a 1", int(1));
    c.expect("EXISTS a", int(0));
    c.expect("MOVE a 1", int(0));
    c.expect("SET a 2", OK);
    // Not moved when the target already has the key.
    c.expect("MOVE a 1", int(0));
    c.expect("GET a", bulk("2"));
    c.expect("SELECT 1", OK);
    c.expect("GET a", bulk("1"));
    c.expect("SELECT 0", OK);
    c.expect("MOVE a 0", err("ERR source and destination objects are the same"));
    c.expect("MOVE nosuch 1", int(0));
    c.expect("MOVE a 16", OUT_OF_RANGE);
    c.expect("MOVE a -1", OUT_OF_RANGE);
    c.expect("MOVE a abc", NOT_INT);
    c.expect("MOVE a", err("ERR wrong number of arguments for 'move' command"));
    // The TTL travels with the key.
    c.expect("SET e 1 EX 100", OK);
    c.expect("MOVE e 2", int(1));
    c.expect("SELECT 2", OK);
    let ttl = c.int("TTL e");
    assert!((1..=100).contains(&ttl), "TTL after MOVE: {ttl}");
}

fn swapdb(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let mut other = s.raw_proto(p);
    c.expect("SET s0 zero", OK);
    other.expect("SELECT 1", OK);
    other.expect("SET s1 one", OK);
    c.expect("SWAPDB 0 1", OK);
    // Every client sees the swap, whichever database it has selected.
    c.expect("GET s0", p.nil());
    c.expect("GET s1", bulk("one"));
    other.expect("GET s0", bulk("zero"));
    c.expect("SWAPDB 1 0", OK);
    c.expect("GET s0", bulk("zero"));
    c.expect("SWAPDB 0 0", OK);
    c.expect("GET s0", bulk("zero"));
    c.expect("SWAPDB 0 16", OUT_OF_RANGE);
    c.expect("SWAPDB -1 1", OUT_OF_RANGE);
    c.expect("SWAPDB abc 1", err("ERR invalid first DB index"));
    c.expect("SWAPDB 1 abc", err("ERR invalid second DB index"));
    c.expect("SWAPDB 1", err("ERR wrong number of arguments for 'swapdb' command"));
}

both_protocols!(del_unlink_exists, type_dbsize, flushdb_flushall, select, move_key, swapdb);

/// Redis reads a database index as a C `int`: beyond it, the error is about the range
/// of an `int` (and for SWAPDB, "invalid first/second DB index").
#[test]
fn db_index_beyond_i32() {
    let s = Server::start();
    let mut c = s.raw();
    let int_range = err("ERR value is out of range, value must between -2147483648 and 2147483647");
    c.expect("SELECT 2147483648", &int_range);
    c.expect("SET a 1", OK);
    c.expect("MOVE a 2147483648", &int_range);
    c.expect("SWAPDB 2147483648 0", err("ERR invalid first DB index"));
    c.expect("SWAPDB 0 2147483648", err("ERR invalid second DB index"));
}
