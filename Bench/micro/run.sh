#!/usr/bin/env bash
# Micro benchmark of the BFSHTTP server against nginx, same bytes, same client.
#
# Workloads (wrk -t1 -c32 -d10s --latency, keep-alive, loopback, hot page cache):
#   nginx      GET /4k.bin      a 4 KiB file (sendfile on)
#   bfs-fixed  GET /fixed       the same 4 KiB from memory
#   bfs-file   GET /file        the same 4 KiB as a file range via sendfile(2)
# Three alternating rounds; prints req/s, p50, p99 per run, medians, and ratios vs nginx.
# One server thread each (nginx worker_processes 1, bfs --loops 1); wrk shares the machine.
#
# Usage: Bench/micro/run.sh [duration, default 10s]
set -euo pipefail
DURATION=${1:-10s}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/bfs-micro-XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
. "$ROOT/Bench/lib.sh"

print_environment
echo "== wrk -t1 -c32 -d$DURATION --latency"
swift build -c release --package-path "$ROOT/Bench" >"$T/build.log" 2>&1 || { cat "$T/build.log"; exit 1; }
BIN=$(swift build -c release --package-path "$ROOT/Bench" --show-bin-path)/bfs-bench-server

mkdir -p "$T/www"
head -c 4096 /dev/urandom >"$T/www/4k.bin"
chmod 644 "$T/www/4k.bin"
NGINX_PORT=$(free_port)
start_nginx "$T/www" "$NGINX_PORT"

"$BIN" --file "$T/www/4k.bin" --offset 0 --length 4096 --loops 1 >"$T/bfs.out" &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$T/bfs.out" 2>/dev/null && break; sleep 0.05; done
BFS_PORT=$(awk '/listening/ {print $2}' "$T/bfs.out")
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/4k.bin" && break; sleep 0.05; done

# The bytes must match before timing anything.
curl -sf "http://127.0.0.1:$NGINX_PORT/4k.bin" | cmp - "$T/www/4k.bin"
curl -sf "http://127.0.0.1:$BFS_PORT/fixed" | cmp - "$T/www/4k.bin"
curl -sf "http://127.0.0.1:$BFS_PORT/file" | cmp - "$T/www/4k.bin"

for ROUND in 1 2 3; do
    run_wrk nginx $ROUND "http://127.0.0.1:$NGINX_PORT/4k.bin"
    run_wrk bfs-fixed $ROUND "http://127.0.0.1:$BFS_PORT/fixed"
    run_wrk bfs-file $ROUND "http://127.0.0.1:$BFS_PORT/file"
done
echo "== medians of 3"
summary nginx bfs-fixed bfs-file
