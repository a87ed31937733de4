#!/usr/bin/env bash
# Connection handling of hdrec-server, part of `make loadtest`; writes the
# "Service: connections" section of BENCHMARKS.md.
#
#   ARTIFACTS=<bundle dir> [BASE=<base.gguf>] [THREADS=2] [ROUNDS=3] [DURATION=8] [IDLE=10000]
#   [SERVER=<prebuilt release hdrec-server>] scripts/bench_connections.sh
#
# 1. GET /healthz at 64 connections (wrk -t2 -c64) against nginx (Debian's nginx-light,
#    2 worker processes, access log off, a 2-byte static file), alternating, ROUNDS each;
#    our access log stays on (stdout to a file, as deployed).
# 2. IDLE idle keep-alive connections held by a client in its own process
#    (Tools/idle_connections_probe.py), while /healthz from fresh connections (2,000
#    probes: p50/p99) and /recommend (20 on one connection: median) are measured; the
#    same without the idle connections, for comparison; the server's threads and RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/default}
BASE=${BASE:-}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
IDLE=${IDLE:-10000}
SCRATCH=${SCRATCH:-.build}
BENCH=BENCHMARKS.md
[ -f "$ARTIFACTS/manifest.json" ] || { echo "bench_connections: no bundle at $ARTIFACTS; nothing measured"; exit 2; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
((${#missing[@]})) && scripts/install-system-deps.sh "${missing[@]}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
. scripts/lib/server.sh
[ -n "$BASE" ] || BASE=$(base_for_bundle "$ARTIFACTS")
if [ -n "${SERVER:-}" ]; then server=$SERVER; else
  swift build -c release --scratch-path "$SCRATCH" --product hdrec-server
  server="$SCRATCH/release/hdrec-server"
fi

work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(freeport); nport=$(freeport)

mkdir -p "$work/www"; printf 'ok' > "$work/www/h"
# nginx's workers run as an unprivileged user: they must be able to read the file (else 403s).
chmod a+rx "$work" "$work/www"; chmod a+r "$work/www/h"
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$nport; location / { root $work/www; } } }
NGINX
"$NGINX" -c "$work/nginx.conf"

base_args=(); [ -n "$BASE" ] && base_args=(--base "$BASE")
"$server" --artifacts "$ARTIFACTS" "${base_args[@]}" --port "$port" --threads "$THREADS" \
  --max-connections $((IDLE + 100)) >"$work/access.log" 2>"$work/server.err" &
pid=$!
wait_ready "$pid" "$port" "$work/server.err" || exit 2

# Requests/s, and the serving processes' CPU microseconds per request (user + system,
# from /proc): a figure that moves less than req/s when the machine is shared.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
rate() {
  local url=$1; shift
  local t0 out t1
  t0=$(cpu_ticks "$@"); out=$(wrk -t2 -c64 -d"$DURATION" "$url"); t1=$(cpu_ticks "$@")
  # A rate of error pages would compare nothing: stop instead.
  if grep -q "Non-2xx" <<<"$out"; then echo "bench_connections: $url answered errors: $out" >&2; return 1; fi
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '/requests in/ { n = $1 } /Requests\/sec/ { r = $2 }
    END { printf "%s %.1f\n", r, ticks / hz / n * 1e6 }' <<<"$out"
}
nginx_workers=$(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')
: > "$work/rates.tsv"
for r in $(seq 1 "$ROUNDS"); do
  nline=$(rate "http://127.0.0.1:$nport/h" $nginx_workers) || exit 2
  oline=$(rate "http://127.0.0.1:$port/healthz" "$pid") || exit 2
  read -r n ncpu <<<"$nline"; read -r o ocpu <<<"$oline"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$o" "$(cut -d' ' -f1 /proc/loadavg)" "$ncpu" "$ocpu" >> "$work/rates.tsv"
  echo "round $r: nginx $n req/s ($ncpu us CPU/request), hdrec-server $o req/s ($ocpu us CPU/request)"
done

body=$(python3 -c 'import json,sys; ids=[json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()][:3]; print(json.dumps({"history": ids, "k": 10}))' "$ARTIFACTS/catalog.jsonl")
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
python3 Tools/idle_connections_probe.py --port "$port" --idle 0 --recommend-body "$body" > "$work/idle0.json"
python3 Tools/idle_connections_probe.py --port "$port" --idle "$IDLE" --recommend-body "$body" > "$work/idleN.json" &
probe=$!
sleep 3; threads_held=$(status Threads); rss_held=$(status VmRSS)
wait "$probe"
cat "$work/idle0.json" "$work/idleN.json"

python3 - "$BENCH" "$work" "$IDLE" "$threads_held" "$rss_held" "$DURATION" <<'PY'
import datetime, json, re, statistics, sys
bench, work, idle, threads, rss_kb, duration = sys.argv[1:]
rows = [l.split("\t") for l in open(f"{work}/rates.tsv") if l.strip()]
ratios = [float(o) / float(n) for _, n, o, *_ in rows]
i0, iN = (json.load(open(f"{work}/{n}.json")) for n in ("idle0", "idleN"))
lines = ["## Service: connections", "",
         f"`scripts/bench_connections.sh` (part of `make loadtest`) on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, "
         "2 cores shared by server and load generator, loopback.", "",
         f"**GET /healthz at 64 connections** (`wrk -t2 -c64 -d{duration}`), alternating with nginx 1.22 (2 worker processes, "
         "access log off, a 2-byte static file); hdrec-server keeps its JSON access log on (stdout to a file).", "",
         "CPU µs/request is the serving processes' user + system time over the run (nginx: its workers) divided by the requests answered.", "",
         "| round | nginx req/s | hdrec-server req/s | ratio | nginx CPU µs/req | hdrec-server CPU µs/req | load avg |",
         "|---|---:|---:|---:|---:|---:|---:|"]
for (r, n, o, load, ncpu, ocpu), ratio in zip(rows, ratios):
    lines.append(f"| {r} | {float(n):,.0f} | {float(o):,.0f} | {ratio:.2f} | {ncpu.strip()} | {ocpu.strip()} | {load.strip()} |")
cpu_ratio = statistics.median(float(row[4]) / float(row[5]) for row in rows)
lines += ["", f"Median ratio **{statistics.median(ratios):.2f}×** nginx in requests/s; nginx's CPU per request is "
          f"{cpu_ratio:.2f}× ours (median).", "",
          f"**{int(idle):,} idle keep-alive connections** held open by a client in its own process "
          "(`Tools/idle_connections_probe.py`), against the same server with none:", "",
          "| | idle connections | closed by server | /healthz p50 ms (fresh connection) | p99 ms | max ms | /recommend median ms | failures |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
for name, r in (("without", i0), ("with", iN)):
    lines.append(f"| {name} | {r['idle_connections']:,} | {r['idle_closed_by_server']} | {r['healthz_p50_ms']} | {r['healthz_p99_ms']} | "
                 f"{r['healthz_max_ms']} | {r['recommend_median_ms']} | {r['failures']} |")
lines += ["", f"While the {int(idle):,} were held the server had {threads} threads and {int(rss_kb.split()[0]) / 1024:.0f} MiB RSS "
          "(the bundle included).", ""]
text = open(bench).read()
section = "\n".join(lines)
pattern = re.compile(r"## Service: connections\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(bench, "w").write(text)
print(section)
PY
