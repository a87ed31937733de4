#!/usr/bin/env python3
"""Golden vectors for the HDRecInference's fusion (paper Eqs. 13-18 and Fig. 5 variants).

Written independently of the Swift code, in float64 numpy, straight from the
paper's equations. Writes Tests/HDRecInferenceTests/Fixtures/fusion-golden.json.
Rerun: .venv-tools/bin/python Tools/recommender_fusion_golden.py
"""
import json
import os

import numpy as np


def enhancement(z, alpha, tau, eps):
    mu = z.mean()                              # Eq. 13
    s = 1.0 / (1.0 + np.exp(-(z - mu) / tau))  # Eq. 14 (tau = 1 in the paper)
    m = z.min()                                # Eq. 15
    adj = z - m + eps                          # Eq. 16
    return alpha * adj * s                     # Eq. 17


def fuse(zt, zi, method, alpha, tau, eps):
    if method == "text-dominant":
        return zt + enhancement(zi, alpha, tau, eps)       # Eq. 18
    if method == "id-dominant":
        return zi + enhancement(zt, alpha, tau, eps)
    if method == "confidence":
        # Both terms at alpha = 1: the literal reading scales both by alpha, which cannot
        # change the ranking and makes every score 0 at alpha = 0 (docs/training.md).
        return enhancement(zt, 1.0, tau, eps) + enhancement(zi, 1.0, tau, eps)
    if method == "text-pass":
        return zt
    if method == "id-pass":
        return zi
    raise ValueError(method)


def main():
    rng = np.random.default_rng(20260527)
    rows = []
    for n, scale in [(7, 1.0), (40, 3.0), (120, 8.0)]:
        zt = (rng.standard_normal(n) * scale).astype(np.float32)
        zi = (rng.standard_normal(n) * scale * 0.5 + 1.0).astype(np.float32)
        cases = []
        for method in ["text-dominant", "id-dominant", "confidence", "text-pass", "id-pass"]:
            for alpha, tau in [(0.5, 1.0), (0.3, 0.5), (1.0, 2.0), (0.0, 1.0)]:
                out = fuse(zt.astype(np.float64), zi.astype(np.float64), method, alpha, tau, 1e-8)
                boost = enhancement(zi.astype(np.float64), alpha, tau, 1e-8)
                cases.append({
                    "method": method, "alpha": alpha, "temperature": tau, "epsilon": 1e-8,
                    "final": [float(f"{v:.9g}") for v in out],
                    "id_boost": [float(f"{v:.9g}") for v in boost],
                    "order": np.lexsort((np.arange(n), -out)).tolist(),
                })
        rows.append({"text": zt.tolist(), "id": zi.tolist(), "cases": cases})
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "Tests", "HDRecInferenceTests", "Fixtures", "fusion-golden.json")
    with open(path, "w") as f:
        json.dump({"rows": rows}, f)
    print(f"wrote {sum(len(r['cases']) for r in rows)} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
