"""Writes N "name token" lines for Bench/proxy/put.lua: bfs bucket tokens (reference §4.2),
`<keyId>:<base64 HMAC-SHA1(secret, "PUT\n<bucket>\n<name>\n<unix>\n")>:<unix>`.

Usage: tokens.py BUCKET KEY_ID SECRET PREFIX N OUT
"""
import base64, hashlib, hmac, sys, time

bucket, key_id, secret, prefix, n, out = sys.argv[1:7]
now = int(time.time())
with open(out, "w") as f:
    for i in range(int(n)):
        name = f"{prefix}{i}"
        message = f"PUT\n{bucket}\n{name}\n{now}\n".encode()
        signature = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha1).digest()).decode()
        f.write(f"{name} {key_id}:{signature}:{now}\n")
