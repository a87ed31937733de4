#!/usr/bin/env bash
# Decoder prefill, ours next to llama.cpp's, in the same run (BENCHMARKS.md "Decoder prefill").
# Usage: Tools/bench_decoder.sh [MODEL] [THREADS]   (run from the package root after `swift build -c release`)
set -euo pipefail
MODEL=${1:-../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${2:-2}
PY=${PYTHON:-$([ -x .venv-tools/bin/python ] && echo .venv-tools/bin/python || echo python3)}
BIN=${HDREC_BIN:-$(swift build -c release --show-bin-path)/hdrec}
[ -f "$MODEL" ] || { echo "model $MODEL not found (make models)"; exit 1; }
echo "| prompt tokens | hdrec tok/s | llama.cpp tok/s | ratio |"
echo "|---|---|---|---|"
for N in 64 128 512; do
  OURS=$("$BIN" bench --model "$MODEL" --prompt-tokens "$N" --threads "$THREADS" --decode-tokens 0 --json)
  PEER=$("$PY" Tools/bench_llama_cpp.py "$MODEL" --threads "$THREADS" --tokens "$N")
  "$PY" - "$OURS" "$PEER" "$N" <<'PYEOF'
import json, sys
o, p, n = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
a, b = o["prefill_tokens_per_s"], p["prefill_tokens_per_s"]
print(f"| {n} | {a:.1f} | {b:.1f} | {a / b:.2f}x |")
PYEOF
done
