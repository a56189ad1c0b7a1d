"""Prints the mean time of each stage of the benchmark's PUTs and GETs over the whole run, from
the services' Prometheus histograms (`<name>_sum` / `<name>_count` per label set).

Usage: stages.py NAME=URL...   e.g. proxy=http://127.0.0.1:2232/metrics
"""
import re, sys, urllib.request

WANTED = [  # (service, histogram, label) in the order a PUT visits them
    ("proxy", "bfs_proxy_request_duration_seconds", 'method="PUT"'),
    ("directory", "bfs_directory_request_duration_seconds", 'endpoint="allocate"'),
    ("store-a", "bfs_store_request_duration_seconds", 'endpoint="upload"'),
    ("store-b", "bfs_store_request_duration_seconds", 'endpoint="upload"'),
    ("directory", "bfs_directory_request_duration_seconds", 'endpoint="commit"'),
    ("proxy", "bfs_proxy_request_duration_seconds", 'method="GET"'),
    ("store-a", "bfs_store_request_duration_seconds", 'endpoint="get"'),
]

texts = {}
for arg in sys.argv[1:]:
    name, url = arg.split("=", 1)
    texts[name] = urllib.request.urlopen(url, timeout=5).read().decode()

def value(text, series, label):
    pattern = re.compile(r"^" + re.escape(series) + r"\{([^}]*)\} (\S+)$", re.M)
    return sum(float(v) for labels, v in pattern.findall(text) if label in labels.split(","))

for service, histogram, label in WANTED:
    text = texts.get(service, "")
    count = value(text, histogram + "_count", label)
    total = value(text, histogram + "_sum", label)
    mean = f"{total / count * 1e6:9.0f} us" if count else "        -"
    print(f"{service:10} {label:22} {int(count):10d} requests  mean {mean}")
