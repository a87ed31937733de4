#!/usr/bin/env python3
"""Golden block data for Tests/QuantTests from the python `gguf` package (gguf.quants).

For each of F16, BF16, Q8_0, Q4_0 and Q4_1 it quantizes a small deterministic row
set with gguf.quants.quantize and dequantizes the result with gguf.quants.dequantize,
and writes Tests/QuantTests/Fixtures/gguf-quants.json:
  {"input": [...f32...], "types": {"q4_1": {"bytes": "<hex>", "dequantized": [...]}, ...}}
The Swift tests check that HDRec's dequantizer reproduces `dequantized` exactly from
`bytes`, and that its quantizer (ggml reference rounding) reproduces `bytes`.

Run: .venv-tools/bin/python Tools/quant_golden.py
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "QuantTests", "Fixtures", "gguf-quants.json")

rng = np.random.default_rng(2024)
n = 4 * 32
x = np.concatenate([
    0.1 + 2 * np.cos(np.arange(64) + 0.5),          # the round-trip test's pattern
    rng.standard_normal(32) * 0.05,                   # small weights, like real matrices
    np.array([0.0] * 8 + [1e-3] * 8 + [-3.0] * 8 + [7.5] * 8),  # ties and flat runs
]).astype(np.float32)
assert x.size == n

types = {"f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q4_0": T.Q4_0, "q4_1": T.Q4_1}
out = {"input": [float(v) for v in x], "types": {}}
for name, qt in types.items():
    q = quants.quantize(x.reshape(4, 32), qt)
    raw = np.ascontiguousarray(q).view(np.uint8).tobytes()
    deq = quants.dequantize(q, qt).astype(np.float32).ravel()
    out["types"][name] = {"bytes": raw.hex(), "dequantized": [float(v) for v in deq]}

with open(OUT, "w") as f:
    json.dump(out, f, indent=0)
print("wrote", OUT, os.path.getsize(OUT), "bytes")
