#!/usr/bin/env bash
# `make browser-test` (and `make test`): the page at GET / in headless Chromium against a
# real hdrec-server on the committed default bundle (Tools/browser_test.py says what it
# checks). Installs Debian's chromium when missing (scripts/install-system-deps.sh); the
# DevTools protocol runs over a pipe with the Python standard library, so nothing comes
# from PyPI and, once chromium is installed, it runs offline.
# Settings (environment): HDREC_SWIFT_FLAGS (extra swift build flags: make test passes
# -Xswiftc -enable-testing so its build is reused), HDREC_SCRATCH (--scratch-path, default
# .build), HDREC_ARTIFACTS (artifacts/default), HDREC_THREADS, BROWSER_TEST_SCREENSHOT
# (where the PNG goes; default .build/browser-test/page.png: docs/web-ui.png is refreshed
# only on request, so a test run leaves the tree clean).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ARTIFACTS="${HDREC_ARTIFACTS:-artifacts/default}"
BASE="models/SmolLM2-135M-Instruct.Q4_1.gguf"
SWIFT="${SWIFT:-swift}"

scripts/install-system-deps.sh chromium fonts-dejavu-core python3

if [ ! -f "$BASE" ]; then
  echo ""
  echo "WARNING: browser test SKIPPED: $BASE is missing (make models fetches it; offline, the"
  echo "WARNING: SmolLM2 tests skip too). The page itself is covered by Tests/ServiceTests/WebUITests."
  exit 0
fi

# shellcheck disable=SC2206  # HDREC_SWIFT_FLAGS is a list of flags
BUILD=(-c release --scratch-path "${HDREC_SCRATCH:-.build}" ${HDREC_SWIFT_FLAGS:-})
"$SWIFT" build "${BUILD[@]}" --product hdrec-server
BIN="$("$SWIFT" build "${BUILD[@]}" --show-bin-path)"

THREADS=()
[ -n "${HDREC_THREADS:-}" ] && THREADS=(--threads "$HDREC_THREADS")
exec timeout 300 python3 Tools/browser_test.py --server "$BIN/hdrec-server" --artifacts "$ARTIFACTS" --base "$BASE" \
  --screenshot "${BROWSER_TEST_SCREENSHOT:-.build/browser-test/page.png}" "${THREADS[@]}"
