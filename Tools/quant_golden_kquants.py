#!/usr/bin/env python3
"""Golden block data for the Q5 and K-quant decoders, from the python `gguf` package.

Q5_0 and Q5_1: a small deterministic row set quantized with gguf.quants.quantize.
Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (gguf.quants has no quantizer for them): hand-built
random super-blocks, random bytes everywhere except the fp16 scale fields, which get
sane random values (so no NaN or infinity). Every type's bytes are then dequantized
with gguf.quants.dequantize, the independent reference HDRec must match bit for bit.

Writes Tests/QuantTests/Fixtures/gguf-kquants.json:
  {"types": {"q4_K": {"count": N, "bytes": "<hex>", "dequantized": "<hex of N little-endian f32>"}, ...}}

Run: .venv-tools/bin/python Tools/quant_golden_kquants.py
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "QuantTests", "Fixtures", "gguf-kquants.json")

rng = np.random.default_rng(2025)
out = {"types": {}}


def put(name, qt, raw: bytes, count: int):
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, len(raw) // (count // quants.GGML_QUANT_SIZES[qt][0]))
    deq = quants.dequantize(blocks, qt).astype(np.float32).ravel()
    assert deq.size == count and np.isfinite(deq).all()
    out["types"][name] = {"count": count, "bytes": raw.hex(), "dequantized": deq.astype("<f4").tobytes().hex()}


# Q5_0 / Q5_1: quantized by gguf from values with ties, flat runs and a wide range.
x = np.concatenate([
    0.1 + 2 * np.cos(np.arange(64) + 0.5),
    rng.standard_normal(32) * 0.05,
    np.array([0.0] * 8 + [1e-3] * 8 + [-3.0] * 8 + [7.5] * 8),
]).astype(np.float32)
for name, qt in {"q5_0": T.Q5_0, "q5_1": T.Q5_1}.items():
    q = quants.quantize(x.reshape(4, 32), qt)
    put(name, qt, np.ascontiguousarray(q).view(np.uint8).tobytes(), x.size)

# K-quants: random super-blocks with sane fp16 scales at the layout's scale fields.
half_fields = {  # byte offsets of the fp16 fields: (offset, lo, hi) magnitudes
    "q2_K": (T.Q2_K, [(80, 1e-3, 0.05), (82, 1e-3, 0.05)]),
    "q3_K": (T.Q3_K, [(108, 1e-3, 0.05)]),
    "q4_K": (T.Q4_K, [(0, 1e-3, 0.05), (2, 1e-3, 0.05)]),
    "q5_K": (T.Q5_K, [(0, 1e-3, 0.05), (2, 1e-3, 0.05)]),
    "q6_K": (T.Q6_K, [(208, 1e-3, 0.05)]),
}
superblocks = 3
for name, (qt, fields) in half_fields.items():
    size = quants.GGML_QUANT_SIZES[qt][1]
    blocks = rng.integers(0, 256, size=(superblocks, size), dtype=np.uint8)
    for b in range(superblocks):
        for off, lo, hi in fields:
            v = np.float16(rng.uniform(lo, hi) * (1 if b != 2 else -1))  # one block with negative scales
            blocks[b, off:off + 2] = np.frombuffer(v.tobytes(), dtype=np.uint8)
    put(name, qt, blocks.tobytes(), superblocks * 256)

with open(OUT, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", OUT, os.path.getsize(OUT), "bytes")
