#!/usr/bin/env python3
"""Load for bench/server.sh: uploads and page timings against a running `corekit serve`.

  server_load.py upload URL COMPACT REPORT COUNT CLIENTS PREFIX
      COUNT uploads of the compact core and report from CLIENTS threads (each its own
      keep-alive connection, as `corekit upload` clients on many hosts are), every one with its
      own upload id; prints JSON: uploads/s, p50/p99 latency (ms), failures, and one crash id.
  server_load.py pages URL CRASH_ID RUNS
      The groups page, the crash list and one crash page (HTML and the JSON API), each fetched
      RUNS times after one warm-up, one at a time; prints JSON: median and p90 (ms) of each.
"""
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse


def connect(url):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.connect()
    # Headers and body are separate writes: no Nagle wait between them (as corekit upload).
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def multipart(fields):
    boundary = "corekit-bench-boundary-7f3a"
    body = bytearray()
    for name, content_type, data in fields:
        body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"".encode()
        if content_type == "application/octet-stream":
            body += f"; filename=\"{name}.core.zst\"".encode()
        body += f"\r\nContent-Type: {content_type}\r\n\r\n".encode()
        body += data
        body += b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def upload(url, compact_path, report_path, count, clients, prefix):
    compact = open(compact_path, "rb").read()
    report = open(report_path, "rb").read()
    latencies, failures, ids = [], [0], []
    lock = threading.Lock()
    per_client = count // clients

    def client(c):
        conn = connect(url)
        mine = []
        for i in range(per_client):
            metadata = json.dumps({"upload_id": f"{prefix}-{c}-{i:06d}",
                                   "crash": {"executable": f"/usr/bin/bench{c % 4}", "hostname": f"host{c}",
                                             "signal": {"number": 11, "code": 1}}}).encode()
            body, content_type = multipart([("metadata", "application/json", metadata),
                                            ("report", "application/json", report),
                                            ("compact", "application/octet-stream", compact)])
            start = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/crashes", body, {"Content-Type": content_type})
                res = conn.getresponse()
                answer = res.read()
                ok = res.status == 201
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = connect(url)
                ok, answer = False, b""
            mine.append(time.perf_counter() - start)
            with lock:
                if not ok:
                    failures[0] += 1
                elif not ids:
                    ids.append(json.loads(answer)["id"])
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    print(json.dumps({"uploads": len(latencies), "seconds": round(wall, 3),
                      "per_second": round(len(latencies) / wall, 1),
                      "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
                      "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2),
                      "failures": failures[0], "id": ids[0] if ids else None}))


def pages(url, crash_id, runs):
    conn = connect(url)
    out = {}
    for name, path in [("groups", "/"), ("groups_api", "/api/v1/groups"), ("crashes", "/crashes"),
                       ("crash", f"/crashes/{crash_id}"), ("crash_api", f"/api/v1/crashes/{crash_id}")]:
        times = []
        for run in range(runs + 1):
            start = time.perf_counter()
            conn.request("GET", path)
            res = conn.getresponse()
            body = res.read()
            elapsed = time.perf_counter() - start
            if res.status != 200:
                raise SystemExit(f"{path}: {res.status} {body[:200]!r}")
            if run:
                times.append(elapsed)
        times.sort()
        out[name] = {"median_ms": round(1000 * statistics.median(times), 2),
                     "p90_ms": round(1000 * times[int(len(times) * 0.9)], 2), "bytes": len(body)}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "upload":
        upload(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif sys.argv[1] == "pages":
        pages(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        raise SystemExit(__doc__)
