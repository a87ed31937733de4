#!/usr/bin/env python3
"""Writes a copy of a Llama GGUF keeping only its first N decoder blocks.

Used to measure what the number of decoder layers costs per request on CPU
(README "What a larger base costs"): `hdrec bench` / `hdrec recommend` on the cut
file against the full one. Metadata is copied as is except `<arch>.block_count`;
tensors `blk.i.*` with i >= N are dropped; all other tensors keep their type and
bytes (no re-quantization). Reads and writes with the `gguf` package (llama.cpp's
gguf-py), independent of the Swift code.

    .venv-tools/bin/python Tools/cut_gguf_layers.py IN.gguf OUT.gguf --layers 4
"""
import argparse
import re

import gguf
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--layers", type=int, required=True)
    args = ap.parse_args()

    reader = gguf.GGUFReader(args.input)
    arch = reader.fields["general.architecture"].contents()
    block_key = f"{arch}.block_count"
    blocks = int(reader.fields[block_key].contents())
    if not 1 <= args.layers <= blocks:
        raise SystemExit(f"--layers must be in 1...{blocks}")

    writer = gguf.GGUFWriter(args.output, arch=arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture",):
            continue
        value_type = field.types[0]
        if name == block_key:
            writer.add_uint32(name, args.layers)
        elif value_type == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(name, field.contents(), value_type, sub_type=field.types[-1])
        else:
            writer.add_key_value(name, field.contents(), value_type)

    keep = []
    for t in reader.tensors:
        m = re.match(r"blk\.(\d+)\.", t.name)
        if m and int(m.group(1)) >= args.layers:
            continue
        keep.append(t)
    for t in keep:
        # The reader's view keeps the stored type: quantized tensors are uint8 rows of blocks,
        # which the writer maps back to the element shape for raw_dtype.
        writer.add_tensor(t.name, np.asarray(t.data), raw_dtype=t.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"{args.output}: {args.layers} of {blocks} blocks, {len(keep)} tensors")


if __name__ == "__main__":
    main()
