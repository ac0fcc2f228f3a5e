#!/usr/bin/env python3
"""redis-py's PubSub against a running FerrumKV: handlers run by run_in_thread,
pattern handlers, get_message polling, and keyspace notifications.

Usage: pubsub.py --port PORT --protocol 2|3
Prints `pubsub ok protocol=N redis-py=V` on success; run by tests/pubsub.rs.
"""

import argparse
import threading
import time

import redis


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def wait_for(predicate, what, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=["2", "3"], required=True)
    args = parser.parse_args()
    r = redis.Redis(host="127.0.0.1", port=args.port, protocol=int(args.protocol), socket_timeout=10)

    # Handlers in a background thread, for a channel and a pattern.
    got = []
    lock = threading.Lock()

    def on_channel(message):
        with lock:
            got.append(("message", message["channel"], message["data"]))

    def on_pattern(message):
        with lock:
            got.append(("pmessage", message["pattern"], message["channel"], message["data"]))

    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(**{"orders": on_channel})
    p.psubscribe(**{"orders.*": on_pattern})
    worker = p.run_in_thread(sleep_time=0.01, daemon=True)
    wait_for(lambda: r.pubsub_numsub("orders") == [(b"orders", 1)] and r.pubsub_numpat() == 1, "subscriptions")
    check(r.publish("orders", "one") == 1, "one receiver for orders")
    check(r.publish("orders.eu", "two") == 1, "one pattern receiver")
    for i in range(100):
        r.publish("orders", str(i))
    wait_for(lambda: len(got) == 102, "102 messages")
    with lock:
        check(got[0] == ("message", b"orders", b"one"), got[0])
        check(got[1] == ("pmessage", b"orders.*", b"orders.eu", b"two"), got[1])
        check([m[2] for m in got[2:]] == [str(i).encode() for i in range(100)], "order kept")
    worker.stop()
    worker.join(timeout=10)
    p.close()

    # Polling with get_message, and keyspace notifications.
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    first = p.get_message(timeout=5)
    check(first["type"] == "psubscribe" and first["data"] == 1, first)
    r.set("k", "v")
    r.hset("h", "f", "v")
    events = []
    while len(events) < 2:
        m = p.get_message(timeout=5)
        check(m is not None, "keyevent message")
        events.append((m["channel"], m["data"]))
    check(events == [(b"__keyevent@0__:set", b"k"), (b"__keyevent@0__:hset", b"h")], events)
    p.punsubscribe()
    p.close()
    r.config_set("notify-keyspace-events", "")

    # Sharded channels.
    p = r.pubsub()
    p.ssubscribe("shard")
    check(p.get_sharded_message(timeout=5)["type"] == "ssubscribe", "ssubscribe reply")
    check(r.spublish("shard", "s") == 1, "spublish receiver")
    m = p.get_sharded_message(timeout=5)
    check(m["type"] == "smessage" and m["data"] == b"s", m)
    p.close()

    print("pubsub ok protocol=%s redis-py=%s" % (args.protocol, redis.__version__))


if __name__ == "__main__":
    main()
