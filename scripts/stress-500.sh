#!/usr/bin/env bash
# 500-client stress run: builds and starts a release FerrumKV on a free loopback
# port, runs examples/stress.rs against it (mixed SET/GET/INCR/DEL, exact counter
# check, see the example's docs) and stops the server with SIGTERM. Fails when the
# load generator reports an error or a counter mismatch, or when the server dies,
# stops answering, or does not exit cleanly.
#
#   scripts/stress-500.sh [seconds=10]
#
# `scripts/stress-500.sh 3` is the CI-cheap variant (well under a minute once built).
# Environment: CLIENTS (default 500), FERRUM_BIN and STRESS_BIN to use given
# binaries instead of building, FERRUM_ARGS for extra server flags, STRESS_PROFILE
# for the cargo profile to build with (default release; CI uses bench, which
# `cargo bench --no-run` has already built), APPENDFSYNC=always|everysec|no to run
# with an AOF (in the script's temp dir) under that policy.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-10}
CLIENTS=${CLIENTS:-500}
[[ $SECONDS_TO_RUN =~ ^[1-9][0-9]*$ ]] && [[ $CLIENTS =~ ^[1-9][0-9]*$ ]] ||
    { echo "usage: $0 [seconds>=1]  (CLIENTS: a positive integer)" >&2; exit 2; }
for tool in python3 timeout; do
    command -v "$tool" >/dev/null || { echo "$tool missing" >&2; exit 1; }
done

PROFILE=${STRESS_PROFILE:-release}
case $PROFILE in
    dev | test) OUT=target/debug ;;
    release | bench) OUT=target/release ;;
    *) OUT=target/$PROFILE ;;
esac
if [ -z "${FERRUM_BIN:-}" ] || [ -z "${STRESS_BIN:-}" ]; then
    timeout 1800 cargo build --profile "$PROFILE" --quiet --bin ferrum-kv --example stress
fi
FERRUM=${FERRUM_BIN:-$OUT/ferrum-kv}
STRESS=${STRESS_BIN:-$OUT/examples/stress}
read -r -a FERRUM_EXTRA <<<"${FERRUM_ARGS:-}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stress-500.XXXXXX")
if [ -n "${APPENDFSYNC:-}" ]; then
    FERRUM_EXTRA+=(--aof-path "$TMP/stress.aof" --appendfsync "$APPENDFSYNC")
fi
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$FERRUM" --port "$PORT" --loglevel warning "${FERRUM_EXTRA[@]+"${FERRUM_EXTRA[@]}"}" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
# Ready when the port accepts (at most 10 s).
for _ in $(seq 200); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$PORT" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; echo "server exited during start-up" >&2; exit 1; }
    sleep 0.05
done

echo "machine: $(nproc) CPUs, $(uname -srm); server: ferrum-kv --port $PORT --loglevel warning${FERRUM_EXTRA[*]:+ ${FERRUM_EXTRA[*]}}"
echo "command: $STRESS --port $PORT --clients $CLIENTS --seconds $SECONDS_TO_RUN"
status=0
timeout $((SECONDS_TO_RUN + 120)) "$STRESS" --port "$PORT" --clients "$CLIENTS" --seconds "$SECONDS_TO_RUN" || status=$?
[ "$status" = 124 ] && echo "stress: timed out" >&2

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "FAILED: the server died during the run; its log:" >&2
    cat "$TMP/server.log" >&2
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    exit 1
fi
kill -TERM "$SERVER_PID"
server_status=""
for _ in $(seq 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || { server_status=0; wait "$SERVER_PID" || server_status=$?; break; }
    sleep 0.1
done
SERVER_PID_DONE=$SERVER_PID
if [ -z "$server_status" ]; then
    echo "FAILED: the server did not exit within 20 s of SIGTERM" >&2
    exit 1
fi
SERVER_PID=""
if [ "$server_status" != 0 ]; then
    echo "FAILED: the server (pid $SERVER_PID_DONE) exited with status $server_status after SIGTERM; its log:" >&2
    cat "$TMP/server.log" >&2
    exit 1
fi
if [ -s "$TMP/server.log" ]; then
    echo "server log (warnings):"; sed 's/^/  /' "$TMP/server.log" | head -20
fi
[ "$status" = 0 ] || { echo "FAILED: the load generator exited with status $status" >&2; exit 1; }
echo "stress-500: OK"
