#!/usr/bin/env python3
"""Summarizes scripts/soak_swaps.sh's RSS series and writes the "Service: memory over swaps"
section of BENCHMARKS.md (unless told not to). Exit status 1 when RSS is not flat.

    Tools/soak_report.py RSS_TSV WARMUP FAILED_SWAPS REQUESTS ERRORS CONNECTIONS NO_REPORT [SERVER_ENV]
"""
import datetime, re, sys
path, warmup, failed, requests, errors, conns, no_report, server_env = sys.argv[1:]
rows = [l.split() for l in open(path).read().splitlines()[1:]]
rss = {int(s): int(k) for s, k, _ in rows}
w = int(warmup)
ref = rss[w]
after = [v for s, v in rss.items() if s >= w]
lo, hi, last = min(after), max(after), rss[max(rss)]
tail = sorted(v for s, v in rss.items() if s > max(rss) - 50)
tail_median = tail[len(tail) // 2]
ok = hi <= 1.1 * ref and 0.9 * ref <= tail_median <= 1.1 * ref
swaps = max(rss)
seconds = float(rows[-1][2])
summary = (f"{swaps} swaps in {seconds:.0f} s under {conns} connections of POST /recommend ({requests} requests; "
           f"{errors.strip() or 'no non-2xx, no socket errors'}); failed swaps {failed}. RSS (MiB): start {rss[0]/1024:.0f}, "
           f"after the {w}-swap warm-up {ref/1024:.0f}, then min {lo/1024:.0f}, max {hi/1024:.0f} ({100*(hi/ref-1):+.1f} %), "
           f"last {last/1024:.0f}, median of the last 50 {tail_median/1024:.0f} ({100*(tail_median/ref-1):+.1f} %): "
           f"{'flat' if ok else 'NOT flat'} (never above +10 %, last-50 median within ±10 %).")
print(summary)
if no_report != "1":
    marks = [s for s in sorted(rss) if s % max(1, swaps // 10) == 0 or s == w]
    table = ["| swaps | RSS MiB |", "|---:|---:|"] + [f"| {s} | {rss[s]/1024:.0f} |" for s in marks]
    lines = ["## Service: memory over swaps", "",
             f"`scripts/soak_swaps.sh` (part of `make loadtest`) on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC"
             + (f", server environment `{server_env}`" if server_env else "") + ".", "", summary, ""] + table + [""]
    bench = "BENCHMARKS.md"
    text = open(bench).read()
    section = "\n".join(lines)
    pattern = re.compile(r"## Service: memory over swaps\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: section.rstrip("\n"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    open(bench, "w").write(text)
sys.exit(0 if ok and failed == "0" else 1)
