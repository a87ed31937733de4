#!/usr/bin/env python3
"""Holds N idle keep-alive connections open against hdrec-server while measuring what
other clients see: GET /healthz latency from fresh connections (connect, request,
response, close), and POST /recommend latency on one keep-alive connection. Runs in its
own process (the open-file limit is raised to the hard limit) so that the server's
descriptors and the client's do not share one budget.

    Tools/idle_connections_probe.py --port 8080 --idle 10000 --probes 2000 \
        --recommend-body '{"history":["0","1","2"],"k":10}' --recommends 20

Prints one JSON object: idle connections held (and how many the server closed), the
/healthz p50/p99/max in ms, the /recommend median in ms.
"""
import argparse
import json
import resource
import socket
import statistics
import time

from http_wire import read_response


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--probes", type=int, default=2000)
    ap.add_argument("--recommend-body", default=None)
    ap.add_argument("--recommends", type=int, default=20)
    args = ap.parse_args()
    hard = raise_nofile()
    if args.idle + 64 > hard:
        raise SystemExit(f"open-file hard limit {hard} is below --idle {args.idle} + 64")

    idle = []
    started = time.monotonic()
    for _ in range(args.idle):
        s = socket.create_connection((args.host, args.port))
        idle.append(s)
    open_seconds = time.monotonic() - started
    time.sleep(1.0)

    request = f"GET /healthz HTTP/1.1\r\nHost: {args.host}\r\nConnection: close\r\n\r\n".encode()
    latencies, failures = [], 0
    for _ in range(args.probes):
        t0 = time.perf_counter()
        try:
            with socket.create_connection((args.host, args.port), timeout=5) as s:
                s.sendall(request)
                status, _, _ = read_response(s)
                if status != 200:
                    failures += 1
        except OSError:
            failures += 1
            continue
        latencies.append((time.perf_counter() - t0) * 1000)

    recommend_ms = None
    if args.recommend_body:
        body = args.recommend_body.encode()
        req = (f"POST /recommend HTTP/1.1\r\nHost: {args.host}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        times = []
        with socket.create_connection((args.host, args.port), timeout=30) as s:
            for _ in range(args.recommends):
                t0 = time.perf_counter()
                s.sendall(req)
                status, _, _ = read_response(s)
                if status != 200:
                    failures += 1
                times.append((time.perf_counter() - t0) * 1000)
        recommend_ms = statistics.median(times)

    # Still open? A closed idle socket reads EOF at once.
    closed = 0
    for s in idle:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    for s in idle:
        s.close()
    print(json.dumps({
        "idle_connections": args.idle, "idle_closed_by_server": closed, "seconds_to_open_idle": round(open_seconds, 2),
        "healthz_probes": len(latencies), "failures": failures,
        "healthz_p50_ms": round(percentile(latencies, 50), 3) if latencies else None,
        "healthz_p99_ms": round(percentile(latencies, 99), 3) if latencies else None,
        "healthz_max_ms": round(max(latencies), 3) if latencies else None,
        "recommend_median_ms": round(recommend_ms, 2) if recommend_ms else None,
    }))


if __name__ == "__main__":
    main()
