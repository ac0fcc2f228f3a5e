#!/usr/bin/env bash
# Quick side-by-side smoke benchmark: redis-benchmark SET / GET / INCR / MSET and a
# mixed run (all four in one redis-benchmark call) at 100K requests against a
# release FerrumKV and, when installed, Debian's redis-server, one after the other
# on free loopback ports. Prints ops/s for both and the ratio.
#
#   scripts/bench-smoke.sh [requests=100000] [clients=50] [pipeline=1]
#
# Needs redis-benchmark (apt-get install redis-tools); redis-server is optional.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-100000}
CLIENTS=${2:-50}
PIPELINE=${3:-1}

command -v redis-benchmark >/dev/null || { echo "redis-benchmark missing: apt-get install redis-tools" >&2; exit 1; }
cargo build --release --quiet

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }

FERRUM_PORT=$(free_port)
./target/release/ferrum-kv --port "$FERRUM_PORT" --loglevel warning &
FERRUM_PID=$!
REDIS_PID=""
cleanup() { kill "$FERRUM_PID" 2>/dev/null || true; [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true; }
trap cleanup EXIT
wait_port "$FERRUM_PORT"

if command -v redis-server >/dev/null; then
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize no --loglevel warning >/dev/null &
    REDIS_PID=$!
    wait_port "$REDIS_PORT"
fi

# ops/s of one test ($2) against port $1.
rate() {
    redis-benchmark -p "$1" -t "$2" -n "$REQUESTS" -c "$CLIENTS" -P "$PIPELINE" -r 100000 --csv -q 2>/dev/null |
        awk -F'","' 'NR>1 {gsub(/"/,"",$2); print $2}' | head -1
}

echo "machine: $(nproc) cores, $(uname -srm); $(redis-benchmark --version 2>/dev/null | head -1)"
echo "command: redis-benchmark -t TEST -n $REQUESTS -c $CLIENTS -P $PIPELINE -r 100000 --csv"
printf '%-8s %14s %14s %8s\n' test ferrum-kv redis-server ratio
for test in set get incr mset; do
    f=$(rate "$FERRUM_PORT" "$test")
    r="-"; ratio="-"
    if [ -n "$REDIS_PID" ]; then
        r=$(rate "$REDIS_PORT" "$test")
        ratio=$(awk -v a="$f" -v b="$r" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    fi
    printf '%-8s %14s %14s %8s\n' "$test" "$f" "$r" "$ratio"
done
# MIXED: the four tests in one run; report their mean rate.
mixed() {
    redis-benchmark -p "$1" -t set,get,incr,mset -n "$REQUESTS" -c "$CLIENTS" -P "$PIPELINE" -r 100000 --csv -q 2>/dev/null |
        awk -F'","' 'NR>1 {gsub(/"/,"",$2); s+=$2; n++} END { if (n) printf "%.0f", s / n }'
}
f=$(mixed "$FERRUM_PORT"); r="-"; ratio="-"
if [ -n "$REDIS_PID" ]; then
    r=$(mixed "$REDIS_PORT")
    ratio=$(awk -v a="$f" -v b="$r" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
fi
printf '%-8s %14s %14s %8s\n' mixed "$f" "$r" "$ratio"
