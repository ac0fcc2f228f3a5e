#!/usr/bin/env bash
# Crash loop for the AOF under `appendfsync always`: N cycles (default 50) of
#   start FerrumKV on the same AOF -> check every write acknowledged so far is there
#   -> several clients write (INCR on their own counter, SET of numbered keys) and
#      record what was acknowledged -> kill -9 at a random moment.
# After the last cycle a final restart is checked too. Prints cycles, acknowledged
# writes and lost writes (must be 0); exits non-zero if anything was lost.
#
#   scripts/aof-crash-loop.sh [cycles=50] [clients=4]
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${1:-50}
CLIENTS=${2:-4}
cargo build --release --quiet
exec python3 - "$CYCLES" "$CLIENTS" <<'PY'
import os, random, signal, socket, subprocess, sys, tempfile, threading, time

cycles, clients = int(sys.argv[1]), int(sys.argv[2])
binary = os.path.abspath("target/release/ferrum-kv")
workdir = tempfile.mkdtemp(prefix="ferrum-crash-")
aof = os.path.join(workdir, "crash.aof")
rng = random.Random(20261127)

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")
    def call(self, *args):
        self.s.sendall(encode(*args))
        line = self.f.readline()
        if not line:
            raise ConnectionError("closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b":": return int(rest)
        if kind == b"+": return rest.decode()
        if kind == b"-": raise RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0: return None
            data = self.f.read(n + 2)[:-2]
            return data
        raise RuntimeError("unexpected reply %r" % line)

def start():
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--aof-path", aof, "--appendfsync", "always",
                             "--loglevel", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            c = Conn(port); c.call("PING"); return proc, port
        except OSError:
            if proc.poll() is not None:
                sys.exit("server exited during start-up with %s" % proc.returncode)
            time.sleep(0.025)
    sys.exit("server did not come up")

# What each client has had acknowledged: its counter value and its numbered SETs.
acked_counter = [0] * clients
acked_sets = [0] * clients
total_acked = 0
lost = 0

def verify(port):
    global lost
    c = Conn(port)
    for i in range(clients):
        value = c.call("GET", "counter:%d" % i)
        value = int(value) if value is not None else 0
        if value < acked_counter[i]:
            print("LOST: counter:%d is %d, acknowledged %d" % (i, value, acked_counter[i]))
            lost += acked_counter[i] - value
        acked_counter[i] = max(acked_counter[i], value)  # an unacknowledged write may have landed
        # Spot-check the most recent acknowledged SETs (they are the ones at risk).
        for n in range(max(1, acked_sets[i] - 50), acked_sets[i] + 1):
            if c.call("GET", "set:%d:%d" % (i, n)) != b"v%d" % n:
                print("LOST: set:%d:%d" % (i, n)); lost += 1

def writer(port, i, stop):
    global total_acked
    try:
        c = Conn(port)
        while not stop.is_set():
            v = c.call("INCR", "counter:%d" % i)
            acked_counter[i] = v; total_acked += 1
            n = acked_sets[i] + 1
            if c.call("SET", "set:%d:%d" % (i, n), "v%d" % n) == "OK":
                acked_sets[i] = n; total_acked += 1
    except (OSError, ConnectionError, RuntimeError):
        pass  # the server was killed mid-request: that request is not acknowledged

started = time.time()
for cycle in range(1, cycles + 1):
    proc, port = start()
    verify(port)
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(port, i, stop)) for i in range(clients)]
    for t in threads: t.start()
    time.sleep(rng.uniform(0.1, 0.6))
    proc.send_signal(signal.SIGKILL); proc.wait()
    stop.set()
    for t in threads: t.join()
proc, port = start()
verify(port)
proc.send_signal(signal.SIGTERM); proc.wait()
print("machine: %d cores; aof: appendfsync always; clients: %d" % (os.cpu_count(), clients))
print("cycles: %d, acknowledged writes: %d, lost: %d, aof bytes: %d, seconds: %.1f"
      % (cycles, total_acked, lost, os.path.getsize(aof), time.time() - started))
import shutil
shutil.rmtree(workdir, ignore_errors=True)
sys.exit(1 if lost else 0)
PY
