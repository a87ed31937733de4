#!/usr/bin/env bash
# Fixed-seed regression runs: a short SASRec run and a short HDRec run whose losses and metrics
# must not move when the code is refactored (Tools/compare_regression.py compares two outputs).
#
#   BIN=.build/release/hdrec scripts/regression_runs.sh OUT.json [DATA] [BASE]
#
# Both runs use fixed seeds and 2 threads; the summary holds every loss and metric they print,
# without timings.
set -euo pipefail
out=${1:?usage: scripts/regression_runs.sh OUT.json [DATA] [BASE]}
data=${2:-data/scientific}
base=${3:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
bin=${BIN:-.build/release/hdrec}
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HDREC_THREADS=${HDREC_THREADS:-2}

"$bin" sasrec --data "$data" --out "$work/sasrec" --hidden 128 --inner 256 --blocks 2 --heads 2 \
    --epochs 3 --patience 3 --batch-size 256 --seed 7 > "$work/sasrec.log" 2>&1
"$bin" train --data "$data" --base "$base" --sasrec "$work/sasrec" --out "$work/hdrec" \
    --epochs 1 --layers 2 --max-users 64 --eval-users 64 --validation-users 32 --final-eval valid \
    --seed 11 > "$work/hdrec.log" 2>&1
"$python" - "$work" "$out" <<'PY'
import csv, json, sys
work, out = sys.argv[1], sys.argv[2]
summary = {"sasrec": {}, "hdrec": {}}
with open(f"{work}/sasrec/training_log.tsv") as f:
    rows = list(csv.DictReader(f, delimiter="\t"))
summary["sasrec"]["epochs"] = [{k: float(v) for k, v in r.items() if "seconds" not in k} for r in rows]
summary["sasrec"]["metrics"] = json.load(open(f"{work}/sasrec/metrics.json"))
history = json.load(open(f"{work}/hdrec/history.json"))
summary["hdrec"]["history"] = {k: v for k, v in history.items() if "second" not in k.lower()}
summary["hdrec"]["metrics"] = json.load(open(f"{work}/hdrec/metrics.json"))
json.dump(summary, open(out, "w"), indent=1, sort_keys=True)
print(f"wrote {out}")
PY
