#!/usr/bin/env bash
# Store benchmark: bfs store against nginx serving the same payloads as plain files.
#
# Workloads (wrk -t1 -c32 -d$DURATION --latency, keep-alive, loopback, hot page cache):
#   nginx-4k     GET /4k/<random key>               one of N 4 KiB files
#   store-4k     GET /get?vid=1&key=<random>         one of N 4 KiB needles (verified read)
#   nginx-64k    GET /64k/<random key>              one of N 64 KiB files
#   store-64k    GET /get?vid=2&key=<random>         one of N 64 KiB needles (sendfile)
#   upload-4k    POST /upload of 4 KiB, durable (fdatasync, group commit), fresh key per request
# Three alternating rounds; medians (req/s, p50, p99, p999), ratios vs nginx. One server thread
# each (nginx worker_processes 1, store workers = 1): wrk needs the other core.
#
# Then, per workload, over $COUNT requests: heap allocations per request (malloc_count.c,
# preloaded into the store and nginx) and syscalls per request (`strace -c -f` attached to the
# server). Both divide by the server's own count of answered requests.
#
# BFS_BEFORE_BINARY=/path/to/bfs (optional): a second store binary (e.g. built from an earlier
# commit) loaded with the same needles and run in the same rounds as "<workload>-before" (the
# two stores swap order every round), so a before/after comparison shares one machine state.
#
# BFS_FREE_VOLUME_SIZE (optional, default 8GiB): the size each of a store's four volumes
# reserves with fallocate (two stores reserve 8 times this; a smaller size fits a fuller disk).
#
# BFS_ONLY_UPLOADS=1 (optional): the upload workload alone (no GET rounds, no nginx; the
# needles are still loaded, so pass a small N), for quick before/after runs of the write path.
#
# Usage: Bench/store/run.sh [duration, default 10s] [needles per size, default 100000]
#        [requests per count run, default 20000]
set -euo pipefail
DURATION=${1:-10s}
N=${2:-100000}
COUNT=${3:-20000}
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
echo "== load: $(uptime)"
echo "== wrk -t1 -c32 -d$DURATION --latency; $N needles per size; counts over $COUNT requests"
swift build -c release --package-path "$ROOT" --product bfs >"$T/build.log" 2>&1 || { cat "$T/build.log"; exit 1; }
BFS=$(swift build -c release --package-path "$ROOT" --show-bin-path)/bfs
cc -O2 -shared -fPIC -o "$T/malloc_count.so" "$HERE/malloc_count.c"

# start_store NAME BINARY: starts a store with one loop and volumes 1-3 under $T/NAME, loads
# the needles, and sets API_<NAME>, STAT_<NAME>, PID_<NAME> (NAME: after or before).
start_store() {
    local name=$1 binary=$2 dir=$T/$1
    local api admin stat
    api=$(free_port); admin=$(free_port); stat=$(free_port)
    mkdir -p "$dir"
    cat >"$dir/store.toml" <<CONF
[store]
id = "bench-$name"
data_dir = "$dir/data"
free_volume_size = "${BFS_FREE_VOLUME_SIZE:-8GiB}"
durable_writes = true
[http]
api_listen = "127.0.0.1:$api"
admin_listen = "127.0.0.1:$admin"
stat_listen = "127.0.0.1:$stat"
workers = 1
[coordination]
backend = "embedded"
[scrub]
rate = "0"
CONF
    LD_PRELOAD="$T/malloc_count.so" BFS_MALLOC_COUNT_FILE="$dir/mallocs" \
        "$binary" store -c "$dir/store.toml" --log-level warning 2>"$dir/store.log" &
    local pid=$!
    PIDS+=($pid)
    for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$stat/info" && break; sleep 0.05; done
    curl -sf -d "n=4&bdir=$dir/data&idir=$dir/data" "http://127.0.0.1:$admin/add_free_volume" >/dev/null
    for vid in 1 2 3; do curl -sf -d "vid=$vid" "http://127.0.0.1:$admin/add_volume" | grep -q '"ret":1'; done
    echo "== $name store ($binary): loading $N x 4 KiB and $N x 64 KiB"
    python3 "$HERE/load.py" 127.0.0.1 "$api" 1 "$N" 4096 "$dir/www" 4k
    python3 "$HERE/load.py" 127.0.0.1 "$api" 2 "$N" 65536 "$dir/www" 64k
    # The bytes must match before timing anything.
    curl -sf "http://127.0.0.1:$api/get?vid=1&key=17&cookie=7" | cmp - "$dir/www/4k/17"
    curl -sf "http://127.0.0.1:$api/get?vid=2&key=$N&cookie=7" | cmp - "$dir/www/64k/$N"
    printf -v "API_$name" '%s' "$api"
    printf -v "STAT_$name" '%s' "$stat"
    printf -v "PID_$name" '%s' "$pid"
}

STORES=(after)
start_store after "$BFS"
if [ -n "${BFS_BEFORE_BINARY:-}" ]; then
    STORES+=(before)
    start_store before "$BFS_BEFORE_BINARY"
fi
ONLY_UPLOADS=${BFS_ONLY_UPLOADS:-}
if [ -z "$ONLY_UPLOADS" ]; then
NGINX=$(free_port)
NGINX_PRELOAD="$T/malloc_count.so" BFS_MALLOC_COUNT_FILE="$T/nginx-mallocs" start_nginx "$T/after/www" "$NGINX"
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$NGINX/4k/1" && break; sleep 0.05; done
cmp <(curl -sf "http://127.0.0.1:$NGINX/4k/17") "$T/after/www/4k/17"
fi

# The workload name for store NAME ("after" keeps the plain names).
label() { if [ "$2" = after ]; then echo "$1"; else echo "$1-$2"; fi; }

KEY_BASE=10000000
ALL_STORES=("${STORES[@]}")
for ROUND in 1 2 3; do
    # With a before binary, the two stores swap places every round (neither always runs first).
    if [ $((ROUND % 2)) = 0 ] && [ ${#ALL_STORES[@]} = 2 ]; then
        STORES=("${ALL_STORES[1]}" "${ALL_STORES[0]}")
    else
        STORES=("${ALL_STORES[@]}")
    fi
    if [ -z "$ONLY_UPLOADS" ]; then
    BFS_KEYS=$N BFS_PREFIX=4k run_wrk nginx-4k $ROUND -s "$HERE/nginx_random.lua" "http://127.0.0.1:$NGINX"
    for s in "${STORES[@]}"; do
        api_var=API_$s
        BFS_KEYS=$N BFS_VID=1 run_wrk "$(label store-4k "$s")" $ROUND -s "$HERE/get_random.lua" "http://127.0.0.1:${!api_var}"
    done
    BFS_KEYS=$N BFS_PREFIX=64k run_wrk nginx-64k $ROUND -s "$HERE/nginx_random.lua" "http://127.0.0.1:$NGINX"
    for s in "${STORES[@]}"; do
        api_var=API_$s
        BFS_KEYS=$N BFS_VID=2 run_wrk "$(label store-64k "$s")" $ROUND -s "$HERE/get_random.lua" "http://127.0.0.1:${!api_var}"
    done
    fi
    for s in "${STORES[@]}"; do
        api_var=API_$s
        BFS_VID=3 BFS_KEY_BASE=$KEY_BASE run_wrk "$(label upload-4k "$s")" $ROUND -s "$HERE/upload.lua" "http://127.0.0.1:${!api_var}"
    done
    KEY_BASE=$((KEY_BASE + 10000000))
done

STORES=("${ALL_STORES[@]}")
echo "== medians of 3"
names4=(); names64=(); namesup=()
for s in "${STORES[@]}"; do
    names4+=("$(label store-4k "$s")"); names64+=("$(label store-64k "$s")"); namesup+=("$(label upload-4k "$s")")
done
if [ -z "$ONLY_UPLOADS" ]; then
    summary nginx-4k "${names4[@]}"
    summary nginx-64k "${names64[@]}"
fi
summary "${namesup[@]}"

echo "== per request over $COUNT requests (wrk -t1 -c32): heap allocations, syscalls"
nginx_served() { curl -sf "http://127.0.0.1:$NGINX/nginx_status" | awk 'NR==3 {print $3}'; }
if [ -z "$ONLY_UPLOADS" ]; then
NGINX_WORKER=$(pgrep -P "$(cat "$T/nginx/nginx.pid")" | head -1)
BFS_KEYS=$N BFS_PREFIX=4k count_per_request nginx-4k "$NGINX_WORKER" "$T/nginx-mallocs" nginx_served \
    -s "$HERE/nginx_random.lua" "http://127.0.0.1:$NGINX"
BFS_KEYS=$N BFS_PREFIX=64k count_per_request nginx-64k "$NGINX_WORKER" "$T/nginx-mallocs" nginx_served \
    -s "$HERE/nginx_random.lua" "http://127.0.0.1:$NGINX"
fi
for s in "${STORES[@]}"; do
    stat_var=STAT_$s; api_var=API_$s; pid_var=PID_$s
    STAT=${!stat_var}
    store_gets() { curl -sf "http://127.0.0.1:$STAT/metrics" | awk '/^bfs_store_requests_total/ && /endpoint="get"/ && /status="2xx"/ {print $2}'; }
    store_uploads() { curl -sf "http://127.0.0.1:$STAT/metrics" | awk '/^bfs_store_requests_total/ && /endpoint="upload"/ && /status="2xx"/ {print $2}'; }
    if [ -z "$ONLY_UPLOADS" ]; then
    BFS_KEYS=$N BFS_VID=1 count_per_request "$(label store-4k "$s")" "${!pid_var}" "$T/$s/mallocs" store_gets \
        -s "$HERE/get_random.lua" "http://127.0.0.1:${!api_var}"
    BFS_KEYS=$N BFS_VID=2 count_per_request "$(label store-64k "$s")" "${!pid_var}" "$T/$s/mallocs" store_gets \
        -s "$HERE/get_random.lua" "http://127.0.0.1:${!api_var}"
    fi
    BFS_VID=3 BFS_KEY_BASE=900000000 count_per_request "$(label upload-4k "$s")" "${!pid_var}" "$T/$s/mallocs" store_uploads \
        -s "$HERE/upload.lua" "http://127.0.0.1:${!api_var}"
done
echo "== syscalls per request, most frequent"
cat "$T/syscalls"
echo "== store /metrics: group-commit batch sizes"
curl -sf "http://127.0.0.1:$STAT_after/metrics" | grep -E '^bfs_store_sync_batch_appends_(sum|count)' || true
