#!/usr/bin/env python3
"""Compare every tensor of two safetensors files, with the standard library only (no numpy).

    python3 Tools/compare_safetensors.py A.safetensors B.safetensors [--max-rel 1e-4] [--scale tensor|model]

For each tensor the difference is max|a - b|, relative to max|a| over that tensor (--scale
tensor, the default) or over every tensor of the file (--scale model: the model's maximum
relative parameter difference), floored at 1e-30 so all-zero tensors compare absolutely.
Prints the worst tensors with both figures and exits 1 when the worst exceeds --max-rel, or
when the two files hold different tensor names, dtypes or shapes. Reads F64, F32, F16 and
BF16 tensors. A training checkpoint (Sources/Training/Loop/Checkpoint.swift) keeps every
trainable tensor end to end in one "parameters" tensor, named in its metadata "layout"
("name:count,..."); those are compared tensor by tensor, and the two files' "step" must agree.
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
    metadata = header.get("__metadata__", {})
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
    if "layout" in metadata and "parameters" in tensors:
        dtype, _, flat = tensors.pop("parameters")
        offset = 0
        for item in metadata["layout"].split(","):
            name, _, count = item.rpartition(":")
            tensors[name] = (dtype, [int(count)], flat[offset:offset + int(count)])
            offset += int(count)
    return tensors, metadata


def largest(values):
    return max((abs(x) for x in values), default=0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--max-rel", type=float, default=1e-4, help="largest allowed per-tensor relative difference")
    parser.add_argument("--scale", choices=["tensor", "model"], default="tensor",
                        help="what a difference is relative to: the tensor's largest magnitude or the model's")
    parser.add_argument("--show", type=int, default=5, help="how many of the worst tensors to print")
    args = parser.parse_args()
    (a, meta_a), (b, meta_b) = read_safetensors(args.a), read_safetensors(args.b)
    if meta_a.get("step") != meta_b.get("step"):
        print(f"the files are at different training steps: {meta_a.get('step')} and {meta_b.get('step')}")
        return 1
    if set(a) != set(b):
        print(f"tensor names differ: only in {args.a}: {sorted(set(a) - set(b))}; only in {args.b}: {sorted(set(b) - set(a))}")
        return 1
    rows = []
    for name in sorted(a):
        (da, sa, va), (db, sb, vb) = a[name], b[name]
        if (da, sa) != (db, sb):
            print(f"{name}: {da} {sa} in {args.a} but {db} {sb} in {args.b}")
            return 1
        diff = max((abs(x - y) for x, y in zip(va, vb)), default=0.0)
        rows.append((diff, largest(va), name, sa))
    model_scale = max((scale for _, scale, _, _ in rows), default=0.0)
    def relative(row):
        diff, scale, _, _ = row
        return diff / max(model_scale if args.scale == "model" else scale, 1e-30)
    rows.sort(key=relative, reverse=True)
    for row in rows[:args.show]:
        diff, scale, name, shape = row
        print(f"  {name} {shape}: max|a-b| {diff:.3e}; / max|a| of the tensor {diff / max(scale, 1e-30):.3e}, "
              f"of the model {diff / max(model_scale, 1e-30):.3e}")
    worst, name = (relative(rows[0]), rows[0][2]) if rows else (0.0, "(no tensors)")
    verdict = "ok" if worst <= args.max_rel else "TOO LARGE"
    print(f"{len(rows)} tensors; worst difference relative to the {args.scale}'s largest magnitude "
          f"{worst:.3e} ({name}), limit {args.max_rel:g}: {verdict}")
    return 0 if worst <= args.max_rel else 1


if __name__ == "__main__":
    sys.exit(main())
