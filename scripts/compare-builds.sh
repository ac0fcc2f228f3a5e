#!/usr/bin/env bash
# Two FerrumKV builds side by side (before and after a change): redis-benchmark ops/s
# and server CPU per request, and user-space instructions per request under
# callgrind, which do not depend on the machine's load.
#
#   scripts/compare-builds.sh BIN_A BIN_B [rounds=5] [requests=300000]
#
# Throughput: for each row (TESTS × CONFIGS, as in compare-redis.sh: `-r 1000000`,
# clients:pipeline), each round runs A and B back to back on fresh servers (A first in
# odd rounds, B first in even ones), and reports the median ops/s of each, the ratio
# B/A, and the server's CPU time (utime + stime of the process) per 1,000 requests.
# Instructions: unless CALLGRIND=0, each build serves CG_REQUESTS (default 200000)
# requests per test at `-c 10 -P 16 -r 100000` under `valgrind --tool=callgrind`
# (`--io-threads 1`); the report gives instructions per request (the whole run, start-up
# included, divided by the requests) and the ratio B/A.
#
# Environment: TESTS (default "set get incr mset"), CONFIGS (default "50:1 50:16"),
# LABEL_A / LABEL_B (default "A" / "B"), CG_TESTS (default "set get incr"),
# CG_REQUESTS, CALLGRIND. Needs redis-server's redis-benchmark and redis-cli
# (redis-tools), python3, and valgrind for the instruction counts. Everything lives
# under one mktemp dir, removed at exit with the servers. Report on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN_A=${1:?usage: $0 BIN_A BIN_B [rounds] [requests]}
BIN_B=${2:?usage: $0 BIN_A BIN_B [rounds] [requests]}
ROUNDS=${3:-5}
REQUESTS=${4:-300000}
TESTS=${TESTS:-set get incr mset}
CONFIGS=${CONFIGS:-50:1 50:16}
LABEL_A=${LABEL_A:-A}
LABEL_B=${LABEL_B:-B}
CG_TESTS=${CG_TESTS:-set get incr}
CG_REQUESTS=${CG_REQUESTS:-200000}
CALLGRIND=${CALLGRIND:-1}
for n in "$ROUNDS" "$REQUESTS" "$CG_REQUESTS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "rounds, requests: positive integers" >&2; exit 2; }
done
for tool in redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install redis-tools)" >&2; exit 1; }
done

. scripts/lib.sh
bench_tmp compare-builds
cp "$BIN_A" "$TMP/a"
cp "$BIN_B" "$TMP/b"

CLK_TCK=$(getconf CLK_TCK)

declare -A OPS CPU
# run_one WHICH TEST CLIENTS PIPELINE: one benchmark on a fresh server.
run_one() {
    local which=$1 test=$2 clients=$3 pipeline=$4 port before after csv ops
    port=$(free_port)
    start "$which" "$TMP/$which" --port "$port" --loglevel warning
    wait_ready "$port" "$SERVER_PID"
    before=$(cpu_ticks "$SERVER_PID")
    csv=$(redis-benchmark -p "$port" -c "$clients" -P "$pipeline" -r 1000000 -n "$REQUESTS" --csv -t "$test" 2>/dev/null | tail -1)
    after=$(cpu_ticks "$SERVER_PID")
    stop "$SERVER_PID"
    ops=$(echo "$csv" | awk -F'","' '{ print $2 }')
    OPS["$test $clients:$pipeline $which"]+="${ops%.*} "
    CPU["$test $clients:$pipeline $which"]+="$(python3 -c "print(($after - $before) * 1000 / $CLK_TCK / $REQUESTS * 1000)") "
}

for round in $(seq "$ROUNDS"); do
    log "round $round of $ROUNDS"
    for test in $TESTS; do
        for config in $CONFIGS; do
            clients=${config%%:*} pipeline=${config##*:}
            if [ $((round % 2)) = 1 ]; then order="a b"; else order="b a"; fi
            for which in $order; do run_one "$which" "$test" "$clients" "$pipeline"; done
        done
    done
done

echo "# FerrumKV builds side by side: $LABEL_A (A) and $LABEL_B (B)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPUs, $(uname -srm)"
echo "- command: \`scripts/compare-builds.sh A B $ROUNDS $REQUESTS\` (TESTS=\"$TESTS\" CONFIGS=\"$CONFIGS\")"
echo "- servers: \`ferrum-kv --port P --loglevel warning\`, fresh per run; client: \`redis-benchmark -c C -P P -r 1000000 -n $REQUESTS --csv -t TEST\`"
echo
echo "| row | A ops/s | B ops/s | B/A | A min–max | B min–max | CPU µs/req A | CPU µs/req B | CPU B/A |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for test in $TESTS; do
    for config in $CONFIGS; do
        key="$test $config"
        read -r -a oa <<<"${OPS[$key a]}"; read -r -a ob <<<"${OPS[$key b]}"
        read -r -a ca <<<"${CPU[$key a]}"; read -r -a cb <<<"${CPU[$key b]}"
        ma=$(median "${oa[@]}"); mb=$(median "${ob[@]}"); cma=$(median "${ca[@]}"); cmb=$(median "${cb[@]}")
        printf '| %s -c %s -P %s | %.0f | %.0f | **%.2f** | %s–%s | %s–%s | %.2f | %.2f | %.2f |\n' \
            "${test^^}" "${config%%:*}" "${config##*:}" "$ma" "$mb" "$(python3 -c "print($mb / $ma)")" \
            "$(printf '%s\n' "${oa[@]}" | sort -n | head -1)" "$(printf '%s\n' "${oa[@]}" | sort -n | tail -1)" \
            "$(printf '%s\n' "${ob[@]}" | sort -n | head -1)" "$(printf '%s\n' "${ob[@]}" | sort -n | tail -1)" \
            "$cma" "$cmb" "$(python3 -c "print($cmb / $cma)")"
    done
done

if [ "$CALLGRIND" != 0 ] && command -v valgrind >/dev/null; then
    echo
    echo "User-space instructions per request under callgrind (\`-c 10 -P 16 -r 100000 -n $CG_REQUESTS\`, \`--io-threads 1\`, start-up included):"
    echo
    echo "| test | A | B | B/A |"
    echo "|---|---:|---:|---:|"
    for test in $CG_TESTS; do
        declare -A IR=()
        for which in a b; do
            port=$(free_port)
            start "cg-$which" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg-$which.out" \
                "$TMP/$which" --port "$port" --io-threads 1 --loglevel warning
            for _ in $(seq 300); do timeout 5 redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
            redis-benchmark -p "$port" -c 10 -P 16 -r 100000 -n "$CG_REQUESTS" -q -t "$test" >/dev/null 2>&1
            timeout 60 redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
            wait "$SERVER_PID" 2>/dev/null || true
            IR[$which]=$(awk '/^summary:/ { print $2; exit }' "$TMP/cg-$which.out")
        done
        printf '| %s | %.0f | %.0f | **%.3f** |\n' "${test^^}" "$(python3 -c "print(${IR[a]} / $CG_REQUESTS)")" \
            "$(python3 -c "print(${IR[b]} / $CG_REQUESTS)")" "$(python3 -c "print(${IR[b]} / ${IR[a]})")"
    done
fi
if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    printf -- '- note: %s\n' "${NOTES[@]}"
fi
