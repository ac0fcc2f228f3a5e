#!/usr/bin/env python3
"""redis-py's stream API against a running FerrumKV.

Usage: streams.py --port PORT --protocol 2|3

xadd (explicit ids, maxlen ~ and =), xlen, xrange/xrevrange, xgroup_create with
mkstream, xreadgroup (count, and block while another connection adds), xack,
xpending and xpending_range, xclaim, xautoclaim (justid too), xinfo_stream /
xinfo_groups / xinfo_consumers as redis-py parses them. Prints
`streams ok protocol=N` on success. Run by tests/streams.rs.
"""

import argparse
import threading

import redis

from helpers import check, wait_blocked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", type=int, choices=[2, 3], default=2)
    args = parser.parse_args()
    r = redis.Redis(port=args.port, protocol=args.protocol, decode_responses=True)
    r.flushall()

    # Entries with explicit ids, then generated ones after them.
    check(r.xadd("s", {"f": "1"}, id="1-1") == "1-1", "xadd explicit id")
    check(r.xadd("s", {"f": "2", "g": "x"}, id="1-2") == "1-2", "xadd second id")
    generated = r.xadd("s", {"f": "3"})
    check(generated.split("-")[0].isdigit() and generated > "1-2", f"generated id {generated}")
    check(r.xlen("s") == 3, "xlen")
    try:
        r.xadd("s", {"f": "old"}, id="1-1")
        raise AssertionError("an id not above the top is refused")
    except redis.ResponseError as e:
        check("equal or smaller than the target stream top item" in str(e), str(e))
    check(r.xrange("s", "1-1", "1-2") == [("1-1", {"f": "1"}), ("1-2", {"f": "2", "g": "x"})], "xrange")
    check(r.xrevrange("s", count=1)[0][0] == generated, "xrevrange count")
    check(r.xrange("s", "(1-1", "+", count=1) == [("1-2", {"f": "2", "g": "x"})], "exclusive xrange")

    # Trimming: exact and approximate.
    for i in range(300):
        r.xadd("t", {"i": str(i)}, id=f"5-{i + 1}")
    r.xadd("t", {"i": "last"}, id="6-1", maxlen=10, approximate=False)
    check(r.xlen("t") == 10, "maxlen = trims exactly")
    for i in range(300):
        r.xadd("u", {"i": str(i)}, maxlen=100, approximate=True)
    check(100 <= r.xlen("u") < 300, f"maxlen ~ keeps at least the count: {r.xlen('u')}")
    check(r.xtrim("t", maxlen=3, approximate=False) == 7, "xtrim")

    # A consumer group on a new stream, reading, acknowledging.
    check(r.xgroup_create("q", "g", id="0", mkstream=True), "xgroup_create mkstream")
    ids = [r.xadd("q", {"job": str(i)}, id=f"10-{i + 1}") for i in range(5)]
    got = r.xreadgroup("g", "alice", {"q": ">"}, count=2)
    if args.protocol == 3:
        got = [[k, v[0]] for k, v in got.items()]
    check(got[0][0] == "q" and [e[0] for e in got[0][1]] == ids[:2], f"xreadgroup count: {got}")
    check(r.xack("q", "g", ids[0]) == 1, "xack")
    summary = r.xpending("q", "g")
    check(summary["pending"] == 1 and summary["min"] == ids[1], f"xpending summary: {summary}")
    check(summary["consumers"] == [{"name": "alice", "pending": 1}], f"xpending consumers: {summary}")
    rows = r.xpending_range("q", "g", "-", "+", 10)
    check([(p["message_id"], p["consumer"], p["times_delivered"]) for p in rows] == [(ids[1], "alice", 1)], f"{rows}")

    # Everything left goes to bob, who then crashes; carol claims his entries.
    r.xreadgroup("g", "bob", {"q": ">"})
    check(r.xpending("q", "g")["pending"] == 4, "bob's deliveries are pending")
    claimed = r.xclaim("q", "g", "carol", 0, [ids[2]])
    check([e[0] for e in claimed] == [ids[2]], f"xclaim: {claimed}")
    check(r.xclaim("q", "g", "carol", 0, [ids[3]], justid=True) == [ids[3]], "xclaim justid")
    cursor, entries, deleted = r.xautoclaim("q", "g", "dave", 0, start_id="0-0", count=2)
    check([e[0] for e in entries] == ids[1:3] and cursor == ids[3], f"xautoclaim: {cursor} {entries}")
    check(deleted == [], "xautoclaim deleted ids")
    # With justid redis-py answers the claimed ids alone.
    rest = r.xautoclaim("q", "g", "dave", 0, start_id=cursor, justid=True)
    check(rest == ids[3:], f"xautoclaim justid: {rest}")

    # XINFO as redis-py parses it.
    info = r.xinfo_stream("q")
    check(info["length"] == 5 and info["groups"] == 1, f"xinfo_stream: {info}")
    check(info["first-entry"][0] == ids[0] and info["last-entry"][0] == ids[4], f"xinfo_stream entries: {info}")
    check(info["last-generated-id"] == ids[4], f"{info}")
    groups = r.xinfo_groups("q")
    check(len(groups) == 1 and groups[0]["name"] == "g" and groups[0]["pending"] == 4, f"xinfo_groups: {groups}")
    check(groups[0]["last-delivered-id"] == ids[4] and groups[0]["entries-read"] == 5, f"{groups}")
    check(groups[0]["lag"] == 0, f"{groups}")
    consumers = {c["name"]: c["pending"] for c in r.xinfo_consumers("q", "g")}
    check(consumers == {"alice": 0, "bob": 0, "carol": 0, "dave": 4}, f"xinfo_consumers: {consumers}")

    # A blocked XREADGROUP is served by another connection's XADD.
    result = {}

    def reader():
        c = redis.Redis(port=args.port, protocol=args.protocol, decode_responses=True)
        result["got"] = c.xreadgroup("g", "erin", {"q": ">"}, block=20000, count=1)

    worker = threading.Thread(target=reader)
    worker.start()
    wait_blocked(r, 1)
    new_id = r.xadd("q", {"job": "late"})
    worker.join(20)
    check(not worker.is_alive(), "the blocked xreadgroup returned")
    got = result["got"]
    if args.protocol == 3:
        got = [[k, v[0]] for k, v in got.items()]
    check(got[0][1] == [(new_id, {"job": "late"})], f"blocked xreadgroup: {got}")

    # A block that times out answers nil (an empty result in redis-py).
    check(not r.xreadgroup("g", "erin", {"q": ">"}, block=50), "xreadgroup timeout")
    check(r.xgroup_delconsumer("q", "g", "erin") == 1, "xgroup_delconsumer counts its pending entries")
    check(r.xgroup_destroy("q", "g") == 1, "xgroup_destroy")
    print(f"streams ok protocol={args.protocol}")


if __name__ == "__main__":
    main()
