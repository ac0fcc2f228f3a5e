#!/usr/bin/env python3
"""Smoke test of a running FerrumKV with redis-py (5.x or later).

Usage: smoke.py --port PORT [--protocol default|2|3]

With `--protocol default` the client is built exactly as an application would build
it, with redis-py's own defaults (RESP2 up to 7.x, RESP3 from 8.x); otherwise the
protocol is forced. Exits non-zero (an AssertionError or a redis error) on the first
reply that is not what Redis would send; prints `smoke ok protocol=N redis-py=V` on
success. Run by tests/clients.rs.
"""

import argparse
import sys

import redis


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=["default", "2", "3"], default="default")
    args = parser.parse_args()

    options = {"host": "127.0.0.1", "port": args.port, "socket_timeout": 10, "socket_connect_timeout": 10}
    if args.protocol != "default":
        options["protocol"] = int(args.protocol)
    r = redis.Redis(**options)

    # Connect (redis-py sends HELLO 3 and/or CLIENT SETINFO here) and see which
    # protocol the connection ended up with, as the server reports it.
    check(r.ping() is True, "PING")
    info = r.client_info()
    protocol = int(info["resp"])
    if args.protocol != "default":
        check(protocol == int(args.protocol), f"negotiated RESP{protocol}, asked for {args.protocol}")
    if "lib-name" in info:  # Redis 7.2 and later
        check(info["lib-name"] == "redis-py", f"CLIENT SETINFO LIB-NAME reached the server: {info}")

    hello = r.execute_command("HELLO")
    if protocol == 3:
        check(isinstance(hello, dict), f"HELLO in RESP3 is a map: {hello!r}")
        check(hello.get(b"proto", hello.get("proto")) == 3, f"HELLO proto: {hello!r}")
    else:
        check(isinstance(hello, list) and len(hello) == 14, f"HELLO in RESP2 is a flat array: {hello!r}")
        check(hello[5] == 2, f"HELLO proto: {hello!r}")

    # Strings.
    check(r.set("k", "v") is True, "SET")
    check(r.get("k") == b"v", "GET")
    check(r.get("missing") is None, "GET missing")
    check(r.set("k", "w", nx=True) is None, "SET NX on an existing key")
    check(r.set("k", "w", xx=True, get=True) == b"v", "SET XX GET")
    check(r.mset({"a": "1", "b": "2"}) is True, "MSET")
    check(r.mget(["a", "b", "missing"]) == [b"1", b"2", None], "MGET")
    check(r.append("a", "23") == 3, "APPEND")
    check(r.strlen("a") == 3, "STRLEN")
    check(r.getrange("a", 0, 1) == b"12", "GETRANGE")
    check(r.exists("a", "a", "missing") == 2, "EXISTS counts duplicates")
    check(r.type("a") in (b"string", "string"), "TYPE")

    # Counters.
    check(r.incr("n") == 1, "INCR")
    check(r.incrby("n", 10) == 11, "INCRBY")
    check(r.decr("n") == 10, "DECR")
    check(r.incrbyfloat("f", 1.5) == 1.5, "INCRBYFLOAT")
    try:
        r.incr("k")
        raise AssertionError("INCR on a non-integer must fail")
    except redis.ResponseError as error:
        check("not an integer" in str(error), f"INCR error text: {error}")

    # Expiry.
    check(r.set("t", "1") is True, "SET t")
    check(r.expire("t", 100) is True, "EXPIRE")
    check(99 <= r.ttl("t") <= 100, "TTL")
    check(90_000 <= r.pttl("t") <= 100_000, "PTTL")
    check(r.persist("t") is True, "PERSIST")
    check(r.ttl("t") == -1, "TTL without expiry")
    check(r.ttl("missing") == -2, "TTL of a missing key")
    check(r.execute_command("SETEX", "s", 50, "x") in (True, b"OK", "OK"), "SETEX")
    check(49 <= r.ttl("s") <= 50, "TTL after SETEX")

    # Binary keys and values.
    value = bytes(range(256))
    key = b"bin\x00\r\n\xff"
    check(r.set(key, value) is True, "SET binary")
    check(r.get(key) == value, "GET binary")

    # A pipeline (without MULTI/EXEC), replies in order.
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.set(f"p{i}", i)
        pipe.incr("pipeline-counter")
    pipe.get("p42")
    replies = pipe.execute()
    check(len(replies) == 201, "pipeline reply count")
    check(replies[-2] == 100 and replies[-1] == b"42", f"pipeline replies: {replies[-3:]}")

    # The default pipeline is a MULTI/EXEC transaction.
    tx = r.pipeline()
    tx.set("tx-a", 1)
    tx.incr("tx-a")
    tx.get("tx-a")
    check(tx.execute() == [True, 2, b"2"], "transaction pipeline")

    # WATCH: a change by another client makes the transaction fail.
    with r.pipeline() as watched:
        watched.watch("tx-a")
        redis.Redis(**options).set("tx-a", 100)
        watched.multi()
        watched.incr("tx-a")
        try:
            watched.execute()
            raise AssertionError("EXEC after a watched key changed must fail")
        except redis.WatchError:
            pass
    check(r.get("tx-a") == b"100", "the aborted transaction changed nothing")

    # SCAN iteration sees every key.
    for i in range(500):
        r.set(f"scan:{i}", i)
    found = set(r.scan_iter(match="scan:*", count=50))
    check(len(found) == 500, f"scan_iter found {len(found)} of 500")

    # Connection and server commands.
    check(r.client_setname("smoke") is True, "CLIENT SETNAME")
    check(r.client_getname() in (b"smoke", "smoke"), "CLIENT GETNAME")
    check(isinstance(r.client_id(), int), "CLIENT ID")
    server = r.info()
    check(str(server["redis_version"]).startswith("7"), f"redis_version {server.get('redis_version')}")
    check(server["loading"] == 0, "INFO loading:0")
    check(r.config_get("save") == {"save": ""}, f"CONFIG GET save: {r.config_get('save')}")
    check(r.echo("hi") == b"hi", "ECHO")
    check(len(r.time()) == 2, "TIME")
    try:
        r.execute_command("NOSUCHCOMMAND", "a")
        raise AssertionError("an unknown command must fail")
    except redis.ResponseError as error:
        check("unknown command" in str(error), f"unknown command error: {error}")

    # Another database (SELECT on connect) and decoded responses.
    other = redis.Redis(db=3, decode_responses=True, **options)
    check(other.set("only-in-3", "yes") is True, "SET in db 3")
    check(other.get("only-in-3") == "yes", "GET decoded")
    check(r.get("only-in-3") is None, "databases are separate")
    check(other.dbsize() == 1, "DBSIZE in db 3")

    check(r.delete("a", "b", "missing") == 2, "DEL")
    check(r.flushall() is True, "FLUSHALL")
    check(r.dbsize() == 0, "DBSIZE after FLUSHALL")

    print(f"smoke ok protocol={protocol} redis-py={redis.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
