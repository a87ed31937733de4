#!/usr/bin/env python3
"""Cross-checks `hdrec quantize` against the python gguf package.

Quantizes the stories260K fixture with the built `hdrec` to q8_0, q4_0 and q4_1,
reads each output with gguf.GGUFReader, and checks every converted tensor is byte
for byte what gguf.quants.quantize makes of the original f32 tensor.

Run (after `swift build`):
  .venv-tools/bin/python Tools/modelfiles_quantize_check.py [path/to/hdrec]
Last run: all 32 matrices identical for each of q8_0, q4_0, q4_1.
"""
import os
import subprocess
import sys
import tempfile

import gguf
import numpy as np
from gguf import quants

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "Tests", "Fixtures", "stories260K", "stories260K.gguf")
HDREC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "hdrec")

src = {t.name: t for t in gguf.GGUFReader(SRC).tensors}
failed = False
with tempfile.TemporaryDirectory() as tmp:
    for typ in ["q8_0", "q4_0", "q4_1"]:
        out = os.path.join(tmp, typ + ".gguf")
        subprocess.run([HDREC, "quantize", SRC, out, "--type", typ], check=True)
        same = differ = 0
        for t in gguf.GGUFReader(out).tensors:
            if t.tensor_type.name.lower() != typ:
                continue
            s = src[t.name]
            rows = np.asarray(s.data, dtype=np.float32).reshape(-1, int(s.shape[0]))
            expected = quants.quantize(rows, t.tensor_type).view(np.uint8).ravel()
            if np.array_equal(expected, np.asarray(t.data).view(np.uint8).ravel()):
                same += 1
            else:
                differ += 1
        print("%s: %d tensors identical to gguf.quants.quantize, %d differ" % (typ, same, differ))
        failed |= differ > 0 or same == 0
sys.exit(1 if failed else 0)
