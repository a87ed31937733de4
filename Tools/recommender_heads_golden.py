#!/usr/bin/env python3
"""Golden vectors for the HDRecInference's heads (projector and IPL, eval mode).

Writes, with small random weights (PyTorch nn.Linear layout, W = [out, in]):
  Tests/HDRecInferenceTests/Fixtures/heads-tiny.safetensors  the tensors under their bundle names (docs/bundle.md)
  Tests/HDRecInferenceTests/Fixtures/heads-golden.json       weights, inputs and float64 numpy outputs
Rerun: .venv-tools/bin/python Tools/recommender_heads_golden.py
"""
import json
import os

import numpy as np
from safetensors.numpy import save_file

D, HP, C, HI, I, ROWS = 8, 6, 7, 5, 9, 3


def silu(x):
    return x / (1.0 + np.exp(-x))


def main():
    rng = np.random.default_rng(5)
    t = {
        "projector.0.weight": rng.standard_normal((HP, D)),
        "projector.0.bias": rng.standard_normal(HP),
        "projector.2.weight": rng.standard_normal((C, HP)),
        "projector.2.bias": rng.standard_normal(C),
        "ipl.0.weight": rng.standard_normal((HI, C)),
        "ipl.0.bias": rng.standard_normal(HI),
        "ipl.2.weight": rng.standard_normal((I, HI)),
        "tokens.seq": rng.standard_normal(C),
        "tokens.align": rng.standard_normal(C),
        "norms.output_norm.weight": 1.0 + 0.1 * rng.standard_normal(C),
    }
    t = {k: v.astype(np.float32) for k, v in t.items()}
    x = rng.standard_normal((ROWS, D)).astype(np.float32)
    h = rng.standard_normal((ROWS, C)).astype(np.float32)
    f = {k: v.astype(np.float64) for k, v in t.items()}
    proj = silu(x @ f["projector.0.weight"].T + f["projector.0.bias"]) @ f["projector.2.weight"].T + f["projector.2.bias"]
    ipl = silu(h @ f["ipl.0.weight"].T + f["ipl.0.bias"]) @ f["ipl.2.weight"].T
    here = os.path.dirname(os.path.abspath(__file__))
    fixtures = os.path.join(here, "..", "Tests", "HDRecInferenceTests", "Fixtures")
    save_file(t, os.path.join(fixtures, "heads-tiny.safetensors"))
    golden = {
        "dims": {"sasrec": D, "projector_hidden": HP, "model": C, "ipl_hidden": HI, "items": I, "rows": ROWS},
        "tensors": {k: {"shape": list(v.shape), "values": v.reshape(-1).tolist()} for k, v in t.items()},
        "projector_input": x.reshape(-1).tolist(), "projector_output": proj.reshape(-1).tolist(),
        "ipl_input": h.reshape(-1).tolist(), "ipl_output": ipl.reshape(-1).tolist(),
    }
    with open(os.path.join(fixtures, "heads-golden.json"), "w") as fp:
        json.dump(golden, fp)
    print("wrote heads-tiny.safetensors and heads-golden.json")


if __name__ == "__main__":
    main()
