#!/usr/bin/env bash
# Memory per key, FerrumKV against redis-server: load N string keys into each
# (fresh, empty server, one at a time) and report the growth of the server's resident
# set (VmRSS in /proc/PID/status) per key, and of `INFO memory` used_memory when the
# server reports it, with the ratio FerrumKV/Redis.
#
#   scripts/memory-per-key.sh [keys=1000000]
#
# The keys are `key:%012d` (16 bytes) with 16-byte values (`val-%012d`), sent as one
# RESP2 stream of `SET` commands through `redis-cli --pipe`. RSS is read once the
# server answers PING (before) and once DBSIZE equals N (after), each after a pause
# of SETTLE seconds (default 1) so that background threads and the allocator settle.
#
# Environment: FERRUM_BIN to use a given binary instead of building (FERRUM_COMMIT: its
# commit, for the header), FERRUM_ARGS for extra FerrumKV flags. Needs redis-server, redis-cli and python3. Temporary files
# live under one mktemp dir, removed at exit with every server this script started.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${1:-1000000}
SETTLE=${SETTLE:-1}
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "SETTLE: whole seconds" >&2; exit 2; }
[[ $KEYS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [keys>=1]" >&2; exit 2; }
for tool in redis-server redis-cli python3 timeout; do
    command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

. scripts/lib.sh
bench_tmp memory-per-key

if [ -n "${FERRUM_BIN:-}" ]; then
    cp "$FERRUM_BIN" "$TMP/ferrum-kv"
else
    timeout 1800 cargo build --release --quiet
    cp target/release/ferrum-kv "$TMP/ferrum-kv"
fi
read -r -a FERRUM_EXTRA <<<"${FERRUM_ARGS:-}"


python3 - "$TMP/load.resp" "$KEYS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    chunk = []
    for i in range(n):
        chunk.append(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nval-%012d\r\n" % (i, i))
        if len(chunk) == 65536:
            f.write(b"".join(chunk)); chunk.clear()
    f.write(b"".join(chunk))
PY

declare -A RSS_GROWTH USED_GROWTH RSS_BEFORE RSS_AFTER
measure() { # NAME CMD...  (the command gets --port appended by the caller)
    local name=$1; shift
    local port=$1; shift
    start "$name" "$@"
    local pid=$SERVER_PID i
    wait_ready "$port" "$pid" || { cat "$TMP/$name.log" >&2; echo "$name did not start" >&2; exit 1; }
    sleep "$SETTLE"
    local r0 u0 r1 u1 out keys
    r0=$(rss_kb "$pid") u0=$(used_memory "$port")
    out=$(timeout 600 redis-cli -p "$port" --pipe <"$TMP/load.resp" 2>&1) || { echo "$name: redis-cli --pipe failed: $out" >&2; exit 1; }
    grep -q 'errors: 0,' <<<"$out" || { echo "$name: redis-cli --pipe reported errors: $out" >&2; exit 1; }
    for i in $(seq 600); do
        keys=$(timeout 10 redis-cli -p "$port" dbsize)
        [ "$keys" = "$KEYS" ] && break
        sleep 0.1
    done
    [ "$keys" = "$KEYS" ] || { echo "$name: DBSIZE is $keys, expected $KEYS" >&2; exit 1; }
    sleep "$SETTLE"
    r1=$(rss_kb "$pid") u1=$(used_memory "$port")
    RSS_BEFORE[$name]=$r0 RSS_AFTER[$name]=$r1
    RSS_GROWTH[$name]=$(awk -v a="$r0" -v b="$r1" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }')
    if [ -n "$u0" ] && [ -n "$u1" ] && [ "$u1" -gt 0 ]; then
        USED_GROWTH[$name]=$(awk -v a="$u0" -v b="$u1" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) / n }')
    else
        USED_GROWTH[$name]="-"
    fi
    echo "  $name: VmRSS $r0 kB -> $r1 kB; used_memory ${u0:-n/a} -> ${u1:-n/a}; redis-cli --pipe: $(tail -1 <<<"$out")" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

FPORT=$(free_port)
measure ferrum "$FPORT" "$TMP/ferrum-kv" --port "$FPORT" --loglevel warning "${FERRUM_EXTRA[@]+"${FERRUM_EXTRA[@]}"}"
RPORT=$(free_port)
mkdir -p "$TMP/redis"
measure redis "$RPORT" redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --daemonize no \
    --loglevel warning --dir "$TMP/redis"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }
echo "# Memory per key: $KEYS keys (key:%012d, 16-byte values), loaded with redis-cli --pipe"
echo
echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(uname -srm)"
echo "- $(redis-server --version | head -1)"
if [ -n "${FERRUM_BIN:-}" ]; then
    echo "- FerrumKV: the release binary $FERRUM_BIN${FERRUM_COMMIT:+ (commit $FERRUM_COMMIT)}${FERRUM_ARGS:+, flags: $FERRUM_ARGS}"
else
    echo "- FerrumKV: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted changes in src/)'), release build${FERRUM_ARGS:+, flags: $FERRUM_ARGS}"
fi
echo "- RSS read $SETTLE s after start-up and $SETTLE s after the load"
echo "- servers: \`ferrum-kv --port P --loglevel warning\`, \`redis-server --port P --save '' --appendonly no\`"
echo
echo "| server | VmRSS before | VmRSS after | RSS bytes/key | used_memory bytes/key |"
echo "|---|---:|---:|---:|---:|"
for s in ferrum redis; do
    label=$([ "$s" = ferrum ] && echo FerrumKV || echo redis-server)
    echo "| $label | ${RSS_BEFORE[$s]} kB | ${RSS_AFTER[$s]} kB | ${RSS_GROWTH[$s]} | ${USED_GROWTH[$s]} |"
done
echo "| **ratio FerrumKV/Redis** | | | **$(ratio "${RSS_GROWTH[ferrum]}" "${RSS_GROWTH[redis]}")** | $(ratio "${USED_GROWTH[ferrum]}" "${USED_GROWTH[redis]}") |"
