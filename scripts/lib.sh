# Shared by the benchmark scripts (compare-redis.sh, aof-bench.sh, memory-per-key.sh,
# evict-hitratio): a temporary directory removed at exit together with every server
# started, progress and notes on stderr, free loopback ports, starting, waiting for
# and stopping servers, memory readings, and a median. Source it after `set -euo pipefail`, then call
# `bench_tmp NAME` before starting anything.

# bench_tmp NAME: sets TMP (a fresh mktemp dir) and PIDS (servers to kill at exit).
bench_tmp() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}
bench_cleanup() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}

NOTES=()   # anything odd, for the report
note() { NOTES+=("$*"); echo "  note: $*" >&2; }
log() { echo "$*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# cpu_ticks PID: CPU ticks (utime + stime) the process has used; the fields after
# the ")" that ends comm start at field 3, so utime (14) and stime (15) are the 12th
# and 13th of them.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# start NAME CMD...: runs a server in the background (output in $TMP/NAME.log),
# sets SERVER_PID.
start() {
    local name=$1; shift
    "$@" >"$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
}
# wait_ready PORT PID: at most 10 s until the server answers PING.
wait_ready() {
    local i
    for i in $(seq 1000); do
        [ "$(timeout 5 redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        kill -0 "$2" 2>/dev/null || { log "server (pid $2) exited during start-up"; return 1; }
        sleep 0.01
    done
    log "server on port $1 did not answer PING within 10 s"; return 1
}
# stop PID: SIGTERM, at most 20 s, then SIGKILL (noted).
stop() {
    local pid=$1 i p keep=()
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        note "pid $pid did not exit within 20 s of SIGTERM: killed"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# rss_kb PID: the process's resident set (VmRSS), kB. used_memory PORT: INFO's figure.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
used_memory() { timeout 10 redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
