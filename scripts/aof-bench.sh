#!/usr/bin/env bash
# FerrumKV against redis-server with the append-only file on, side by side on this
# machine, one server running at a time, the two alternated round by round (odd
# rounds FerrumKV first, even rounds Redis first):
#
# 1. Write throughput: `redis-benchmark -t set -n 100000 -c 50 -r 100000 --csv`
#    against a fresh server (empty AOF) under `appendfsync always`, `everysec`, and
#    without AOF; median ops/s of the rounds and the ratio FerrumKV/Redis.
# 2. Replay: one AOF of 1,000,000 `SET key:%012d <16-byte value>` RESP2 records
#    (after `SELECT 0`); each server gets a fresh copy and we time the wall clock
#    from process start until `redis-cli DBSIZE` answers 1000000 (polled every
#    10 ms). Redis 7 finds the old-style single file as `appendonly.aof` in its
#    `--dir`, migrates it into `appendonlydir/` with a manifest and loads it; the
#    rename is part of its measured time. Ratio: Redis time / FerrumKV time.
#
#   scripts/aof-bench.sh [rounds=3]
#
# Environment (for quick tests): AOF_BENCH_RECORDS (1000000), AOF_BENCH_REQUESTS
# (100000), AOF_BENCH_NO_BUILD=1 to skip `cargo build --release`.
# Needs redis-server, redis-cli, redis-benchmark (Debian: redis-server, redis-tools)
# and python3 (standard library only). Temporary files live under one mktemp dir,
# removed at exit together with every server this script started.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-3}
RECORDS=${AOF_BENCH_RECORDS:-1000000}
REQUESTS=${AOF_BENCH_REQUESTS:-100000}
CLIENTS=50
KEYSPACE=100000
for n in "$ROUNDS" "$RECORDS" "$REQUESTS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [rounds>=1]  (AOF_BENCH_RECORDS, AOF_BENCH_REQUESTS: positive integers)" >&2; exit 2; }
done
for tool in redis-server redis-cli redis-benchmark python3 timeout; do
    command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
if [ "${AOF_BENCH_NO_BUILD:-0}" != 1 ]; then
    cargo build --release --quiet
fi
FERRUM=$PWD/target/release/ferrum-kv
[ -x "$FERRUM" ] || { echo "$FERRUM missing: cargo build --release" >&2; exit 1; }

. scripts/lib.sh
bench_tmp aof-bench

now_ns() { date +%s%N; }

# The server command lines (ports and paths filled in per run).
ferrum_cmd() { # PORT MODE(always|everysec|none) [AOF]
    local cmd=("$FERRUM" --port "$1")
    [ "$2" = none ] || cmd+=(--aof-path "$3" --appendfsync "$2")
    printf '%s\n' "${cmd[@]}"
}
redis_cmd() { # PORT MODE DIR
    local cmd=(redis-server --port "$1" --save '')
    if [ "$2" = none ]; then cmd+=(--appendonly no); else cmd+=(--appendonly yes --appendfsync "$2"); fi
    cmd+=(--dir "$3" --daemonize no)
    printf '%s\n' "${cmd[@]}"
}

declare -A RATES   # "server mode" -> space-separated ops/s per round
declare -A TIMES   # "server" -> space-separated seconds per round

# --- 1. write throughput -------------------------------------------------------
bench_one() { # SERVER(ferrum|redis) MODE ROUND
    local server=$1 mode=$2 round=$3 port cmd out err rate
    port=$(free_port)
    rm -rf "$TMP/f.aof" "$TMP/redis"; mkdir -p "$TMP/redis"
    if [ "$server" = ferrum ]; then
        mapfile -t cmd < <(ferrum_cmd "$port" "$mode" "$TMP/f.aof")
    else
        mapfile -t cmd < <(redis_cmd "$port" "$mode" "$TMP/redis")
    fi
    start "$server" "${cmd[@]}" --loglevel warning
    wait_ready "$port" "$SERVER_PID" || { cat "$TMP/$server.log" >&2; exit 1; }
    # The server really runs with the intended persistence settings.
    local enabled fsync
    enabled=$(redis-cli -p "$port" info persistence | tr -d '\r' | awk -F: '$1 == "aof_enabled" { print $2 }')
    fsync=$(redis-cli -p "$port" config get appendfsync | tail -1)
    if [ "$enabled" != "$([ "$mode" = none ] && echo 0 || echo 1)" ] || { [ "$mode" != none ] && [ "$fsync" != "$mode" ]; }; then
        note "$server $mode round $round: INFO says aof_enabled=$enabled, CONFIG GET appendfsync=$fsync"
    fi
    out=$TMP/bench.csv err=$TMP/bench.err
    if ! timeout 600 redis-benchmark -p "$port" -t set -n "$REQUESTS" -c "$CLIENTS" -r "$KEYSPACE" --csv >"$out" 2>"$err"; then
        note "$server $mode round $round: redis-benchmark failed: $(head -c 300 "$err")"
    fi
    if [ -s "$err" ]; then
        note "$server $mode round $round: redis-benchmark stderr: $(tr '\n' ' ' <"$err" | head -c 300)"
    fi
    if grep -qiE 'error|warning' "$out"; then
        note "$server $mode round $round: redis-benchmark output: $(grep -iE 'error|warning' "$out" | head -3 | tr '\n' ' ')"
    fi
    rate=$(awk -F'","' '$1 == "\"SET" { print $2 + 0 }' "$out" | head -1)
    [ -n "$rate" ] || { note "$server $mode round $round: no SET line in: $(head -c 300 "$out")"; rate=0; }
    # Sanity: the writes reached the server (and the AOF when it is on).
    local keys size=0
    keys=$(redis-cli -p "$port" dbsize)
    stop "$SERVER_PID"
    if [ "$mode" != none ]; then
        if [ "$server" = ferrum ]; then size=$(stat -c %s "$TMP/f.aof" 2>/dev/null || echo 0)
        else size=$(du -sb "$TMP/redis" | cut -f1); fi
        [ "$size" -gt 0 ] || note "$server $mode round $round: the AOF is empty after the run"
    fi
    log "  $server $mode round $round: $rate ops/s (dbsize $keys, aof bytes $size)"
    RATES["$server $mode"]+="$rate "
}

# --- 2. replay ----------------------------------------------------------------
generate_aof() { # FILE RECORDS
    python3 - "$1" "$2" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
    chunk = []
    for i in range(n):
        key = b"key:%012d" % i
        value = b"val-%012d" % (n - 1 - i)  # 16 bytes
        chunk.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$16\r\n%s\r\n" % (key, value))
        if len(chunk) == 65536:
            f.write(b"".join(chunk)); chunk.clear()
    f.write(b"".join(chunk))
PY
}

replay_one() { # SERVER ROUND
    local server=$1 round=$2 port cmd t0 t1 reply i answered=""
    port=$(free_port)
    rm -rf "$TMP/copy.aof" "$TMP/redis"; mkdir -p "$TMP/redis"
    if [ "$server" = ferrum ]; then
        cp "$TMP/gen.aof" "$TMP/copy.aof"; sync "$TMP/copy.aof"
        cmd=("$FERRUM" --port "$port" --aof-path "$TMP/copy.aof" --appendfsync everysec)
    else
        cp "$TMP/gen.aof" "$TMP/redis/appendonly.aof"; sync "$TMP/redis/appendonly.aof"
        cmd=(redis-server --port "$port" --save '' --appendonly yes --appendfilename appendonly.aof
             --appendfsync everysec --dir "$TMP/redis" --daemonize no)
    fi
    t0=$(now_ns)
    start "$server-replay" "${cmd[@]}"
    # At most 300 s: FerrumKV accepts only after loading (a redis-cli connecting
    # earlier waits in the backlog); Redis answers -LOADING until it is done.
    for i in $(seq 30000); do
        reply=$(timeout 300 redis-cli -p "$port" dbsize 2>/dev/null || true)
        if [[ $reply =~ ^[0-9]+$ ]]; then answered=$reply; break; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.01
    done
    t1=$(now_ns)
    local selfreport
    if [ "$server" = ferrum ]; then
        selfreport=$(grep -o 'AOF loaded: .*' "$TMP/$server-replay.log" | tail -1 || true)
    else
        selfreport=$(grep -oE 'DB loaded from (base file|append only file).*' "$TMP/$server-replay.log" | tr '\n' ';' || true)
    fi
    stop "$SERVER_PID"
    if [ "$answered" != "$RECORDS" ]; then
        note "$server replay round $round: DBSIZE ${answered:-never answered} instead of $RECORDS; log: $(tail -5 "$TMP/$server-replay.log" | tr '\n' ' ' | head -c 600)"
        return
    fi
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    log "  $server replay round $round: ${secs}s to DBSIZE $answered (server's own log: ${selfreport:-none})"
    TIMES[$server]+="$secs "
}

# --- run ----------------------------------------------------------------------
log "aof-bench: $ROUNDS rounds, $REQUESTS SET requests per run, $RECORDS AOF records; temp dir $TMP"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
MODES=(always everysec none)
for round in $(seq "$ROUNDS"); do
    if (( round % 2 )); then order=(ferrum redis); else order=(redis ferrum); fi
    for mode in "${MODES[@]}"; do
        for server in "${order[@]}"; do bench_one "$server" "$mode" "$round"; done
    done
done

log "generating $RECORDS records"
generate_aof "$TMP/gen.aof" "$RECORDS"
AOF_BYTES=$(stat -c %s "$TMP/gen.aof")
for round in $(seq "$ROUNDS"); do
    if (( round % 2 )); then order=(ferrum redis); else order=(redis ferrum); fi
    for server in "${order[@]}"; do replay_one "$server" "$round"; done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == a + 0 && b == b + 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }
label() { case $1 in always) echo "appendfsync always";; everysec) echo "appendfsync everysec";; none) echo "no AOF";; esac; }
fmt_secs() { awk -v a="$1" 'BEGIN { if (a == a + 0) printf "%.3f", a; else print a }'; }
fmt_rate() { awk -v a="$1" 'BEGIN { if (a == a + 0) printf "%.0f", a; else print a }'; }
list() { echo "$1" | awk '{ for (i = 1; i <= NF; i++) printf "%s%s", (i > 1 ? ", " : ""), ($i == $i + 0 && $i > 1000 ? sprintf("%.0f", $i) : $i) }'; }

REDIS_VERSION=$(redis-server --version | awk '{ print $3 }' | sed 's/^v=//')
echo
echo "## FerrumKV vs redis-server $REDIS_VERSION, AOF on"
echo
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
     "$(uname -srmv); $(redis-benchmark --version); $(redis-server --version | cut -d' ' -f1-3);" \
     "temp dir on $(df -T "$TMP" | awk 'NR == 2 { print $2 }'); load average $LOAD_BEFORE before, $LOAD_AFTER after"
echo "ferrum-kv: $FERRUM, git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src Cargo.toml 2>/dev/null || echo ' (src has uncommitted changes)'), built $(date -r "$FERRUM" '+%F %T')"
echo "rounds: $ROUNDS, alternating (odd rounds FerrumKV first, even rounds Redis first), one server running at a time, fresh data dir each run"
echo
echo "| measurement | FerrumKV | Redis | ratio | FerrumKV rounds | Redis rounds |"
echo "|---|---:|---:|---:|---|---|"
for mode in "${MODES[@]}"; do
    # shellcheck disable=SC2086
    f=$(median ${RATES["ferrum $mode"]}); r=$(median ${RATES["redis $mode"]})
    echo "| SET ops/s, $(label "$mode") | $(fmt_rate "$f") | $(fmt_rate "$r") | $(ratio "$f" "$r") (F/R) | $(list "${RATES["ferrum $mode"]}") | $(list "${RATES["redis $mode"]}") |"
done
# shellcheck disable=SC2086
ft=$(fmt_secs "$(median ${TIMES[ferrum]-})"); rt=$(fmt_secs "$(median ${TIMES[redis]-})")
echo "| replay $RECORDS records ($AOF_BYTES bytes), s | $ft | $rt | $(ratio "$rt" "$ft")x (R/F) | $(list "${TIMES[ferrum]-}") | $(list "${TIMES[redis]-}") |"
# shellcheck disable=SC2086
fe=$(median ${RATES["ferrum everysec"]}); fn=$(median ${RATES["ferrum none"]})
echo
echo "FerrumKV everysec / no AOF: $(ratio "$fe" "$fn"); medians of $ROUNDS rounds; ratio F/R = FerrumKV ops/s / Redis ops/s, R/F = Redis time / FerrumKV time."
echo
echo "commands (PORT: a free loopback port per run; TMP: the mktemp dir):"
echo '```'
echo "redis-benchmark -p PORT -t set -n $REQUESTS -c $CLIENTS -r $KEYSPACE --csv"
echo "$FERRUM --port PORT --aof-path TMP/f.aof --appendfsync always|everysec --loglevel warning"
echo "$FERRUM --port PORT --loglevel warning"
echo "redis-server --port PORT --save '' --appendonly yes --appendfsync always|everysec --dir TMP/redis --daemonize no --loglevel warning"
echo "redis-server --port PORT --save '' --appendonly no --dir TMP/redis --daemonize no --loglevel warning"
echo "# replay: TMP/gen.aof = SELECT 0 + $RECORDS x SET key:%012d val-%012d, copied fresh before each start"
echo "$FERRUM --port PORT --aof-path TMP/copy.aof --appendfsync everysec"
echo "redis-server --port PORT --save '' --appendonly yes --appendfilename appendonly.aof --appendfsync everysec --dir TMP/redis --daemonize no   # TMP/redis/appendonly.aof, no manifest"
echo "redis-cli -p PORT DBSIZE   # every 10 ms from process start until it answers $RECORDS"
echo '```'
if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    echo "notes:"
    printf -- '- %s\n' "${NOTES[@]}"
fi
