#!/usr/bin/env bash
# Builds HDRec in release mode and installs the runtime layout into a prefix.
# The Dockerfile runs this script in its build stage, and `make test` runs it in
# a temporary prefix, so the container build steps are tested without a Docker engine.
#
#   Deploy/build.sh --prefix DIR [--skip-build]
#
# Layout under DIR:
#   bin/hdrec, bin/hdrec-server      statically linked Swift runtime (libc, libssl, zlib dynamic)
#   share/hdrec/openapi.yaml          the API contract
#   share/hdrec/datasets/             the bundled demo dataset (for `hdrec prepare`)
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=""
skip_build=0
while (($#)); do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --skip-build) skip_build=1; shift ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || { echo "build.sh: --prefix DIR is required" >&2; exit 2; }

# Extra compiler flags (make test passes the flags of its own release build so
# that this step only relinks instead of recompiling).
read -r -a extra_flags <<< "${HDREC_SWIFT_FLAGS:-}"
if ((skip_build == 0)); then
  swift build -c release --static-swift-stdlib "${extra_flags[@]}" --product hdrec
  swift build -c release --static-swift-stdlib "${extra_flags[@]}" --product hdrec-server
fi
bin_dir="$(swift build -c release "${extra_flags[@]}" --show-bin-path)"

install -d "$prefix/bin" "$prefix/share/hdrec"
install -m 0755 "$bin_dir/hdrec" "$bin_dir/hdrec-server" "$prefix/bin/"
install -m 0644 openapi.yaml "$prefix/share/hdrec/"
if [ -d datasets ]; then
  cp -R datasets "$prefix/share/hdrec/"
fi

# The runtime image must provide every shared library the binaries load.
for b in hdrec hdrec-server; do
  if ldd "$prefix/bin/$b" | grep -q "not found"; then
    echo "build.sh: $b has unresolved shared libraries:" >&2
    ldd "$prefix/bin/$b" >&2
    exit 1
  fi
done
echo "installed HDRec into $prefix"
