#!/bin/sh
# measure_startup.sh SERVER PORT [RUNS]: the start-up memory of an empty
# redis-server, as sim/redis_version.c keeps it.  Starts SERVER as the
# fidelity tests' harness does (tests/redis_harness.c: loopback, no
# persistence, no daemon), waits 2 s for its cron to refresh INFO's copy of
# RSS, reads INFO memory once over one redis-cli connection, shuts it down;
# RUNS times (default 3).  Prints one line per run: mem_allocator,
# used_memory, used_memory_startup, used_memory_rss.
set -eu
server=$1 port=$2 runs=${3:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
i=0
while [ "$i" -lt "$runs" ]; do
    "$server" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        --dir "$dir" >"$dir/log" 2>&1 &
    pid=$!
    n=0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
        n=$((n + 1)); [ "$n" -lt 100 ] || { echo "$server did not start" >&2; exit 1; }
        sleep 0.1
    done
    sleep 2
    redis-cli -p "$port" info memory | tr -d '\r' | awk -F: '
        /^mem_allocator:/ {a=$2} /^used_memory:/ {u=$2} /^used_memory_startup:/ {s=$2}
        /^used_memory_rss:/ {r=$2}
        END {printf "mem_allocator %s used_memory %s used_memory_startup %s used_memory_rss %s\n", a, u, s, r}'
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" || true
    i=$((i + 1))
done
