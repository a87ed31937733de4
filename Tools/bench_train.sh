#!/usr/bin/env bash
# The trainer's step speed next to PyTorch + PEFT's, same shapes, same run (BENCHMARKS.md "Trainer";
# the peer setup is docs/peers.md "one LoRA training step on SmolLM2-135M").
# Usage (package root, after a release build):
#   Tools/bench_train.sh [MODEL] [THREADS]
# Environment: HDREC_BIN (default: the release hdrec), TORCH_PYTHON (a python with torch, transformers,
# peft and gguf; without one the peer is skipped and said so), LAYERS (default "8 30"), STEPS / WARMUP
# (default 3 / 2, the peer's), RUNS (run directories whose history.json figures to quote),
# BENCH_DIR (default .build/bench), PYTHON (for the renderer, default python3), NO_WRITE=1 (print only).
set -euo pipefail
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${2:-2}
BIN=${HDREC_BIN:-$(swift build -c release --show-bin-path)/hdrec}
TORCH_PYTHON=${TORCH_PYTHON:-}
LAYERS=${LAYERS:-8 30}
STEPS=${STEPS:-3}
WARMUP=${WARMUP:-2}
BENCH_DIR=${BENCH_DIR:-.build/bench}
PY=${PYTHON:-python3}
[ -f "$MODEL" ] || { echo "bench_train: model $MODEL not found (make models)"; exit 1; }
[ -x "$BIN" ] || { echo "bench_train: $BIN not found (swift build -c release)"; exit 1; }
mkdir -p "$BENCH_DIR"
OUT="$BENCH_DIR/train.jsonl"
: > "$OUT"

PEER=1
if [ -z "$TORCH_PYTHON" ] || ! "$TORCH_PYTHON" -c 'import torch, transformers, peft, gguf' 2>/dev/null; then
  echo "bench_train: no python with torch, transformers, peft and gguf (TORCH_PYTHON='$TORCH_PYTHON'): the peer is skipped"
  PEER=0
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
for L in $LAYERS; do
  BEFORE=$(loadavg)
  echo "bench_train: hdrec, $L layers (load $BEFORE)" >&2
  OURS=$("$BIN" bench-train --base "$MODEL" --layers "$L" --threads "$THREADS" --steps "$STEPS" --warmup "$WARMUP" --json)
  MIDDLE=$(loadavg)
  THEIRS=null
  if [ "$PEER" = 1 ]; then
    echo "bench_train: torch + peft, $L layers (load $MIDDLE)" >&2
    THEIRS=$("$TORCH_PYTHON" Tools/bench_train_peer.py --base "$MODEL" --layers "$L" --threads "$THREADS" \
             --steps "$STEPS" --warmup "$WARMUP")
  fi
  AFTER=$(loadavg)
  printf '{"layers": %s, "load_before": "%s", "load_between": "%s", "load_after": "%s", "ours": %s, "peer": %s}\n' \
    "$L" "$BEFORE" "$MIDDLE" "$AFTER" "$OURS" "$THEIRS" >> "$OUT"
done

COMMAND="Tools/bench_train.sh $MODEL $THREADS (LAYERS=\"$LAYERS\")"
ARGS=(Tools/render_train_bench.py BENCHMARKS.md "$COMMAND" "$OUT")
for R in ${RUNS:-}; do ARGS+=(--run "$R"); done
if [ "${NO_WRITE:-0}" = 1 ]; then ARGS+=(--print); fi
"$PY" "${ARGS[@]}"
