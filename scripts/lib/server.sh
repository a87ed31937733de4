# Shared by the service benchmarks (scripts/bench_connections.sh, soak_swaps.sh,
# bench_throughput.sh): a free loopback port, the base GGUF a bundle refers to, and
# waiting for a started hdrec-server to be ready. Source it; it defines functions only.

# A free TCP port on 127.0.0.1.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# models/<file> when BUNDLE's manifest names a base file that the bundle does not carry
# and models/ has it; nothing otherwise.
base_for_bundle() {
  local name
  name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base"].get("file_name", ""))' "$1/manifest.json")
  if [ -n "$name" ] && [ ! -f "$1/$name" ] && [ -f "models/$name" ]; then echo "models/$name"; fi
}

# Waits (up to 600 s) until the server with process id PID answers /readyz on PORT;
# prints LOG and returns 2 if it exits or never gets ready.
wait_ready() {
  local pid=$1 port=$2 log=$3
  for _ in $(seq 1 1200); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "hdrec-server exited before it was ready:"; cat "$log"; return 2; fi
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "hdrec-server not ready after 600 s"; return 2
}
