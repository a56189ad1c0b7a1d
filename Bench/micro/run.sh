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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "== machine: $(nproc) cores, kernel $(uname -r)"
echo "== toolchain: $(swift --version 2>&1 | head -1)"
echo "== commit: $(git -C "$ROOT" rev-parse --short HEAD)"
echo "== nginx: $(nginx -v 2>&1)"
echo "== wrk -t1 -c32 -d$DURATION --latency"

swift build -c release --package-path "$ROOT/Bench" >"$T/build.log" 2>&1 || { cat "$T/build.log"; exit 1; }
BIN=$(swift build -c release --package-path "$ROOT/Bench" --show-bin-path)/bfs-bench-server

mkdir -p "$T/www" "$T/nginx"
head -c 4096 /dev/urandom >"$T/www/4k.bin"
chmod 644 "$T/www/4k.bin"

NGINX_PORT=$(free_port)
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $T/www;
    }
}
CONF
nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" &
PIDS+=($!)

"$BIN" --file "$T/www/4k.bin" --offset 0 --length 4096 --loops 1 >"$T/bfs.out" &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$T/bfs.out" 2>/dev/null && break; sleep 0.05; done
BFS_PORT=$(awk '/listening/ {print $2}' "$T/bfs.out")
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/4k.bin" && break; sleep 0.05; done

# The bytes must match before timing anything.
curl -sf "http://127.0.0.1:$NGINX_PORT/4k.bin" | cmp - "$T/www/4k.bin"
curl -sf "http://127.0.0.1:$BFS_PORT/fixed" | cmp - "$T/www/4k.bin"
curl -sf "http://127.0.0.1:$BFS_PORT/file" | cmp - "$T/www/4k.bin"

# wrk's latency lines look like "     50%  312.00us"; normalise to microseconds.
to_us() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s/,"",v); print v*1000000}}'; }

run() {  # name url
    local out; out=$(wrk -t1 -c32 -d"$DURATION" --latency "$2")
    local rps p50 p99
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}' | to_us)
    p99=$(echo "$out" | awk '$1=="99%" {print $2}' | to_us)
    printf '%-10s round %d  %10.0f req/s  p50 %7.0f us  p99 %7.0f us\n' "$1" "$ROUND" "$rps" "$p50" "$p99"
    echo "$1 $rps $p50 $p99" >>"$T/results"
}

for ROUND in 1 2 3; do
    run nginx "http://127.0.0.1:$NGINX_PORT/4k.bin"
    run bfs-fixed "http://127.0.0.1:$BFS_PORT/fixed"
    run bfs-file "http://127.0.0.1:$BFS_PORT/file"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "== medians of 3"
declare -A RPS P50 P99
for name in nginx bfs-fixed bfs-file; do
    RPS[$name]=$(awk -v n="$name" '$1==n {print $2}' "$T/results" | median)
    P50[$name]=$(awk -v n="$name" '$1==n {print $3}' "$T/results" | median)
    P99[$name]=$(awk -v n="$name" '$1==n {print $4}' "$T/results" | median)
    printf '%-10s %10.0f req/s  p50 %7.0f us  p99 %7.0f us  ratio vs nginx %.2f\n' \
        "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "$(echo "${RPS[$name]} ${RPS[nginx]}" | awk '{print $1/$2}')"
done
