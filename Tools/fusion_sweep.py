#!/usr/bin/env python3
"""Validation sweep of HDRec's fusion (paper Eqs. 13-18) over α and τ, from the logits that
`hdrec pass-scores --run RUN --out DIR` writes (validation users only: choosing on test
would be tuning on test).

    python3 Tools/fusion_sweep.py DIR

Prints NDCG@10 (full ranking, ties in the target's favour, as the harness counts) of each
pass, of SASRec, and of text-dominant fusion z_text + α·(z_id − min + ε)·σ((z_id − mean)/τ)
for α in 0..1 and τ in {0.5, 1, 2, 4}, as a Markdown table. Needs numpy."""
import sys
import numpy as np


def ndcg(z, targets):
    rows = np.arange(len(targets))
    rank = (z > z[rows, targets][:, None]).sum(1)
    return float(np.where(rank < 10, 1 / np.log2(rank + 2), 0).mean())


def enhance(z, alpha, tau):
    return alpha * (z - z.min(1, keepdims=True) + 1e-8) / (1 + np.exp(-(z - z.mean(1, keepdims=True)) / tau))


def main():
    d = sys.argv[1]
    text, ident, sasrec = (np.load(f"{d}/{n}.npy") for n in ("text", "id", "sasrec"))
    targets = np.loadtxt(f"{d}/targets.tsv", skiprows=1, dtype=int, ndmin=2)[:, 1]
    print(f"{len(targets)} validation users: text pass {ndcg(text, targets):.4f}, ID pass {ndcg(ident, targets):.4f}, "
          f"SASRec {ndcg(sasrec, targets):.4f}\n")
    alphas = [a / 10 for a in range(11)]
    print("| τ \\ α | " + " | ".join(f"{a:.1f}" for a in alphas) + " |")
    print("| --- |" + " ---: |" * len(alphas))
    for tau in (0.5, 1.0, 2.0, 4.0):
        cells = [ndcg(text + enhance(ident, a, tau), targets) for a in alphas]
        print(f"| {tau:g} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
