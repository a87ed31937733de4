#!/usr/bin/env bash
# SASRec's data-parallel training does not depend on the number of ranks: a tiny SASRec
# trained for 10 optimizer steps with dropout on, once alone and once under `mpirun -np 2`
# (same seed, same global batch, the same 2 micro-shards of it), must end with the same
# parameters: every tensor's max|a-b| / max|a| at most 1e-4 (Tools/compare_safetensors.py,
# standard library only). The micro-shards' gradients are summed in Double
# (Sources/Distributed/GradientAccumulator.swift), so the expected difference is zero. A third
# run, alone with 2 threads, must match the 1-thread run to the bit. Also checks that only
# rank 0 prints and writes. Part of `make test`, after scripts/mpi-test.sh; a few seconds.
#
#   scripts/mpi-sasrec-test.sh [BIN_DIR]      (default .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="${1:-.build/release}"
hdrec="$bin_dir/hdrec"
[ -x "$hdrec" ] || { echo "mpi-sasrec-test: $hdrec not built" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpi-sasrec-test: mpirun not found (make mpi-deps installs openmpi-bin)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # see scripts/mpi-test.sh
export HDREC_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== a tiny dataset: 60 users of the bundled Scientific data"
"$hdrec" prepare --format lcrec --inter datasets/amazon-scientific/Scientific.inter.json.gz \
    --item datasets/amazon-scientific/Scientific.item.json.gz --out "$work/data" --name mpi-tiny \
    --max-users 60 --kcore 1 > "$work/prepare.log" 2>&1 || { cat "$work/prepare.log"; exit 1; }

# 60 users in batches of 16: 4 steps an epoch, so 10 steps cross two epoch boundaries (the
# reshuffle and the sharded validation between them); the last batch (12) splits 6/6.
sasrec=(sasrec --data "$work/data" --hidden 16 --inner 32 --blocks 2 --heads 2 --max-length 20
        --dropout 0.3 --lr 0.001 --batch-size 16 --epochs 5 --patience 5 --seed 5 --max-steps 10
        --check-parameters-every 2)

echo "== one process"
"$hdrec" "${sasrec[@]}" --out "$work/np1" > "$work/np1.log" 2>&1 || { cat "$work/np1.log"; exit 1; }
echo "== mpirun -np 2"
timeout 300 mpirun -np 2 --allow-run-as-root --oversubscribe "$hdrec" "${sasrec[@]}" --out "$work/np2" \
    > "$work/np2.log" 2>&1 || { cat "$work/np2.log"; echo "mpi-sasrec-test: mpirun -np 2 hdrec sasrec failed" >&2; exit 1; }
grep "^epoch" "$work/np1.log" | sed 's/^/  np 1: /'
grep "^epoch" "$work/np2.log" | sed 's/^/  np 2: /'

# Rank 0 alone prints: every epoch line once, the final table once.
if [ "$(grep -c '^epoch' "$work/np2.log")" != "$(grep -c '^epoch' "$work/np1.log")" ] \
   || [ "$(grep -c '^best epoch' "$work/np2.log")" != 1 ]; then
  cat "$work/np2.log"
  echo "mpi-sasrec-test: under mpirun the log should hold each line once (rank 0 only)" >&2
  exit 1
fi

echo "== parameters after 10 steps, np 1 against np 2"
python3 Tools/compare_safetensors.py "$work/np1/sasrec.safetensors" "$work/np2/sasrec.safetensors" --max-rel 1e-4 || {
  echo "mpi-sasrec-test: np 2's parameters differ from np 1's" >&2
  exit 1
}
echo "== one process with 2 threads: the same parameters"
HDREC_THREADS=2 "$hdrec" "${sasrec[@]}" --out "$work/threads2" > "$work/threads2.log" 2>&1 || { cat "$work/threads2.log"; exit 1; }
python3 Tools/compare_safetensors.py "$work/np1/sasrec.safetensors" "$work/threads2/sasrec.safetensors" --max-rel 0 || {
  echo "mpi-sasrec-test: 2 threads give other parameters than 1 thread" >&2
  exit 1
}
# The sharded evaluation hands rank 0 every user's rank, in order.
cmp -s <(cut -f1,2 "$work/np1/ranks.tsv") <(cut -f1,2 "$work/np2/ranks.tsv") || {
  echo "mpi-sasrec-test: np 2's ranks.tsv does not list the same users and splits as np 1's" >&2
  exit 1
}
echo "mpi-sasrec-test: passed"
