"""What the redis-py test programs in tests/py share: an assertion that names
what failed, and a bounded wait for a number of blocked clients."""

import time


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def wait_blocked(r, n):
    for _ in range(2000):
        if int(r.info("clients")["blocked_clients"]) == n:
            return
        time.sleep(0.005)
    raise AssertionError(f"blocked_clients never reached {n}")
