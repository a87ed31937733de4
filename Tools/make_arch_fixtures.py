"""Random Llama 3 and Qwen2 GGUF files on the real vocabularies, and llama.cpp's logits on them.

Real Llama 3 or Qwen2 weights cannot be fetched here, so this writes small random decoders
of each architecture (2 layers, width 64, FFN 128, 4 query heads sharing 2 KV heads, F32)
around llama.cpp's own vocabulary files (`make vocab-models` puts them in models/vocab/):

  llama3  general.architecture llama, the llama-bpe vocabulary (128 256 tokens), a
          `rope_freqs.weight` (Llama 3 rope scaling), no `output.weight` (tied LM head)
  qwen2   general.architecture qwen2, the qwen2 vocabulary (151 936 tokens), q/k/v biases,
          an untied `output.weight`; llama.cpp runs it with NEOX rope

Those vocabularies may not be committed (Tools/fetch_vocab_models.sh), and so neither may
these files. What is committed is Tests/LlamaTests/Fixtures/arch-random.json: the recipe
(metadata, and per tensor its name, shape and the SplitMix64 seed, offset and scale of its
values) from which Tests/LlamaTests/ArchitectureTests.swift rebuilds the same file,
bit for bit, over the fetched vocabulary with the Swift GGUFWriter; the float64 sum of each
tensor (a check that both sides made the same values); and for three prompts (tokenized by
llama.cpp) llama.cpp's logits at 128 probe ids for every position and its last-position
top-20. Two controls show the tests can tell the features apart: llama.cpp's logits for the
Llama 3 file without `rope_freqs.weight`, and for the Qwen2 file relabelled `llama`
(NORM rope: adjacent pairs), which must both be far from ours.

It also writes Tests/TokenizerTests/Fixtures/goldens/vocab-titles.json: llama.cpp's ids
(add_special and parse_special off) for 200 item titles of datasets/amazon-scientific, in
the prompt form "title: ..., brand: ...", on both vocabularies (ids only, no vocabulary).

Value of element i of a tensor: SplitMix64 seeded with FNV-1a-64(name), u = (next() >> 40)
/ 2^24, value = float32(offset + scale * (2u - 1)) computed in float64.

Run from the package root:  .venv-tools/bin/python Tools/make_arch_fixtures.py
Needs numpy, gguf and llama-cpp-python 0.3.36 (.venv-tools; Tools/README.md); about two minutes.
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile

import numpy as np
import gguf

try:
    import llama_cpp  # type: ignore
except ImportError:
    sys.exit("needs llama-cpp-python 0.3.36: .venv-tools/bin/pip install numpy gguf llama-cpp-python==0.3.36")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCAB = os.path.join(ROOT, "models", "vocab")
OUT = os.path.join(ROOT, "Tests", "LlamaTests", "Fixtures", "arch-random.json")
TITLES_OUT = os.path.join(ROOT, "Tests", "TokenizerTests", "Fixtures", "goldens", "vocab-titles.json")

LAYERS, WIDTH, FFN, HEADS, KV_HEADS = 2, 64, 128, 4, 2
HEAD_DIM = WIDTH // HEADS
ROPE_BASE = 10_000.0   # not Llama 3's 500 000: with D = 16 and a few positions that would barely turn
EPS = 1e-5
CONTEXT = 256

PROMPTS = [
    "The capital of France is",
    "title: Fluke 87-V Digital Multimeter, brand: Fluke",
    "In 2024, 1234567 items\nshipped:  fast!",
]


def fnv1a64(name: str) -> int:
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def splitmix_values(seed: int, count: int, offset: float, scale: float) -> np.ndarray:
    """Element i uses the (i+1)-th output of SplitMix64(seed), vectorized (uint64 wraps)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    return (offset + scale * (2.0 * u - 1.0)).astype(np.float32)


def recipe(arch: str, vocab_size: int) -> dict:
    """Metadata and tensors of one random model. Shapes are numpy [rows, cols] (ggml ne reversed)."""
    md = [
        ["general.architecture", "str", "llama" if arch == "llama3" else "qwen2"],
    ]
    p = md[0][2] + "."
    md += [
        [p + "block_count", "u32", LAYERS],
        [p + "context_length", "u32", CONTEXT],
        [p + "embedding_length", "u32", WIDTH],
        [p + "feed_forward_length", "u32", FFN],
        [p + "attention.head_count", "u32", HEADS],
        [p + "attention.head_count_kv", "u32", KV_HEADS],
        [p + "rope.freq_base", "f32", ROPE_BASE],
        [p + "attention.layer_norm_rms_epsilon", "f32", EPS],
    ]
    if arch == "llama3":
        md += [[p + "rope.dimension_count", "u32", HEAD_DIM], [p + "vocab_size", "u32", vocab_size]]
    t = [["token_embd.weight", [vocab_size, WIDTH], 0.0, 1.0]]
    if arch == "qwen2":
        t.append(["output.weight", [vocab_size, WIDTH], 0.0, 0.25])
    t.append(["output_norm.weight", [WIDTH], 1.0, 0.25])
    if arch == "llama3":
        t.append(["rope_freqs.weight", [HEAD_DIM // 2], 4.5, 3.5])   # factors in [1, 8]
    kv = KV_HEADS * HEAD_DIM
    for l in range(LAYERS):
        b = f"blk.{l}."
        t += [[b + "attn_norm.weight", [WIDTH], 1.0, 0.25],
              [b + "attn_q.weight", [WIDTH, WIDTH], 0.0, 0.25],
              [b + "attn_k.weight", [kv, WIDTH], 0.0, 0.25],
              [b + "attn_v.weight", [kv, WIDTH], 0.0, 0.25]]
        if arch == "qwen2":
            t += [[b + "attn_q.bias", [WIDTH], 0.0, 0.5],
                  [b + "attn_k.bias", [kv], 0.0, 0.5],
                  [b + "attn_v.bias", [kv], 0.0, 0.5]]
        t += [[b + "attn_output.weight", [WIDTH, WIDTH], 0.0, 0.25],
              [b + "ffn_norm.weight", [WIDTH], 1.0, 0.25],
              [b + "ffn_gate.weight", [FFN, WIDTH], 0.0, 0.25],
              [b + "ffn_up.weight", [FFN, WIDTH], 0.0, 0.25],
              [b + "ffn_down.weight", [WIDTH, FFN], 0.0, 0.125]]
    tensors = [{"name": n, "shape": s, "seed": str(fnv1a64(n)), "offset": o, "scale": sc} for n, s, o, sc in t]
    return {"metadata": md, "tensors": tensors}


def tensor_values(spec: dict) -> np.ndarray:
    count = int(np.prod(spec["shape"]))
    return splitmix_values(int(spec["seed"]), count, spec["offset"], spec["scale"]).reshape(spec["shape"])


def write_gguf(path: str, vocab_path: str, rec: dict, drop=(), arch_override=None):
    reader = gguf.GGUFReader(vocab_path)
    md = rec["metadata"]
    arch = arch_override or md[0][2]
    w = gguf.GGUFWriter(path, arch)   # writes general.architecture
    for key, kind, value in md[1:]:
        if arch_override:
            key = arch_override + "." + key.split(".", 1)[1]
        {"u32": w.add_uint32, "f32": w.add_float32, "str": w.add_string}[kind](key, value)
    for name, field in reader.fields.items():
        if not name.startswith("tokenizer."):
            continue
        sub = field.types[1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        w.add_key_value(name, field.contents(), field.types[0], sub_type=sub)
    for spec in rec["tensors"]:
        if spec["name"] not in drop:
            w.add_tensor(spec["name"], tensor_values(spec))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def llama_cpp_logits(path: str, tokens: list[int]) -> np.ndarray:
    llm = llama_cpp.Llama(model_path=path, n_ctx=CONTEXT, n_threads=2, n_threads_batch=2, logits_all=True,
                          verbose=False, seed=0, type_k=0, type_v=0)
    llm.reset()
    llm.eval(tokens)
    out = np.array(llm.scores[: len(tokens)], dtype=np.float64)
    del llm
    return out


_VOCAB_ONLY: dict = {}


def tokenize(path: str, text: str, add_bos: bool) -> list[int]:
    """llama.cpp's ids; one vocab-only model per file (loading one per call took minutes)."""
    if path not in _VOCAB_ONLY:
        _VOCAB_ONLY[path] = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    ids = _VOCAB_ONLY[path].tokenize(text.encode(), add_bos=add_bos, special=False)
    return [int(i) for i in ids]


def r6(a):
    return [round(float(v), 6) for v in a]


def item_titles(count: int) -> list[str]:
    path = os.path.join(ROOT, "datasets", "amazon-scientific", "Scientific.item.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        items = json.load(f)
    keys = sorted(items, key=int)[:count]
    return [f"title: {items[k].get('title', '')}, brand: {items[k].get('brand', '')}" for k in keys]


def main():
    vocab = {"llama3": os.path.join(VOCAB, "ggml-vocab-llama-bpe.gguf"), "qwen2": os.path.join(VOCAB, "ggml-vocab-qwen2.gguf")}
    for p in vocab.values():
        if not os.path.exists(p):
            sys.exit(f"{p} not found: run `make vocab-models`")
    out = {"probe_count": 128, "models": {}}
    tmp = tempfile.mkdtemp(prefix="arch-fixtures-")
    for arch, vpath in vocab.items():
        n_vocab = len(gguf.GGUFReader(vpath).fields["tokenizer.ggml.tokens"].data)
        rec = recipe(arch, n_vocab)
        path = os.path.join(tmp, f"{arch}.gguf")
        write_gguf(path, vpath, rec)
        for spec in rec["tensors"]:
            spec["sum"] = float(tensor_values(spec).astype(np.float64).sum())
        rng = np.random.default_rng(16)
        probes = sorted(set(rng.choice(n_vocab, 128, replace=False).tolist()))
        # Control: the same file without the feature the architecture brings.
        control = os.path.join(tmp, f"{arch}-control.gguf")
        if arch == "llama3":
            write_gguf(control, vpath, rec, drop={"rope_freqs.weight"})
        else:
            write_gguf(control, vpath, rec, arch_override="llama")
        cases = []
        for text in PROMPTS:
            toks = tokenize(path, text, add_bos=(arch == "llama3"))
            logits = llama_cpp_logits(path, toks)
            ctrl = llama_cpp_logits(control, toks)
            top = np.argsort(-logits[-1])[:20]
            rel = float(np.linalg.norm(ctrl - logits) / np.linalg.norm(logits))
            cases.append({"text": text, "tokens": toks,
                          "llama_cpp_probe_logits": [r6(row[probes]) for row in logits],
                          "llama_cpp_top_ids": [int(i) for i in top], "llama_cpp_top_logits": r6(logits[-1][top]),
                          "control_probe_logits": [r6(row[probes]) for row in ctrl],
                          "control_vs_llama_cpp_rel_l2": rel})
            print(arch, repr(text), len(toks), "tokens; top-1", int(top[0]), "control rel L2 %.3f" % rel)
        out["models"][arch] = {"vocabulary": os.path.basename(vpath), "probe_ids": probes,
                               "control": "no rope_freqs.weight" if arch == "llama3" else "relabelled llama (NORM rope)",
                               **rec, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")

    titles = item_titles(200)
    gold = {"titles_source": "datasets/amazon-scientific/Scientific.item.json.gz (Ni, Li and McAuley, EMNLP 2019)",
            "tokenize": "llama.cpp llama_tokenize, add_special=false, parse_special=false",
            "titles": titles, "ids": {}}
    for name, vpath in [("llama-bpe", vocab["llama3"]), ("qwen2", vocab["qwen2"])]:
        gold["ids"][name] = [tokenize(vpath, t, add_bos=False) for t in titles]
    with open(TITLES_OUT, "w") as f:
        json.dump(gold, f, ensure_ascii=False)
    print("wrote", TITLES_OUT, os.path.getsize(TITLES_OUT), "bytes")


if __name__ == "__main__":
    main()
