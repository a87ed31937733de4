#!/usr/bin/env bash
# Serving throughput on real histories, part of `make loadtest`; writes the
# "Service: throughput" section of BENCHMARKS.md.
#
#   [ARTIFACTS=artifacts/default] [BASE=<base.gguf>] [DATA=data/scientific] [THREADS=2]
#   [REQUESTS=1000] [CONNECTIONS="1 8 32"] [SERVER=<release hdrec-server>]
#   [OLD_SERVER=<an earlier hdrec-server> OLD_ARTIFACTS=<its bundle>] [INT8=1] scripts/bench_throughput.sh
#
# For each connection count, two workloads through Tools/replay_load.py: cold users
# (distinct test-time histories: nothing past the shared instruction is cached) and
# returning users (each history replayed growing one item at a time), REQUESTS each.
# With OLD_SERVER, the same at 8 connections against that server, in the same run, for
# the ratio the issue asks for. With INT8=1, also the new server with --int8-activations at
# 8 connections (an option, not the default: docs/kernels.md "Integer prefill"), labelled
# "new, int8". Each run gets a fresh server (an empty cache); the old and
# the new server get the same users, and runs at different connection counts different users.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/default}
DATA=${DATA:-data/scientific}
THREADS=${THREADS:-2}
REQUESTS=${REQUESTS:-1000}
CONNECTIONS=${CONNECTIONS:-"1 8 32"}
SCRATCH=${SCRATCH:-.build}
BENCH=BENCHMARKS.md
[ -f "$DATA/users.jsonl" ] || { echo "bench_throughput: no prepared dataset at $DATA (hdrec prepare); nothing measured"; exit 2; }
. scripts/lib/server.sh
[ -n "${BASE:-}" ] || BASE=$(base_for_bundle "$ARTIFACTS")
if [ -n "${SERVER:-}" ]; then server=$SERVER; else
  swift build -c release --scratch-path "$SCRATCH" --product hdrec-server
  swift build -c release --scratch-path "$SCRATCH" --product hdrec   # for the ceiling below
  server="$SCRATCH/release/hdrec-server"
fi
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

# Starts a server and sets `pid` and `port`. (Not in a $(...) subshell: `pid` must reach
# stop_server, or every run's server would be left running.)
start_server() {  # binary bundle [extra server arguments...]
  port=$(freeport)
  local base_args=(); [ -n "$BASE" ] && base_args=(--base "$BASE")
  "$1" --artifacts "$2" "${base_args[@]}" --port "$port" --threads "$THREADS" --max-queue 256 "${@:3}" >"$work/server.log" 2>&1 &
  pid=$!
  wait_ready "$pid" "$port" "$work/server.log" || exit 2
}
stop_server() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; }

: > "$work/results.jsonl"
skip=0
run() {  # label binary bundle workload connections [extra server arguments...]
  start_server "$2" "$3" "${@:6}"
  local extra=(); [ "$4" = cold ] && extra=(--skip-users "$skip")
  python3 Tools/replay_load.py --port "$port" --data "$DATA" --workload "$4" --connections "$5" --requests "$REQUESTS" "${extra[@]}" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); r["server"]=sys.argv[1]; r["load"]=open("/proc/loadavg").read().split()[0]; print(json.dumps(r))' "$1" \
    | tee -a "$work/results.jsonl"
  stop_server
}
for c in $CONNECTIONS; do
  for w in cold returning; do
    run new "$server" "$ARTIFACTS" "$w" "$c"
    # Old and new alternate, on the same users.
    if [ "$c" = 8 ] && [ -n "${OLD_SERVER:-}" ]; then run old "$OLD_SERVER" "${OLD_ARTIFACTS:-$ARTIFACTS}" "$w" 8; fi
    if [ "$c" = 8 ] && [ "${INT8:-0}" = 1 ]; then run "new, int8" "$server" "$ARTIFACTS" "$w" 8 --int8-activations; fi
  done
  skip=$((skip + REQUESTS))
done

# The ceiling: the decoder alone, one prompt, the bundle's layers, as the passes run it
# (no LM head), at two prompt lengths around a cold text prompt's.
hdrec_bin="$(dirname "$server")/hdrec"
layers=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base"]["layers"])' "$ARTIFACTS/manifest.json")
: > "$work/ceiling.jsonl"
if [ -x "$hdrec_bin" ] && [ -n "$BASE" ]; then
  for n in 128 256; do
    for a in "" --int8-activations; do
      # An hdrec older than --layers fails here; the runs above are still written.
      "$hdrec_bin" bench --model "$BASE" --layers "$layers" --prompt-tokens "$n" --decode-tokens 0 --repeats 10 --threads "$THREADS" --json $a >> "$work/ceiling.jsonl" \
        || echo "bench_throughput: $hdrec_bin bench --layers failed: the prefill ceiling is incomplete"
    done
  done
else echo "bench_throughput: no $hdrec_bin or base file: the prefill ceiling is not measured"; fi

python3 - "$BENCH" "$work/results.jsonl" "$REQUESTS" "${OLD_SERVER:-}" "$work/ceiling.jsonl" <<'PY'
import datetime, json, re, sys
bench, path, requests, old, ceiling_path = sys.argv[1:]
ceiling = [json.loads(l) for l in open(ceiling_path) if l.strip()]
rows = [json.loads(l) for l in open(path) if l.strip()]
lines = ["## Service: throughput", "",
         f"`scripts/bench_throughput.sh` (part of `make loadtest`) on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC: "
         f"`Tools/replay_load.py` against a fresh release server per run, {requests} requests per run, Scientific users. "
         "cold: distinct users' test-time histories; returning: each user's history replayed growing one item at a time. "
         "Reused = prompt positions whose keys and values came from the prefix cache; computed/s = the other "
         "positions of both passes per second, which `hdrec bench --layers` below bounds.", "",
         "| server | workload | connections | rec/s | p50 ms | p90 ms | p99 ms | errors | reused positions | computed positions/s | load avg |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    pc = r.get("prefix_cache", {})
    reused = f"{100 * pc.get('reused_positions_total', 0) / max(1, pc.get('positions_total', 0)):.0f} %" if pc else "n/a"
    computed = f"{(pc.get('positions_total', 0) - pc.get('reused_positions_total', 0)) / r['seconds']:.0f}" if pc else "n/a"
    lines.append(f"| {r['server']} | {r['workload']} | {r['connections']} | {r['rec_per_s']:.2f} | {r['p50_ms']} | {r['p90_ms']} | "
                 f"{r['p99_ms']} | {r['errors']} | {reused} | {computed} | {r['load']} |")
if old:
    def get(server, w):
        return next((r for r in rows if r["server"] == server and r["workload"] == w and r["connections"] == 8), None)
    lines.append("")
    for label in ("new", "new, int8"):
        for w in ("cold", "returning"):
            n, o = get(label, w), get("old", w)
            if n and o:
                lines.append(f"- {label}, {w}, 8 connections: **{n['rec_per_s'] / o['rec_per_s']:.2f}×** the old server's rec/s; "
                             f"p99 {n['p99_ms']} ms against {o['p99_ms']} ms.")
if ceiling:
    lines.append("")
    lines.append(f"The ceiling, `hdrec bench --layers {ceiling[0]['layers']} --decode-tokens 0 --repeats 10` on the bundle's base "
                 "(one prompt; computed positions/s above can exceed it a little, as a batched pass gives the products more rows):")
    lines.append("")
    lines.append("| prompt tokens | activations | prefill tokens/s |")
    lines.append("|---:|---|---:|")
    for c in ceiling:
        lines.append(f"| {c['prompt_tokens']} | {c['activations']} | {c['prefill_tokens_per_s']:.0f} |")
lines.append("")
text = open(bench).read()
section = "\n".join(lines)
pattern = re.compile(r"## Service: throughput\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(bench, "w").write(text)
print(section)
PY
