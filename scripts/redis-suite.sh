#!/usr/bin/env bash
# Redis 7.0.15's own Tcl test suite against FerrumKV, for the units whose families
# exist: builds the release binary (or takes FERRUM_BIN), starts a fresh FerrumKV on
# a free loopback port (the suite changes CONFIG and leaves data behind, so a new
# server every run), runs `../shared/redis-suite PORT UNITS` (the shared directory
# beside the checkout), stops the server and compares every test's result with
# tests/redis-suite/expected-failures.txt. Fails, saying why, when
#   - a test fails that the list does not name (its error lines are printed),
#   - a listed test passes ("now passes: remove it from the list") or did not run,
#   - a unit did not finish (an exception or the runner's timeout stopped it),
#   - the server exited during the run,
#   - tclsh (or the runner) is missing and CI is set; without CI that is a loud
#     SKIPPED line and exit 0, as for the tests that need redis-cli or redis-py.
# Prints per unit passed / failed / skipped, the expected failures, and a last line
# "N passed, M failed (all expected)".
#
#   scripts/redis-suite.sh [unit ...]
#
# Default units: unit/type/string unit/type/incr unit/type/hash unit/type/set
# unit/lazyfree unit/bitops unit/bitfield unit/hyperloglog unit/type/list
# unit/type/list-2 unit/type/list-3 unit/type/zset unit/geo unit/sort unit/type/stream
# unit/type/stream-cgroups unit/expire unit/keyspace unit/info-command
# unit/other unit/scan unit/multi unit/protocol unit/pubsub unit/tracking
# unit/introspection unit/introspection-2 unit/pause unit/scripting unit/functions. With a subset,
# only the list's entries for those units count.
# Environment: FERRUM_BIN to use a given server binary instead of building one;
# SUITE_PROFILE for the cargo profile to build with (default release; CI uses bench,
# which `cargo bench --no-run` has already built); REDIS_SUITE_LOG=FILE to keep the
# suite's full log (otherwise it lives in the temp dir and goes at exit);
# REDIS_SUITE_RUNNER for another runner than ../shared/redis-suite; REDIS_SUITE_TIMEOUT
# (seconds, default 1200) and REDIS_SUITE_ENCODINGS are the runner's own.
# Needs tclsh (Debian: apt-get install tcl), redis-cli (readiness) and python3 (ports).
set -euo pipefail
# A relative REDIS_SUITE_LOG is relative to where the script was started.
[ -z "${REDIS_SUITE_LOG:-}" ] || REDIS_SUITE_LOG=$(realpath -m "$REDIS_SUITE_LOG")
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

UNITS=("$@")
[ ${#UNITS[@]} -gt 0 ] || UNITS=(unit/type/string unit/type/incr unit/type/hash unit/type/set unit/lazyfree
    unit/bitops unit/bitfield unit/hyperloglog unit/type/list unit/type/list-2 unit/type/list-3 unit/type/zset unit/geo unit/sort
    unit/type/stream unit/type/stream-cgroups
    unit/expire unit/keyspace unit/info-command unit/other unit/scan unit/multi unit/protocol
    unit/pubsub unit/tracking unit/introspection unit/introspection-2 unit/pause unit/scripting unit/functions)
LIST=tests/redis-suite/expected-failures.txt
RUNNER=${REDIS_SUITE_RUNNER:-../shared/redis-suite}

# A missing runner is a failure in CI and a loud skip elsewhere.
missing() {
    if [ -n "${CI+set}" ]; then
        echo "FAILED: CI is set but $1 is missing ($2)" >&2
        exit 1
    fi
    echo >&2
    echo "*** SKIPPED: the Redis test suite: $1 missing (set CI=1 to make this a failure) ***" >&2
    echo >&2
    exit 0
}
command -v tclsh >/dev/null 2>&1 || missing tclsh "Debian: apt-get install -y tcl"
[ -x "$RUNNER" ] || missing "the suite runner $RUNNER" "it lives in the shared directory beside the checkout"
for tool in redis-cli python3 timeout; do
    command -v "$tool" >/dev/null || { echo "FAILED: $tool missing" >&2; exit 1; }
done
[ -f "$LIST" ] || { echo "FAILED: $LIST missing" >&2; exit 1; }

PROFILE=${SUITE_PROFILE:-release}
case $PROFILE in
    dev | test) OUT=target/debug ;;
    release | bench) OUT=target/release ;;
    *) OUT=target/$PROFILE ;;
esac
if [ -z "${FERRUM_BIN:-}" ]; then
    timeout 1800 cargo build --profile "$PROFILE" --quiet --bin ferrum-kv
fi
FERRUM=$(realpath "${FERRUM_BIN:-$OUT/ferrum-kv}")
[ -x "$FERRUM" ] || { echo "FAILED: no server binary at $FERRUM" >&2; exit 1; }
RUNNER=$(realpath "$RUNNER")
REPO=$PWD

bench_tmp redis-suite
export REDIS_SUITE_LOG=${REDIS_SUITE_LOG:-$TMP/suite.log}

# A fresh server in the temp dir (anything it writes stays out of the checkout).
# One I/O thread: the suite's deferring-client tests send commands on several
# connections back to back without waiting (`$rd1 brpoplpush …; $rd2 brpoplpush …;
# r lpush …`) and expect them run in that order, which only one event loop gives.
# With two threads the second client can block first, and the test then hangs.
# Concurrency is checked by tests/blocking.rs, tests/concurrency.rs and the loom models.
PORT=$(free_port)
cd "$TMP"
start server "$FERRUM" --port "$PORT" --loglevel warning --io-threads 1
cd "$REPO"
wait_ready "$PORT" "$SERVER_PID" || { tail -20 "$TMP/server.log" >&2; exit 1; }

log "FerrumKV $FERRUM on port $PORT; units: ${UNITS[*]}"
began=$(date +%s)
rc=0
"$RUNNER" "$PORT" "${UNITS[@]}" >"$TMP/runner.out" 2>&1 || rc=$?
took=$(($(date +%s) - began))

PROBLEMS=()
problem() { PROBLEMS+=("$*"); }
if kill -0 "$SERVER_PID" 2>/dev/null; then
    stop "$SERVER_PID"
else
    srv_rc=0
    wait "$SERVER_PID" 2>/dev/null || srv_rc=$?
    if [ -s "$TMP/server.log" ]; then
        problem "the server exited (status $srv_rc) during the run; the end of its log:"$'\n'"$(tail -20 "$TMP/server.log")"
    else
        problem "the server exited (status $srv_rc) during the run (nothing in its log)"
    fi
fi
[ "$rc" -eq 0 ] || problem "the runner exited with status $rc:"$'\n'"$(tail -20 "$TMP/runner.out")"
[ -f "$REDIS_SUITE_LOG" ] || { echo "FAILED: no suite log at $REDIS_SUITE_LOG" >&2; cat "$TMP/runner.out" >&2; exit 1; }

# One line per result: UNIT<TAB>STATUS<TAB>TEST. Every result belongs to the unit whose
# "[k/n done]: UNIT" line comes next (the runner uses one test client, so units run
# one after another); results after the last done line belong to an unfinished unit.
sed 's/\x1b\[[0-9;]*m//g' "$REDIS_SUITE_LOG" >"$TMP/clean.log"
awk -v OFS='\t' '
    function keep(status, name) { n++; st[n] = status; nm[n] = name }
    function flush(unit,   i) { for (i = 1; i <= n; i++) print unit, st[i], nm[i]; n = 0 }
    /^\[ok\]: / { s = substr($0, 7); sub(/ \([0-9]+ ms\)$/, "", s); keep("ok", s); next }
    /^\[err\]: / { s = substr($0, 8); sub(/ in tests\/[^ ]*\.tcl$/, "", s); keep("err", s); next }
    /^\[(ignore|skip)\]: / { keep("skip", ""); next }
    /^\[exception\]/ { keep("exception", $0); next }
    /^\[TIMEOUT\]/ { keep("exception", $0); next }
    /^\[[0-9]+\/[0-9]+ done\]: / { flush($3); print $3, "done", ""; next }
    END { flush("(unfinished)") }
' "$TMP/clean.log" >"$TMP/results.tsv"

# The list: UNIT | TEST | FAMILY, blank lines and # comments ignored.
declare -A EXPECTED=() FAMILY=() RUN_UNIT=() DONE=() PASSED=() FAILED=()
for u in "${UNITS[@]}"; do RUN_UNIT[$u]=1; done
skip_re='^[[:space:]]*(#|$)'
entry_re='^[[:space:]]*([^|]*[^|[:space:]])[[:space:]]*[|][[:space:]]*(.*[^[:space:]])[[:space:]]*[|][[:space:]]*([^|]*[^|[:space:]])[[:space:]]*$'
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    [[ $line =~ $skip_re ]] && continue
    if ! [[ $line =~ $entry_re ]]; then
        problem "$LIST:$lineno: not 'unit | test name | family': $line"
        continue
    fi
    unit=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]} family=${BASH_REMATCH[3]}
    [ -n "${RUN_UNIT[$unit]+x}" ] || continue
    key="$unit|$name"
    [ -z "${EXPECTED[$key]+x}" ] || problem "$LIST:$lineno: listed twice: $unit | $name"
    EXPECTED[$key]=1
    FAMILY[$key]=$family
done <"$LIST"

declare -A N_OK=() N_ERR=() N_SKIP=() N_XFAIL=()
SEEN_EXPECTED=()
total_ok=0 total_err=0 unexpected=0
while IFS=$'\t' read -r unit status name; do
    case $status in
        done) DONE[$unit]=1; continue ;;
        ok) N_OK[$unit]=$((${N_OK[$unit]:-0} + 1)); total_ok=$((total_ok + 1))
            PASSED["$unit|$name"]=1 ;;
        skip) N_SKIP[$unit]=$((${N_SKIP[$unit]:-0} + 1)) ;;
        err | exception)
            N_ERR[$unit]=$((${N_ERR[$unit]:-0} + 1)); total_err=$((total_err + 1))
            key="$unit|$name"
            if [ "$status" = err ] && [ -n "${EXPECTED[$key]+x}" ]; then
                N_XFAIL[$unit]=$((${N_XFAIL[$unit]:-0} + 1))
                [ -n "${FAILED[$key]+x}" ] || SEEN_EXPECTED+=("$key")
                FAILED[$key]=1
            else
                unexpected=$((unexpected + 1))
                if [ "$status" = exception ]; then
                    problem "$unit: $name"
                elif [ "$unexpected" -gt 10 ]; then
                    problem "$unit: unexpected failure: $name"
                else
                    # The error lines that follow the [err] line, up to the next result.
                    detail=$(awk -v want="[err]: $name in " '
                        index($0, want) == 1 { on = 1; next }
                        on && /^\[/ { exit }
                        on && c++ < 12 { print "      " $0 }' "$TMP/clean.log")
                    problem "$unit: unexpected failure: $name"$'\n'"$detail"
                fi
            fi ;;
    esac
done <"$TMP/results.tsv"

for u in "${UNITS[@]}"; do
    [ -n "${DONE[$u]+x}" ] || problem "$u: did not finish (an exception, a timeout or a dead server stopped it)"
done
for key in "${!EXPECTED[@]}"; do
    unit=${key%%|*} name=${key#*|}
    [ -z "${FAILED[$key]+x}" ] || continue
    if [ -n "${PASSED[$key]+x}" ]; then
        problem "$unit: now passes: remove it from the list: $name (waited for ${FAMILY[$key]})"
    elif [ -n "${DONE[$unit]+x}" ]; then
        problem "$unit: listed as an expected failure but did not run: $name"
    fi
done

echo
echo "Redis 7.0.15 test suite against FerrumKV ($took s)"
printf '  %-20s %7s %7s %8s %9s\n' unit passed failed skipped expected
for u in "${UNITS[@]}"; do
    printf '  %-20s %7d %7d %8d %9d%s\n' "$u" "${N_OK[$u]:-0}" "${N_ERR[$u]:-0}" "${N_SKIP[$u]:-0}" \
        "${N_XFAIL[$u]:-0}" "$([ -n "${DONE[$u]+x}" ] || echo '  (did not finish)')"
done
if [ ${#SEEN_EXPECTED[@]} -gt 0 ]; then
    echo "expected failures (${#SEEN_EXPECTED[@]}, each waits for a family, see $LIST):"
    for key in "${SEEN_EXPECTED[@]}"; do
        printf '  %-18s %-58s %s\n' "${key%%|*}" "${key#*|}" "[${FAMILY[$key]}]"
    done
    printf 'waiting for: %s\n' "$(for key in "${SEEN_EXPECTED[@]}"; do echo "${FAMILY[$key]}"; done |
        sort | uniq -c | sort -rn | awk '{ n = $1; $1 = ""; printf "%s%s %d", sep, substr($0, 2), n; sep = ", " }')"
fi
for n in "${NOTES[@]+"${NOTES[@]}"}"; do echo "note: $n"; done
if [ ${#PROBLEMS[@]} -gt 0 ]; then
    echo
    for p in "${PROBLEMS[@]}"; do echo "PROBLEM: $p"; done
    echo
    [ "$REDIS_SUITE_LOG" != "$TMP/suite.log" ] || echo "(set REDIS_SUITE_LOG=FILE to keep the suite's full log)"
    echo "$total_ok passed, $total_err failed ($unexpected unexpected)"
    echo "FAILED: ${#PROBLEMS[@]} problem(s) above"
    exit 1
fi
echo "$total_ok passed, $total_err failed (all expected)"
