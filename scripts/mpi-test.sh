#!/usr/bin/env bash
# The data-parallel foundation under a real mpirun: `hdrec mpi-check` on 2 ranks checks
# every collective the trainers use (exact sums, max, broadcast, gathers) and that the
# parameter-drift check names a rank with one flipped bit, then times all-reduce. Also
# checks that neither binary links libmpi (it is dlopened by hdrec under mpirun only), and
# that `hdrec train` at np 2, and at np 1 with 2 threads, ends 10 steps with the parameters of
# np 1 with 1 thread, also when an np 2 checkpoint is resumed at np 1.
# Part of `make test`, after its release build; `make mpi-deps` installs Open MPI.
#
#   scripts/mpi-test.sh [BIN_DIR [mpi-check options]]      (default .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="${1:-.build/release}"
shift $(( $# > 0 ? 1 : 0 ))
hdrec="$bin_dir/hdrec"
[ -x "$hdrec" ] || { echo "mpi-test: $hdrec not built" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpi-test: mpirun not found (make mpi-deps installs openmpi-bin)" >&2; exit 1; }

echo "== no link-time MPI"
for b in hdrec hdrec-server; do
  if [ -x "$bin_dir/$b" ] && ldd "$bin_dir/$b" | grep -q libmpi; then
    echo "mpi-test: $b links libmpi; MPI must stay a run-time option of hdrec" >&2
    exit 1
  fi
done

echo "== hdrec mpi-check without mpirun (one rank)"
single="$("$hdrec" mpi-check)"
echo "$single"
grep -q "^rank 0 of 1: collectives correct" <<< "$single"

echo "== mpirun -np 2 hdrec mpi-check"
# CI runs as root, which mpirun refuses unless told twice. The single-copy transfer between
# local ranks (CMA) needs ptrace rights that containers often lack: plain copies instead.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
out="$(timeout 300 mpirun -np 2 --allow-run-as-root --oversubscribe "$hdrec" mpi-check "$@" 2>&1)" || {
  echo "$out"
  echo "mpi-test: mpirun -np 2 hdrec mpi-check failed" >&2
  exit 1
}
echo "$out"
for rank in 0 1; do
  grep -q "^rank $rank of 2: collectives correct .*drift on rank 1 detected" <<< "$out" || {
    echo "mpi-test: rank $rank did not report its checks" >&2
    exit 1
  }
done
echo "== a failing rank ends the job (MPI_Abort), not a hang"
start=$SECONDS
status=0
failed="$(timeout 60 mpirun -np 2 --allow-run-as-root --oversubscribe "$hdrec" mpi-check --fail-on-rank 1 2>&1)" || status=$?
if ((status == 0 || status == 124)) || ! grep -q "hdrec rank 1 of 2: error: failing on rank 1" <<< "$failed"; then
  echo "$failed"
  echo "mpi-test: expected rank 1's error and a prompt non-zero exit, got status $status" >&2
  exit 1
fi
echo "aborted after $((SECONDS - start)) s with status $status, naming rank 1"

echo "== hdrec train at np 1 and np 2: the same parameters after 10 steps"
# A tiny HDRec (stories260K, a 60-user slice of the committed Scientific data, a 1-epoch SASRec)
# trained for 10 steps of the same global batch of 8, LoRA dropout 0.3 and an MLP IPL with
# dropout 0.5 (the keyed masks, docs/scaling.md), once in one process and once over 2 ranks.
# Every tensor's maximum relative difference, max|a-b| / max|a| over that tensor, must stay
# within 1e-4 (Tools/compare_safetensors.py). Both runs cut each batch into the same 8
# micro-shards and sum their gradients in Double (Sources/Distributed/GradientAccumulator.swift),
# so the expected difference is zero; the tool prints the largest one found.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HDREC_THREADS=1
"$hdrec" prepare --format lcrec --inter datasets/amazon-scientific/Scientific.inter.json.gz \
    --item datasets/amazon-scientific/Scientific.item.json.gz --out "$work/data" --name mpi --max-users 60 --kcore 1 \
    > "$work/prepare.log" 2>&1 || { cat "$work/prepare.log"; exit 1; }
"$hdrec" sasrec --data "$work/data" --out "$work/sasrec" --blocks 1 --inner 64 --epochs 1 --batch-size 64 \
    > "$work/sasrec.log" 2>&1 || { cat "$work/sasrec.log"; exit 1; }
train=(train --data "$work/data" --base Tests/Fixtures/stories260K/stories260K.gguf --sasrec "$work/sasrec"
       --layers 5 --epochs 1 --max-users 16 --validation-users 8 --batch-size 8 --ipl mlp --ipl-hidden 32
       --ipl-dropout 0.5 --lora-dropout 0.3 --projector-hidden 32 --ridge-projector false --max-items 4
       --max-chunk-tokens 8 --seed 3 --drift-check-every 2)
run() {   # run NAME NP [extra options]: trains into $work/NAME, log in $work/NAME.log
  local name=$1 np=$2; shift 2
  local launch=()
  ((np > 1)) && launch=(timeout 300 mpirun -np "$np" --allow-run-as-root --oversubscribe)
  "${launch[@]}" "$hdrec" "${train[@]}" --out "$work/$name" "$@" > "$work/$name.log" 2>&1 || {
    cat "$work/$name.log"; echo "mpi-test: training $name at np $np failed" >&2; exit 1; }
}
compare() {   # compare A B [LIMIT]: the two runs' checkpoints agree within LIMIT (default 1e-4)
  local limit=${3:-1e-4}
  python3 Tools/compare_safetensors.py "$work/$1/checkpoint.safetensors" "$work/$2/checkpoint.safetensors" --max-rel "$limit" || {
    echo "mpi-test: $1 and $2 differ beyond $limit" >&2; exit 1; }
}
run np1 1 --max-steps 10
run np2 2 --max-steps 10
grep -c "^training on" "$work/np2.log" | grep -qx 1 || { cat "$work/np2.log"; echo "mpi-test: rank 1 printed (only rank 0 may)" >&2; exit 1; }
grep "stopped after step 10" "$work/np2.log"
compare np1 np2

echo "== hdrec train at np 1 with 2 threads: the same parameters again"
# Threads split work but never the order of a sum (docs/scaling.md), so the thread count must not
# move a bit either (before, 2 threads cut dA into other row chunks: 9.6e-6 after these 10 steps).
HDREC_THREADS=2 run threads2 1 --max-steps 10
compare np1 threads2 0

echo "== an np 2 checkpoint resumes at np 1"
run resumed 2 --max-steps 5
run resumed 1 --max-steps 10 --resume
compare np1 resumed
echo "mpi-test: passed"
