#!/usr/bin/env python3
"""safetensors interoperability fixtures for Tests/ModelFilesTests.

1. Writes Fixtures/python-written.safetensors with the reference `safetensors`
   package (Rust serializer) plus Fixtures/python-written.json holding each tensor's
   dtype, shape and values as float64, which the Swift reader test compares against.
2. Verifies Fixtures/swift-written.safetensors (written by HDRec's SafetensorsWriter;
   the Swift test checks its writer reproduces that file byte for byte) with the
   reference Rust parser (`safetensors.deserialize`): names, dtypes, shapes, bytes
   and metadata must match what the Swift test wrote.

Run: .venv-tools/bin/python Tools/modelfiles_safetensors_golden.py
"""
import json
import os
import sys

import numpy as np
from safetensors import deserialize, serialize
from safetensors.numpy import TensorSpec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "ModelFilesTests", "Fixtures")


def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (NaN-free inputs)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_python_fixture():
    rng = np.random.default_rng(7)
    f32 = rng.standard_normal((2, 3)).astype(np.float32)
    f16 = np.array([1.0, -2.5, 0.1, 65504.0], dtype=np.float16)
    bf = bf16_bits(np.array([1.0, 3.14159, -0.001], dtype=np.float32))
    i32 = np.array([[1, -2], [3, 2147483647]], dtype=np.int32)
    i64 = np.array([-(2**40), 5], dtype=np.int64)
    u8 = np.array([0, 7, 255], dtype=np.uint8)
    scalar = np.array(2.5, dtype=np.float32)
    empty = np.zeros((0, 3), dtype=np.float32)
    arrays = {"a.f32": f32, "b.f16": f16, "d.i32": i32, "e.i64": i64, "f.u8": u8,
              "scalar": scalar, "empty": empty}
    specs = {k: TensorSpec(dtype=v.dtype.name, shape=v.shape, data_ptr=v.ctypes.data, data_len=v.nbytes)
             for k, v in arrays.items()}
    specs["c.bf16"] = TensorSpec(dtype="bfloat16", shape=bf.shape, data_ptr=bf.ctypes.data, data_len=bf.nbytes)
    data = bytes(serialize(specs, metadata={"format": "pt", "source": "python safetensors"}))
    with open(os.path.join(FIX, "python-written.safetensors"), "wb") as f:
        f.write(data)
    golden = {k: {"shape": list(v.shape), "values": v.astype(np.float64).ravel().tolist()} for k, v in arrays.items()}
    golden["c.bf16"] = {"shape": [3], "values": bf16_values(bf).astype(np.float64).tolist()}
    dtypes = {"a.f32": "F32", "b.f16": "F16", "c.bf16": "BF16", "d.i32": "I32", "e.i64": "I64",
              "f.u8": "U8", "scalar": "F32", "empty": "F32"}
    for k in golden:
        golden[k]["dtype"] = dtypes[k]
    golden = {"metadata": {"format": "pt", "source": "python safetensors"}, "tensors": golden}
    with open(os.path.join(FIX, "python-written.json"), "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
    print("wrote python-written.safetensors (%d bytes) and python-written.json" % len(data))


# What Tests/ModelFilesTests/SafetensorsTests.swift ("writer output ...") writes.
SWIFT_EXPECTED = {
    "w": ("F32", [2, 3], np.array([0.5, -1.25, 3, 1e-3, -7, 65504], dtype=np.float32).tobytes()),
    "h": ("F16", [4], np.array([1, -2.5, 0.1, 1000], dtype=np.float16).tobytes()),
    "b": ("BF16", [3], bf16_bits(np.array([1, 3.14159, -0.001], dtype=np.float32)).tobytes()),
    "n": ("I32", [2], np.array([1, -2], dtype=np.int32).tobytes()),
    "z": ("F32", [0], b""),
}
SWIFT_METADATA = {"format": "pt", "hdrec": "test \"quoted\" é"}


def verify_swift_fixture():
    path = os.path.join(FIX, "swift-written.safetensors")
    if not os.path.exists(path):
        print("skip: %s not written yet (run the Swift tests with HDREC_REGENERATE_FIXTURES=1)" % path)
        return True
    with open(path, "rb") as f:
        raw = f.read()
    parsed = dict(deserialize(raw))
    ok = set(parsed) == set(SWIFT_EXPECTED)
    for name, (dtype, shape, data) in SWIFT_EXPECTED.items():
        t = parsed.get(name)
        if t is None:
            ok = False
            continue
        dt = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "int32": "I32"}.get(t["dtype"], t["dtype"])
        same = dt == dtype and list(t["shape"]) == shape and bytes(t["data"]) == data
        print("%-2s %s %s %s" % (name, dt, t["shape"], "ok" if same else "MISMATCH"))
        ok = ok and same
    n = int.from_bytes(raw[:8], "little")
    meta = json.loads(raw[8:8 + n]).get("__metadata__")
    ok = ok and meta == SWIFT_METADATA
    print("metadata", "ok" if meta == SWIFT_METADATA else "MISMATCH %r" % meta)
    print("python reads swift-written.safetensors:", "OK" if ok else "FAILED")
    return ok


if __name__ == "__main__":
    os.makedirs(FIX, exist_ok=True)
    write_python_fixture()
    sys.exit(0 if verify_swift_fixture() else 1)
