#!/usr/bin/env python3
"""RESULTS.md's HDRec table: test MRR, Recall@10 and NDCG@10 of each row, and the paired
t-test p-value of each row against the reference row (HDRec), from `hdrec compare`.

    Tools/results_table.py HDREC_BIN REFERENCE_RANKS_DIR NAME=RANKS_DIR ...

Every RANKS_DIR holds a ranks.tsv; rows are paired with the reference by user id over
the reference's users (hdrec compare pairs a user sample with a full-data file).
Rows whose ranks.tsv is missing are listed as "not run".
"""
import os
import re
import subprocess
import sys


def compare(hdrec, a, b):
    out = subprocess.run([hdrec, "compare", a, b], check=True, capture_output=True, text=True).stdout
    rows = {}
    users = re.search(r"\((\d+) paired users", out)
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] == "test":
            rows[cells[1]] = (float(cells[2]), float(cells[3]), cells[6])
    return rows, int(users.group(1)) if users else 0


def main():
    hdrec, reference, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    metrics = ["MRR", "Recall@10", "NDCG@10"]
    print("| model | test MRR | test R@10 | test N@10 | p (MRR) | p (R@10) | p (N@10) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    paired = 0
    for spec in specs:
        name, path = spec.split("=", 1)
        if not os.path.exists(os.path.join(path, "ranks.tsv")):
            print(f"| {name} | not run | | | | | |")
            continue
        rows, paired = compare(hdrec, path, reference)
        means = [f"{rows[m][0]:.4f}" for m in metrics]
        same = os.path.realpath(path) == os.path.realpath(reference)
        ps = ["–" if same else rows[m][2] for m in metrics]
        print(f"| {name} | " + " | ".join(means + ps) + " |")
    print(f"\n({paired} test users, paired with the reference row by user id.)")


if __name__ == "__main__":
    main()
