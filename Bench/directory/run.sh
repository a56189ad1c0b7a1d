#!/usr/bin/env bash
# Directory benchmark on SQLite and PostgreSQL (DESIGN.md §5, issue #8):
#   commits   committed uploads/s: 32 concurrent POST /allocate -> POST /commit chains, durable
#             (SQLite WAL with full sync; PostgreSQL with fsync on), one directory loop
#   get       GET /get lookups/s of random committed files (wrk -t1 -c32, keep-alive), one loop
# The directory runs in-process in bfs-bench-directory with embedded coordination holding one
# healthy two-store group; stores are never called (neither workload touches them).
#
# Three rounds per backend (a fresh database each), medians printed at the end.
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

# bench BACKEND TARGET ROUND: start the directory, record the commit rate, run wrk on /get, stop.
bench() {
    local name=$1 target=$2 round=$3 run=$T/$1-$3
    mkfifo "$run.in"
    "$BENCH" "$name" "$target" "$SECONDS_RUN" <"$run.in" >"$run.out" 2>"$run.log" &
    PIDS+=($!)
    exec 3>"$run.in"
    for _ in $(seq 600); do grep -q READY "$run.out" 2>/dev/null && break; sleep 0.1; done
    echo "$name round $round: $(grep commits "$run.out")"
    echo "$name-commits $(awk '/^commits/ {print $7}' "$run.out") 0 0" >>"$T/results"
    read -r _ port per_chain < <(grep READY "$run.out")
    BFS_PER_CHAIN=$per_chain run_wrk "$name-get" "$round" -s "$HERE/get_random.lua" "http://127.0.0.1:$port"
    exec 3>&-
    wait "${PIDS[-1]}" || true
}

for ROUND in 1 2 3; do bench sqlite "$T/metadata-$ROUND.db" "$ROUND"; done

mkdir -p "$T/pg" && chown postgres:postgres "$T/pg"
PGPORT=$(free_port)
runuser -u postgres -- "$PG/initdb" -D "$T/pg/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
runuser -u postgres -- "$PG/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $T/pg -c fsync=on -c synchronous_commit=on" start >/dev/null
for ROUND in 1 2 3; do
    runuser -u postgres -- "$PG/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "bench$ROUND"
    bench postgres "host=127.0.0.1 port=$PGPORT dbname=bench$ROUND user=postgres" "$ROUND"
done

echo "== medians of 3"
for name in sqlite-commits postgres-commits; do
    printf '%-16s %8.0f committed uploads/s\n' "$name" "$(awk -v n="$name" '$1==n {print $2}' "$T/results" | median)"
done
for name in sqlite-get postgres-get; do
    printf '%-16s %8.0f req/s  p50 %5.0f us  p99 %5.0f us\n' "$name" \
        "$(awk -v n="$name" '$1==n {print $2}' "$T/results" | median)" \
        "$(awk -v n="$name" '$1==n {print $3}' "$T/results" | median)" \
        "$(awk -v n="$name" '$1==n {print $4}' "$T/results" | median)"
done
