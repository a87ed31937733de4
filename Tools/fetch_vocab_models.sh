#!/usr/bin/env bash
# Fetches llama.cpp's Llama 3 (llama-bpe) and Qwen2 vocabulary files with their test
# vectors into the git-ignored models/vocab/ (`make vocab-models`):
#   ggml-vocab-{llama-bpe,qwen2}.gguf      vocabulary only (no tensors)
#   ggml-vocab-{llama-bpe,qwen2}.gguf.inp  inputs, separated by "\n__ggml_vocab_test__\n"
#   ggml-vocab-{llama-bpe,qwen2}.gguf.out  llama.cpp's ids for each input, one line each
# They are not committed: the Llama 3 vocabulary comes under Meta's Llama 3 licence, and
# llama.cpp made the qwen2 one from Qwen/Qwen1.5-7B (convert_hf_to_gguf_update.py), whose
# "Tongyi Qianwen" licence is not Apache-2.0 either. Tests that need them skip, saying so.
#
# Source: the llama-cpp-python 0.3.36 source distribution on PyPI, which vendors
# llama.cpp's models/ directory. `--no-binary llama-cpp-python` (not `:all:`) so that pip
# fetches the sdist but takes the build backend's own dependencies as wheels: pip prepares
# an sdist's metadata even for `download`, and building cmake from source for that takes
# many minutes. Nothing is compiled. Each file's sha256 is checked before it is moved
# into place, so a partial or altered download never appears under models/vocab/.
# A file that is present and verified is kept (the cache `make test` relies on).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/models/vocab"
PACKAGE="llama-cpp-python==0.3.36"
MEMBER_DIR="llama_cpp_python-0.3.36/vendor/llama.cpp/models"
PYTHON="${PYTHON:-python3}"
FILES=(
  "ggml-vocab-llama-bpe.gguf 97272e430d53bc7688f52d5e0ad8ea8f163ede9f1bbd1694feaa504797d5d96e"
  "ggml-vocab-llama-bpe.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0"
  "ggml-vocab-llama-bpe.gguf.out 118abf2034a197fc5c9dec5204dfdeee7004c7c70952ae577f66b99e212fab9b"
  "ggml-vocab-qwen2.gguf 44c2f46b715f585c6ab513970e8a006bfa5badd6108560054921cf598d154d8c"
  "ggml-vocab-qwen2.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0"
  "ggml-vocab-qwen2.gguf.out de785bb305cc6fa9d43908ed5da337f853c0b79e971348fcfb9f0915a39c5363"
)

verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

missing=()
for entry in "${FILES[@]}"; do
  read -r name sha <<<"$entry"
  verified "$DEST/$name" "$sha" || missing+=("$name")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "models/vocab: llama-bpe and qwen2 vocabularies present, sha256 verified"
  exit 0
fi

mkdir -p "$DEST"
TMP="$(mktemp -d "$DEST/.fetch.XXXXXX")"  # inside models/vocab so the final mv is a rename
trap 'rm -rf "$TMP"' EXIT
echo "models/vocab: pip download --no-deps --no-binary llama-cpp-python $PACKAGE (76 MB)"
"$PYTHON" -m pip download --quiet --no-deps --no-binary llama-cpp-python --retries 2 --timeout 30 \
  --dest "$TMP/pkg" "$PACKAGE"
ARCHIVE="$(ls "$TMP"/pkg/*.tar.gz | head -n 1)"
# python's tarfile: extract only the named members, no shell tar flags to vary by platform.
"$PYTHON" - "$ARCHIVE" "$MEMBER_DIR" "$TMP" "${missing[@]}" <<'PY'
import os, shutil, sys, tarfile
archive, member_dir, out_dir, *names = sys.argv[1:]
with tarfile.open(archive) as t:
    for name in names:
        src = t.extractfile(f"{member_dir}/{name}")
        with open(os.path.join(out_dir, name), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
PY
for entry in "${FILES[@]}"; do
  read -r name sha <<<"$entry"
  [ -f "$TMP/$name" ] || continue
  if ! verified "$TMP/$name" "$sha"; then
    echo "error: sha256 of $name is $(sha256sum "$TMP/$name" | cut -d' ' -f1), expected $sha" >&2
    exit 1
  fi
  chmod 0644 "$TMP/$name"
  mv -f "$TMP/$name" "$DEST/$name"
  echo "models/vocab/$name: fetched and verified"
done
