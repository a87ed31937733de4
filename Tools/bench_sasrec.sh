#!/usr/bin/env bash
# SASRec training speed, ours (`hdrec sasrec`) next to RecBole 1.2.1's, same data, same run
# (BENCHMARKS.md "SASRec"; the peer's configuration is docs/peers.md "RecBole: SASRec
# on the bundled Amazon Scientific data", reproduced by Tools/bench_sasrec_peer.py).
# Usage (package root, after a release build):
#   Tools/bench_sasrec.sh [DATA_DIR] [THREADS]
# DATA_DIR: a dataset from `hdrec prepare` (default data/scientific); THREADS: 2 (HDREC_THREADS for
# ours, torch.set_num_threads for the peer).
# Environment: HDREC_BIN (default: the release hdrec), RECBOLE_PYTHON (a python with torch and
# recbole==1.2.1; without one the peer is skipped and said so), EPOCHS (ours, default 3), PEER_EPOCHS
# (default 2; RecBole takes minutes per epoch), PEER_OMP_WAIT_POLICY (default PASSIVE, see below; set
# it empty to leave OpenMP's default), BENCH_DIR (default .build/bench), PYTHON (for the renderer,
# default python3), NO_WRITE=1 (print the section instead of replacing it in BENCHMARKS.md).
#
# Why OMP_WAIT_POLICY=PASSIVE for the peer: torch's OpenMP threads spin while they wait for each other.
# On a shared machine, where the other thread is often descheduled, the spinning burns CPU time and wall
# time that measure the machine's load, not the model's work (2.2 vs 0.8 CPU-s per RecBole-shaped batch
# at load 9). Our thread pool spins briefly and then parks, which PASSIVE matches.
set -euo pipefail
DATA=${1:-data/scientific}
THREADS=${2:-2}
BIN=${HDREC_BIN:-$(swift build -c release --show-bin-path)/hdrec}
RECBOLE_PYTHON=${RECBOLE_PYTHON:-}
EPOCHS=${EPOCHS:-3}
PEER_EPOCHS=${PEER_EPOCHS:-2}
PEER_OMP_WAIT_POLICY=${PEER_OMP_WAIT_POLICY-PASSIVE}
BENCH_DIR=${BENCH_DIR:-.build/bench}
PY=${PYTHON:-python3}
[ -f "$DATA/users.jsonl" ] || { echo "bench_sasrec: no dataset at $DATA (hdrec prepare; see docs/recsys.md)"; exit 1; }
[ -x "$BIN" ] || { echo "bench_sasrec: $BIN not found (swift build -c release)"; exit 1; }
mkdir -p "$BENCH_DIR"
OUT_DIR="$BENCH_DIR/sasrec-run"
rm -rf "$OUT_DIR"

PEER=1
if [ -z "$RECBOLE_PYTHON" ] || ! "$RECBOLE_PYTHON" -c 'import torch, recbole' 2>/dev/null; then
  echo "bench_sasrec: no python with torch and recbole (RECBOLE_PYTHON='$RECBOLE_PYTHON'): the peer is skipped"
  PEER=0
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
BEFORE=$(loadavg)
echo "bench_sasrec: hdrec sasrec, $EPOCHS epochs, $THREADS threads (load $BEFORE)" >&2
HDREC_THREADS="$THREADS" "$BIN" sasrec --data "$DATA" --out "$OUT_DIR" --epochs "$EPOCHS" | tee "$BENCH_DIR/sasrec-ours.log" >&2
MIDDLE=$(loadavg)
if [ "$PEER" = 1 ]; then
  echo "bench_sasrec: RecBole SASRec, $PEER_EPOCHS epochs, $THREADS threads (load $MIDDLE)" >&2
  if [ -n "$PEER_OMP_WAIT_POLICY" ]; then export OMP_WAIT_POLICY="$PEER_OMP_WAIT_POLICY"; fi
  "$RECBOLE_PYTHON" Tools/bench_sasrec_peer.py "$DATA" --epochs "$PEER_EPOCHS" --threads "$THREADS" \
    --workdir "$BENCH_DIR/recbole" 2> "$BENCH_DIR/sasrec-peer.log" > "$BENCH_DIR/sasrec-peer.json" \
    || { tail -20 "$BENCH_DIR/sasrec-peer.log"; exit 1; }
  grep '^recbole epoch' "$BENCH_DIR/sasrec-peer.log" >&2 || true
else
  echo null > "$BENCH_DIR/sasrec-peer.json"
fi
AFTER=$(loadavg)

COMMAND="Tools/bench_sasrec.sh $DATA $THREADS (EPOCHS=$EPOCHS PEER_EPOCHS=$PEER_EPOCHS)"
ARGS=(Tools/render_sasrec_bench.py BENCHMARKS.md "$COMMAND" --ours "$OUT_DIR" --ours-log "$BENCH_DIR/sasrec-ours.log"
      --peer "$BENCH_DIR/sasrec-peer.json" --threads "$THREADS" --omp-wait-policy "${OMP_WAIT_POLICY:-default}"
      --load "$BEFORE" "$MIDDLE" "$AFTER")
if [ "${NO_WRITE:-0}" = 1 ]; then ARGS+=(--print); fi
"$PY" "${ARGS[@]}"
