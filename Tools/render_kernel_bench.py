#!/usr/bin/env python3
"""Renders `hdrec bench-kernels --json` and `bench_numpy_matmul.py` output (JSON lines)
as the "Kernels" section of BENCHMARKS.md, replacing that section only.

Usage: render_kernel_bench.py BENCHMARKS.md COMMAND OURS.jsonl PEER.jsonl [OURS.jsonl PEER.jsonl ...]
Each (ours, peer) pair becomes one table (e.g. 2 threads by wall clock, 1 thread by CPU time).
"""
import datetime
import json
import os

from bench_machine import cpu_name, replace_section
import subprocess
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]




def table(rows, numpy_rows):
    types = []
    for r in rows:
        if r["type"] not in types:
            types.append(r["type"])
    ours = {(r["k"], r["n"], r["m"], r["type"]): r["gflops"] for r in rows}
    npy = {(r["k"], r["n"], r["m"]): r["gflops"] for r in numpy_rows}
    keys = []
    for r in rows:
        key = (r["k"], r["n"], r["m"])
        if key not in keys:
            keys.append(key)
    threads = rows[0]["threads"] if rows else "?"
    clock = rows[0].get("clock", "wall") if rows else "?"
    what = "elapsed time" if clock == "wall" else "the thread's CPU time (immune to time slices lost to other jobs)"
    peak = 78.4 * threads if isinstance(threads, int) else 157
    out = [f"**{threads} thread{'s' if threads != 1 else ''}, {what}** (f32 peak ≈ {peak:.0f} GFLOP/s)", "",
           "| k × n | m | " + " | ".join(types) + " | numpy f32 |",
           "|---|---:|" + "---:|" * (len(types) + 1)]
    for k, n, m in keys:
        cells = [f"{ours.get((k, n, m, t), float('nan')):.1f}" for t in types]
        peer = f"{npy[(k, n, m)]:.1f}" if (k, n, m) in npy else "n/a"
        out.append(f"| {k} × {n} | {m} | " + " | ".join(cells) + f" | {peer} |")
    return out


def main():
    md_path, command = sys.argv[1], sys.argv[2]
    pairs = [(load(sys.argv[i]), load(sys.argv[i + 1])) for i in range(3, len(sys.argv) - 1, 2)]
    numpy_rows = next((p for _, p in pairs if p), [])
    blas = numpy_rows[0].get("blas", {}) if numpy_rows else {}
    np_version = numpy_rows[0].get("numpy", "?") if numpy_rows else "?"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    load_avg = " ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = ["## Kernels", "",
             f"`{command}` on {datetime.date.today().isoformat()} (commit {commit}); machine: {cpu_name()}, "
             f"{os.cpu_count()} cores, shared with other jobs (load average {load_avg} when the run ended). "
             "Each figure is the best of 15 short batches.",
             "",
             "GFLOP/s of `y[m, n] = x[m, k] · Wᵀ` (2·m·n·k flops) with W stored as each type "
             "(`QuantizedMatMul.linear`; f32 is `MatMul.linear`). The peer, `numpy f32`, is "
             f"numpy {np_version} `x @ w.T` on {blas.get('library', 'BLAS')} {blas.get('version', '')} "
             f"({blas.get('architecture', '?')} kernels), same shapes, same run.",
             ""]
    for ours, peer in pairs:
        lines += table(ours, peer)
        lines.append("")
    lines.append("How the kernels work and why: [docs/kernels.md](docs/kernels.md).")
    section = "\n".join(lines) + "\n"

    replace_section(md_path, "## Kernels", section)


if __name__ == "__main__":
    main()
