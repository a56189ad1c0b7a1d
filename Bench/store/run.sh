#!/usr/bin/env bash
# Store benchmark: bfs store against nginx serving the same payloads as plain files.
#
# Workloads (wrk -t1 -c32 -d$DURATION --latency, keep-alive, loopback, hot page cache):
#   nginx-4k     GET /4k/<random key>               one of N 4 KiB files
#   store-4k     GET /get?vid=1&key=<random>         one of N 4 KiB needles (sendfile)
#   nginx-64k    GET /64k/<random key>              one of N 64 KiB files
#   store-64k    GET /get?vid=2&key=<random>         one of N 64 KiB needles
#   upload-4k    POST /upload of 4 KiB, durable (fdatasync, group commit), fresh key per request
# Three alternating rounds; medians, ratios vs nginx. One server thread each (nginx
# worker_processes 1, store workers = 1): wrk needs the other core.
#
# Usage: Bench/store/run.sh [duration, default 10s] [needles per size, default 100000]
set -euo pipefail
DURATION=${1:-10s}
N=${2:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/Bench/store"
T=$(mktemp -d /tmp/bfs-store-bench-XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
. "$ROOT/Bench/lib.sh"

print_environment
echo "== wrk -t1 -c32 -d$DURATION --latency; $N needles per size"
swift build -c release --package-path "$ROOT" --product bfs >"$T/build.log" 2>&1 || { cat "$T/build.log"; exit 1; }
BFS=$(swift build -c release --package-path "$ROOT" --show-bin-path)/bfs

API=$(free_port); ADMIN=$(free_port); STAT=$(free_port); NGINX=$(free_port)
cat >"$T/store.toml" <<CONF
[store]
id = "bench"
data_dir = "$T/data"
free_volume_size = "8GiB"
durable_writes = true
[http]
api_listen = "127.0.0.1:$API"
admin_listen = "127.0.0.1:$ADMIN"
stat_listen = "127.0.0.1:$STAT"
workers = 1
[coordination]
backend = "embedded"
[scrub]
rate = "0"
CONF
"$BFS" store -c "$T/store.toml" --log-level warning 2>"$T/store.log" &
PIDS+=($!)
for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$STAT/info" && break; sleep 0.05; done
curl -sf -d "n=4&bdir=$T/data&idir=$T/data" "http://127.0.0.1:$ADMIN/add_free_volume" >/dev/null
for vid in 1 2 3; do curl -sf -d "vid=$vid" "http://127.0.0.1:$ADMIN/add_volume" | grep -q '"ret":1'; done

echo "== loading $N x 4 KiB and $N x 64 KiB"
python3 "$HERE/load.py" 127.0.0.1 "$API" 1 "$N" 4096 "$T/www" 4k
python3 "$HERE/load.py" 127.0.0.1 "$API" 2 "$N" 65536 "$T/www" 64k
start_nginx "$T/www" "$NGINX"
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$NGINX/4k/1" && break; sleep 0.05; done
# The bytes must match before timing anything.
curl -sf "http://127.0.0.1:$API/get?vid=1&key=17&cookie=7" | cmp - "$T/www/4k/17"
curl -sf "http://127.0.0.1:$API/get?vid=2&key=$N&cookie=7" | cmp - "$T/www/64k/$N"
# Warm both caches once (the files were just written, so they are hot already).
cat "$T/www/4k/"* >/dev/null 2>&1 || true

KEY_BASE=10000000
for ROUND in 1 2 3; do
    BFS_KEYS=$N BFS_PREFIX=4k run_wrk nginx-4k $ROUND -s "$HERE/nginx_random.lua" "http://127.0.0.1:$NGINX"
    BFS_KEYS=$N BFS_VID=1 run_wrk store-4k $ROUND -s "$HERE/get_random.lua" "http://127.0.0.1:$API"
    BFS_KEYS=$N BFS_PREFIX=64k run_wrk nginx-64k $ROUND -s "$HERE/nginx_random.lua" "http://127.0.0.1:$NGINX"
    BFS_KEYS=$N BFS_VID=2 run_wrk store-64k $ROUND -s "$HERE/get_random.lua" "http://127.0.0.1:$API"
    BFS_VID=3 BFS_KEY_BASE=$KEY_BASE run_wrk upload-4k $ROUND -s "$HERE/upload.lua" "http://127.0.0.1:$API"
    KEY_BASE=$((KEY_BASE + 10000000))
done

echo "== medians of 3"
summary nginx-4k store-4k
summary nginx-64k store-64k
summary upload-4k
echo "== store /metrics: group-commit batch sizes"
curl -sf "http://127.0.0.1:$STAT/metrics" | grep -E '^bfs_store_sync_batch_appends_(sum|count)' || true
