#!/usr/bin/env python3
"""Compare the parameters of two hdrec training checkpoints, standard library only.

    python3 Tools/compare_checkpoints.py A/checkpoint.safetensors B/checkpoint.safetensors [--tolerance 1e-4]

A checkpoint (Sources/Training/Loop/Checkpoint.swift) is a safetensors file: an 8-byte
little-endian header length, a JSON header (tensor name -> dtype, shape, data_offsets; plus
__metadata__), then raw little-endian data. Its "parameters" tensor holds every trainable
tensor end to end, in the order and sizes its metadata "layout" lists ("name:count,...").

For each trainable tensor the relative difference is max|a - b| / max|a| (a from the first
file; a tensor that is all zeros in both counts as 0, one all zeros in A only as inf). Exits 1
when any tensor's exceeds the tolerance, after printing the largest ones. scripts/mpi-test.sh
uses it to check that a run at mpirun -np 2 matches the single-process run.
"""
import argparse
import json
import struct
import sys


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_length,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + header_length])
    body = memoryview(data)[8 + header_length:]
    return header, body


def float32_tensor(header, body, name):
    entry = header.get(name)
    if entry is None:
        raise SystemExit(f"no tensor '{name}' in the checkpoint")
    if entry["dtype"] != "F32":
        raise SystemExit(f"tensor '{name}' is {entry['dtype']}, expected F32")
    start, end = entry["data_offsets"]
    raw = body[start:end]
    return struct.unpack(f"<{len(raw) // 4}f", raw)


def layout(header):
    text = header.get("__metadata__", {}).get("layout", "")
    out = []
    for item in text.split(","):
        name, _, count = item.rpartition(":")
        out.append((name, int(count)))
    return out


def relative_differences(path_a, path_b):
    header_a, body_a = read_safetensors(path_a)
    header_b, body_b = read_safetensors(path_b)
    tensors = layout(header_a)
    if tensors != layout(header_b):
        raise SystemExit("the two checkpoints have different parameter layouts")
    a = float32_tensor(header_a, body_a, "parameters")
    b = float32_tensor(header_b, body_b, "parameters")
    steps = (header_a["__metadata__"].get("step"), header_b["__metadata__"].get("step"))
    results, offset = [], 0
    for name, count in tensors:
        xs, ys = a[offset:offset + count], b[offset:offset + count]
        offset += count
        scale = max((abs(x) for x in xs), default=0.0)
        diff = max((abs(x - y) for x, y in zip(xs, ys)), default=0.0)
        if scale == 0:
            relative = 0.0 if diff == 0 else float("inf")
        else:
            relative = diff / scale
        results.append((relative, diff, scale, name))
    return results, steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--show", type=int, default=5, help="largest differences printed")
    args = parser.parse_args()
    results, steps = relative_differences(args.a, args.b)
    if steps[0] != steps[1]:
        print(f"the checkpoints are at different steps: {steps[0]} and {steps[1]}")
        return 1
    results.sort(reverse=True)
    worst = results[0][0] if results else 0.0
    print(f"{len(results)} tensors at step {steps[0]}; largest relative difference "
          f"max|a-b|/max|a| = {worst:.3e} (tolerance {args.tolerance:g})")
    for relative, diff, scale, name in results[:args.show]:
        print(f"  {name}: {relative:.3e} (max|a-b| {diff:.3e}, max|a| {scale:.3e})")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
