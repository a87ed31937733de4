"""Writes the golden fixtures of Tests/LlamaTests/Fixtures from two independent
implementations of the Llama forward pass:

  * Tools/llama_reference.py: numpy float64 on weights dequantized by gguf-py, Q/K in the
    Hugging Face row order with rotate_half RoPE, LoRA merged from PEFT tensors;
  * llama.cpp through llama-cpp-python (logits_all), when it is installed.

Outputs (all small):
  stories260K-lora-peft/            a random rank-2 PEFT adapter on all 7 targets (HF order)
  stories260K-lora.gguf             the same adapter as llama.cpp GGUF LoRA (lora_b of q/k permuted,
                                    as convert_lora_to_gguf.py does)
  stories260K-logits.json           float64 reference logits/hidden states (+ llama.cpp logits)
  smollm2-logits.json               SmolLM2 Q4_1 and Q8_0: top-k and probe logits, reference and llama.cpp
  stories260K-rope-scaling.json     llama.cpp logits of two stories260K variants written here in a
                                    temporary directory: one with a Llama-3 rope_freqs.weight tensor,
                                    one with llama.rope.scaling.type = linear (factor 4); the test
                                    rebuilds the same variants with the Swift GGUF writer

Run from the package root:  .venv-tools/bin/python Tools/make_decoder_fixtures.py
(--stories-only skips SmolLM2; --rope-scaling-only writes only stories260K-rope-scaling.json)
SmolLM2 parts need ../shared/models; the Q8_0 file is re-quantized with llama.cpp into models/.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import gguf
from safetensors.numpy import save_file

sys.path.insert(0, os.path.dirname(__file__))
import llama_reference as ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "LlamaTests", "Fixtures")
STORIES = os.path.join(ROOT, "..", "shared", "models", "stories260K", "stories260K.gguf")
SMOL = os.path.join(ROOT, "..", "shared", "models", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")
SMOL_Q8 = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q8_0.gguf")

try:
    import llama_cpp  # type: ignore
except ImportError:  # the fixtures are still written, without the llama.cpp columns
    llama_cpp = None


def r6(a):
    """Rounds to 7 significant digits for compact JSON (far below every tolerance)."""
    return [float(f"{x:.7g}") for x in np.asarray(a, dtype=np.float64).ravel()]


# MARK: - LoRA adapter fixtures

def make_lora(m: ref.Model, rank=2, alpha=4.0, seed=7):
    rng = np.random.default_rng(seed)
    tensors = {}
    for l in range(m.n_layers):
        for module, (parent, stem) in ref.PEFT_TARGETS.items():
            out_f, in_f = m.w[f"blk.{l}.{stem}.weight"].shape
            key = f"base_model.model.model.layers.{l}.{parent}.{module}"
            tensors[key + ".lora_A.weight"] = (rng.standard_normal((rank, in_f)) * 0.2).astype(np.float32)
            tensors[key + ".lora_B.weight"] = (rng.standard_normal((out_f, rank)) * 0.2).astype(np.float32)
    d = os.path.join(FIX, "stories260K-lora-peft")
    os.makedirs(d, exist_ok=True)
    save_file(tensors, os.path.join(d, "adapter_model.safetensors"), metadata={"format": "pt"})
    cfg = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "stories260K",
           "r": rank, "lora_alpha": alpha, "use_rslora": False, "bias": "none", "fan_in_fan_out": False,
           "target_modules": sorted(ref.PEFT_TARGETS.keys()), "lora_dropout": 0.0}
    with open(os.path.join(d, "adapter_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    # GGUF LoRA, as convert_lora_to_gguf.py writes it.
    w = gguf.GGUFWriter(os.path.join(FIX, "stories260K-lora.gguf"), "llama")
    w.add_string("general.type", "adapter")
    w.add_string("adapter.type", "lora")
    w.add_float32("adapter.lora.alpha", alpha)
    for key in sorted(tensors):
        if ".lora_A." not in key:
            continue
        a = tensors[key]
        b = tensors[key.replace(".lora_A.", ".lora_B.")]
        parts = key.split(".")
        layer = int(parts[4])
        module = parts[6]
        stem = ref.PEFT_TARGETS[module][1]
        if module == "q_proj":
            b = ref.permute(b, m.n_heads)
        elif module == "k_proj":
            b = ref.permute(b, m.n_kv_heads)
        name = f"blk.{layer}.{stem}.weight"
        w.add_tensor(name + ".lora_a", np.ascontiguousarray(a))
        w.add_tensor(name + ".lora_b", np.ascontiguousarray(b))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return ref.load_peft(d)


# MARK: - llama.cpp

def llama_cpp_logits(path, tokens, lora=None, n_threads=2):
    if llama_cpp is None:
        return None
    # F32 KV cache: llama.cpp's default F16 cache alone moves stories260K logits by ~1e-2.
    kw = dict(model_path=path, n_ctx=512, n_threads=n_threads, n_threads_batch=n_threads,
              logits_all=True, verbose=False, seed=0, type_k=0, type_v=0)
    if lora:
        kw["lora_path"] = lora
    llm = llama_cpp.Llama(**kw)
    llm.reset()
    llm.eval(tokens)
    out = np.array(llm.scores[: len(tokens)], dtype=np.float64)
    del llm
    return out


def llama_cpp_tokenize(path, text):
    if llama_cpp is None:
        return None
    llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    toks = llm.tokenize(text.encode(), add_bos=llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else True, special=False)
    del llm
    return toks


# MARK: - stories260K

def stories():
    m = ref.Model(STORIES)
    lora = make_lora(m)
    # Token ids of "Once upon a time" / "Lily liked" etc. as llama.cpp tokenizes them (BOS = 1 first);
    # fixed here so the fixture does not depend on a tokenizer.
    prompts = {
        "once": [1, 403, 407, 261, 378],
        "lily": [1, 317, 311, 267, 337, 335, 311, 432, 426],
        "bos": [1],
    }
    cases = []

    def add(name, items, tokens, all_positions, lora_scale=None, lora_gguf=None, extra=None):
        """Reference logits at every position (all_positions) or the last one; llama.cpp
        logits at the same positions when it is installed and the case has no embedding."""
        hidden, logits = ref.forward(m, items, lora=lora if lora_scale else None, lora_scale=lora_scale or 0)
        pos = list(range(len(items))) if all_positions else [len(items) - 1]
        case = {"name": name, "tokens": tokens, "logit_positions": pos,
                "logits": [r6(logits[p]) for p in pos], "hidden_last": r6(hidden[-1])}
        if lora_scale:
            case["lora_scale"] = lora_scale
        if extra:
            case.update(extra)
        if all(t >= 0 for t in tokens) and (lora_scale in (None, 1.0)):
            lc = llama_cpp_logits(STORIES, tokens, lora=lora_gguf if lora_scale else None)
            if lc is not None:
                case["llama_cpp_logits"] = [r6(lc[p]) for p in pos]
        cases.append(case)

    add("once", prompts["once"], prompts["once"], all_positions=False)
    add("lily", prompts["lily"], prompts["lily"], all_positions=True)
    add("bos", prompts["bos"], prompts["bos"], all_positions=False)
    add("lora-1.0", prompts["lily"], prompts["lily"], all_positions=True, lora_scale=1.0,
        lora_gguf=os.path.join(FIX, "stories260K-lora.gguf"))
    add("lora-0.5", prompts["lily"], prompts["lily"], all_positions=False, lora_scale=0.5)
    # A caller-supplied embedding at position 2.
    rng = np.random.default_rng(3)
    emb = m.w["token_embd.weight"]
    row = 0.5 * (emb[403] + emb[337]) + 0.05 * rng.standard_normal(m.dim)
    add("embedding", [1, 317, row, 267, 337], [1, 317, -1, 267, 337], all_positions=True,
        extra={"embedding_position": 2, "embedding": r6(row)})
    # Greedy continuation from BOS (the known text: "Once upon a time, there was a little
    # girl named Lily. She loved to play outside in the park. ...").
    greedy = [1]
    for _ in range(30):
        _, logits = ref.forward(m, greedy)
        greedy.append(int(np.argmax(logits[-1])))
    with open(os.path.join(FIX, "stories260K-logits.json"), "w") as f:
        json.dump({"model": "stories260K.gguf", "generator": "Tools/make_decoder_fixtures.py",
                   "greedy_from_bos": greedy[1:], "cases": cases}, f)


# MARK: - RoPE scaling (stories260K variants)

ROPE_FREQS = [1.0, 2.0, 4.0, 8.0]   # one factor per rotated pair: head_dim 8 -> 4 (Llama-3 style: 1 ... 8)
LINEAR_FACTOR = 4.0


def write_stories_variant(out, freqs=None, linear=None):
    """stories260K with the same metadata and tensors, plus a rope_freqs.weight tensor or
    the linear rope-scaling keys (what convert_hf_to_gguf.py writes for those configs)."""
    r = gguf.GGUFReader(STORIES)
    w = gguf.GGUFWriter(out, "llama")
    for key, field in r.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        vt = field.types[0]
        if vt == gguf.GGUFValueType.ARRAY:
            sub = field.types[-1]
            if sub == gguf.GGUFValueType.STRING:
                val = [bytes(field.parts[i]).decode() for i in field.data]
            else:
                val = [field.parts[i][0].item() for i in field.data]
            w.add_key_value(key, val, vt, sub_type=sub)
        elif vt == gguf.GGUFValueType.STRING:
            w.add_key_value(key, bytes(field.parts[field.data[0]]).decode(), vt)
        else:
            w.add_key_value(key, field.parts[field.data[0]][0].item(), vt)
    if linear:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(linear)
    for t in r.tensors:
        w.add_tensor(t.name, np.array(t.data).reshape([int(x) for x in reversed(t.shape)]))
    if freqs is not None:
        w.add_tensor("rope_freqs.weight", np.array(freqs, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def rope_scaling():
    if llama_cpp is None:
        print("llama-cpp-python not installed; stories260K-rope-scaling.json not written", file=sys.stderr)
        return
    import tempfile
    # BOS + the first 23 tokens of stories260K's greedy story: long enough for the
    # low-frequency pairs to rotate visibly.
    with open(os.path.join(FIX, "stories260K-logits.json")) as f:
        tokens = [1] + json.load(f)["greedy_from_bos"][:23]
    positions = [11, len(tokens) - 1]
    out = {"generator": "Tools/make_decoder_fixtures.py", "tokens": tokens, "logit_positions": positions,
           "rope_freqs": ROPE_FREQS, "linear_factor": LINEAR_FACTOR, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, kw in {"plain": {}, "rope_freqs": {"freqs": ROPE_FREQS}, "linear": {"linear": LINEAR_FACTOR}}.items():
            path = os.path.join(tmp, name + ".gguf")
            write_stories_variant(path, **kw)
            lc = llama_cpp_logits(path, tokens)
            out["cases"][name] = [r6(lc[p]) for p in positions]
    plain = np.array(out["cases"]["plain"])
    for name in ("rope_freqs", "linear"):
        print(f"rope scaling {name}: max |logit change| vs plain = {np.abs(np.array(out['cases'][name]) - plain).max():.3f}")
    with open(os.path.join(FIX, "stories260K-rope-scaling.json"), "w") as f:
        json.dump(out, f)


# MARK: - SmolLM2

def smollm2():
    if not os.path.exists(SMOL):
        print("SmolLM2 not found; skipping", file=sys.stderr)
        return
    if llama_cpp is not None and not os.path.exists(SMOL_Q8):
        os.makedirs(os.path.dirname(SMOL_Q8), exist_ok=True)
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
        params.allow_requantize = True
        rc = llama_cpp.llama_model_quantize(SMOL.encode(), SMOL_Q8.encode(), params)
        assert rc == 0, rc
    prompts = {
        "capital": [504, 3575, 282, 4649, 314],                       # "The capital of France is"
        "story": [1, 9690, 2114, 253, 655, 28, 665, 686, 253],         # arbitrary ids incl. BOS
        "numbers": [33, 28, 216, 34, 28, 216, 35, 28, 216],
    }
    rng = np.random.default_rng(11)
    probes = sorted(set(rng.choice(49152, 256, replace=False).tolist()))
    files = {"q4_1": SMOL, "q8_0": SMOL_Q8}
    out = {"probe_ids": probes, "variants": {}}
    # Exact greedy continuation of "The capital of France is" (llama.cpp's 8-bit activations
    # make it drift from this after a few tokens; see docs/peers.md).
    m = ref.Model(SMOL)
    greedy = list(prompts["capital"])
    for _ in range(8):
        _, logits = ref.forward(m, greedy)
        greedy.append(int(np.argmax(logits[-1])))
    out["reference_greedy_capital"] = greedy[len(prompts["capital"]):]
    del m
    for variant, path in files.items():
        if not os.path.exists(path):
            continue
        m = ref.Model(path)
        cases = []
        for name, toks in prompts.items():
            hidden, logits = ref.forward(m, toks)
            last = logits[-1]
            top = np.argsort(-last)[:20]
            case = {"name": name, "tokens": toks,
                    "reference_top_ids": [int(i) for i in top],
                    "reference_top_logits": r6(last[top]),
                    "reference_probe_logits": r6(last[probes]),
                    "reference_norm": float(np.linalg.norm(last)),
                    "reference_hidden_last": r6(hidden[-1])}
            lc = llama_cpp_logits(path, toks)
            if lc is not None:
                ll = lc[-1]
                ltop = np.argsort(-ll)[:20]
                case["llama_cpp_top_ids"] = [int(i) for i in ltop]
                case["llama_cpp_top_logits"] = r6(ll[ltop])
                case["llama_cpp_probe_logits"] = r6(ll[probes])
                case["llama_cpp_vs_reference_rel_l2"] = float(np.linalg.norm(ll - last) / np.linalg.norm(last))
            cases.append(case)
        out["variants"][variant] = cases
        del m
    if os.path.exists(SMOL_Q8):
        # Checksums of llama.cpp's re-quantized tensors: the Swift test re-quantizes in
        # memory and must produce the same bytes (sum of byte * (i % 251 + 1), mod 2^64).
        r = gguf.GGUFReader(SMOL_Q8)
        sums = {}
        for t in r.tensors:
            if t.name in ("blk.0.attn_q.weight", "blk.15.ffn_down.weight", "blk.29.ffn_up.weight", "token_embd.weight"):
                b = np.asarray(t.data).view(np.uint8).ravel().astype(np.uint64)
                w = (np.arange(b.size, dtype=np.uint64) % np.uint64(251)) + np.uint64(1)
                sums[t.name] = int(np.sum(b * w, dtype=np.uint64))
        out["q8_0_checksums"] = sums
    with open(os.path.join(FIX, "smollm2-logits.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    os.makedirs(FIX, exist_ok=True)
    if "--rope-scaling-only" in sys.argv:
        rope_scaling()
        sys.exit(0)
    stories()
    rope_scaling()
    if "--stories-only" not in sys.argv:
        smollm2()
