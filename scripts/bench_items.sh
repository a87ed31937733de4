#!/usr/bin/env bash
# GET /items latency at one connection (target: p99 under 20 ms over the full catalog,
# so the page can search on every keystroke). wrk (Debian) at -c1 -t1 with a Lua script
# that walks a list of queries: every prefix of 300 title words, as someone typing them
# ("d", "dr", "dri", ...), plus the worst cases for the scan (one common letter: nearly
# every title matches; a long query that matches nothing: every title is searched to its
# end). Every request scans the whole folded catalog (the answer carries the total).
#
#   [ARTIFACTS=artifacts/default] [BASE=models/...gguf] [DURATION=20] [THREADS=2]
#   [SERVER=<prebuilt hdrec-server>] scripts/bench_items.sh
# Prints wrk's latency distribution and one summary line; writes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/default}
BASE=${BASE:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
DURATION=${DURATION:-20}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || scripts/install-system-deps.sh wrk
server=${SERVER:-}
if [ -z "$server" ]; then
  swift build -c release --product hdrec-server
  server=.build/release/hdrec-server
fi

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$server" --artifacts "$ARTIFACTS" --base "$BASE" --port "$port" --threads "$THREADS" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  kill -0 "$pid" 2>/dev/null || { echo "hdrec-server exited:"; tail "$work/server.log"; exit 2; }
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done

# The query list, as a Lua table of already percent-encoded paths.
python3 - "$ARTIFACTS/catalog.jsonl" > "$work/items.lua" <<'PY'
import json, random, re, sys, urllib.parse
titles = [json.loads(l)["title"] for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
words = sorted({w for t in titles for w in re.findall(r"[^\W\d_]{4,}", t)})
random.Random(17).shuffle(words)
queries = [w[:n] for w in words[:300] for n in range(1, len(w) + 1)]
queries += ["e", "E", "a", "ÉCROU", "zzzz no title has this text in it at all zzzz"]
paths = ["/items?q=" + urllib.parse.quote(q, safe="") + "&limit=20" for q in queries]
print("paths = {" + ",".join(json.dumps(p) for p in paths) + "}")
print("n = 0")
print("request = function() n = n % #paths + 1; return wrk.format('GET', paths[n]) end")
print("done = function(summary, latency, requests)")
print("  io.write(string.format('bench_items: %d requests, %d non-2xx, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\\n',")
print("    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(90) / 1000,")
print("    latency:percentile(99) / 1000, latency.max / 1000))")
print("end")
print(f"-- {len(paths)} queries", file=sys.stderr)
PY
echo "catalog: $(grep -c . "$ARTIFACTS/catalog.jsonl") items; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c1 -d"${DURATION}s" --latency -s "$work/items.lua" "http://127.0.0.1:$port"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The server's own time per request (parse, search, JSON; no network or client): the
# /items histogram of hdrec_http_request_duration_seconds, cumulative counts per bound.
echo "server-side /items durations (le = seconds, cumulative count):"
curl -fs "http://127.0.0.1:$port/metrics" | grep 'hdrec_http_request_duration_seconds_bucket{route="/items"' \
  | sed -E 's/.*le="([^"]+)"} (.*)/  le \1: \2/'
