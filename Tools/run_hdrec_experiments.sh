#!/usr/bin/env bash
# The RESULTS.md "HDRec and ablations" experiment: HDRec and its four ablations trained
# in one shared configuration (the cpu profile on a reproducible user sample), each
# evaluated on the same reproducible sample of test users, then paired t-tests.
#
#   Tools/run_hdrec_experiments.sh BASE.gguf [RUNS_DIR]
#
# Needs data/scientific (hdrec prepare) and runs/sasrec (hdrec sasrec); see RESULTS.md.
# Each run resumes if interrupted (hdrec train --resume), so the script can be rerun.
set -euo pipefail
base="${1:?usage: Tools/run_hdrec_experiments.sh BASE.gguf [RUNS_DIR]}"
runs="${2:-runs}"
hdrec="${HDREC_BIN:-.build/release/hdrec}"
users="${TRAIN_USERS:-1500}"
eval_users="${EVAL_USERS:-1000}"
valid_users="${VALID_USERS:-300}"
epochs="${EPOCHS:-1}"

common=(--data data/scientific --base "$base" --sasrec "$runs/sasrec" --profile cpu --epochs "$epochs"
        --max-users "$users" --validation-users "$valid_users" --eval-users "$eval_users")

for ablation in none text-only id-only no-kl no-dla; do
  out="$runs/hdrec-$ablation"
  if [ -f "$out/metrics.json" ]; then echo "== $out: done"; continue; fi
  echo "== $out"
  resume=()
  [ -f "$out/checkpoint.safetensors" ] && resume=(--resume)
  "$hdrec" train "${common[@]}" --ablation "$ablation" --out "$out" "${resume[@]}"
done
