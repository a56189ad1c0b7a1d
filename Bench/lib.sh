# Shared helpers of the Bench/ scripts (sourced). Expects $T (a temp dir) and $ROOT (the repo).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

print_environment() {  # what every result records: machine, toolchain, commit
    echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, kernel $(uname -r)"
    echo "== toolchain: $(swift --version 2>&1 | head -1)"
    echo "== commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo ' (dirty)')"
    echo "== nginx: $(nginx -v 2>&1)"
}

# Starts nginx with one worker serving $1 (document root) on port $2; appends its pid to PIDS.
start_nginx() {
    local root=$1 port=$2 dir=$T/nginx
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    open_file_cache max=1000 inactive=60s;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$port;
        root $root;
        location = /nginx_status { stub_status; }  # requests served, for per-request counts
    }
}
CONF
    # NGINX_PRELOAD: a library to preload (the allocation counter); the forked worker keeps it.
    LD_PRELOAD=${NGINX_PRELOAD:-} nginx -c "$dir/nginx.conf" -e "$dir/error.log" &
    PIDS+=($!)
}

# wrk's latency lines look like "     50%  312.00us"; normalise to microseconds.
to_us() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s/,"",v); print v*1000000}}'; }

# run NAME ROUND WRK-ARGS...: one wrk run; prints and appends "NAME rps p50 p99 p999" to $T/results.
# wrk's --latency table stops at 99%: p999 comes from the script's done(), as a "p999_us N" line
# or a "p99.9 <n>us" line (0 when the script prints neither).
run_wrk() {
    local name=$1 round=$2; shift 2
    local out; out=$(wrk -t1 -c32 -d"$DURATION" --latency "$@" 2>"$T/wrk.err")
    local rps p50 p99 p999 errors
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}' | to_us)
    p99=$(echo "$out" | awk '$1=="99%" {print $2}' | to_us)
    p999=$(echo "$out" | awk '$1=="p999_us" {print $2 "us"} $1=="p99.9" {print $2}' | head -1 | to_us)
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    printf '%-14s round %d  %10.0f req/s  p50 %7.0f us  p99 %7.0f us  p999 %7.0f us  %s\n' \
        "$name" "$round" "$rps" "$p50" "$p99" "${p999:-0}" "$errors"
    [ -s "$T/wrk.err" ] && head -3 "$T/wrk.err"
    echo "$name $rps $p50 $p99 ${p999:-0}" >>"$T/results"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# summary BASELINE NAME...: medians per workload (p999 when recorded) and the req/s ratio to
# BASELINE.
summary() {
    local base=$1; shift
    local base_rps; base_rps=$(awk -v n="$base" '$1==n {print $2}' "$T/results" | median)
    for name in "$base" "$@"; do
        local rps p50 p99 p999
        rps=$(awk -v n="$name" '$1==n {print $2}' "$T/results" | median)
        p50=$(awk -v n="$name" '$1==n {print $3}' "$T/results" | median)
        p99=$(awk -v n="$name" '$1==n {print $4}' "$T/results" | median)
        p999=$(awk -v n="$name" '$1==n {print $5}' "$T/results" | median)
        [ "$p999" = 0 ] && p999=-  # the workload's script reports no p999
        printf '%-14s %10.0f req/s  p50 %7.0f us  p99 %7.0f us  p999 %7s us  ratio vs %s %.2f\n' \
            "$name" "$rps" "$p50" "$p99" "$p999" "$base" "$(echo "$rps $base_rps" | awk '{print $1/$2}')"
    done
}

# read_counter FILE: the 64-bit allocation count malloc_count.so keeps in FILE.
read_counter() { od -An -t u8 -N 8 "$1" | tr -d ' '; }

# fixed_count_wrk WRK-ARGS...: wrk until $COUNT answers (the script creates BFS_DONE_FILE then).
fixed_count_wrk() {
    rm -f "$T/count.done"
    BFS_MAX_REQUESTS=$COUNT BFS_DONE_FILE="$T/count.done" wrk -t1 -c32 -d300s "$@" >/dev/null 2>&1 &
    local wpid=$!
    for _ in $(seq 3000); do [ -e "$T/count.done" ] && break; sleep 0.1; done
    sleep 0.2  # the last answers in flight
    kill -INT "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
}

# cpu_ticks PID: "utime stime" of PID (all its threads) in clock ticks, from /proc/PID/stat.
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12, $13}' "/proc/$1/stat"; }

# count_per_request NAME PID COUNTER_FILE SERVED_CMD WRK-ARGS...: heap allocations, CPU time
# (user and kernel) and syscalls per request over $COUNT requests (wrk stops after that many
# answers; the divisor is the server's own count of answered requests, SERVED_CMD).
# Allocations and CPU are counted in a run of their own (CPU at clock-tick resolution: use
# counts large enough for many ticks), syscalls in a second one under `strace -c -f`
# (attached to every thread of PID). Appends "NAME allocs syscalls user_us sys_us" to
# $T/counts and the top syscalls to $T/syscalls.
count_per_request() {
    local name=$1 pid=$2 counter=$3 served=$4; shift 4
    local m0 m1 r0 r1 s0 s1 c0 c1
    r0=$($served); m0=$(read_counter "$counter"); c0=$(cpu_ticks "$pid")
    fixed_count_wrk "$@"
    c1=$(cpu_ticks "$pid"); m1=$(read_counter "$counter"); r1=$($served)
    strace -c -f -q -p "$pid" -o "$T/strace.$name" 2>/dev/null &
    local spid=$!
    sleep 1
    s0=$($served)
    # Uploads need fresh keys in the second run too.
    BFS_KEY_BASE=$(( ${BFS_KEY_BASE:-0} + (${BFS_KEY_BASE:-0} > 0 ? 100000000 : 0) )) fixed_count_wrk "$@"
    s1=$($served)
    kill -INT "$spid"; wait "$spid" 2>/dev/null || true
    local calls; calls=$(awk '$NF=="total" {print $4}' "$T/strace.$name")
    local allocs syscalls user sys tick
    tick=$(getconf CLK_TCK)
    allocs=$(echo "$m0 $m1 $r0 $r1" | awk '{printf "%.1f", ($2-$1)/($4-$3)}')
    syscalls=$(echo "$calls $s0 $s1" | awk '{printf "%.2f", $1/($3-$2)}')
    user=$(echo "$c0 $c1 $r0 $r1 $tick" | awk '{printf "%.1f", ($3-$1)*1e6/$7/($6-$5)}')
    sys=$(echo "$c0 $c1 $r0 $r1 $tick" | awk '{printf "%.1f", ($4-$2)*1e6/$7/($6-$5)}')
    printf '%-14s %6d requests  %8s allocations/request  %6s syscalls/request  CPU %5s us user + %5s us kernel\n' \
        "$name" "$((r1 - r0))" "$allocs" "$syscalls" "$user" "$sys"
    echo "$name $allocs $syscalls $user $sys" >>"$T/counts"
    { echo "$name (per request, top 6):"
      awk -v n="$((s1 - s0))" 'NR>2 && $NF!="total" && $4 ~ /^[0-9]+$/ {printf "  %-16s %.2f\n", $NF, $4/n}' "$T/strace.$name" \
        | sort -k2 -nr | head -6; } >>"$T/syscalls"
}
