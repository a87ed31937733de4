#!/usr/bin/env bash
# Decoder prefill, ours next to llama.cpp's, in the same run (BENCHMARKS.md "Decoder prefill"):
# ours with f32 activations (the default), ours with 8-bit activations (--int8-activations:
# the AVX-VNNI kernels where the CPU has them, and the AVX2 ones, as on Zen 3), and llama.cpp.
# Usage: Tools/bench_decoder.sh [MODEL] [THREADS] [TOKENS...]   (run from the package root after `swift build -c release`)
set -euo pipefail
MODEL=${1:-../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${2:-2}
shift $(( $# > 2 ? 2 : $# ))
SIZES=${*:-64 128 512}
PY=${PYTHON:-$([ -x .venv-tools/bin/python ] && echo .venv-tools/bin/python || echo python3)}
BIN=${HDREC_BIN:-$(swift build -c release --show-bin-path)/hdrec}
[ -f "$MODEL" ] || { echo "model $MODEL not found (make models)"; exit 1; }
echo "| prompt tokens | hdrec f32 tok/s | hdrec int8 tok/s | hdrec int8 AVX2-only tok/s | llama.cpp tok/s | f32 / llama.cpp | int8 / llama.cpp | int8 AVX2 / llama.cpp |"
echo "|---|---|---|---|---|---|---|---|"
for N in $SIZES; do
  OURS=$("$BIN" bench --model "$MODEL" --prompt-tokens "$N" --threads "$THREADS" --decode-tokens 0 --json)
  INT8=$("$BIN" bench --model "$MODEL" --prompt-tokens "$N" --threads "$THREADS" --decode-tokens 0 --json --int8-activations)
  AVX2=$("$BIN" bench --model "$MODEL" --prompt-tokens "$N" --threads "$THREADS" --decode-tokens 0 --json --int8-activations --int8-kernel avx2)
  PEER=$("$PY" Tools/bench_llama_cpp.py "$MODEL" --threads "$THREADS" --tokens "$N")
  "$PY" - "$OURS" "$INT8" "$AVX2" "$PEER" "$N" <<'PYEOF'
import json, sys
o, i, v, p = (json.loads(a) for a in sys.argv[1:5])
n = sys.argv[5]
a, b, c, d = (x["prefill_tokens_per_s"] for x in (o, i, v, p))
print(f"| {n} | {a:.1f} | {b:.1f} ({i['int8_kernel']}) | {c:.1f} | {d:.1f} | {a / d:.2f}x | {b / d:.2f}x | {c / d:.2f}x |")
PYEOF
done
