#!/usr/bin/env bash
# The data-parallel foundation under a real mpirun: `hdrec mpi-check` on 2 ranks checks
# every collective the trainers use (exact sums, max, broadcast, gathers) and that the
# parameter-drift check names a rank with one flipped bit, then times all-reduce. Also
# checks that neither binary links libmpi (it is dlopened by hdrec under mpirun only).
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
echo "mpi-test: passed"
