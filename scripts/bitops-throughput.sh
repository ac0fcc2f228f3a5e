#!/usr/bin/env bash
# BITCOUNT, BITPOS and BITOP throughput on a 100 MB value, FerrumKV and redis-server
# side by side in one run on this machine: both get the same two 100 MB values of
# pseudo-random bytes (and a third of zero bytes ending in one set bit, BITPOS's
# worst case), then each command runs ROUNDS times on each server, one at a time;
# the figure is the median time per command, as bytes scanned per second (BITOP:
# bytes of input, two sources). Prints the machine, the commands and a table; paste
# it into benches/bitops.md.
#
#   scripts/bitops-throughput.sh            (ROUNDS=7 SIZE_MB=100)
#
# Environment: FERRUM_BIN (default: builds and uses target/release/ferrum-kv),
# REDIS_SERVER (default redis-server), ROUNDS, SIZE_MB.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

ROUNDS=${ROUNDS:-7}
SIZE_MB=${SIZE_MB:-100}
REDIS=${REDIS_SERVER:-redis-server}
if [ -z "${FERRUM_BIN:-}" ]; then
    cargo build --release --quiet --bin ferrum-kv
    FERRUM_BIN=target/release/ferrum-kv
fi
command -v "$REDIS" >/dev/null || { echo "FAILED: $REDIS missing" >&2; exit 1; }

bench_tmp bitops
FPORT=$(free_port)
start ferrum "$FERRUM_BIN" --port "$FPORT" --loglevel warning
FPID=$SERVER_PID
RPORT=$(free_port)
start redis "$REDIS" --port "$RPORT" --save '' --appendonly no
RPID=$SERVER_PID
wait_ready "$FPORT" "$FPID"
wait_ready "$RPORT" "$RPID"

echo "machine: $(uname -srm); $(nproc) CPUs; $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "servers: $("$FERRUM_BIN" --version 2>/dev/null || echo ferrum-kv) (release build) vs $("$REDIS" --version | cut -d' ' -f1-3)"
echo "command: scripts/bitops-throughput.sh (ROUNDS=$ROUNDS SIZE_MB=$SIZE_MB)"
echo

python3 - "$FPORT" "$RPORT" "$ROUNDS" "$SIZE_MB" <<'PY'
import random, socket, statistics, sys, time

fport, rport, rounds, size_mb = (int(a) for a in sys.argv[1:5])
size = size_mb * 1024 * 1024

class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")
    def call(self, *args):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
        self.sock.sendall(out)
        line = self.file.readline()
        if line[:1] == b"-":
            raise RuntimeError(line.decode())
        if line[:1] == b"$" and int(line[1:]) >= 0:
            self.file.read(int(line[1:]) + 2)
        return line.strip()

rng = random.Random(42)
a = rng.randbytes(size)
b = rng.randbytes(size)
zeros = bytes(size - 1) + b"\x01"
servers = {"ferrum-kv": Conn(fport), "redis-server": Conn(rport)}
for conn in servers.values():
    conn.call("SET", "a", a)
    conn.call("SET", "b", b)
    conn.call("SET", "z", zeros)

# (label, command, bytes scanned per call)
cases = [
    ("BITCOUNT a", ("BITCOUNT", "a"), size),
    ("BITCOUNT a 0 -1 BIT", ("BITCOUNT", "a", 0, -1, "BIT"), size),
    ("BITPOS z 1", ("BITPOS", "z", 1), size),
    ("BITOP AND d a b", ("BITOP", "AND", "d", "a", "b"), 2 * size),
    ("BITOP OR d a b", ("BITOP", "OR", "d", "a", "b"), 2 * size),
    ("BITOP XOR d a b", ("BITOP", "XOR", "d", "a", "b"), 2 * size),
    ("BITOP NOT d a", ("BITOP", "NOT", "d", "a"), size),
]
print(f"{'command':<22} {'ferrum-kv GB/s':>15} {'redis-server GB/s':>18} {'ratio':>7}")
for label, command, scanned in cases:
    rates = {}
    replies = {}
    for name, conn in servers.items():
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            replies[name] = conn.call(*command)
            times.append(time.perf_counter() - start)
        rates[name] = scanned / statistics.median(times) / 1e9
    if replies["ferrum-kv"] != replies["redis-server"]:
        raise SystemExit(f"{label}: replies differ: {replies}")
    ratio = rates["ferrum-kv"] / rates["redis-server"]
    print(f"{label:<22} {rates['ferrum-kv']:>15.2f} {rates['redis-server']:>18.2f} {ratio:>6.2f}x")
PY
