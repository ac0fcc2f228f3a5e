//! The stream family over the wire: ids and their errors, ranges with exclusive
//! bounds and COUNT, trims (exact and `~`), consumer groups (XREADGROUP, XPENDING,
//! XCLAIM, XAUTOCLAIM, XACK), XINFO, and the inputs that hurt Redis (XAUTOCLAIM
//! COUNT huge, ids at u64::MAX, XADD with thousands of fields). Replies as
//! redis-server 7.0.15 sends them, in both protocols (XREAD maps in RESP3).

use crate::common::{array, bulk, err, int, Proto, Server};

fn entry(id: &str, pairs: &[&str]) -> String {
    array(&[bulk(id), array(&pairs.iter().map(|p| bulk(p)).collect::<Vec<_>>())])
}

fn nil_array(p: Proto) -> &'static str {
    match p {
        Proto::Resp2 => "*-1\r\n",
        Proto::Resp3 => "_\r\n",
    }
}

fn read_reply(p: Proto, key: &str, entries: &[String]) -> String {
    match p {
        Proto::Resp2 => array(&[array(&[bulk(key), array(entries)])]),
        Proto::Resp3 => format!("{}{}{}", p.map(1), bulk(key), array(entries)),
    }
}

fn ids_and_ranges(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("XADD s 1-1 a 1 b 2", bulk("1-1"));
    c.expect(
        "XADD s 1-1 a 1",
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item"),
    );
    c.expect("XADD s 1-* c 3", bulk("1-2"));
    c.expect("XADD s 0-0 a 1", err("ERR The ID specified in XADD must be greater than 0-0"));
    c.expect("XADD s 5-x a 1", err("ERR Invalid stream ID specified as stream command argument"));
    c.expect("XADD s 6-1 a", err("ERR wrong number of arguments for 'xadd' command"));
    c.expect("XADD s 5 a 1", bulk("5-0"));
    c.expect("XLEN s", int(3));
    c.expect(
        "XRANGE s - + COUNT 2",
        array(&[entry("1-1", &["a", "1", "b", "2"]), entry("1-2", &["c", "3"])]),
    );
    c.expect("XRANGE s (1-1 (5-0", array(&[entry("1-2", &["c", "3"])]));
    c.expect("XREVRANGE s + - COUNT 1", array(&[entry("5-0", &["a", "1"])]));
    c.expect("XRANGE s - + COUNT 0", nil_array(p));
    c.expect(
        "XRANGE s (18446744073709551615-18446744073709551615 +",
        err("ERR invalid start ID for the interval"),
    );
    c.expect("XRANGE nokey - +", array(&[]));
    c.expect("XDEL s 1-2 9-9", int(1));
    c.expect("XLEN s", int(2));
    c.expect("XTRIM s MAXLEN 1", int(1));
    c.expect(
        "XTRIM s MAXLEN = 0 LIMIT 1",
        err("ERR syntax error, LIMIT cannot be used without the special ~ option"),
    );
    c.expect("XTRIM s foo", err("ERR wrong number of arguments for 'xtrim' command"));
    c.expect("XTRIM s foo 1", err("ERR syntax error"));
    c.expect(
        "XADD s MAXLEN 1 MINID 1 * a b",
        err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
    );
    c.expect("XADD e MAXLEN 0 1-1 a b", bulk("1-1"));
    c.expect("XLEN e", int(0));
    c.expect("EXISTS e", int(1));
    c.expect("TYPE e", "+stream\r\n");
    c.expect("OBJECT ENCODING e", bulk("stream"));
    c.expect("XADD nokey NOMKSTREAM * a b", p.nil());
    c.expect("SET str x", "+OK\r\n");
    c.expect("XADD str * a b", err("WRONGTYPE Operation against a key holding the wrong kind of value"));
}

fn ids_at_the_top_of_the_range(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(
        "XADD s 18446744073709551615-18446744073709551614 a 1",
        bulk("18446744073709551615-18446744073709551614"),
    );
    c.expect("XADD s 18446744073709551615-* a 2", bulk("18446744073709551615-18446744073709551615"));
    c.expect(
        "XADD s * a 3",
        err("ERR The stream has exhausted the last possible ID, unable to add more items"),
    );
    c.expect(
        "XADD s 18446744073709551616-0 a 3",
        err("ERR Invalid stream ID specified as stream command argument"),
    );
    c.expect("XLEN s", int(2));
    c.expect(
        "XRANGE s (18446744073709551615-18446744073709551614 + COUNT 5",
        array(&[entry("18446744073709551615-18446744073709551615", &["a", "2"])]),
    );
}

fn groups_deliver_claim_and_acknowledge(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("XGROUP CREATE s g $", err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."));
    c.expect("XGROUP CREATE s g $ MKSTREAM", "+OK\r\n");
    c.expect("XGROUP CREATE s g $", err("BUSYGROUP Consumer Group name already exists"));
    c.expect("XADD s 1-0 a 1", bulk("1-0"));
    c.expect("XADD s 2-0 b 2", bulk("2-0"));
    c.expect("XADD s 3-0 c 3", bulk("3-0"));
    c.expect(
        "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
        read_reply(p, "s", &[entry("1-0", &["a", "1"]), entry("2-0", &["b", "2"])]),
    );
    c.expect("XREADGROUP GROUP g bob STREAMS s >", read_reply(p, "s", &[entry("3-0", &["c", "3"])]));
    c.expect("XREADGROUP GROUP g bob STREAMS s >", nil_array(p));
    c.expect(
        "XREADGROUP GROUP nog c STREAMS s >",
        err("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"),
    );
    c.expect("XREADGROUP GROUP g c STREAMS s $", err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."));
    c.expect(
        "XPENDING s g",
        array(&[
            int(3),
            bulk("1-0"),
            bulk("3-0"),
            array(&[array(&[bulk("alice"), bulk("2")]), array(&[bulk("bob"), bulk("1")])]),
        ]),
    );
    c.expect("XACK s g 1-0 9-0", int(1));
    c.expect("XCLAIM s g bob 0 2-0 JUSTID", array(&[bulk("2-0")]));
    c.expect("XCLAIM s g bob 0 2-0 foo", err("ERR Unrecognized XCLAIM option 'foo'"));
    c.expect("XAUTOCLAIM s g carol 0 - COUNT 0", err("ERR COUNT must be > 0"));
    c.expect("XAUTOCLAIM s g carol 0 - COUNT 9223372036854775807", err("ERR COUNT must be > 0"));
    c.expect(
        "XAUTOCLAIM s g carol 0 - COUNT 1 JUSTID",
        array(&[bulk("3-0"), array(&[bulk("2-0")]), array(&[])]),
    );
    c.expect("XDEL s 3-0", int(1));
    c.expect(
        "XAUTOCLAIM s g carol 0 - COUNT 576460752303423487 JUSTID",
        array(&[bulk("0-0"), array(&[bulk("2-0")]), array(&[bulk("3-0")])]),
    );
    c.expect("XREADGROUP GROUP g carol STREAMS s 0", read_reply(p, "s", &[entry("2-0", &["b", "2"])]));
    c.expect("XGROUP DELCONSUMER s g carol", int(1));
    c.expect("XGROUP CREATECONSUMER s g dave", int(1));
    c.expect("XGROUP CREATECONSUMER s g dave", int(0));
    c.expect("XGROUP SETID s nog 0", err("NOGROUP No such consumer group 'nog' for key name 's'"));
    c.expect("XGROUP DESTROY s g", int(1));
    c.expect("XGROUP DESTROY s g", int(0));
    c.expect("XINFO GROUPS s", array(&[]));
    c.expect(
        "XSETID s 1-0",
        err("ERR The ID specified in XSETID is smaller than the target stream top item"),
    );
    c.expect(
        "XSETID s 99-0 ENTRIESADDED 1 MAXDELETEDID 100-0",
        err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"),
    );
    c.expect("XSETID nokey 1-1", err("ERR no such key"));
}

fn xread_and_xinfo(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect("XADD s 1-0 a 1", bulk("1-0"));
    c.expect("XADD s 2-0 b 2", bulk("2-0"));
    c.expect("XREAD COUNT 1 STREAMS s 0", read_reply(p, "s", &[entry("1-0", &["a", "1"])]));
    c.expect("XREAD STREAMS s $", nil_array(p));
    c.expect(
        "XREAD STREAMS s 0 1",
        err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    );
    c.expect(
        "XREAD GROUP g c STREAMS s >",
        err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
    );
    c.expect("XREAD STREAMS s >", err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."));
    c.expect("XINFO STREAM nokey", err("ERR no such key"));
    let info = c.cmd("XINFO STREAM s");
    for field in [
        "length",
        "last-generated-id",
        "max-deleted-entry-id",
        "entries-added",
        "recorded-first-entry-id",
        "first-entry",
        "last-entry",
    ] {
        assert!(info.contains(&bulk(field)), "{field} in {info}");
    }
    assert!(info.contains(&bulk("2-0")), "{info}");
    c.expect("XGROUP CREATE s g 0", "+OK\r\n");
    c.expect("XREADGROUP GROUP g c COUNT 1 STREAMS s >", read_reply(p, "s", &[entry("1-0", &["a", "1"])]));
    let groups = c.cmd("XINFO GROUPS s");
    assert!(groups.contains(&format!("{}{}", bulk("entries-read"), int(1))), "{groups}");
    assert!(groups.contains(&format!("{}{}", bulk("lag"), int(1))), "{groups}");
}

fn thousands_of_fields(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    let mut args: Vec<String> = vec!["XADD".into(), "s".into(), "1-0".into()];
    for i in 0..5000 {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    c.expect_args(&refs, bulk("1-0"));
    c.expect_args(
        &refs,
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item"),
    );
    let reply = c.cmd("XRANGE s - +");
    assert!(reply.contains(&bulk("f4999")) && reply.contains(&bulk("v4999")));
    c.expect("XLEN s", int(1));
}

both_protocols!(
    ids_and_ranges,
    ids_at_the_top_of_the_range,
    groups_deliver_claim_and_acknowledge,
    xread_and_xinfo,
    thousands_of_fields,
);
