#!/usr/bin/env bash
# Directory benchmark on SQLite and PostgreSQL (DESIGN.md §5, issue #8):
#   commits   committed uploads/s: 32 concurrent POST /allocate -> POST /commit chains, durable
#             (SQLite WAL with full sync; PostgreSQL with fsync on), one directory loop
#   get       GET /get lookups/s of random committed files (wrk -t1 -c32, keep-alive), one loop
# The directory runs in-process in bfs-bench-directory with embedded coordination holding one
# healthy two-store group; stores are never called (neither workload touches them).
#
# Usage: Bench/directory/run.sh [duration, default 10s]
set -euo pipefail
DURATION=${1:-10s}
SECONDS_RUN=${DURATION%s}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/Bench/directory"
T=$(mktemp -d /tmp/bfs-directory-bench-XXXXXX)
chmod 755 "$T"
PIDS=()
PG=/usr/lib/postgresql/15/bin
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    [ -d "$T/pg/data" ] && runuser -u postgres -- "$PG/pg_ctl" -D "$T/pg/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
. "$ROOT/Bench/lib.sh"

print_environment
echo "== postgres: $("$PG/postgres" --version)"
swift build -c release --package-path "$ROOT/Bench" --product bfs-bench-directory >"$T/build.log" 2>&1 || { cat "$T/build.log"; exit 1; }
BENCH=$(swift build -c release --package-path "$ROOT/Bench" --show-bin-path)/bfs-bench-directory

# One backend: start the directory, record the commit rate, run wrk on /get, stop.
bench() {
    local name=$1 target=$2
    mkfifo "$T/$name.in"
    "$BENCH" "$name" "$target" "$SECONDS_RUN" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.log" &
    PIDS+=($!)
    exec 3>"$T/$name.in"
    for _ in $(seq 600); do grep -q READY "$T/$name.out" 2>/dev/null && break; sleep 0.1; done
    grep commits "$T/$name.out" | sed "s/^/$name /"
    read -r _ port per_chain < <(grep READY "$T/$name.out")
    BFS_PER_CHAIN=$per_chain run_wrk "$name-get" 1 -s "$HERE/get_random.lua" "http://127.0.0.1:$port"
    exec 3>&-
    wait "${PIDS[-1]}" || true
}

bench sqlite "$T/metadata.db"

mkdir -p "$T/pg" && chown postgres:postgres "$T/pg"
PGPORT=$(free_port)
runuser -u postgres -- "$PG/initdb" -D "$T/pg/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
runuser -u postgres -- "$PG/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $T/pg -c fsync=on -c synchronous_commit=on" start >/dev/null
bench postgres "host=127.0.0.1 port=$PGPORT dbname=postgres user=postgres"
