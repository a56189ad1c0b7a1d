#!/usr/bin/env python3
"""Loads N needles of SIZE bytes (keys BASE+1..BASE+N, cookie 7) into a store volume with
/uploads batches over keep-alive connections, and writes the same bytes as plain files
<www>/<prefix>/<key> for the nginx baseline. Every batch must answer {"ret":1}."""
import http.client, os, sys, threading

host, port, vid, n, size, www, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
base = int(os.environ.get("BFS_KEY_BASE", "0"))
data = os.urandom(size)
batch, threads = 9, 8
os.makedirs(f"{www}/{prefix}", exist_ok=True)
boundary = "bfsloadboundary"

def body(keys):
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="vid"\r\n\r\n{vid}\r\n'.encode()]
    for k in keys:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="keys"\r\n\r\n{k}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="cookies"\r\n\r\n7\r\n'.encode())
    for k in keys:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{k}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)

errors = []
def worker(w):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    keys = list(range(base + 1 + w, base + n + 1, threads))
    for i in range(0, len(keys), batch):
        chunk = keys[i:i + batch]
        conn.request("POST", "/uploads", body(chunk), {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        r = conn.getresponse(); text = r.read()
        if b'"ret":1' not in text:
            errors.append(text); return
        for k in chunk:
            with open(f"{www}/{prefix}/{k}", "wb") as f: f.write(data)

ts = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
if errors:
    sys.exit(f"load failed: {errors[0][:200]!r}")
os.system(f"chmod -R a+rX {www}")
