#!/usr/bin/env bash
# Memory per element of hashes, sets, lists and sorted sets, FerrumKV against redis-server: for each
# scenario, a fresh empty server of each kind is loaded through `redis-cli --pipe` and
# the growth of its resident set (VmRSS) and of `INFO memory` used_memory is divided
# by the scenario's element count (fields or members).
#
#   scripts/memory-collections.sh [scenario ...]
#
# Scenarios (default: all five):
#   hashes-small   100,000 hashes (`hash:%06d`) of 10 fields `f0`..`f9`, values `v-%06d`
#                  (listpack in both servers); per field
#   hash-1m        1 hash of 1,000,000 fields `field:%07d`, values `value:%07d`
#                  (hashtable); per field
#   set-ints-1m    1 set of 1,000,000 integers 0..999,999 (hashtable; past the intset
#                  limit); per member
#   set-16b-1m     1 set of 1,000,000 16-byte members `member:%09d`; per member
#   zset-16b-1m    1 sorted set of 1,000,000 16-byte members `member:%09d`, score i
#                  (skiplist); per member
#   list-16b-1m    1 list of 1,000,000 16-byte elements `element:%08d` (RPUSH;
#                  quicklist in both servers); per element
#   stream-1m      1 stream of 1,000,000 entries of two small fields (`XADD s i-1 a <i>
#                  b x`, explicit ids); per entry
# Elements are sent 1,000 per command. RSS is read SETTLE seconds (default 1) after
# start-up and after the load's last reply.
#
# Environment: FERRUM_BIN (a given binary instead of building; FERRUM_COMMIT names its
# commit), FERRUM_ARGS (extra FerrumKV flags), SETTLE. Needs redis-server, redis-cli,
# python3. Everything lives in one mktemp dir, removed at exit with the servers.
set -euo pipefail
cd "$(dirname "$0")/.."

SETTLE=${SETTLE:-1}
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "SETTLE: whole seconds" >&2; exit 2; }
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(hashes-small hash-1m set-ints-1m set-16b-1m list-16b-1m zset-16b-1m stream-1m)
for tool in redis-server redis-cli python3 timeout; do
    command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

. scripts/lib.sh
bench_tmp memory-collections

if [ -n "${FERRUM_BIN:-}" ]; then
    cp "$FERRUM_BIN" "$TMP/ferrum-kv"
else
    timeout 1800 cargo build --release --quiet
    cp target/release/ferrum-kv "$TMP/ferrum-kv"
fi
read -r -a FERRUM_EXTRA <<<"${FERRUM_ARGS:-}"


# load SCENARIO FILE: writes the scenario's RESP stream; prints its element count.
load() {
    python3 - "$1" "$2" <<'PY'
import sys
scenario, path = sys.argv[1], sys.argv[2]
def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
with open(path, "wb") as f:
    if scenario == "hashes-small":
        for h in range(100000):
            f.write(cmd("HSET", "hash:%06d" % h, *(x for i in range(10) for x in ("f%d" % i, "v-%06d" % h))))
        count = 1000000
    elif scenario == "hash-1m":
        for start in range(0, 1000000, 1000):
            f.write(cmd("HSET", "bighash", *(x for i in range(start, start + 1000) for x in ("field:%07d" % i, "value:%07d" % i))))
        count = 1000000
    elif scenario == "set-ints-1m":
        for start in range(0, 1000000, 1000):
            f.write(cmd("SADD", "intset", *range(start, start + 1000)))
        count = 1000000
    elif scenario == "set-16b-1m":
        for start in range(0, 1000000, 1000):
            f.write(cmd("SADD", "set16", *("member:%09d" % i for i in range(start, start + 1000))))
        count = 1000000
    elif scenario == "zset-16b-1m":
        for start in range(0, 1000000, 1000):
            f.write(cmd("ZADD", "zset16", *(x for i in range(start, start + 1000) for x in (i, "member:%09d" % i))))
        count = 1000000
    elif scenario == "stream-1m":
        for i in range(1000000):
            f.write(cmd("XADD", "stream1m", "%d-1" % (i + 1), "a", i, "b", "x"))
        count = 1000000
    elif scenario == "list-16b-1m":
        for start in range(0, 1000000, 1000):
            f.write(cmd("RPUSH", "list16", *("element:%08d" % i for i in range(start, start + 1000))))
        count = 1000000
    else:
        sys.exit("unknown scenario " + scenario)
print(count)
PY
}

declare -A RSS_GROWTH USED_GROWTH
measure() { # SCENARIO NAME COUNT PORT CMD...
    local scenario=$1 name=$2 count=$3 port=$4; shift 4
    start "$name-$scenario" "$@"
    local pid=$SERVER_PID r0 u0 r1 u1 out
    wait_ready "$port" "$pid" || { cat "$TMP/$name-$scenario.log" >&2; exit 1; }
    sleep "$SETTLE"
    r0=$(rss_kb "$pid") u0=$(used_memory "$port")
    out=$(timeout 900 redis-cli -p "$port" --pipe <"$TMP/$scenario.resp" 2>&1) || { echo "$name: --pipe failed: $out" >&2; exit 1; }
    grep -q 'errors: 0,' <<<"$out" || { echo "$name $scenario: redis-cli --pipe reported errors: $out" >&2; exit 1; }
    sleep "$SETTLE"
    r1=$(rss_kb "$pid") u1=$(used_memory "$port")
    RSS_GROWTH[$scenario|$name]=$(awk -v a="$r0" -v b="$r1" -v n="$count" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }')
    USED_GROWTH[$scenario|$name]=$(awk -v a="$u0" -v b="$u1" -v n="$count" 'BEGIN { printf "%.1f", (b - a) / n }')
    log "  $scenario $name: VmRSS $r0 -> $r1 kB, used_memory $u0 -> $u1"
    stop "$pid"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
echo "# Memory per element: hashes, sets, lists and sorted sets, FerrumKV vs redis-server"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(uname -srm)"
echo "- $(redis-server --version | head -1)"
echo "- FerrumKV: ${FERRUM_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo '?')}, release build${FERRUM_ARGS:+, flags: $FERRUM_ARGS}"
echo
echo "| scenario | FerrumKV RSS B/elem | Redis RSS B/elem | ratio | FerrumKV used_memory B/elem | Redis used_memory B/elem | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for scenario in "${SCENARIOS[@]}"; do
    count=$(load "$scenario" "$TMP/$scenario.resp")
    port=$(free_port)
    measure "$scenario" ferrum "$count" "$port" "$TMP/ferrum-kv" --port "$port" --loglevel warning "${FERRUM_EXTRA[@]+"${FERRUM_EXTRA[@]}"}"
    port=$(free_port)
    mkdir -p "$TMP/redis-$scenario"
    measure "$scenario" redis "$count" "$port" redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --daemonize no --loglevel warning --dir "$TMP/redis-$scenario"
    f=${RSS_GROWTH[$scenario|ferrum]} r=${RSS_GROWTH[$scenario|redis]}
    fu=${USED_GROWTH[$scenario|ferrum]} ru=${USED_GROWTH[$scenario|redis]}
    echo "| $scenario | $f | $r | $(ratio "$f" "$r") | $fu | $ru | $(ratio "$fu" "$ru") |"
done
