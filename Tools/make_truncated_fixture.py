"""Golden values for running only the first L decoder layers of stories260K, with and
without replaced RMSNorm weights (HDRec's cpu profile and `--train-norms`), from the
float64 numpy reference (llama_reference.py, independent of the Swift decoder).

Writes Tests/LlamaTests/Fixtures/stories260K-truncated.json:
  cases: [{layers, lora (bool), norms ({gguf name: [C]} or absent),
           hidden ([T*C] after output_norm, every position), logits_last ([V])}]
The LoRA cases use the committed PEFT fixture stories260K-lora-peft (scale 1),
restricted to the layers that run.

Rerun: .venv-tools/bin/python Tools/make_truncated_fixture.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_reference as ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORIES = os.path.join(ROOT, "Tests/Fixtures/stories260K/stories260K.gguf")
FIX = os.path.join(ROOT, "Tests/LlamaTests/Fixtures")
TOKENS = [1, 317, 311, 267, 337, 335, 311, 432, 426]   # "Lily liked ..." (as in stories260K-logits.json)


def r7(a):
    return [float(f"{x:.7g}") for x in np.asarray(a, dtype=np.float64).ravel()]


def main():
    m = ref.Model(STORIES)
    lora = ref.load_peft(os.path.join(FIX, "stories260K-lora-peft"))
    rng = np.random.default_rng(11)
    cases = []
    for layers, use_lora, replace in [(1, False, False), (2, False, False), (4, False, False), (5, False, False),
                                      (2, True, False), (3, True, True), (5, False, True)]:
        norms = None
        if replace:
            norms = {}
            for l in range(layers):
                for stem in ("attn_norm", "ffn_norm"):
                    name = f"blk.{l}.{stem}.weight"
                    norms[name] = m.w[name] * (1 + 0.3 * rng.standard_normal(m.dim))
            norms["output_norm.weight"] = m.w["output_norm.weight"] * (1 + 0.3 * rng.standard_normal(m.dim))
            norms = {k: np.asarray(r7(v)) for k, v in norms.items()}   # what Swift reads is what numpy used
        hidden, logits = ref.forward(m, TOKENS, lora=lora if use_lora else None, lora_scale=1.0,
                                     layers=layers, norms=norms)
        case = {"layers": layers, "lora": use_lora, "hidden": r7(hidden), "logits_last": r7(logits[-1])}
        if norms:
            case["norms"] = {k: list(v) for k, v in norms.items()}
        cases.append(case)
    with open(os.path.join(FIX, "stories260K-truncated.json"), "w") as f:
        json.dump({"model": "stories260K.gguf", "generator": "Tools/make_truncated_fixture.py",
                   "tokens": TOKENS, "cases": cases}, f)


if __name__ == "__main__":
    main()
