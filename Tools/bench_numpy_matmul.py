#!/usr/bin/env python3
"""Peer figure for `hdrec bench-kernels`: numpy's float32 matmul (OpenBLAS) at the same
shapes, y[m, n] = x[m, k] @ w[n, k].T, reported as GFLOP/s = 2*m*n*k / best time.

Run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see `make bench`): they pin
older, slower OpenBLAS kernels on some machines. Prints JSON lines (one per
measurement) including the BLAS library and kernel that threadpoolctl reports.
Usage: bench_numpy_matmul.py [--threads T] [--clock wall|cpu]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

SHAPES = [(576, 576), (576, 192), (576, 1536), (1536, 576)]  # (k, n)
ROWS = [1, 16, 128, 512]


def best_time(fn, clock, repeats=15):
    """Best per-call time over short batches (~3 ms, one scheduler slice), as hdrec does."""
    fn()
    t0 = clock()
    fn()
    once = max(clock() - t0, 1e-7)
    calls = max(1, min(100_000, int(0.003 / once)))
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        for _ in range(calls):
            fn()
        best = min(best, (clock() - t0) / calls)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: this thread's CPU time (needs --threads 1: OpenBLAS then computes on the caller)")
    args = ap.parse_args()
    if args.clock == "cpu" and args.threads != 1:
        ap.error("--clock cpu needs --threads 1")
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    blas = {}
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        threadpool_limits(args.threads)
        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if info:
            blas = {"library": info[0].get("internal_api"), "version": info[0].get("version"),
                    "architecture": info[0].get("architecture"), "num_threads": info[0].get("num_threads")}
    except ImportError:
        print("threadpoolctl not installed: thread count set only through the environment", file=sys.stderr)
    rng = np.random.default_rng(1)
    for k, n in SHAPES:
        w = rng.standard_normal((n, k), dtype=np.float32)
        for m in ROWS:
            x = rng.standard_normal((m, k), dtype=np.float32)
            y = np.empty((m, n), dtype=np.float32)
            wt = w.T
            seconds = best_time(lambda: np.matmul(x, wt, out=y), clock)
            print(json.dumps({"kernel": "numpy", "type": "f32", "k": k, "n": n, "m": m, "threads": args.threads,
                              "clock": args.clock,
                              "seconds": seconds, "gflops": 2.0 * m * n * k / seconds / 1e9,
                              "numpy": np.__version__, "blas": blas}))


if __name__ == "__main__":
    main()
