#!/usr/bin/env python3
"""Load generator for hdrec-server's POST /recommend on real histories.

Workloads, from a prepared dataset's users.jsonl (hdrec prepare):
  cold       each request a distinct user's test-time history (train + valid, the last
             --max-items at most), users in file order: nothing beyond the shared
             instruction can come from the prefix cache;
  returning  users in file order, each replayed growing one item at a time (its first
             item, then the first two, ... up to its test-time history), one user per
             connection at a time so that each user's calls arrive in order.
N connections (threads with one keep-alive socket each) share the work until
--requests requests are answered. Prints one JSON line: requests, seconds, rec/s,
p50/p90/p99/max latency (ms), errors, and the server's prefix-cache counters from
/metrics before and after.

    Tools/replay_load.py --port 8080 --data data/scientific --workload returning \
        --connections 8 --requests 1000 [--k 10] [--skip-users 0]
"""
import argparse
import json
import queue
import socket
import threading
import time

from http_wire import read_response


def metrics(host, port):
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(f"GET /metrics HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        _, body, _ = read_response(s, b"")
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("hdrec_prefix_cache"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--data", required=True, help="a prepared dataset directory (users.jsonl)")
    ap.add_argument("--workload", choices=["cold", "returning"], required=True)
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--max-items", type=int, default=8, help="cold: the most recent items sent")
    ap.add_argument("--skip-users", type=int, default=0, help="start at this user (distinct runs, distinct users)")
    args = ap.parse_args()

    users = []
    with open(f"{args.data}/users.jsonl") as f:
        for line in f:
            if line.strip():
                u = json.loads(line)
                users.append(u["train"] + [u["valid"]])
    users = users[args.skip_users:]
    work = queue.Queue()
    if args.workload == "cold":
        for h in users[: args.requests]:
            work.put([h[-args.max_items:]])
    else:
        total = 0
        for h in users:
            if total >= args.requests:
                break
            calls = [h[: n] for n in range(1, len(h) + 1)][: args.requests - total]
            work.put(calls)
            total += len(calls)

    latencies, errors, lock = [], [0], threading.Lock()

    def worker():
        sock, buffer = None, b""
        while True:
            try:
                calls = work.get_nowait()
            except queue.Empty:
                break
            for history in calls:
                body = json.dumps({"history": history, "k": args.k}).encode()
                request = (f"POST /recommend HTTP/1.1\r\nHost: {args.host}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
                t0 = time.perf_counter()
                try:
                    if sock is None:
                        sock, buffer = socket.create_connection((args.host, args.port), timeout=120), b""
                    sock.sendall(request)
                    status, _, buffer = read_response(sock, buffer)
                    ok = status == 200
                except OSError:
                    ok, sock = False, None
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors[0] += 1
        if sock:
            sock.close()

    before = metrics(args.host, args.port)
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    after = metrics(args.host, args.port)
    ordered = sorted(latencies)

    def pct(p):
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 1) if ordered else None

    delta = {k.replace("hdrec_prefix_cache_", ""): after.get(k, 0) - before.get(k, 0) for k in after if k.endswith("_total")}
    print(json.dumps({"workload": args.workload, "connections": args.connections, "requests": len(latencies),
                      "errors": errors[0], "seconds": round(seconds, 1), "rec_per_s": round(len(latencies) / seconds, 2),
                      "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": pct(100), "prefix_cache": delta}))


if __name__ == "__main__":
    main()
