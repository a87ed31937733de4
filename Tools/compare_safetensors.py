#!/usr/bin/env python3
"""Compare every tensor of two safetensors files, with the standard library only (no numpy).

    python3 Tools/compare_safetensors.py A.safetensors B.safetensors [--max-rel 1e-4]

For each tensor the relative difference is max|a - b| / max|a| (elementwise over the tensor,
with max|a| floored at 1e-30 so an all-zero tensor compares absolutely). Prints the worst
tensors and exits 1 when the worst exceeds --max-rel, or when the two files hold different
tensor names, dtypes or shapes. Reads F64, F32, F16 and BF16 tensors.
"""
import argparse
import json
import struct
import sys

FORMATS = {"F64": ("d", 8), "F32": ("f", 4), "F16": ("e", 2)}


def read_safetensors(path):
    """{name: (dtype, shape, [floats])} of every tensor in `path`."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes, too short for a safetensors header")
    (header_len,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, shape = info["dtype"], info["shape"]
        start, end = info["data_offsets"]
        raw = blob[base + start:base + end]
        if dtype == "BF16":
            count = len(raw) // 2
            halves = struct.unpack(f"<{count}H", raw)
            values = list(struct.unpack(f"<{count}f", struct.pack(f"<{count}I", *(h << 16 for h in halves))))
        elif dtype in FORMATS:
            code, size = FORMATS[dtype]
            values = list(struct.unpack(f"<{len(raw) // size}{code}", raw))
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype}, which this tool does not read")
        tensors[name] = (dtype, shape, values)
    return tensors


def relative_difference(a, b):
    """max|a - b| / max|a| over one tensor."""
    scale = max((abs(x) for x in a), default=0.0)
    worst = max((abs(x - y) for x, y in zip(a, b)), default=0.0)
    return worst / max(scale, 1e-30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--max-rel", type=float, default=1e-4, help="largest allowed per-tensor relative difference")
    parser.add_argument("--show", type=int, default=5, help="how many of the worst tensors to print")
    args = parser.parse_args()
    a, b = read_safetensors(args.a), read_safetensors(args.b)
    if set(a) != set(b):
        print(f"tensor names differ: only in {args.a}: {sorted(set(a) - set(b))}; only in {args.b}: {sorted(set(b) - set(a))}")
        return 1
    rows = []
    for name in sorted(a):
        (da, sa, va), (db, sb, vb) = a[name], b[name]
        if (da, sa) != (db, sb):
            print(f"{name}: {da} {sa} in {args.a} but {db} {sb} in {args.b}")
            return 1
        rows.append((relative_difference(va, vb), name, sa))
    rows.sort(reverse=True)
    for rel, name, shape in rows[:args.show]:
        print(f"  {name} {shape}: max|a-b|/max|a| = {rel:.3e}")
    worst, name, _ = rows[0] if rows else (0.0, "(no tensors)", [])
    verdict = "ok" if worst <= args.max_rel else "TOO LARGE"
    print(f"{len(rows)} tensors; worst relative difference {worst:.3e} ({name}), limit {args.max_rel:g}: {verdict}")
    return 0 if worst <= args.max_rel else 1


if __name__ == "__main__":
    sys.exit(main())
