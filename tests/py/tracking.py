#!/usr/bin/env python3
"""redis-py's client-side cache (RESP3, CLIENT TRACKING) against a running FerrumKV:
a cached GET is answered locally until another client's write invalidates it.

Usage: tracking.py --port PORT
Prints `tracking ok redis-py=V` on success; run by tests/tracking.rs.
"""

import argparse
import time

import redis
from redis.cache import CacheConfig
from redis.connection import CacheProxyConnection

# redis-py enables its cache only for servers reporting 7.4 or later (to be safe
# with Redis-like products); FerrumKV reports 7.0.15, whose CLIENT TRACKING is what
# the cache uses. Lower the gate so the real protocol is exercised.
CacheProxyConnection.MIN_ALLOWED_VERSION = "7.0.0"


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    cached = redis.Redis(host="127.0.0.1", port=args.port, protocol=3, cache_config=CacheConfig(), socket_timeout=10)
    other = redis.Redis(host="127.0.0.1", port=args.port, socket_timeout=10)
    other.set("greeting", "hello")
    check(cached.get("greeting") == b"hello", "first read")
    cache = cached.get_cache()
    check(cache is not None and cache.size >= 1, "the read is cached")
    info = other.info("stats")
    check(info["tracking_total_keys"] >= 1, "the server tracks the key: %r" % info["tracking_total_keys"])
    # Served from the cache: the server sees no second GET.
    before = other.info("commandstats").get("cmdstat_get", {}).get("calls", 0)
    check(cached.get("greeting") == b"hello", "cached read")
    after = other.info("commandstats").get("cmdstat_get", {}).get("calls", 0)
    check(after == before, "second GET not sent (%d -> %d)" % (before, after))
    # Another client's write invalidates it; the next read sees the new value.
    other.set("greeting", "bye")
    deadline = time.monotonic() + 10
    while cached.get("greeting") != b"bye":
        check(time.monotonic() < deadline, "invalidation never arrived")
        time.sleep(0.01)
    other.flushall()
    deadline = time.monotonic() + 10
    while cached.get("greeting") is not None:
        check(time.monotonic() < deadline, "flush invalidation never arrived")
        time.sleep(0.01)
    print("tracking ok redis-py=%s" % redis.__version__)


if __name__ == "__main__":
    main()
