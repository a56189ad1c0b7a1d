#!/usr/bin/env bash
# Proxy benchmark: the public API end to end on a multi-process node (ZooKeeper, two bfs stores
# forming one replica group, bfs pitchfork, bfs directory on SQLite, bfs proxy), each bfs process
# on one loop, against the same bytes served by the store directly and by nginx.
#
# Workloads (wrk -t1 -c32 -d$DURATION --latency, keep-alive, loopback, hot page cache):
#   nginx-4k     GET /4k.bin                        nginx serving the same 4 KiB as a file
#   store-4k     GET /get?vid&key&cookie            the same needle straight from one store
#   proxy-4k     GET /bfs/bench/get-0               through the proxy: public-read bucket,
#                                                   metadata cache warm, store read with failover
#   proxy-put-4k PUT /bfs/bench/<fresh name>        4 KiB end to end: token check, allocate,
#                                                   both replicas written durably in parallel,
#                                                   commit (durable metadata); names and tokens
#                                                   precomputed (tokens.py), walked by put.lua
# Three alternating rounds; medians; ratios proxy/store and store/nginx. Targets: proxy GET
# >= 0.5x direct store GET; PUT >= 5,000 req/s.
#
# Before the rounds, a fixed-count phase (cpu.py): $CPU_GETS proxy GETs and $CPU_PUTS proxy PUTs
# (wrk -t1 -c32, stopped after that many answers), printing the CPU microseconds each process
# spent per request (utime+stime from /proc) and the proxy's heap allocations per request
# (Bench/store/malloc_count.c preloaded into the proxy): what a request costs, independent of
# how busy the machine was.
#
# Usage: Bench/proxy/run.sh [duration, default 10s]
# Env: BFS_BINARY (a bfs binary to run instead of building this checkout: before/after runs),
#      ROUNDS (wrk rounds, default 3; 0 runs the fixed-count phase only),
#      CPU_GETS (default 30000), CPU_PUTS (default 3000).
set -euo pipefail
DURATION=${1:-10s}
ROUNDS=${ROUNDS:-3}
CPU_GETS=${CPU_GETS:-30000}
CPU_PUTS=${CPU_PUTS:-3000}
PUTS_PER_ROUND=150000   # more names than any round can use (wrk stops if it runs out)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/Bench/proxy"
T=$(mktemp -d /tmp/bfs-proxy-bench-XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
. "$ROOT/Bench/lib.sh"

wait_http() {  # URL: until it answers 2xx (bounded)
    for _ in $(seq 400); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
    echo "no answer from $1" >&2; return 1
}

print_environment
echo "== wrk -t1 -c32 -d$DURATION --latency; $ROUNDS rounds"
if [ -n "${BFS_BINARY:-}" ]; then
    BFS=$BFS_BINARY
    echo "== binary: $BFS"
else
    swift build -c release --package-path "$ROOT" --product bfs >"$T/build.log" 2>&1 || { cat "$T/build.log"; exit 1; }
    BFS=$(swift build -c release --package-path "$ROOT" --show-bin-path)/bfs
fi
cc -O2 -shared -fPIC -o "$T/malloc_count.so" "$ROOT/Bench/store/malloc_count.c"
TOKEN=bench-cluster-token

# ZooKeeper (toolchain.md §12), its own data dir and port.
ZK=$(free_port)
mkdir -p "$T/zk/data"
printf 'tickTime=500\ndataDir=%s/zk/data\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\nforceSync=no\n' \
    "$T" "$ZK" >"$T/zk/zoo.cfg"
ZK_CP=/usr/share/java/zookeeper.jar:/etc/zookeeper/conf
java -Xmx256m -cp "$ZK_CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$T/zk/zoo.cfg" >"$T/zk/log" 2>&1 &
PIDS+=($!)
PID_zk=$!
zk_ready() {
    python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),1); s.sendall(b"srvr"); print(s.recv(4096).decode())' "$ZK" 2>/dev/null | grep -q standalone
}
for _ in $(seq 400); do zk_ready && break; sleep 0.05; done

# Two stores: one replica group, volume 1.
for s in a b; do
    API=$(free_port); ADMIN=$(free_port); STAT=$(free_port)
    eval "API_$s=$API ADMIN_$s=$ADMIN STAT_$s=$STAT"
    mkdir -p "$T/store-$s"
    cat >"$T/store-$s/store.toml" <<CONF
[store]
id = "bench-$s"
rack = "rack-$s"
data_dir = "$T/store-$s"
free_volume_size = "2GiB"
durable_writes = true
[http]
api_listen = "127.0.0.1:$API"
admin_listen = "127.0.0.1:$ADMIN"
stat_listen = "127.0.0.1:$STAT"
workers = 1
[coordination]
zookeeper_addrs = ["127.0.0.1:$ZK"]
[scrub]
rate = "0"
CONF
    "$BFS" store -c "$T/store-$s/store.toml" --log-level warning 2>"$T/store-$s/log" &
    PIDS+=($!)
    eval "PID_$s=$!"
    wait_http "http://127.0.0.1:$STAT/info"
    curl -sf -d "n=1&bdir=$T/store-$s&idir=$T/store-$s" "http://127.0.0.1:$ADMIN/add_free_volume" | grep -q '"ret":1'
    curl -sf -d "vid=1" "http://127.0.0.1:$ADMIN/add_volume" | grep -q '"ret":1'
done

# What ops does: group 1 = both stores, volume 1 on both.
{
    for p in /group /group/1 /group/1/bench-a /group/1/bench-b /volume /volume/1 /volume/1/bench-a /volume/1/bench-b; do
        echo "create $p \"\""
    done
    echo quit
} | java -cp "$ZK_CP" org.apache.zookeeper.ZooKeeperMain -server "127.0.0.1:$ZK" >"$T/zk/cli.log" 2>&1

PITCHFORK=$(free_port)
cat >"$T/pitchfork.toml" <<CONF
[pitchfork]
store_check_interval = "1s"
[http]
stat_listen = "127.0.0.1:$PITCHFORK"
[coordination]
zookeeper_addrs = ["127.0.0.1:$ZK"]
CONF
"$BFS" pitchfork -c "$T/pitchfork.toml" --log-level warning 2>"$T/pitchfork.log" &
PIDS+=($!)

DIRECTORY=$(free_port)
cat >"$T/directory.toml" <<CONF
[directory]
cluster_token = "$TOKEN"
[metadata]
sqlite_path = "$T/directory/metadata.db"
[http]
listen = "127.0.0.1:$DIRECTORY"
workers = 1
[coordination]
zookeeper_addrs = ["127.0.0.1:$ZK"]
[placement]
minimum_free_space = "64MiB"
CONF
"$BFS" directory -c "$T/directory.toml" --log-level warning 2>"$T/directory.log" &
PIDS+=($!)
PID_directory=$!
wait_http "http://127.0.0.1:$DIRECTORY/ping"

PROXY=$(free_port)
cat >"$T/proxy.toml" <<CONF
[proxy]
directory = "127.0.0.1:$DIRECTORY"
cluster_token = "$TOKEN"
[http]
listen = "127.0.0.1:$PROXY"
workers = 1
CONF
LD_PRELOAD="$T/malloc_count.so" BFS_MALLOC_COUNT_FILE="$T/proxy-mallocs" \
    "$BFS" proxy -c "$T/proxy.toml" --log-level warning 2>"$T/proxy.log" &
PIDS+=($!)
PID_proxy=$!
wait_http "http://127.0.0.1:$PROXY/ping"

# A public-read bucket (flags bit 0) and its key.
BUCKET=$(curl -sf -H "Authorization: Bearer $TOKEN" -d "name=bench&flags=1" "http://127.0.0.1:$DIRECTORY/buckets/create")
KEY_ID=$(echo "$BUCKET" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bucket"]["key_id"])')
SECRET=$(echo "$BUCKET" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bucket"]["secret"])')

# The GET payload, PUT once through the proxy (retried until the pitchfork has marked both
# stores Health and the directory places uploads).
mkdir -p "$T/www"
head -c 4096 /dev/urandom >"$T/www/4k.bin"
chmod -R a+rX "$T/www"
python3 "$HERE/tokens.py" bench "$KEY_ID" "$SECRET" get- 1 "$T/get-token"   # signs the name get-0
PUT_TOKEN=$(cut -d' ' -f2 "$T/get-token")
for _ in $(seq 300); do
    CODE=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: $PUT_TOKEN" \
        -H 'Content-Type: application/octet-stream' --data-binary @"$T/www/4k.bin" "http://127.0.0.1:$PROXY/bfs/bench/get-0")
    [ "$CODE" = 201 ] && break
    case $CODE in 4*) break ;; esac   # a refused request will not get better by waiting
    sleep 0.1
done
[ "$CODE" = 201 ] || { echo "PUT never succeeded (last $CODE)"; tail -20 "$T/proxy.log"; exit 1; }
LOCATION=$(curl -sf "http://127.0.0.1:$DIRECTORY/get?bucket=bench&filename=get-0")
read -r KEY COOKIE VID < <(echo "$LOCATION" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["key"], j["cookie"], j["vid"])')
STORE_URL="http://127.0.0.1:$API_a/get?vid=$VID&key=$KEY&cookie=$COOKIE"
PROXY_URL="http://127.0.0.1:$PROXY/bfs/bench/get-0"

NGINX=$(free_port)
start_nginx "$T/www" "$NGINX"
wait_http "http://127.0.0.1:$NGINX/4k.bin"
# The bytes must match before timing anything.
curl -sf "$STORE_URL" | cmp - "$T/www/4k.bin"
curl -sf "$PROXY_URL" | cmp - "$T/www/4k.bin"
curl -sf "http://127.0.0.1:$NGINX/4k.bin" | cmp - "$T/www/4k.bin"

head -c 4096 /dev/urandom >"$T/put.bin"
echo "== per request, fixed count ($CPU_GETS GETs, $CPU_PUTS PUTs, wrk -t1 -c32): CPU of each process, proxy allocations"
python3 "$HERE/tokens.py" bench "$KEY_ID" "$SECRET" cpu- $((CPU_PUTS + 64)) "$T/tokens-cpu"  # + the requests in flight at the stop
PROCS=(proxy="$PID_proxy" directory="$PID_directory" store-a="$PID_a" store-b="$PID_b" zookeeper="$PID_zk")
CPU_RESULTS="$T/cpu" BFS_COUNT=$CPU_GETS python3 "$HERE/cpu.py" proxy-get GET "http://127.0.0.1:$PROXY/metrics" "$T/proxy-mallocs" \
    "${PROCS[@]}" -- wrk -t1 -c32 -d300s -s "$HERE/get.lua" "$PROXY_URL"
CPU_RESULTS="$T/cpu" BFS_COUNT=$CPU_PUTS BFS_BUCKET=bench BFS_TOKENS="$T/tokens-cpu" BFS_BODY="$T/put.bin" \
    python3 "$HERE/cpu.py" proxy-put PUT "http://127.0.0.1:$PROXY/metrics" "$T/proxy-mallocs" \
    "${PROCS[@]}" -- wrk -t1 -c32 -d300s -s "$HERE/put.lua" "http://127.0.0.1:$PROXY"
[ "$ROUNDS" -gt 0 ] || exit 0

echo "== signing $((ROUNDS * PUTS_PER_ROUND)) PUT tokens"
for ROUND in $(seq "$ROUNDS"); do
    python3 "$HERE/tokens.py" bench "$KEY_ID" "$SECRET" "r$ROUND-" "$PUTS_PER_ROUND" "$T/tokens-$ROUND"
done

for ROUND in $(seq "$ROUNDS"); do
    run_wrk nginx-4k "$ROUND" -s "$HERE/get.lua" "http://127.0.0.1:$NGINX/4k.bin"
    run_wrk store-4k "$ROUND" -s "$HERE/get.lua" "$STORE_URL"
    run_wrk proxy-4k "$ROUND" -s "$HERE/get.lua" "$PROXY_URL"
    BFS_BUCKET=bench BFS_TOKENS="$T/tokens-$ROUND" BFS_BODY="$T/put.bin" \
        run_wrk proxy-put-4k "$ROUND" -s "$HERE/put.lua" "http://127.0.0.1:$PROXY"
done

echo "== medians of $ROUNDS"
summary store-4k proxy-4k
summary nginx-4k store-4k
summary proxy-put-4k
# A PUT counts only if it is really there: the first file of every round (by the directory's
# listing) reads back through the proxy.
for ROUND in $(seq "$ROUNDS"); do
    NAME=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$DIRECTORY/list?bucket=bench&prefix=r$ROUND-&limit=1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["filename"])')
    curl -sf "http://127.0.0.1:$PROXY/bfs/bench/$NAME" | cmp - "$T/put.bin"
done
echo "== PUTs read back: ok"
echo "== mean time per stage over the whole run (each service's own histogram)"
python3 "$HERE/stages.py" "proxy=http://127.0.0.1:$PROXY/metrics" "directory=http://127.0.0.1:$DIRECTORY/metrics" \
    "store-a=http://127.0.0.1:$STAT_a/metrics" "store-b=http://127.0.0.1:$STAT_b/metrics"
