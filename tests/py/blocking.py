#!/usr/bin/env python3
"""redis-py's blocking list calls against a running FerrumKV.

Usage: blocking.py --port PORT --protocol 2|3

A worker thread blocks in blpop / brpop / blmove / brpoplpush / blmpop while the
main thread pushes; each call must return what Redis returns. Prints
`blocking ok protocol=N` on success. Run by tests/blocking.rs.
"""

import argparse
import threading

import redis

from helpers import check, wait_blocked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=["2", "3"], required=True)
    args = parser.parse_args()
    options = {"host": "127.0.0.1", "port": args.port, "socket_timeout": 10, "protocol": int(args.protocol)}
    r = redis.Redis(**options)
    worker = redis.Redis(**options)
    results = {}

    def work():
        results["blpop"] = worker.blpop(["py:a", "py:b"], timeout=0)
        results["brpop"] = worker.brpop("py:c", timeout=0)
        results["blmove"] = worker.blmove("py:d", "py:e", 0, "LEFT", "RIGHT")
        results["brpoplpush"] = worker.brpoplpush("py:f", "py:e", timeout=0)
        results["blmpop"] = worker.blmpop(0, 2, "py:g", "py:h", direction="RIGHT", count=2)
        results["timeout"] = worker.blpop("py:none", timeout=0.05)

    thread = threading.Thread(target=work)
    thread.start()
    for key, values in [("py:b", ["1"]), ("py:c", ["2", "3"]), ("py:d", ["4"]), ("py:f", ["5"]), ("py:h", ["6", "7", "8"])]:
        wait_blocked(r, 1)
        r.rpush(key, *values)
    thread.join(timeout=30)
    check(not thread.is_alive(), "the worker finished")
    check(results["blpop"] == (b"py:b", b"1") or results["blpop"] == [b"py:b", b"1"], f"blpop {results['blpop']!r}")
    check(list(results["brpop"]) == [b"py:c", b"3"], f"brpop {results['brpop']!r}")
    check(results["blmove"] == b"4", f"blmove {results['blmove']!r}")
    check(results["brpoplpush"] == b"5", f"brpoplpush {results['brpoplpush']!r}")
    check(results["blmpop"] == [b"py:h", [b"8", b"7"]], f"blmpop {results['blmpop']!r}")
    check(results["timeout"] is None, f"timeout {results['timeout']!r}")
    # BLMOVE pushed 4 on the right, BRPOPLPUSH 5 on the left.
    check(r.lrange("py:e", 0, -1) == [b"5", b"4"], "moved elements")
    print(f"blocking ok protocol={args.protocol}")


if __name__ == "__main__":
    main()
