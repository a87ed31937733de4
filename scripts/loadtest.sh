#!/usr/bin/env bash
# make loadtest: load-tests hdrec-server with wrk (Debian package) and writes the
# "Service" section of BENCHMARKS.md (p50/p90/p99 latency and requests/s).
#
#   ARTIFACTS=<bundle dir> [SWAP_DIR=<bundle-shaped dir>] [DURATION=15] [THREADS=2] scripts/loadtest.sh
#
# Runs, each against a fresh connection pool: GET /healthz and GET /metrics at 1, 16 and
# 64 connections; POST /recommend at 1, 4 and 16; and POST /recommend at 4 while
# PUT /adapters swaps every 2 s between SWAP_DIR and ARTIFACTS (the same directory
# re-applied by default: a full load + validate + swap each time). Where the time goes
# is read back from /metrics (forward seconds per pass, mean batch size).
# Without a bundle, or while hdrec-server cannot load one, it says so and exits 2.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/bundle}
SWAP_DIR=${SWAP_DIR:-$ARTIFACTS}
DURATION=${DURATION:-15}
THREADS=${THREADS:-2}
SCRATCH=${SCRATCH:-.build}
BENCH=BENCHMARKS.md

if [ ! -f "$ARTIFACTS/manifest.json" ]; then
  echo "loadtest: no bundle at $ARTIFACTS (set ARTIFACTS=<directory written by hdrec export>); nothing measured"
  exit 2
fi
command -v wrk >/dev/null || scripts/install-system-deps.sh wrk
command -v curl >/dev/null || scripts/install-system-deps.sh curl

swift build -c release --scratch-path "$SCRATCH" --product hdrec-server
server="$SCRATCH/release/hdrec-server"

work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; wait "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/admin-token"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
root=$(cd "$(dirname "$ARTIFACTS")" && pwd)
artifacts_abs=$(cd "$ARTIFACTS" && pwd)
swap_abs=$(cd "$SWAP_DIR" && pwd)

"$server" --artifacts "$artifacts_abs" --port "$port" --threads "$THREADS" --admin-token-file "$work/admin-token" \
  --adapter-root "$root" --max-queue 256 --max-connections 512 >"$work/server.log" 2>"$work/server.err" &
pid=$!
echo "loadtest: waiting for $base/readyz (bundle load and warm-up)"
for _ in $(seq 1 1200); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "loadtest: hdrec-server exited before it was ready; nothing measured:"
    cat "$work/server.err"
    exit 2
  fi
  curl -fs "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "$base/readyz" >/dev/null || { echo "loadtest: not ready after 600 s"; exit 2; }

# A request body: the first five catalog ids as the history.
history=$(python3 - "$artifacts_abs/catalog.jsonl" <<'PY'
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()][:5]
print(json.dumps({"history": ids, "k": 10}))
PY
)
cat > "$work/recommend.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$history]]
wrk.headers["Content-Type"] = "application/json"
LUA

results="$work/results.tsv"
: > "$results"
run() {  # name path connections [lua]
  local name=$1 path=$2 conns=$3 lua=${4:-}
  local threads=$THREADS; [ "$conns" -lt "$threads" ] && threads=$conns
  local args=(-t "$threads" -c "$conns" -d "${DURATION}s" --latency --timeout 30s)
  [ -n "$lua" ] && args+=(-s "$lua")
  echo "loadtest: $name $path, $conns connections, ${DURATION}s"
  wrk "${args[@]}" "$base$path" > "$work/wrk.out"
  python3 - "$work/wrk.out" "$name" "$path" "$conns" >> "$results" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
    if not m: return "n/a"
    v, u = float(m.group(1)), m.group(2)
    return "%.2f" % (v / 1000 if u == "us" else v * 1000 if u == "s" else v)
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errs = re.search(r"Socket errors: (.*)", text)
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4], ms("50%"), ms("90%"), ms("99%"),
                 rps.group(1) if rps else "n/a", bad.group(1) if bad else "0", errs.group(1).strip() if errs else "none"]))
PY
}

for c in 1 16 64; do run "probe" /healthz "$c"; done
for c in 1 16 64; do run "metrics" /metrics "$c"; done
for c in 1 4 16; do run "recommend" /recommend "$c" "$work/recommend.lua"; done

# /recommend under load while adapters swap every 2 s.
swaps_ok=0; swaps_failed=0
(
  i=0
  while kill -0 "$pid" 2>/dev/null; do
    dir=$swap_abs; [ $((i % 2)) -eq 1 ] && dir=$artifacts_abs
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$work/admin-token")" \
      -d "{\"path\": \"$dir\"}" "$base/adapters")
    echo "$code" >> "$work/swaps"
    i=$((i + 1)); sleep 2
  done
) &
swapper=$!
run "recommend + swaps" /recommend 4 "$work/recommend.lua"
kill "$swapper" 2>/dev/null || true; wait "$swapper" 2>/dev/null || true
[ -f "$work/swaps" ] && { swaps_ok=$(grep -c '^200$' "$work/swaps" || true); swaps_failed=$(grep -vc '^200$' "$work/swaps" || true); }

curl -fs "$base/metrics" > "$work/metrics.txt"
kill -TERM "$pid"; wait "$pid" || true; pid=0

python3 - "$BENCH" "$results" "$work/metrics.txt" "$swaps_ok" "$swaps_failed" "$DURATION" "$THREADS" "$ARTIFACTS" <<'PY'
import re, sys, platform
bench, results, metrics, ok, failed, duration, threads, artifacts = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(results) if l.strip()]
m = open(metrics).read()
def val(name):
    r = re.search(r"^%s (\S+)$" % re.escape(name), m, re.M)
    return float(r.group(1)) if r else 0.0
lines = ["## Service", "",
         "`make loadtest` (scripts/loadtest.sh): wrk against a release `hdrec-server --threads %s` on loopback, "
         "%s s per run, bundle `%s`. Latencies in ms." % (threads, duration, artifacts), "",
         "| run | path | connections | p50 | p90 | p99 | req/s | non-2xx | socket errors |",
         "|---|---|---|---|---|---|---|---|---|"]
lines += ["| " + " | ".join(r) + " |" for r in rows]
lines += ["", "Adapter swaps during the `recommend + swaps` run: %s succeeded, %s failed." % (ok, failed), ""]
for p in ("text", "id"):
    c = val('hdrec_forward_duration_seconds_count{pass="%s"}' % p)
    s = val('hdrec_forward_duration_seconds_sum{pass="%s"}' % p)
    if c: lines.append("- %s pass: %d batched forwards, mean %.1f ms" % (p, c, 1000 * s / c))
bc, bs = val("hdrec_batch_size_count"), val("hdrec_batch_size_sum")
if bc: lines.append("- mean batch size %.2f over %d batches" % (bs / bc, bc))
lines.append("")
text = open(bench).read()
section = "\n".join(lines) + "\n"
pat = re.compile(r"^## Service\n.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(bench, "w").write(text)
print(section)
PY
