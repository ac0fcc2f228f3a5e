#!/usr/bin/env bash
# Wake latency of a blocked consumer, FerrumKV against redis-server side by side.
#
#   scripts/wake-latency.sh [rounds=5] [wakes=2000]
#
# One consumer connection sends `BLPOP q 0`; once the server counts it blocked
# (INFO clients, outside the measurement), a producer connection sends `LPUSH q x`
# and the time from that send to the consumer's reply arriving is one sample. The
# producer's own reply is read after. Each round takes WAKES samples against each
# server in turn (FerrumKV first in odd rounds); the report gives, per server, the
# median over rounds of p50, p99 and mean in microseconds, and the p50/p99 ratios
# FerrumKV/Redis (below 1: FerrumKV wakes faster). Client overhead (Python) is the
# same for both.
#
# Environment: FERRUM_BIN (default: build --release), ROUNDS, WAKES.
# Needs redis-server, redis-cli and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS=${ROUNDS:-${1:-5}}
WAKES=${WAKES:-${2:-2000}}
bench_tmp wake-latency
if [ -z "${FERRUM_BIN:-}" ]; then
    log "building release FerrumKV"
    cargo build --release --quiet
    FERRUM_BIN=target/release/ferrum-kv
fi
fport=$(free_port); rport=$(free_port)
start ferrum "$FERRUM_BIN" --port "$fport"; fpid=$SERVER_PID
start redis redis-server --port "$rport" --save '' --appendonly no; rpid=$SERVER_PID
wait_ready "$fport" "$fpid"; wait_ready "$rport" "$rpid"

measure() {
    python3 - "$1" "$WAKES" <<'PY'
import socket, sys, time
port, wakes = int(sys.argv[1]), int(sys.argv[2])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); return s
def read_reply(s):
    data = b""
    while True:
        data += s.recv(65536)
        if data.endswith(b"\r\n") and (data[:1] != b"*" or data.count(b"\r\n") >= 5 or data.startswith(b"*-1")):
            return data
consumer, producer, admin = conn(), conn(), conn()
samples = []
for _ in range(wakes):
    consumer.sendall(b"BLPOP q 0\r\n")
    while True:
        admin.sendall(b"INFO clients\r\n")
        info = read_reply(admin)
        if b"blocked_clients:1\r\n" in info:
            break
    start = time.perf_counter_ns()
    producer.sendall(b"LPUSH q x\r\n")
    read_reply(consumer)
    samples.append((time.perf_counter_ns() - start) / 1000)
    read_reply(producer)
samples.sort()
p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
print(f"{p(0.5):.1f} {p(0.99):.1f} {sum(samples)/len(samples):.1f}")
PY
}

declare -a f50 f99 fmean r50 r99 rmean
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="f r"; else order="r f"; fi
    for who in $order; do
        if [ "$who" = f ]; then read -r a b c < <(measure "$fport"); f50+=("$a"); f99+=("$b"); fmean+=("$c")
        else read -r a b c < <(measure "$rport"); r50+=("$a"); r99+=("$b"); rmean+=("$c"); fi
    done
    log "round $round done"
done
F50=$(median "${f50[@]}"); F99=$(median "${f99[@]}"); FM=$(median "${fmean[@]}")
R50=$(median "${r50[@]}"); R99=$(median "${r99[@]}"); RM=$(median "${rmean[@]}")
echo "| server | p50 µs | p99 µs | mean µs |"
echo "|---|---:|---:|---:|"
echo "| FerrumKV | $F50 | $F99 | $FM |"
echo "| redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') | $R50 | $R99 | $RM |"
echo
echo "p50 ratio FerrumKV/Redis: $(python3 -c "print(round($F50/$R50, 2))"), p99 ratio: $(python3 -c "print(round($F99/$R99, 2))") ($ROUNDS rounds × $WAKES wakes)"
