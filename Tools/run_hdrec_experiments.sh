#!/usr/bin/env bash
# The RESULTS.md "HDRec and ablations" experiment: HDRec and its four ablations trained
# in one shared configuration (the cpu profile on a reproducible user sample), each
# evaluated on the same reproducible sample of test users, then paired t-tests.
#
#   Tools/run_hdrec_experiments.sh BASE.gguf [RUNS_DIR]
#   environment: EPOCHS (default 1; a larger value continues finished runs), ROWS (default
#   "none text-only id-only no-kl no-dla"), TRAIN_USERS, VALID_USERS, EVAL_USERS, HDREC_BIN
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

# Epochs a run has completed (history.json), 0 when it has none yet.
completed() { grep -o '"completedEpochs" *: *[0-9]*' "$1/history.json" 2>/dev/null | grep -o '[0-9]*$' || echo 0; }

rows=${ROWS:-none text-only id-only no-kl no-dla}
for ablation in $rows; do
  out="$runs/hdrec-$ablation"
  done_epochs=$(completed "$out")
  if [ -f "$out/metrics.json" ] && [ "$done_epochs" -ge "$epochs" ]; then echo "== $out: done ($done_epochs epochs)"; continue; fi
  echo "== $out (from epoch $done_epochs to $epochs)"
  resume=()
  # A finished run asked for more epochs continues too: --resume accepts a larger --epochs
  # (the cosine schedule is stretched over the new total, so the rate resumes part-way down).
  [ -f "$out/checkpoint.safetensors" ] && resume=(--resume)
  "$hdrec" train "${common[@]}" --ablation "$ablation" --out "$out" "${resume[@]}"
done

# HDRec's own passes and the Fig. 5 fusion variants over the same test users, from one
# decoder run; the single-branch ablations ranked by the branch they trained (their run's
# own ranks.tsv fuses in the untrained other pass). Each evaluation also prints the pass
# diagnostics (stored in its evaluation.json).
evaluate() {
  if [ -f "$1/metrics.json" ]; then "$hdrec" evaluate --run "$1" --split test --users "$eval_users" --fusion "$2"; fi
}
evaluate "$runs/hdrec-none" text-dominant,text-pass,id-pass,id-dominant,confidence
evaluate "$runs/hdrec-text-only" text-pass
evaluate "$runs/hdrec-id-only" id-pass
evaluate "$runs/hdrec-no-kl" text-dominant,text-pass,id-pass
evaluate "$runs/hdrec-no-dla" text-dominant,text-pass,id-pass
