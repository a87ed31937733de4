#!/usr/bin/env bash
# Block windowing against the sliding window: does dropping a long history's
# oldest items in blocks of B (manifest prompt.window_step) keep the prefix cache's reuse
# for returning users without hurting quality?
#
#   [ARTIFACTS=artifacts/default] [DATA=data/scientific] [BASE=<base.gguf>] [STEPS="1 2 4 8"]
#   [SPLIT=valid] [PART=all|quality|reuse] [REQUESTS=1000] [OUT=runs/window] [BIN=<prebuilt release dir>]
#   scripts/window_experiment.sh
#
# Quality: `hdrec evaluate --bundle` on SPLIT for each step, over the users whose history
# for that split is longer than the bundle's max_items (everyone else gets the same prompt
# whatever the step, so the same ranks), then `hdrec compare` of each step against step 1
# (paired t-tests). Choose on valid; run SPLIT=test once, for the chosen step and 1.
# Reuse: a fresh hdrec-server per step, the returning-user replay (Tools/replay_load.py,
# each history growing one item at a time) over those same long-history users, and the
# share of prompt positions served from the prefix cache (/metrics).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTS=${ARTIFACTS:-artifacts/default}
DATA=${DATA:-data/scientific}
STEPS=${STEPS:-"1 2 4 8"}
SPLIT=${SPLIT:-valid}
PART=${PART:-all}
REQUESTS=${REQUESTS:-1000}
OUT=${OUT:-runs/window}
SCRATCH=${SCRATCH:-.build}
[ -f "$DATA/users.jsonl" ] || { echo "window_experiment: no prepared dataset at $DATA"; exit 2; }
. scripts/lib/server.sh
[ -n "${BASE:-}" ] || BASE=$(base_for_bundle "$ARTIFACTS")
base_args=(); [ -n "$BASE" ] && base_args=(--base "$BASE")
if [ -n "${BIN:-}" ]; then bin=$BIN; else   # BIN=<directory holding release hdrec and hdrec-server>
  swift build -c release --scratch-path "$SCRATCH" --product hdrec >/dev/null
  swift build -c release --scratch-path "$SCRATCH" --product hdrec-server >/dev/null
  bin="$SCRATCH/release"
fi
mkdir -p "$OUT"

# The long-history users of SPLIT as a dataset of their own, and one bundle copy per step
# (copies, not links: a bundle's files must lie under its directory).
max_items=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prompt"]["max_items"])' "$ARTIFACTS/manifest.json")
python3 - "$DATA" "$OUT/data-$SPLIT" "$SPLIT" "$max_items" <<'PY'
import json, os, shutil, sys
src, dst, split, max_items = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
os.makedirs(dst, exist_ok=True)
for f in ("items.jsonl", "dataset.json"):
    shutil.copy(os.path.join(src, f), dst)
kept = total = 0
with open(os.path.join(dst, "users.jsonl"), "w") as out:
    for line in open(os.path.join(src, "users.jsonl")):
        if not line.strip():
            continue
        total += 1
        user = json.loads(line)
        history = len(user["train"]) + (1 if split == "test" else 0)
        if history > max_items:
            out.write(line if line.endswith("\n") else line + "\n")
            kept += 1
print(f"{split}: {kept} of {total} users have more than {max_items} history items")
PY
for step in $STEPS; do
  rm -rf "$OUT/bundle-$step"; cp -r "$ARTIFACTS" "$OUT/bundle-$step"
  python3 - "$OUT/bundle-$step/manifest.json" "$step" <<'PY'
import json, sys
path, step = sys.argv[1], int(sys.argv[2])
m = json.load(open(path))
m["prompt"]["window_step"] = step
json.dump(m, open(path, "w"), indent=2, sort_keys=True)
PY
done

if [ "$PART" != reuse ]; then
  for step in $STEPS; do
    /usr/bin/time -f "step $step $SPLIT: wall %e s, CPU %U s user + %S s system" \
      "$bin/hdrec" evaluate --bundle "$OUT/bundle-$step" --data "$OUT/data-$SPLIT" "${base_args[@]}" --split "$SPLIT" \
      --out "$OUT/$SPLIT-step$step" | grep -E "^\| $SPLIT|users per split"
  done
  for step in $STEPS; do
    [ "$step" = 1 ] && continue
    echo "== step $step against step 1 ($SPLIT)"
    "$bin/hdrec" compare "$OUT/$SPLIT-step1" "$OUT/$SPLIT-step$step"
  done
fi

if [ "$PART" != quality ]; then
  pid=""
  trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT
  for step in $STEPS; do
    port=$(freeport)
    "$bin/hdrec-server" --artifacts "$OUT/bundle-$step" "${base_args[@]}" --port "$port" --max-queue 256 >"$OUT/server-$step.log" 2>&1 &
    pid=$!
    wait_ready "$pid" "$port" "$OUT/server-$step.log" || exit 2
    python3 Tools/replay_load.py --port "$port" --data "$OUT/data-$SPLIT" --workload returning --connections 8 --requests "$REQUESTS" \
      > "$OUT/replay-$step.json"
    python3 - "$OUT/replay-$step.json" "$step" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pc = r.get("prefix_cache", {})
reused = 100 * pc.get("reused_positions_total", 0) / max(1, pc.get("positions_total", 0))
print(f"step {sys.argv[2]} returning: {r['rec_per_s']:.2f} rec/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
      f"errors {r['errors']}, reused positions {reused:.1f} %")
PY
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
fi
