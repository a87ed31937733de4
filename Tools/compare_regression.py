"""Compares two summaries from scripts/regression_runs.sh: every number must agree within a
relative tolerance (default 1e-6), every other value exactly.

    python3 Tools/compare_regression.py BEFORE.json AFTER.json [--rtol 1e-6]

Prints each difference with its path and exits 1 if any exceeds the tolerance.
"""
import argparse
import json
import sys


def walk(a, b, path, rtol, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append((f"{path}.{k}", "missing on one side", None))
            else:
                walk(a[k], b[k], f"{path}.{k}", rtol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append((path, f"lengths {len(a)} and {len(b)}", None))
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", rtol, out)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        rel = abs(a - b) / max(abs(a), abs(b), 1e-30)
        if rel > rtol:
            out.append((path, f"{a!r} vs {b!r}", rel))
    elif a != b:
        out.append((path, f"{a!r} vs {b!r}", None))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--rtol", type=float, default=1e-6)
    args = p.parse_args()
    diffs = []
    walk(json.load(open(args.before)), json.load(open(args.after)), "", args.rtol, diffs)
    for path, what, rel in diffs:
        print(f"{path}: {what}" + (f" (relative {rel:.2e})" if rel is not None else ""))
    print(f"{len(diffs)} differences beyond relative {args.rtol:g}")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
