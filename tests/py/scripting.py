#!/usr/bin/env python3
"""redis-py's scripting helpers against a running FerrumKV.

Usage: scripting.py --port PORT --protocol 2|3

`Lock` (acquire, extend, reacquire, release: all Lua scripts in redis-py) and
`register_script`, whose EVALSHA falls back to loading the script after
`NOSCRIPT` (here after `SCRIPT FLUSH`). Prints `scripting ok protocol=N` on
success. Run by tests/scripting.rs.
"""

import argparse

import redis


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=["2", "3"], required=True)
    args = parser.parse_args()
    r = redis.Redis(host="127.0.0.1", port=args.port, socket_timeout=10, protocol=int(args.protocol))

    lock = r.lock("resource", timeout=10)
    check(lock.acquire(blocking=False), "first acquire")
    other = r.lock("resource", timeout=10)
    check(not other.acquire(blocking=False), "second acquire must fail")
    check(lock.extend(5), "extend")
    check(r.pttl("resource") > 10_000, "extend added time")
    check(lock.reacquire(), "reacquire")
    check(lock.owned(), "owned")
    lock.release()
    check(r.get("resource") is None, "released")
    try:
        lock.release()
        raise AssertionError("a second release must fail")
    except redis.exceptions.LockError:
        pass

    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    check(incr_by(keys=["counter"], args=[5]) == 5, "first call")
    r.script_flush()
    check(incr_by(keys=["counter"], args=[2]) == 7, "call after SCRIPT FLUSH (NOSCRIPT fallback)")
    check(r.script_exists(incr_by.sha) == [True], "loaded again")
    try:
        r.eval("return redis.call('incr', KEYS[1])", 1, "resource-string-free")
        r.set("s", "text")
        r.eval("return redis.call('incr', KEYS[1])", 1, "s")
        raise AssertionError("an error reply must raise")
    except redis.exceptions.ResponseError as error:
        check("value is not an integer" in str(error), str(error))
    print(f"scripting ok protocol={args.protocol}")


if __name__ == "__main__":
    main()
