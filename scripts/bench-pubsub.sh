#!/usr/bin/env bash
# Pub/Sub throughput, FerrumKV against redis-server on this machine, side by side.
#
#   scripts/bench-pubsub.sh [rounds=3]
#
# Starts a release FerrumKV and `redis-server --save '' --appendonly no` on free
# loopback ports. Rows, each run once per round against each server back to back
# (FerrumKV first in odd rounds, Redis first in even ones):
#   - fanout-1, fanout-100, fanout-1000: examples/pubsub_load.rs subscribes that
#     many connections to one channel and publishes 200,000 / 20,000 / 2,000
#     16-byte messages from one connection (pipelined 100 at a time); the figure is
#     messages delivered per second until every subscriber has read every message;
#   - set+ksn: `redis-benchmark -t set -n REQUESTS -c 50 -P 1 -r 100000` with
#     notify-keyspace-events KEA and 10 connections PSUBSCRIBEd to `__key*__:*`
#     draining the notifications while it runs (ops/s of redis-benchmark).
# Prints the median of the rounds for both servers and the ratio FerrumKV/Redis.
# Bounded: every run stops by itself. Environment: ROUNDS, REQUESTS (default
# 500000), FERRUM_BIN (a given server binary instead of building one).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

ROUNDS=${ROUNDS:-${1:-3}}
REQUESTS=${REQUESTS:-500000}
for tool in redis-server redis-cli redis-benchmark python3; do
    command -v "$tool" >/dev/null || { echo "FAILED: $tool missing" >&2; exit 1; }
done
bench_tmp bench-pubsub
log "building the release binary and the load tool"
cargo build --release --quiet --example pubsub_load
TARGET=${CARGO_TARGET_DIR:-target}
LOAD="$TARGET/release/examples/pubsub_load"
if [ -z "${FERRUM_BIN:-}" ]; then
    cargo build --release --quiet
fi
FERRUM=$(realpath "${FERRUM_BIN:-$TARGET/release/ferrum-kv}")

FPORT=$(free_port); start ferrum "$FERRUM" --port "$FPORT" --loglevel warning; FPID=$SERVER_PID
RPORT=$(free_port); start redis redis-server --port "$RPORT" --save '' --appendonly no; RPID=$SERVER_PID
wait_ready "$FPORT" "$FPID"; wait_ready "$RPORT" "$RPID"

# run ROW PORT: prints the row's figure for the server on PORT.
run() {
    local row=$1 port=$2
    case $row in
        fanout-*)
            local subs=${row#fanout-} messages
            messages=$((200000 / subs))
            "$LOAD" fanout "$port" "$subs" "$messages" | sed 's/.*deliveries_per_sec=//'
            ;;
        set+ksn)
            redis-cli -p "$port" config set notify-keyspace-events KEA >/dev/null
            local drains=() i
            for i in $(seq 10); do
                "$LOAD" drain "$port" '__key*__:*' 600 >/dev/null & drains+=($!)
            done
            sleep 0.5
            redis-benchmark -p "$port" -t set -n "$REQUESTS" -c 50 -P 1 -r 100000 --csv -q \
                | awk -F'"' '/^"SET"/ { print $4 }'
            kill "${drains[@]}" 2>/dev/null || true
            wait "${drains[@]}" 2>/dev/null || true
            redis-cli -p "$port" config set notify-keyspace-events "" >/dev/null
            ;;
    esac
}

ROWS=(fanout-1 fanout-100 fanout-1000 set+ksn)
declare -A F R
for round in $(seq "$ROUNDS"); do
    for row in "${ROWS[@]}"; do
        if [ $((round % 2)) = 1 ]; then
            f=$(run "$row" "$FPORT"); r=$(run "$row" "$RPORT")
        else
            r=$(run "$row" "$RPORT"); f=$(run "$row" "$FPORT")
        fi
        log "round $round $row: ferrum $f redis $r"
        F[$row]="${F[$row]:-} $f"; R[$row]="${R[$row]:-} $r"
    done
done

echo "# Pub/Sub, FerrumKV vs redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "ferrum: $(git rev-parse --short HEAD)  rounds: $ROUNDS  (median; fanout rows: deliveries/s, set+ksn: ops/s)"
echo
printf '| %-12s | %14s | %14s | %6s |\n' row FerrumKV redis-server ratio
printf '|%s|%s|%s|%s|\n' "--------------" "----------------" "----------------" "--------"
for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    f=$(median ${F[$row]}); r=$(median ${R[$row]})
    printf '| %-12s | %14.0f | %14.0f | %5.2fx |\n' "$row" "$f" "$r" "$(python3 -c "print($f / $r)")"
done
for n in "${NOTES[@]+"${NOTES[@]}"}"; do echo "note: $n"; done
