#!/usr/bin/env bash
# make loadtest: load-tests hdrec-server with wrk (Debian package) and writes the
# "Service" section of BENCHMARKS.md (p50/p90/p99 latency and requests/s).
#
#   ARTIFACTS=<bundle dir> [SWAP_DIR=<bundle-shaped dir>] [BASE=<base.gguf>] [THREADS=2]
#   [DURATION=15] [RECOMMEND_DURATION=30] [SWAPS=50] [LABEL=<bundle description>]
#   [SERVER=<prebuilt release hdrec-server>] scripts/loadtest.sh
#
# BASE is the base GGUF for bundles that reference theirs (hdrec export without
# --copy-base). SWAP_DIR is a second bundle over the same base and catalog (e.g. another
# `hdrec export --random --seed`), so swaps really change the pair; default: ARTIFACTS
# re-applied (still a full load + validate + swap each time).
#
# Measures, against one release server on loopback:
#   1. one /recommend at a time, idle: timing_ms (text pass, ID pass, fusion, total) of
#      five requests, the handler's time from /metrics (parse + queue + passes + JSON), and
#      curl's round trip; medians;
#   2. GET /healthz and GET /metrics at 1, 16, 64 connections, POST /recommend at 1, 4, 16;
#      for each /recommend run, /metrics before and after give the batches it ran, the
#      batch-size histogram and the mean forward time per pass (does batching pay?);
#   3. POST /recommend at 4 connections while PUT /adapters swaps every 2 s between
#      SWAP_DIR and ARTIFACTS: failed requests (non-2xx, socket errors) and failed swaps;
#   4. the server's RSS (/proc/PID/status VmRSS) before and after SWAPS back-to-back swaps.
# The 1-minute load average is sampled at the end of each run: the machine is shared.
# Without a bundle, or while hdrec-server cannot load one, it says so and exits 2.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/bundle}
SWAP_DIR=${SWAP_DIR:-$ARTIFACTS}
BASE=${BASE:-}
DURATION=${DURATION:-15}
RECOMMEND_DURATION=${RECOMMEND_DURATION:-30}
THREADS=${THREADS:-2}
SWAPS=${SWAPS:-50}
LABEL=${LABEL:-$ARTIFACTS}
SCRATCH=${SCRATCH:-.build}
BENCH=BENCHMARKS.md

if [ ! -f "$ARTIFACTS/manifest.json" ]; then
  echo "loadtest: no bundle at $ARTIFACTS (set ARTIFACTS=<directory written by hdrec export>); nothing measured"
  exit 2
fi
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
((${#missing[@]})) && scripts/install-system-deps.sh "${missing[@]}"

if [ -n "${SERVER:-}" ]; then
  server=$SERVER  # a prebuilt release hdrec-server
else
  swift build -c release --scratch-path "$SCRATCH" --product hdrec-server
  server="$SCRATCH/release/hdrec-server"
fi

work=$(mktemp -d)
pid=""; swapper=""
cleanup() {  # only the processes this script started (never `kill 0`: that is the whole process group)
  [ -n "$swapper" ] && { touch "$work/stop"; wait "$swapper" 2>/dev/null || true; }
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/admin-token"
token=$(cat "$work/admin-token")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
artifacts_abs=$(cd "$ARTIFACTS" && pwd)
swap_abs=$(cd "$SWAP_DIR" && pwd)
root=$(python3 -c 'import os, sys; print(os.path.commonpath(sys.argv[1:]))' "$(dirname "$artifacts_abs")" "$(dirname "$swap_abs")")
base_args=(); [ -n "$BASE" ] && base_args=(--base "$BASE")

"$server" --artifacts "$artifacts_abs" "${base_args[@]}" --port "$port" --threads "$THREADS" --admin-token-file "$work/admin-token" \
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
curl -fs "$base/readyz" > "$work/readyz.json" || { echo "loadtest: not ready after 600 s"; exit 2; }
# Waits until the server has no request in flight but the /metrics scrape itself, so the
# snapshot after a run includes every batch the run started.
drain() {
  for _ in $(seq 1 600); do
    curl -fs "$base/metrics" | grep -q '^hdrec_inflight_requests 1$' && return
    sleep 0.5
  done
}
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$pid/status"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# A request body: the first five catalog ids as the history.
history=$(python3 - "$artifacts_abs/catalog.jsonl" <<'PY'
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()][:5]
print(json.dumps({"history": ids, "k": 10}))
PY
)
printf '%s' "$history" > "$work/body.json"
cat > "$work/recommend.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$history]]
wrk.headers["Content-Type"] = "application/json"
LUA

# 1. One /recommend at a time, on an otherwise idle server.
curl -fs "$base/metrics" > "$work/idle-before.txt"
: > "$work/idle.jsonl"
for _ in 1 2 3 4 5; do
  curl -fs -H 'Content-Type: application/json' --data-binary @"$work/body.json" -o "$work/one.json" \
    -w '%{time_total}' "$base/recommend" > "$work/rtt"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["timing_ms"]["round_trip"] = float(open(sys.argv[2]).read()) * 1000; print(json.dumps(r["timing_ms"]))' \
    "$work/one.json" "$work/rtt" >> "$work/idle.jsonl"
done
curl -fs "$base/metrics" > "$work/idle-after.txt"
idle_load=$(load1)

# 2. wrk runs.
results="$work/results.tsv"
: > "$results"
run() {  # name path connections duration [lua]
  local name=$1 path=$2 conns=$3 duration=$4 lua=${5:-}
  local threads=$THREADS; [ "$conns" -lt "$threads" ] && threads=$conns
  local args=(-t "$threads" -c "$conns" -d "${duration}s" --latency --timeout 120s)
  [ -n "$lua" ] && args+=(-s "$lua")
  echo "loadtest: $name $path, $conns connections, ${duration}s"
  curl -fs "$base/metrics" > "$work/m-before.txt"
  wrk "${args[@]}" "$base$path" > "$work/wrk.out"
  drain
  curl -fs "$base/metrics" > "$work/m-after.txt"
  local tag="$name-$conns"
  cp "$work/m-before.txt" "$work/metrics-$tag-before.txt"; cp "$work/m-after.txt" "$work/metrics-$tag-after.txt"
  python3 - "$work/wrk.out" "$name" "$path" "$conns" "$(load1)" "$tag" >> "$results" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s|m|h)\s*$" % re.escape(label), text, re.M)
    if not m: return "n/a"
    v, u = float(m.group(1)), m.group(2)
    return "%.2f" % (v * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4, "h": 3.6e6}[u])
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
done = re.search(r"(\d+) requests in", text)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errs = re.search(r"Socket errors: (.*)", text)
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4], ms("50%"), ms("90%"), ms("99%"),
                 rps.group(1) if rps else "n/a", done.group(1) if done else "n/a", bad.group(1) if bad else "0",
                 errs.group(1).strip() if errs else "none", sys.argv[5], sys.argv[6]]))
PY
}

for c in 1 16 64; do run "probe" /healthz "$c" "$DURATION"; done
for c in 1 16 64; do run "metrics" /metrics "$c" "$DURATION"; done
for c in 1 4 16; do run "recommend" /recommend "$c" "$RECOMMEND_DURATION" "$work/recommend.lua"; done

# 3. /recommend under load while adapters swap every 2 s.
swap_once() {  # dir -> HTTP status (409 = another swap still running: wait for it and retry)
  local code
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" -d "{\"path\": \"$1\"}" "$base/adapters")
    [ "$code" != 409 ] && break
    sleep 0.5
  done
  echo "$code"
}
: > "$work/swaps"
(
  i=0
  while [ ! -f "$work/stop" ]; do
    dir=$swap_abs; [ $((i % 2)) -eq 1 ] && dir=$artifacts_abs
    echo "$(swap_once "$dir")" >> "$work/swaps"
    i=$((i + 1)); sleep 2
  done
) &
swapper=$!
run "recommend + swaps" /recommend 4 "$RECOMMEND_DURATION" "$work/recommend.lua"
touch "$work/stop"; wait "$swapper" 2>/dev/null || true; swapper=""
swaps_ok=$(grep -c '^200$' "$work/swaps" || true)
swaps_failed=$(grep -vc '^200$' "$work/swaps" || true)
swap_once "$artifacts_abs" >/dev/null  # end on ARTIFACTS

# 4. RSS over back-to-back swaps (no load).
: > "$work/rss.tsv"
echo -e "0\t$(rss)" >> "$work/rss.tsv"
mem_ok=0; mem_failed=0
for i in $(seq 1 "$SWAPS"); do
  dir=$swap_abs; [ $((i % 2)) -eq 0 ] && dir=$artifacts_abs
  if [ "$(swap_once "$dir")" = 200 ]; then mem_ok=$((mem_ok + 1)); else mem_failed=$((mem_failed + 1)); fi
  case $i in 1|10|25|$SWAPS) echo -e "$i\t$(rss)" >> "$work/rss.tsv" ;; esac
done
sleep 1; echo -e "after 1 s idle\t$(rss)" >> "$work/rss.tsv"

curl -fs "$base/metrics" > "$work/metrics.txt"
kill -TERM "$pid"; wait "$pid" || true; pid=""

DURATION=$DURATION RECOMMEND_DURATION=$RECOMMEND_DURATION THREADS=$THREADS LABEL=$LABEL SWAPS=$SWAPS \
python3 - "$BENCH" "$work" "$swaps_ok" "$swaps_failed" "$mem_ok" "$mem_failed" "$idle_load" <<'PY'
import json, re, sys, statistics, datetime, os
bench, work, ok, failed, mem_ok, mem_failed, idle_load = sys.argv[1:]
env = os.environ
duration, rduration, threads, label, swaps = env["DURATION"], env["RECOMMEND_DURATION"], env["THREADS"], env["LABEL"], env["SWAPS"]
ready = json.load(open(os.path.join(work, "readyz.json")))

def metrics(path):
    out = {}
    for line in open(path):
        if line.startswith("#") or not line.strip(): continue
        name, value = line.rsplit(" ", 1)
        out[name] = float(value)
    return out
def delta(tag, name):
    a, b = metrics(f"{work}/metrics-{tag}-before.txt"), metrics(f"{work}/metrics-{tag}-after.txt")
    return b.get(name, 0) - a.get(name, 0)

rows = [l.rstrip("\n").split("\t") for l in open(f"{work}/results.tsv") if l.strip()]
nproc = os.cpu_count()
lines = ["## Service", "",
         "`make loadtest` (scripts/loadtest.sh) on %s UTC: wrk against a release `hdrec-server --threads %s` "
         "(decoder_threads %s in /readyz) on loopback, --max-batch 8, --batch-window-ms 2; bundle %s. "
         "Probe and /metrics runs last %s s, /recommend runs %s s. Latencies in ms. The machine has %d cores and is "
         "shared with other engineers' builds and a training run: the 1-minute load average at the end of each run is in the "
         "last column (about %d would be this test alone); absolute figures move with it."
         % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), threads, ready.get("decoder_threads", "?"), label,
            duration, rduration, nproc, int(threads) + 1), "",
         "| run | path | connections | p50 | p90 | p99 | req/s | requests | non-2xx | socket errors | load avg |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
lines += ["| " + " | ".join(r[:11]) + " |" for r in rows]
lines += ["", "wrk's percentiles over a run of a few dozen /recommend requests are coarse (p99 is about the slowest one).", ""]

# Where the time goes for one /recommend (idle server).
idle = [json.loads(l) for l in open(f"{work}/idle.jsonl") if l.strip()]
med = lambda k: statistics.mean(r[k] for r in idle)
ia, ib = metrics(f"{work}/idle-before.txt"), metrics(f"{work}/idle-after.txt")
key = 'hdrec_http_request_duration_seconds_%s{route="/recommend"}'
handler = 1000 * (ib.get(key % "sum", 0) - ia.get(key % "sum", 0)) / max(1, ib.get(key % "count", 0) - ia.get(key % "count", 0))
passes = med("text_pass") + med("id_pass") + med("fusion")
lines += ["### Where the time goes: one /recommend on an idle server", "",
          "Means of 5 sequential requests (load average %s); stages from the response's `timing_ms`, the handler "
          "time from `hdrec_http_request_duration_seconds`, the round trip from curl." % idle_load, "",
          "| stage | ms | share of round trip |", "|---|---|---|"]
rt = med("round_trip")
for name, v in [("text pass (text adapter over the base, IPL)", med("text_pass")), ("ID pass (ID adapter over the base, IPL)", med("id_pass")),
                ("fusion + top-k", med("fusion")),
                ("rest of `total`: JSON parse, validation, queue, batching window", med("total") - passes),
                ("response JSON + pipeline (handler mean − `total`)", handler - med("total")),
                ("HTTP transport and client (round trip − handler)", rt - handler),
                ("round trip (curl)", rt)]:
    lines.append("| %s | %.1f | %.1f%% |" % (name, v, 100 * v / rt if rt else 0))
lines.append("")

# Does batching pay?
lines += ["### Batching", "",
          "Per /recommend run, from /metrics before and after it: the batches the inference thread ran, their sizes "
          "(`hdrec_batch_size` histogram), and the mean forward time per pass (`hdrec_forward_duration_seconds`); "
          "forward ms per request = (text + ID forward time) / requests answered 200. The snapshot after a run waits until "
          "the batches it started have finished (requests still queued when wrk stops are cancelled by the hang-up).", "",
          "| run | connections | requests | batches | mean batch | batch sizes (≤1/≤2/≤4/≤8) | text forward ms | ID forward ms | forward ms per request |",
          "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    if r[1] != "/recommend": continue
    tag = r[11]
    n = delta(tag, "hdrec_batch_size_count"); queries = delta(tag, "hdrec_batch_size_sum")
    buckets = [delta(tag, 'hdrec_batch_size_bucket{le="%s"}' % b) for b in ("1", "2", "4", "8")]
    hist = "/".join("%d" % (b - a) for a, b in zip([0] + buckets[:-1], buckets))
    t = delta(tag, 'hdrec_forward_duration_seconds_sum{pass="text"}'); i = delta(tag, 'hdrec_forward_duration_seconds_sum{pass="id"}')
    answered = delta(tag, 'hdrec_http_requests_total{route="/recommend",method="POST",status="200"}')
    lines.append("| %s | %s | %d | %d | %.2f | %s | %.0f | %.0f | %.0f |" % (
        r[0], r[2], answered, n, queries / n if n else 0, hist, 1000 * t / n if n else 0, 1000 * i / n if n else 0,
        1000 * (t + i) / answered if answered else 0))
lines.append("")

rss = [l.rstrip("\n").split("\t") for l in open(f"{work}/rss.tsv") if l.strip()]
lines += ["### Hot swaps", "",
          "During the `recommend + swaps` run, `PUT /adapters` alternated between two bundles every 2 s: "
          "%s swaps succeeded, %s failed; the run's failed requests are its non-2xx and socket-error columns above." % (ok, failed), "",
          "Then %s back-to-back swaps without load (%s succeeded, %s failed); the server's RSS (VmRSS):" % (swaps, mem_ok, mem_failed), "",
          "| after swaps | RSS (MiB) |", "|---|---|"]
lines += ["| %s | %.1f |" % (a, int(b) / 2**20) for a, b in rss]
lines.append("")
section = "\n".join(lines) + "\n"
text = open(bench).read()
pat = re.compile(r"^## Service\n.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(bench, "w").write(text)
print(section)
PY
