#!/usr/bin/env bash
# Does server-side batching pay? For each connection count (default 8 and 16) and each
# workload of Tools/replay_load.py (cold: distinct users' histories; returning: each history
# replayed growing one item at a time), a fresh release hdrec-server at --max-batch 1 and then
# at 8 (the default) serves the same REQUESTS requests. Prints a Markdown table: rec/s,
# p50/p99, and from /metrics the mean batch and the text and ID forward milliseconds per
# request. Batched passes pack prompts of different lengths end to end (no padding).
# Run it alone: the load generator shares the two cores with the server.
#   [ARTIFACTS=artifacts/default] [BASE=<base gguf>] [DATA=data/scientific]
#   [SERVER=<release hdrec-server>] [THREADS=2] [REQUESTS=1000] [CONNECTIONS="8 16"]
#   [EXTRA="--int8-activations"] Tools/bench_batching.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/default}
DATA=${DATA:-data/scientific}
SERVER=${SERVER:-.build/release/hdrec-server}
THREADS=${THREADS:-2}
REQUESTS=${REQUESTS:-1000}
CONNECTIONS=${CONNECTIONS:-"8 16"}
read -r -a extra_args <<< "${EXTRA:-}"
[ -f "$DATA/users.jsonl" ] || { echo "bench_batching: no prepared dataset at $DATA (hdrec prepare); nothing measured"; exit 2; }
[ -x "$SERVER" ] || { echo "bench_batching: no server binary at $SERVER (swift build -c release --product hdrec-server)"; exit 2; }
. scripts/lib/server.sh
[ -n "${BASE:-}" ] || BASE=$(base_for_bundle "$ARTIFACTS")
base_args=(); [ -n "$BASE" ] && base_args=(--base "$BASE")
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

printf '| workload | connections | --max-batch | mean batch | rec/s | p50 ms | p99 ms | errors | text ms/request | ID ms/request | load avg |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
skip=0
for c in $CONNECTIONS; do
  for w in cold returning; do
    for mb in 1 8; do
      port=$(freeport)
      "$SERVER" --artifacts "$ARTIFACTS" "${base_args[@]}" --port "$port" --threads "$THREADS" --max-batch "$mb" \
        --max-queue 256 "${extra_args[@]}" > "$work/server.log" 2>&1 &
      pid=$!
      wait_ready "$pid" "$port" "$work/server.log" || exit 2
      skip_args=(); [ "$w" = cold ] && skip_args=(--skip-users "$skip")
      python3 Tools/replay_load.py --port "$port" --data "$DATA" --workload "$w" --connections "$c" \
        --requests "$REQUESTS" "${skip_args[@]}" > "$work/run.json"
      # A fresh server per run: its counters cover exactly this run's requests.
      curl -fs "http://127.0.0.1:$port/metrics" > "$work/metrics"
      python3 - "$work/run.json" "$work/metrics" "$w" "$c" "$mb" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
m = {}
for line in open(sys.argv[2]):
    if line.startswith("hdrec_") and " " in line:
        name, value = line.rsplit(" ", 1)
        m[name] = float(value)
n = m.get("hdrec_batch_size_sum", 0.0)
batches = m.get("hdrec_batch_size_count", 0.0)
per = lambda key: f"{1000 * m.get(key, 0.0) / n:.1f}" if n else "–"
text = per('hdrec_forward_duration_seconds_sum{pass="text"}')
ident = per('hdrec_forward_duration_seconds_sum{pass="id"}')
print(f"| {sys.argv[3]} | {sys.argv[4]} | {sys.argv[5]} | {n / batches if batches else 0:.1f} | {run['rec_per_s']:.2f} | "
      f"{run['p50_ms']} | {run['p99_ms']} | {run['errors']} | {text} | {ident} | {sys.argv[6]} |")
PY
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    done
  done
  skip=$((skip + REQUESTS))
done
