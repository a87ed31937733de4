#!/usr/bin/env bash
# Memory over many hot swaps under load, part of `make loadtest`; writes the
# "Service: memory over swaps" section of BENCHMARKS.md (unless NO_REPORT=1).
#
#   ARTIFACTS=<bundle dir> [SWAP_DIR=<second bundle over the same base>] [BASE=<base.gguf>]
#   [SWAPS=500] [WARMUP=50] [CONNECTIONS=4] [THREADS=2] [SERVER=<release hdrec-server>]
#   [HEAPTRACK=1] [SERVER_ENV="VAR=value ..."] scripts/soak_swaps.sh
#
# Starts hdrec-server, drives POST /recommend with wrk at CONNECTIONS connections for the
# whole run, and applies SWAPS swaps through PUT /adapters, alternating SWAP_DIR and
# ARTIFACTS (default: ARTIFACTS re-applied, still a full load + validate + swap). VmRSS is
# read after every swap. Passes when, after WARMUP swaps, RSS never rises more than 10 %
# above its value at the end of the warm-up, and the median of the last 50 swaps is within
# ±10 % of it (a trim after a swap can dip RSS for a moment; a dip is not growth). HEAPTRACK=1 runs the server under heaptrack (Debian)
# and keeps its profile in .build/soak/. Exit status 1 when the bound is broken.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/default}
SWAP_DIR=${SWAP_DIR:-$ARTIFACTS}
BASE=${BASE:-}
SWAPS=${SWAPS:-500}
WARMUP=${WARMUP:-50}
CONNECTIONS=${CONNECTIONS:-4}
THREADS=${THREADS:-2}
SCRATCH=${SCRATCH:-.build}
OUT=${OUT:-.build/soak}
[ -f "$ARTIFACTS/manifest.json" ] || { echo "soak_swaps: no bundle at $ARTIFACTS; nothing measured"; exit 2; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
[ "${HEAPTRACK:-0}" = 1 ] && ! command -v heaptrack >/dev/null && missing+=(heaptrack)
((${#missing[@]})) && scripts/install-system-deps.sh "${missing[@]}"
. scripts/lib/server.sh
[ -n "$BASE" ] || BASE=$(base_for_bundle "$ARTIFACTS")
if [ -n "${SERVER:-}" ]; then server=$SERVER; else
  swift build -c release --scratch-path "$SCRATCH" --product hdrec-server
  server="$SCRATCH/release/hdrec-server"
fi
mkdir -p "$OUT"
work=$(mktemp -d)
pid=""; load=""
cleanup() {
  [ -n "$load" ] && { kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true; }
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/token"
port=$(freeport)
a=$(cd "$ARTIFACTS" && pwd); b=$(cd "$SWAP_DIR" && pwd)
root=$(python3 -c 'import os, sys; print(os.path.commonpath(sys.argv[1:]))' "$(dirname "$a")" "$(dirname "$b")")
base_args=(); [ -n "$BASE" ] && base_args=(--base "$BASE")
wrapper=(); [ "${HEAPTRACK:-0}" = 1 ] && wrapper=(heaptrack -o "$OUT/heaptrack")
env ${SERVER_ENV:-} "${wrapper[@]}" "$server" --artifacts "$a" "${base_args[@]}" --port "$port" --threads "$THREADS" \
  --admin-token-file "$work/token" --adapter-root "$root" --max-queue 256 >"$work/server.log" 2>"$work/server.err" &
pid=$!
wait_ready "$pid" "$port" "$work/server.err" || exit 2
spid=$(pgrep -P "$pid" -f hdrec-server || echo "$pid")  # under heaptrack, the server is its child
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$spid/status"; }

# Each request a different history (consecutive catalog ids), so no single path is cached.
python3 - "$a/catalog.jsonl" > "$work/recommend.lua" <<'PY'
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()][:400]
print('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal ids = {' + ",".join(json.dumps(i) for i in ids) + '}')
print('local n = 0\nrequest = function()\n  n = n + 1\n  local i = (n % (#ids - 3)) + 1\n'
      '  local body = string.format(\'{"history":["%s","%s","%s"],"k":10}\', ids[i], ids[i+1], ids[i+2])\n'
      '  return wrk.format(nil, "/recommend", nil, body)\nend')
PY
wrk -t1 -c"$CONNECTIONS" -d3600 -s "$work/recommend.lua" "http://127.0.0.1:$port/recommend" > "$work/wrk.out" 2>&1 &
load=$!
sleep 2
echo "swap rss_kib seconds" > "$OUT/rss.tsv"
echo "0 $(rss) 0" >> "$OUT/rss.tsv"
failed=0
start=$(date +%s.%N)
for i in $(seq 1 "$SWAPS"); do
  dir=$a; [ $((i % 2)) = 1 ] && dir=$b
  code=$(curl -s -o "$work/swap.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$work/token")" \
    -d "{\"path\":\"$dir\"}" "http://127.0.0.1:$port/adapters" || echo 000)
  [ "$code" = 200 ] || { failed=$((failed + 1)); echo "swap $i: HTTP $code $(cat "$work/swap.json")"; }
  echo "$i $(rss) $(python3 -c "import time,sys; print(round(time.time() - float(sys.argv[1]), 1))" "$start")" >> "$OUT/rss.tsv"
  [ $((i % 50)) = 0 ] && echo "swap $i/$SWAPS: RSS $(rss) KiB"
done
kill -INT "$load"; wait "$load" 2>/dev/null || true; load=""
errors=$(grep -E "Non-2xx|Socket errors" "$work/wrk.out" || true)
requests=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
curl -fs "http://127.0.0.1:$port/metrics" > "$OUT/metrics.txt" || true
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

python3 Tools/soak_report.py "$OUT/rss.tsv" "$WARMUP" "$failed" "$requests" "$errors" "$CONNECTIONS" "${NO_REPORT:-0}" "${SERVER_ENV:-}"
