#!/usr/bin/env bash
# Does server-side batching pay? Runs a release hdrec-server with --max-batch 1 and then 8
# (ROUNDS times each) and drives POST /recommend with wrk at 4 and 16 connections; prints
# requests/s, p50/p99 and, from /metrics, the mean batch size and the text and ID forward
# milliseconds per request. Run it on a quiet machine: wrk shares the cores with the server.
#   BASE=<base gguf> [ARTIFACTS=artifacts/default] [SERVER=.build/release/hdrec-server]
#   [THREADS=2] [DURATION=20] [ROUNDS=2] Tools/bench_batching.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/default}
SERVER=${SERVER:-.build/release/hdrec-server}
THREADS=${THREADS:-2}
DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-2}
base_args=(); [ -n "${BASE:-}" ] && base_args=(--base "$BASE")
command -v wrk >/dev/null || { echo "bench_batching: needs wrk (apt-get install wrk)"; exit 2; }
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
body=$(python3 - "$ARTIFACTS/catalog.jsonl" <<'PY'
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()][:5]
print(json.dumps({"history": ids, "k": 10}))
PY
)
printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' "$body" > "$work/rec.lua"
# Prints "name value" for the counters this script reads.
counters() {
  curl -fs "$1/metrics" | awk '/^hdrec_forward_duration_seconds_(sum|count)|^hdrec_batch_size_(sum|count) / { print $1, $2 }'
}
printf '| --max-batch | connections | mean batch | requests/s | p50 | p99 | text ms/request | ID ms/request | load |\n|---|---|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "$ROUNDS"); do
  for mb in 1 8; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    url="http://127.0.0.1:$port"
    "$SERVER" --artifacts "$ARTIFACTS" "${base_args[@]}" --port "$port" --threads "$THREADS" --max-batch "$mb" \
      --max-queue 256 > "$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 240); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
    for c in 4 16; do
      counters "$url" > "$work/before"
      wrk -t 2 -c "$c" -d "${DURATION}s" --latency --timeout 60s -s "$work/rec.lua" "$url/recommend" > "$work/wrk.out"
      sleep 3   # the batches wrk started finish
      counters "$url" > "$work/after"
      python3 - "$work/before" "$work/after" "$work/wrk.out" "$mb" "$c" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import re, sys
def read(p):
    return {k: float(v) for k, v in (l.split() for l in open(p) if l.strip())}
b, a = read(sys.argv[1]), read(sys.argv[2])
d = {k: a[k] - b.get(k, 0.0) for k in a}
wrk = open(sys.argv[3]).read()
def ms(label):
    m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", wrk)
    if not m: return float("nan")
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
n = d.get("hdrec_batch_size_sum", 0.0)
batches = d.get("hdrec_batch_size_count", 0.0)
text = d.get('hdrec_forward_duration_seconds_sum{pass="text"}', 0.0)
ident = d.get('hdrec_forward_duration_seconds_sum{pass="id"}', 0.0)
per = lambda x: f"{1000 * x / n:.1f}" if n else "–"
print(f"| {sys.argv[4]} | {sys.argv[5]} | {n / batches if batches else 0:.1f} | {rps:.2f} | {ms('50%'):.0f} | {ms('99%'):.0f} | "
      f"{per(text)} | {per(ident)} | {sys.argv[6]} |")
PY
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
done
