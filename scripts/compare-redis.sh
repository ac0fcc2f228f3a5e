#!/usr/bin/env bash
# FerrumKV against redis-server on this machine, side by side, with redis-benchmark.
#
#   scripts/compare-redis.sh [rounds=5] [requests=1000000]
#
# Starts a release FerrumKV and `redis-server --save '' --appendonly no` on free
# loopback ports and runs redis-benchmark against each in turn: every row of every
# round runs once against each server, back to back, FerrumKV first in odd rounds
# and Redis first in even rounds, so drift in the machine's load hits both alike.
#
# Rows: the tests set, get, incr, mset, ping_inline and an MGET of 10 random keys
# (redis-benchmark has no mget test: its custom-command form `mget key:__rand_int__
# ...` is used); with TESTS, also the collection rows hset, sadd, spop (from a
# pre-filled 1M-member set), hgetall (a 100-field hash) and sinter (two 10k-member
# sets), lpush, rpush, lpop and rpop (popping from `mylist` pre-filled with as many
# 3-byte elements as the run has requests, so no pop finds it empty), lrange_100,
# lrange_300, lrange_600 (redis-benchmark fills `mylist` itself first; its "LPUSH
# (needed to benchmark LRANGE)" line is not a row), the sorted-set rows zadd, zpopmin,
# zscore, zrank (a pre-filled 1M-member myzset), zrange (100 members from rank 500000)
# and zrangebyscore (100 members from a random score), the geo row geosearch (`GEOSEARCH
# mygeo FROMLONLAT 15 37 BYRADIUS 100 km COUNT 10 ASC` over 1M points spread evenly
# in longitude and latitude, seeded), the stream rows xadd (`xadd s
# MAXLEN ~ 10000 * f v`), xrange (100 entries from the middle of a pre-filled
# 100k-entry stream `mystream`), xreadgroup (`XREADGROUP GROUP g c COUNT 1 STREAMS
# mystream >`: one new entry per request from a `mystream` pre-filled with as many
# entries as the run has requests, group g at 0-0) and xack (`XACK mystream g
# __rand_int__-1` with -r REQUESTS: the same stream, every entry already delivered
# to consumer c, so most requests acknowledge a pending entry), their data loaded before every
# run, each at `-c 50 -P 1`, `-c 50 -P 16`, `-c 500 -P 1` and `-c 50 -P 1 --threads 2`,
# always with `-r 1000000 -n REQUESTS --csv`. Then SET and
# GET at `-c 50 -P 1` with the append-only file on, under `appendfsync always` and
# `everysec`, against fresh servers (FerrumKV `--aof-path F --appendfsync M`, Redis
# `--appendonly yes --appendfsync M`).
#
# For each row: the median ops/s of the rounds for both servers and the ratio
# FerrumKV/Redis, the min-max spread, the median p50 and p99 latency (redis-benchmark
# 7's --csv columns), and the server's CPU time per 1,000 requests: utime + stime of
# the whole server process (fields 14 and 15 of /proc/PID/stat, all threads) read
# before and after the run, clock ticks converted with `getconf CLK_TCK`.
#
# Environment (for quick runs): ROUNDS and REQUESTS (override the arguments),
# AOF_ALWAYS_REQUESTS (default 100000), AOF_EVERYSEC_REQUESTS (default REQUESTS),
# TESTS (default "set get incr mset ping_inline mget"), KEYSPACE (-r, default 1000000), CONFIGS (default
# "50:1:1 50:16:1 500:1:1 50:1:2", clients:pipeline:threads), SECTIONS (default
# "main always everysec": the rows without persistence, and the two AOF policies),
# FERRUM_BIN to use a given binary instead of building (FERRUM_COMMIT: its commit,
# for the header), FERRUM_ARGS for extra FerrumKV flags, BENCH_TIMEOUT (seconds per redis-benchmark run, default 1800), QUIET_WAIT
# (seconds to wait for other load on the machine to settle before a pair of runs,
# default 120; 0 disables), RAW_CSV (a file to write every run to), REPORT_FROM
# (raw files of earlier runs, space-separated: print their report, run nothing).
#
# Needs redis-server, redis-cli, redis-benchmark (Debian: redis-server, redis-tools)
# and python3. Everything lives under one mktemp dir, removed at exit together with
# every server this script started. Progress goes to stderr, the report to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-${1:-5}}
REQUESTS=${REQUESTS:-${2:-1000000}}
AOF_ALWAYS_REQUESTS=${AOF_ALWAYS_REQUESTS:-100000}
AOF_EVERYSEC_REQUESTS=${AOF_EVERYSEC_REQUESTS:-$REQUESTS}
TESTS=${TESTS:-set get incr mset ping_inline mget}
CONFIGS=${CONFIGS:-50:1:1 50:16:1 500:1:1 50:1:2}
SECTIONS=${SECTIONS:-main always everysec}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
QUIET_WAIT=${QUIET_WAIT:-120}
KEYSPACE=${KEYSPACE:-1000000}
for n in "$ROUNDS" "$REQUESTS" "$AOF_ALWAYS_REQUESTS" "$AOF_EVERYSEC_REQUESTS" "$BENCH_TIMEOUT"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [rounds>=1] [requests>=1]" >&2; exit 2; }
done
for tool in redis-server redis-cli redis-benchmark python3 timeout getconf; do
    command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

. scripts/lib.sh
bench_tmp compare-redis

# The binary is copied so that someone else's `cargo build` cannot swap it mid-run.
if [ -n "${REPORT_FROM:-}" ]; then
    : # nothing runs
elif [ -n "${FERRUM_BIN:-}" ]; then
    cp "$FERRUM_BIN" "$TMP/ferrum-kv"
else
    timeout 1800 cargo build --release --quiet
    cp target/release/ferrum-kv "$TMP/ferrum-kv"
fi
FERRUM=$TMP/ferrum-kv
read -r -a FERRUM_EXTRA <<<"${FERRUM_ARGS:-}"
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# Busy and total jiffies of the whole machine.
machine_ticks() { awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6 }' /proc/stat; }
# Wait (at most QUIET_WAIT s) until the machine is mostly idle for half a second:
# other people's builds on a 2-core box would otherwise land in one server's runs.
wait_quiet() {
    [ "$QUIET_WAIT" -gt 0 ] || return 0
    local deadline=$((SECONDS + QUIET_WAIT)) b0 t0 b1 t1 busy
    while :; do
        read -r b0 t0 <<<"$(machine_ticks)"; sleep 0.5; read -r b1 t1 <<<"$(machine_ticks)"
        busy=$(( t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0 ))
        [ "$busy" -le 15 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            note "the machine was still ${busy}% busy with other work after ${QUIET_WAIT} s of waiting: ran anyway"
            return 0
        fi
        sleep 2
    done
}

minimum() { printf '%s\n' "$@" | sort -g | head -1; }
maximum() { printf '%s\n' "$@" | sort -g | tail -1; }

# The collection rows' data, loaded into a server before each of its runs (so every
# run starts from the same state): spop pops from redis-benchmark's own `myset:`
# filled with 1M members; hgetall reads a 100-field hash, sinter two 10k-member sets
# sharing half their members.
prefill_resp() { # TEST REQUESTS
    python3 - "$1" "$2" <<'PY'
import sys
test = sys.argv[1]
def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
w = sys.stdout.buffer
if test == "spop":
    w.write(cmd("DEL", "myset:"))
    for start in range(0, 1000000, 1000):
        w.write(cmd("SADD", "myset:", *("element:%d" % i for i in range(start, start + 1000))))
elif test in ("zpopmin", "zrange", "zrangebyscore", "zscore", "zrank"):
    # 1M members of myzset (redis-benchmark's own key), score i for element:i.
    w.write(cmd("DEL", "myzset"))
    for start in range(0, 1000000, 1000):
        w.write(cmd("ZADD", "myzset", *(x for i in range(start, start + 1000) for x in (i, "element:%d" % i))))
elif test == "geosearch":
    # 1M points, uniform in longitude and latitude (seeded: the same set every run).
    import random
    rng = random.Random(12)
    w.write(cmd("DEL", "mygeo"))
    for start in range(0, 1000000, 1000):
        args = []
        for i in range(start, start + 1000):
            args += ["%.6f" % rng.uniform(-180, 180), "%.6f" % rng.uniform(-85, 85), "point:%d" % i]
        w.write(cmd("GEOADD", "mygeo", *args))
elif test in ("xadd", "xrange"):
    # 100k entries of mystream, ids i-1, one field; `s` (XADD's key) emptied.
    w.write(cmd("DEL", "mystream", "s"))
    for start in range(0, 100000, 1000):
        w.write(cmd("MULTI"))
        for i in range(start, start + 1000):
            w.write(cmd("XADD", "mystream", "%d-1" % (i + 1), "f", "v"))
        w.write(cmd("EXEC"))
elif test in ("xreadgroup", "xack"):
    # REQUESTS entries of mystream, ids i-1 (i from 1), group g from 0-0; for
    # xack all delivered to consumer c, 1000 at a time.
    n = int(sys.argv[2])
    w.write(cmd("DEL", "mystream"))
    for start in range(0, n, 1000):
        w.write(cmd("MULTI"))
        for i in range(start, min(n, start + 1000)):
            w.write(cmd("XADD", "mystream", "%d-1" % (i + 1), "f", "v"))
        w.write(cmd("EXEC"))
    w.write(cmd("XGROUP", "CREATE", "mystream", "g", "0"))
    if test == "xack":
        for start in range(0, n, 1000):
            w.write(cmd("XREADGROUP", "GROUP", "g", "c", "COUNT", "1000", "STREAMS", "mystream", ">"))
elif test == "hgetall":
    w.write(cmd("DEL", "bench:hash100"))
    w.write(cmd("HSET", "bench:hash100", *(x for i in range(100) for x in ("field:%d" % i, "value:%d" % i))))
elif test in ("lpop", "rpop"):
    n = int(sys.argv[2])
    w.write(cmd("DEL", "mylist"))
    for start in range(0, n, 1000):
        w.write(cmd("RPUSH", "mylist", *(["xxx"] * (min(n, start + 1000) - start))))
elif test.startswith("lrange"):
    w.write(cmd("DEL", "mylist"))
elif test == "sinter":
    w.write(cmd("DEL", "bench:set10k:a", "bench:set10k:b"))
    for key, offset in (("bench:set10k:a", 0), ("bench:set10k:b", 5000)):
        for start in range(0, 10000, 1000):
            w.write(cmd("SADD", key, *("member:%d" % (offset + i) for i in range(start, start + 1000))))
PY
}
# prefill TEST PORT REQUESTS: loads the row's data, if it has any.
prefill() {
    case $1 in
        spop | hgetall | sinter | lpop | rpop | lrange_* | zpopmin | zrange | zrangebyscore | zscore | zrank | geosearch | xadd | xrange | xreadgroup | xack)
            prefill_resp "$1" "$3" | timeout 300 redis-cli -p "$2" --pipe >"$TMP/prefill.log" 2>&1 \
                || note "prefill of $1 on port $2 failed: $(tr '\n' ' ' <"$TMP/prefill.log" | head -c 300)" ;;
    esac
}

MGET_ARGS=(mget)
for _ in $(seq 10); do MGET_ARGS+=("key:__rand_int__"); done

# bench_args CLIENTS PIPELINE THREADS TEST N: the redis-benchmark arguments after -p.
bench_args() {
    local args=(-c "$1" -P "$2")
    [ "$3" -gt 1 ] && args+=(--threads "$3")
    # XACK's ids are the pre-filled entries' (1-1 to N-1).
    local keyspace=$KEYSPACE
    [ "$4" = xack ] && keyspace=$5
    args+=(-r "$keyspace" -n "$5" --csv)
    case $4 in
        mget) args+=("${MGET_ARGS[@]}") ;;
        hgetall) args+=(hgetall bench:hash100) ;;
        sinter) args+=(sinter bench:set10k:a bench:set10k:b) ;;
        zrange) args+=(zrange myzset 500000 500099) ;;
        zrangebyscore) args+=(zrangebyscore myzset __rand_int__ +inf LIMIT 0 100) ;;
        zscore) args+=(zscore myzset element:__rand_int__) ;;
        zrank) args+=(zrank myzset element:__rand_int__) ;;
        geosearch) args+=(geosearch mygeo FROMLONLAT 15 37 BYRADIUS 100 km COUNT 10 ASC) ;;
        xadd) args+=(xadd s MAXLEN '~' 10000 '*' f v) ;;
        xrange) args+=(xrange mystream 50000 + COUNT 100) ;;
        xreadgroup) args+=(xreadgroup GROUP g c COUNT 1 STREAMS mystream '>') ;;
        xack) args+=(xack mystream g __rand_int__-1) ;;
        *) args+=(-t "$4") ;;
    esac
    printf '%s\n' "${args[@]}"
}
LABEL_SUFFIX=""   # " (AOF always)" and the like for the AOF rows
row_label() { # CLIENTS PIPELINE THREADS TEST
    local t=${4^^}
    [ "$t" = MGET ] && t="MGET (10 keys)"
    [ "$t" = MSET ] && t="MSET (10 keys)"
    [ "$t" = SPOP ] && t="SPOP (1M-member set)"
    [ "$t" = HGETALL ] && t="HGETALL (100 fields)"
    [ "$t" = SINTER ] && t="SINTER (two 10k sets)"
    [ "$t" = ZPOPMIN ] && t="ZPOPMIN (1M-member zset)"
    [ "$t" = ZRANGE ] && t="ZRANGE (ranks 500000-500099 of 1M)"
    [ "$t" = ZRANGEBYSCORE ] && t="ZRANGEBYSCORE (100 of 1M)"
    [ "$t" = ZSCORE ] && t="ZSCORE (1M members)"
    [ "$t" = ZRANK ] && t="ZRANK (1M members)"
    [ "$t" = GEOSEARCH ] && t="GEOSEARCH (100 km COUNT 10 ASC in 1M points)"
    [ "$t" = LPOP ] && t="LPOP (pre-filled list)"
    [ "$t" = RPOP ] && t="RPOP (pre-filled list)"
    [ "$t" = XREADGROUP ] && t="XREADGROUP (COUNT 1 >)"
    [ "$t" = XACK ] && t="XACK (random pending id)"
    if [ "$3" -gt 1 ]; then echo "$t -c $1 -P $2 --threads $3$LABEL_SUFFIX"; else echo "$t -c $1 -P $2$LABEL_SUFFIX"; fi
}

declare -A RPS P50 P99 CPU   # "row|server" -> space-separated values, one per round
RAW=${RAW_CSV:-$TMP/raw.csv}   # every run, one line each; the report is made from it
[ -n "${REPORT_FROM:-}" ] || echo "round,row,server,requests,rps,p50_ms,p99_ms,cpu_ms_per_1k" >"$RAW"

# run_one SERVER PORT PID ROUND N CLIENTS PIPELINE THREADS TEST
run_one() {
    local server=$1 port=$2 pid=$3 round=$4 n=$5 c=$6 p=$7 th=$8 test=$9 label args out err c0 c1 line rps p50 p99 cpu
    label=$(row_label "$c" "$p" "$th" "$test")
    mapfile -t args <<<"$(bench_args "$c" "$p" "$th" "$test" "$n")"
    out=$TMP/bench.csv err=$TMP/bench.err
    prefill "$test" "$port" "$n"
    c0=$(cpu_ticks "$pid")
    if ! timeout "$BENCH_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" "${args[@]}" >"$out" 2>"$err"; then
        note "$server round $round $label: redis-benchmark failed or timed out: $(tr '\n' ' ' <"$err" | head -c 300)"
    fi
    c1=$(cpu_ticks "$pid" 2>/dev/null || echo "$c0")
    [ -s "$err" ] && note "$server round $round $label: redis-benchmark stderr: $(tr '\n' ' ' <"$err" | head -c 300)"
    kill -0 "$pid" 2>/dev/null || { note "$server died during round $round $label"; return 1; }
    [ "$(timeout 10 redis-cli -p "$port" ping 2>/dev/null)" = PONG ] || note "$server round $round $label: no PONG after the run"
    # The data line: "test","rps","avg","min","p50","p95","p99","max".
    # (For LRANGE_*, not the line of redis-benchmark's own LPUSH that fills the list.)
    line=$(awk -F'","' 'NR > 1 && NF >= 8 && !/needed to benchmark/ { print $2, $5, $7; exit }' "$out")
    if [ -z "$line" ]; then
        note "$server round $round $label: no result line in: $(tr '\n' ' ' <"$out" | head -c 300)"
        return 0
    fi
    read -r rps p50 p99 <<<"$line"
    cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.4f", d * 1000 / hz / (n / 1000) }')
    echo "$round,\"$label\",$server,$n,$rps,$p50,$p99,$cpu" >>"$RAW"
    log "  round $round  $(printf '%-34s %-6s' "$label" "$server") $(printf '%12s ops/s  p50 %6s  p99 %7s ms  cpu %7s ms/1k' "$rps" "$p50" "$p99" "$cpu")"
}

# run_pair ROUND N CLIENTS PIPELINE THREADS TEST: both servers, order by round.
run_pair() {
    local round=$1; shift
    wait_quiet
    if [ $((round % 2)) = 1 ]; then
        run_one ferrum "$F_PORT" "$F_PID" "$round" "$@"
        run_one redis "$R_PORT" "$R_PID" "$round" "$@"
    else
        run_one redis "$R_PORT" "$R_PID" "$round" "$@"
        run_one ferrum "$F_PORT" "$F_PID" "$round" "$@"
    fi
}

# start_pair MODE(none|always|everysec): fresh servers, sets F_PORT F_PID R_PORT R_PID.
F_CMD=() R_CMD=()
start_pair() {
    local mode=$1
    F_PORT=$(free_port) R_PORT=$(free_port)
    mkdir -p "$TMP/redis-$mode"
    F_CMD=("$FERRUM" --port "$F_PORT" --loglevel warning "${FERRUM_EXTRA[@]+"${FERRUM_EXTRA[@]}"}")
    R_CMD=(redis-server --bind 127.0.0.1 --port "$R_PORT" --save '' --daemonize no --loglevel warning --dir "$TMP/redis-$mode")
    if [ "$mode" = none ]; then
        R_CMD+=(--appendonly no)
    else
        F_CMD+=(--aof-path "$TMP/ferrum-$mode.aof" --appendfsync "$mode")
        R_CMD+=(--appendonly yes --appendfsync "$mode")
    fi
    start "ferrum-$mode" "${F_CMD[@]}"; F_PID=$SERVER_PID
    wait_ready "$F_PORT" "$F_PID" || { cat "$TMP/ferrum-$mode.log" >&2; exit 1; }
    start "redis-$mode" "${R_CMD[@]}"; R_PID=$SERVER_PID
    wait_ready "$R_PORT" "$R_PID" || { cat "$TMP/redis-$mode.log" >&2; exit 1; }
    # Both really run with the intended persistence.
    local port enabled want
    want=$([ "$mode" = none ] && echo 0 || echo 1)
    for port in "$F_PORT" "$R_PORT"; do
        enabled=$(redis-cli -p "$port" info persistence | tr -d '\r' | awk -F: '$1 == "aof_enabled" { print $2 }')
        [ "$enabled" = "$want" ] || note "port $port ($mode): INFO persistence says aof_enabled=$enabled"
    done
}
stop_pair() {
    local f r
    f=$(timeout 10 redis-cli -p "$F_PORT" dbsize 2>/dev/null || echo "?")
    r=$(timeout 10 redis-cli -p "$R_PORT" dbsize 2>/dev/null || echo "?")
    log "  dbsize after the runs: FerrumKV $f, Redis $r"
    stop "$F_PID"; stop "$R_PID"
}

# ---- header ------------------------------------------------------------------
shown_cmd() { local a out=""; for a in "$@"; do [[ $a =~ ^[A-Za-z0-9_:./=,-]+$ ]] && out+="$a " || out+="'$a' "; done; echo "${out% }"; }
echo "# FerrumKV vs redis-server: redis-benchmark side by side"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $NCPU CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "- kernel: $(uname -a)"
echo "- $(redis-benchmark --version | head -1); $(redis-server --version | head -1)"
if [ -n "${FERRUM_BIN:-}" ]; then
    echo "- FerrumKV: the release binary $FERRUM_BIN${FERRUM_COMMIT:+ (commit $FERRUM_COMMIT)}"
else
    echo "- FerrumKV: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted changes in src/)'), release build"
fi
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "${REPORT_FROM:-}" ] || echo "- **report rebuilt from the raw results in $REPORT_FROM** (the lines above describe the machine now)"
echo "- rounds: $ROUNDS; requests per run: $REQUESTS (AOF always: $AOF_ALWAYS_REQUESTS, AOF everysec: $AOF_EVERYSEC_REQUESTS); CLK_TCK $CLK_TCK"
echo
echo "Servers (ports are free loopback ports picked per start; AOF runs get fresh servers):"
echo
echo '```'
echo "ferrum-kv --port F --loglevel warning${FERRUM_ARGS:+ $FERRUM_ARGS}"
echo "redis-server --bind 127.0.0.1 --port R --save '' --daemonize no --loglevel warning --dir D --appendonly no"
echo "ferrum-kv --port F --loglevel warning${FERRUM_ARGS:+ $FERRUM_ARGS} --aof-path D/ferrum-MODE.aof --appendfsync MODE    # MODE = always, everysec"
echo "redis-server --bind 127.0.0.1 --port R --save '' --daemonize no --loglevel warning --dir D --appendonly yes --appendfsync MODE"
echo '```'
echo
echo "Client, one run per row, server and round (TEST in: $TESTS; C:P:T in: $CONFIGS):"
echo
echo '```'
echo "redis-benchmark -h 127.0.0.1 -p PORT -c C -P P [--threads T] -r $KEYSPACE -n N --csv -t TEST"
echo "redis-benchmark -h 127.0.0.1 -p PORT -c C -P P [--threads T] -r $KEYSPACE -n N --csv $(shown_cmd "${MGET_ARGS[@]}")"
echo '```'
echo
echo "Server CPU: utime+stime from /proc/PID/stat (fields 14, 15; all threads) before and after each run."
echo

# ---- runs ----------------------------------------------------------------------
START=$SECONDS
if [ -z "${REPORT_FROM:-}" ]; then
    for section in $SECTIONS; do
        case $section in
            main)
                log "== without persistence =="
                LABEL_SUFFIX=""
                start_pair none
                for round in $(seq "$ROUNDS"); do
                    for cfg in $CONFIGS; do
                        IFS=: read -r c p th <<<"$cfg"
                        for test in $TESTS; do
                            run_pair "$round" "$REQUESTS" "$c" "$p" "$th" "$test"
                        done
                    done
                done
                stop_pair
                ;;
            always | everysec)
                log "== AOF appendfsync $section =="
                n=$AOF_ALWAYS_REQUESTS; [ "$section" = everysec ] && n=$AOF_EVERYSEC_REQUESTS
                LABEL_SUFFIX=" (AOF $section)"
                start_pair "$section"
                for round in $(seq "$ROUNDS"); do
                    for test in set get; do
                        run_pair "$round" "$n" 50 1 1 "$test"
                    done
                done
                stop_pair
                ;;
            *) echo "unknown section $section (main, always, everysec)" >&2; exit 2 ;;
        esac
    done
else
    # Rebuild the report from earlier raw files (header lines are skipped).
    cat $REPORT_FROM | grep -v '^round,' >"$RAW.tmp"
    { echo "round,row,server,requests,rps,p50_ms,p99_ms,cpu_ms_per_1k"; cat "$RAW.tmp"; } >"$RAW"
fi
ELAPSED=$((SECONDS - START))

# Load the raw results: "row|server" -> the values of the rounds.
MAIN_ROWS=() AOF_ROWS=()
has_row() { local r; for r in "$@"; do [ "$r" = "$ROW" ] && return 0; done; return 1; }
while IFS=, read -r _ ROW server _ rps p50 p99 cpu; do
    [ -n "$ROW" ] || continue
    ROW=${ROW//\"/}
    if [[ $ROW == *"(AOF "* ]]; then
        has_row "${AOF_ROWS[@]+"${AOF_ROWS[@]}"}" || AOF_ROWS+=("$ROW")
    else
        has_row "${MAIN_ROWS[@]+"${MAIN_ROWS[@]}"}" || MAIN_ROWS+=("$ROW")
    fi
    RPS["$ROW|$server"]+="$rps " P50["$ROW|$server"]+="$p50 " P99["$ROW|$server"]+="$p99 " CPU["$ROW|$server"]+="$cpu "
done <<<"$(tail -n +2 "$RAW")"

# ---- report --------------------------------------------------------------------
fmt_int() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
table() {
    echo "| row | FerrumKV ops/s | Redis ops/s | ratio F/R | FerrumKV min–max | Redis min–max | p50 ms F / R | p99 ms F / R | CPU ms/1k req F / R | CPU ratio F/R |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    local row fr rr fc rc
    for row in "$@"; do
        local -a fv rv
        read -r -a fv <<<"${RPS["$row|ferrum"]:-}"; read -r -a rv <<<"${RPS["$row|redis"]:-}"
        if [ ${#fv[@]} = 0 ] || [ ${#rv[@]} = 0 ]; then echo "| $row | (no data) |||||||||"; continue; fi
        fr=$(median "${fv[@]}") rr=$(median "${rv[@]}")
        # shellcheck disable=SC2046
        fc=$(median ${CPU["$row|ferrum"]}) rc=$(median ${CPU["$row|redis"]})
        # shellcheck disable=SC2086
        printf '| %s | %s | %s | **%s** | %s–%s | %s–%s | %s / %s | %s / %s | %.3f / %.3f | %s |\n' \
            "$row" "$(fmt_int "$fr")" "$(fmt_int "$rr")" "$(ratio "$fr" "$rr")" \
            "$(fmt_int "$(minimum "${fv[@]}")")" "$(fmt_int "$(maximum "${fv[@]}")")" \
            "$(fmt_int "$(minimum "${rv[@]}")")" "$(fmt_int "$(maximum "${rv[@]}")")" \
            "$(median ${P50["$row|ferrum"]})" "$(median ${P50["$row|redis"]})" \
            "$(median ${P99["$row|ferrum"]})" "$(median ${P99["$row|redis"]})" \
            "$fc" "$rc" "$(ratio "$fc" "$rc")"
    done
}
echo "## Results ($ROUNDS rounds, medians; $((ELAPSED / 60)) min $((ELAPSED % 60)) s of runs)"
echo
echo "Without persistence, $REQUESTS requests per run:"
echo
table "${MAIN_ROWS[@]+"${MAIN_ROWS[@]}"}"
if [ ${#AOF_ROWS[@]} -gt 0 ]; then
    echo
    echo "With the AOF (-c 50 -P 1; always: $AOF_ALWAYS_REQUESTS requests per run, everysec: $AOF_EVERYSEC_REQUESTS):"
    echo
    table "${AOF_ROWS[@]}"
fi

# ---- targets -------------------------------------------------------------------
med_of() { local v=${2}; local -n a=$1; # shellcheck disable=SC2086
    [ -n "${a["$v"]:-}" ] && median ${a["$v"]} || echo ""; }
verdict() { # DESCRIPTION VALUE OP LIMIT
    local ok
    if [ -z "$2" ]; then echo "| $1 | (no data) | $3 $4 | – |"; return; fi
    ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { if (op == ">=") print (v >= l) ? "met" : "NOT met"; else print (v <= l) ? "met" : "NOT met" }')
    echo "| $1 | $2 | $3 $4 | $ok |"
}
rr() { # ROW METRIC: ratio of medians FerrumKV/Redis
    local f r
    f=$(med_of "$2" "$1|ferrum") r=$(med_of "$2" "$1|redis")
    [ -n "$f" ] && [ -n "$r" ] && ratio "$f" "$r" || echo ""
}
echo
echo "## Targets (ratios of medians, FerrumKV/Redis)"
echo
echo "| target | value | wanted | verdict |"
echo "|---|---:|---:|---|"
for t in SET GET INCR; do
    verdict "$t -c 50 -P 1 ops/s" "$(rr "$t -c 50 -P 1" RPS)" ">=" 1.0
    verdict "$t -c 50 -P 1 server CPU per request" "$(rr "$t -c 50 -P 1" CPU)" "<=" 0.8
done
for t in SET GET; do verdict "$t -c 50 -P 16 ops/s" "$(rr "$t -c 50 -P 16" RPS)" ">=" 1.5; done
for t in SET GET INCR; do
    verdict "$t -c 500 -P 1 ops/s" "$(rr "$t -c 500 -P 1" RPS)" ">=" 1.0
    verdict "$t -c 500 -P 1 p99" "$(rr "$t -c 500 -P 1" P99)" "<=" 1.0
done
if [ ${#AOF_ROWS[@]} -gt 0 ]; then
    verdict "SET AOF always ops/s" "$(rr "SET -c 50 -P 1 (AOF always)" RPS)" ">=" 1.0
    for t in SET GET; do
        f=$(med_of RPS "$t -c 50 -P 1 (AOF everysec)|ferrum") b=$(med_of RPS "$t -c 50 -P 1|ferrum")
        v=""; [ -n "$f" ] && [ -n "$b" ] && v=$(ratio "$f" "$b")
        verdict "FerrumKV $t AOF everysec / FerrumKV no AOF" "$v" ">=" 0.95
    done
fi
echo
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    echo "## Notes"
    echo
    for n in "${NOTES[@]}"; do echo "- $n"; done
fi
