"""K-quant SmolLM2 files and their goldens, for Tests/LlamaTests/KQuantSmolLM2Tests.swift.

1. Builds models/SmolLM2-135M-Instruct.{Q4_K_M,Q5_K_M,Q6_K}.gguf (about 100 MB each, not
   committed) with llama.cpp's own quantizer, `llama_cpp.llama_model_quantize`, from the
   SmolLM2 Q4_1 file (requantizing allowed; no F16/F32 SmolLM2 exists here). A file that
   already exists is kept (the cache `make kquant-models` relies on).
2. Writes Tests/LlamaTests/Fixtures/smollm2-kquants.json: for each file its tensor type
   counts, and for three prompts the last-position logits of
     * llama.cpp (llama-cpp-python 0.3.36, 2 threads, F32 KV cache): top-20 ids and
       values, values at 256 probe ids, and its relative L2 distance to the reference;
     * Tools/llama_reference.py (float64 numpy on weights dequantized by gguf-py):
       top-20 and probe logits, the tight check of HDRec's decoders and products.

Run from the package root:  .venv-tools/bin/python Tools/make_kquant_fixtures.py [--models-only]
Source: models/SmolLM2-135M-Instruct.Q4_1.gguf (`make models`) or ../shared/models.
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter

import numpy as np
import gguf

try:
    import llama_cpp  # type: ignore  # noqa: E402
except ImportError:
    sys.exit("needs llama-cpp-python 0.3.36 (compiles llama.cpp, minutes): python3 -m venv .venv-tools && "
             ".venv-tools/bin/pip install numpy gguf safetensors llama-cpp-python==0.3.36")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "LlamaTests", "Fixtures", "smollm2-kquants.json")
SOURCES = [os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"),
           os.path.join(ROOT, "..", "shared", "models", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")]
# llama.cpp `enum llama_ftype`.
VARIANTS = {"q4_k_m": (15, "Q4_K_M"), "q5_k_m": (17, "Q5_K_M"), "q6_k": (18, "Q6_K")}
PROMPTS = {
    "capital": [504, 3575, 282, 4649, 314],                       # "The capital of France is"
    "story": [1, 9690, 2114, 253, 655, 28, 665, 686, 253],         # arbitrary ids incl. BOS
    "numbers": [33, 28, 216, 34, 28, 216, 35, 28, 216],
}


def r6(a):
    return [round(float(v), 6) for v in a]


def model_path(suffix):
    return os.path.join(ROOT, "models", f"SmolLM2-135M-Instruct.{suffix}.gguf")


def build_models():
    src = next((p for p in SOURCES if os.path.exists(p)), None)
    if src is None:
        sys.exit("SmolLM2 Q4_1 not found in models/ or ../shared/models (run `make models`)")
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    for ftype, suffix in VARIANTS.values():
        out = model_path(suffix)
        if os.path.exists(out):
            continue
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = ftype
        params.allow_requantize = True
        params.nthread = 2
        rc = llama_cpp.llama_model_quantize(src.encode(), (out + ".tmp").encode(), params)
        assert rc == 0, rc
        os.replace(out + ".tmp", out)
        print("wrote", out)


def llama_cpp_last(path, tokens):
    llm = llama_cpp.Llama(model_path=path, n_ctx=512, n_threads=2, n_threads_batch=2, logits_all=True,
                          verbose=False, seed=0, type_k=0, type_v=0)
    llm.reset()
    llm.eval(tokens)
    out = np.array(llm.scores[len(tokens) - 1], dtype=np.float64)
    del llm
    return out


def goldens():
    sys.path.insert(0, os.path.dirname(__file__))
    import llama_reference as ref  # the float64 oracle (needs safetensors too)
    rng = np.random.default_rng(11)
    probes = sorted(set(rng.choice(49152, 256, replace=False).tolist()))
    out = {"probe_ids": probes, "variants": {}}
    for key, (_, suffix) in VARIANTS.items():
        path = model_path(suffix)
        types = Counter(gguf.GGMLQuantizationType(t.tensor_type).name.lower() for t in gguf.GGUFReader(path).tensors)
        m = ref.Model(path)
        cases = []
        for name, toks in PROMPTS.items():
            _, logits = ref.forward(m, toks)
            last = logits[-1]
            ll = llama_cpp_last(path, toks)
            top, ltop = np.argsort(-last)[:20], np.argsort(-ll)[:20]
            cases.append({"name": name, "tokens": toks,
                          "reference_top_ids": [int(i) for i in top], "reference_top_logits": r6(last[top]),
                          "reference_probe_logits": r6(last[probes]),
                          "llama_cpp_top_ids": [int(i) for i in ltop], "llama_cpp_top_logits": r6(ll[ltop]),
                          "llama_cpp_probe_logits": r6(ll[probes]),
                          "llama_cpp_vs_reference_rel_l2": float(np.linalg.norm(ll - last) / np.linalg.norm(last))})
            print(key, name, "llama.cpp top-1", int(ltop[0]), "reference top-1", int(top[0]),
                  "rel L2 %.4f" % cases[-1]["llama_cpp_vs_reference_rel_l2"])
        del m
        out["variants"][key] = {"file": os.path.basename(path), "tensor_types": dict(sorted(types.items())), "cases": cases}
    with open(FIX, "w") as f:
        json.dump(out, f)
    print("wrote", FIX, os.path.getsize(FIX), "bytes")


if __name__ == "__main__":
    build_models()
    if "--models-only" not in sys.argv:
        goldens()
