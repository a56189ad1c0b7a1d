"""Runs one fixed-count workload and prints the CPU each process spent per request.

The command is a wrk run whose script stops sending after $BFS_COUNT answers; wrk itself still
sleeps out its whole duration, so once the proxy has served that many this interrupts it
(SIGINT: wrk prints its statistics and exits) and takes the closing CPU snapshot then.

CPU is utime + stime from /proc/<pid>/stat (clock ticks) before and after the workload; the
request count is the proxy's own `bfs_proxy_request_duration_seconds_count` for the method, so
requests wrk sent but the proxy never finished do not count. With a malloc counter file
(Bench/store/malloc_count.c preloaded into the proxy) it also prints the proxy's heap
allocations per request. The figures do not depend on how fast the machine was at the time,
only on the work each request costs (up to the 10 ms tick resolution, hence large counts).

Usage: cpu.py LABEL METHOD PROXY_METRICS_URL MALLOC_FILE|- NAME=PID... -- COMMAND...
Prints one line per process, `LABEL NAME us/req`, plus `LABEL proxy-mallocs n/req` and the
sum over the bfs processes, and appends the same as "LABEL NAME value" to $CPU_RESULTS if set.
"""
import os, re, signal, struct, subprocess, sys, time, urllib.request

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def served(url, method):
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    pattern = re.compile(r'^bfs_proxy_request_duration_seconds_count\{([^}]*)\} (\S+)$', re.M)
    return sum(float(v) for labels, v in pattern.findall(text) if f'method="{method}"' in labels.split(","))


def mallocs(path):
    if path == "-":
        return 0
    with open(path, "rb") as f:
        return struct.unpack("=Q", f.read(8))[0]


def main():
    split = sys.argv.index("--")
    label, method, url, malloc_file = sys.argv[1:5]
    procs = [a.split("=", 1) for a in sys.argv[5:split]]
    command = sys.argv[split + 1:]
    before = {name: cpu_ticks(pid) for name, pid in procs}
    count0, m0 = served(url, method), mallocs(malloc_file)
    target = int(os.environ["BFS_COUNT"])
    started = time.monotonic()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # A poll of /metrics costs the proxy a little; a few per second is noise next to the load.
    while wrk.poll() is None and served(url, method) - count0 < target:
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    if wrk.poll() is None:
        wrk.send_signal(signal.SIGINT)
    stdout, stderr = wrk.communicate()
    count = served(url, method) - count0
    m1 = mallocs(malloc_file)
    after = {name: cpu_ticks(pid) for name, pid in procs}
    if count <= 0:
        sys.stderr.write(stdout + stderr)
        sys.exit(f"{label}: the workload failed ({int(count)} requests served)")
    rows = []
    total = 0.0
    for name, _ in procs:
        us = (after[name] - before[name]) / TICK * 1e6 / count
        total += us if name in ("proxy", "directory", "store-a", "store-b") else 0
        rows.append((name, us))
    rows.append(("bfs-total", total))
    results = os.environ.get("CPU_RESULTS")
    with open(results, "a") if results else open(os.devnull, "w") as sink:
        for name, us in rows:
            print(f"{label:12} {name:10} {us:8.1f} us/request")
            sink.write(f"{label} {name} {us:.1f}\n")
        if malloc_file != "-":
            per = (m1 - m0) / count
            print(f"{label:12} {'proxy':10} {per:8.1f} mallocs/request")
            sink.write(f"{label} proxy-mallocs {per:.1f}\n")
    print(f"{label:12} {int(count)} requests in {elapsed:.1f} s ({count / elapsed:.0f} req/s)")
    if stderr.strip():
        sys.stderr.write(stderr[:2000])


main()
