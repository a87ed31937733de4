#!/usr/bin/env bash
# Builds the fuzz targets of Fuzz/ with libFuzzer + AddressSanitizer (into .build/fuzz,
# apart from the release build) and runs each for a set time over a scratch copy of its
# seed corpus (Fuzz/Corpus/<target>). Writes a Markdown summary: executions, execs/s,
# coverage (cov = covered edges, ft = features) and crashes per target. Exits 1 when any
# target crashed (its inputs are kept under the run directory), 2 on a build failure.
#
#   scripts/fuzz.sh [--seconds N] [--out DIR] [target ...]     (make fuzz, make fuzz-smoke)
#   targets: http json gguf safetensors peft manifest catalog  (default: all)
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 ..." in the environment.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=300
OUT=.build/fuzz/run
ALL=(http json gguf safetensors peft manifest catalog)
targets=()
while (($#)); do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${ALL[@]}")

SWIFT=${SWIFT:-swift}
SCRATCH=.build/fuzz
# Debug configuration (no -Ounchecked from the root package's release settings, so every
# overflow and bounds trap stays), optimized with -O for ~6x the executions of -Onone.
BUILD_FLAGS=(-c debug --package-path Fuzz --scratch-path "$SCRATCH"
             -Xswiftc -sanitize=fuzzer,address -Xswiftc -O)
echo "building fuzz targets (${targets[*]}) in $SCRATCH"
for t in "${targets[@]}"; do
  [ -d "Fuzz/Targets/$t" ] || { echo "unknown fuzz target '$t' (have: ${ALL[*]})" >&2; exit 2; }
done
# gold warns about every ASan helper symbol; keep the log readable.
"$SWIFT" build "${BUILD_FLAGS[@]}" 2>&1 | grep -v "Cannot export local symbol"
build_rc=${PIPESTATUS[0]}
((build_rc == 0)) || { echo "fuzz build failed (exit $build_rc)" >&2; exit 2; }
BIN="$("$SWIFT" build "${BUILD_FLAGS[@]}" --show-bin-path)"
for t in "${targets[@]}"; do
  [ -x "$BIN/fuzz-$t" ] || { echo "build failed: $BIN/fuzz-$t missing" >&2; exit 2; }
done

mkdir -p "$OUT"
summary="$OUT/summary.md"
{
  echo "# Fuzzing run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${SECONDS_PER_TARGET} s per target, libFuzzer + ASan (scripts/fuzz.sh)."
  echo
  echo "| target | seconds | executions | execs/s | cov | ft | corpus | crashes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
} > "$summary"

failed=0
for t in "${targets[@]}"; do
  dir="$OUT/$t"
  rm -rf "$dir"; mkdir -p "$dir/corpus" "$dir/artifacts"
  cp Fuzz/Corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
  dict=Fuzz/json.dict; [ "$t" = http ] && dict=Fuzz/http.dict
  case "$t" in gguf) dict= ;; esac
  echo "fuzz-$t: ${SECONDS_PER_TARGET} s, log $dir/fuzz.log"
  start=$(date +%s)
  # SWIFT_BACKTRACE=enable=no: let libFuzzer, not the Swift runtime, handle a crash.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$BIN/fuzz-$t" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" ${dict:+-dict=$dict} ${FUZZ_FLAGS:-} "$dir/corpus" > "$dir/fuzz.log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(awk -F: '/stat::number_of_executed_units/ {gsub(/ /,"",$NF); print $NF}' "$dir/fuzz.log" | tail -1)
  rate=$(awk -F: '/stat::average_exec_per_sec/ {gsub(/ /,"",$NF); print $NF}' "$dir/fuzz.log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$dir/fuzz.log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$dir/fuzz.log" | tail -1 | cut -d' ' -f2)
  units=$(ls "$dir/corpus" | wc -l)
  crashes=$(ls "$dir/artifacts" | wc -l)
  if ((rc != 0)) && ((crashes == 0)); then crashes="rc $rc"; fi
  if ((rc != 0)) || [ "$crashes" != 0 ]; then
    failed=1
    echo "fuzz-$t FAILED (exit $rc); inputs in $dir/artifacts:"; ls "$dir/artifacts"
    grep -m3 -E "Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY" "$dir/fuzz.log"
  fi
  echo "| $t | $elapsed | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $units | $crashes |" >> "$summary"
done
echo
cat "$summary"
exit $failed
