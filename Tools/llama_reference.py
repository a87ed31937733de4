"""Exact (float64, numpy) Llama forward pass over a GGUF file: the test oracle for
Sources/Llama.

Independent of the Swift code by construction:
  * weights are read and dequantized by the `gguf` Python package (gguf-py), not by us;
  * Q and K are un-permuted back to the Hugging Face row order and RoPE is applied the
    Hugging Face way (`rotate_half`, pairs (i, i + D/2)), whereas the Swift decoder keeps
    the GGUF order and rotates adjacent pairs (llama.cpp's LLAMA_ROPE_TYPE_NORM). The two
    agree only if the permutation convert_hf_to_gguf.py applies is understood correctly;
  * LoRA adapters are read as PEFT directories (Hugging Face row order, no permutation)
    and merged in float64: W' = W + scale * B @ A.

Usage as a library (see make_decoder_fixtures.py), or:
    python Tools/llama_reference.py MODEL.gguf 1 2 3 ...   # prints last-position top-5
"""
from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import gguf
from gguf import quants
from safetensors.numpy import load_file


def _field(reader: gguf.GGUFReader, key: str, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    return f.contents()


class Model:
    """Dequantized float64 weights in Hugging Face layout plus the config."""

    def __init__(self, path: str):
        r = gguf.GGUFReader(path)
        arch = _field(r, "general.architecture")
        assert arch == "llama", arch
        p = "llama."
        self.n_layers = int(_field(r, p + "block_count"))
        self.dim = int(_field(r, p + "embedding_length"))
        self.ffn = int(_field(r, p + "feed_forward_length"))
        self.n_heads = int(_field(r, p + "attention.head_count"))
        self.n_kv_heads = int(_field(r, p + "attention.head_count_kv", self.n_heads))
        self.eps = float(_field(r, p + "attention.layer_norm_rms_epsilon"))
        self.rope_base = float(_field(r, p + "rope.freq_base", 10000.0))
        self.head_dim = self.dim // self.n_heads
        n_rot = int(_field(r, p + "rope.dimension_count", self.head_dim))
        assert n_rot == self.head_dim, "partial rotary not covered by this reference"
        self.w = {}
        for t in r.tensors:
            a = quants.dequantize(t.data, t.tensor_type).astype(np.float64)
            # gguf-py returns numpy order: reversed ggml ne, so [out, in] for matrices.
            self.w[t.name] = a.reshape([int(x) for x in reversed(t.shape)])
        for l in range(self.n_layers):
            q = f"blk.{l}.attn_q.weight"
            k = f"blk.{l}.attn_k.weight"
            self.w[q] = unpermute(self.w[q], self.n_heads)
            self.w[k] = unpermute(self.w[k], self.n_kv_heads)
        self.vocab = self.w["token_embd.weight"].shape[0]

    def output_matrix(self):
        return self.w.get("output.weight", self.w["token_embd.weight"])


def permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """convert_hf_to_gguf.py LlamaModel.permute: HF rows -> GGUF rows (per head,
    row 2i+h of the GGUF head is row h*D/2+i of the HF head)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of `permute`: GGUF rows -> HF rows."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


PEFT_TARGETS = {
    "q_proj": ("self_attn", "attn_q"), "k_proj": ("self_attn", "attn_k"),
    "v_proj": ("self_attn", "attn_v"), "o_proj": ("self_attn", "attn_output"),
    "gate_proj": ("mlp", "ffn_gate"), "up_proj": ("mlp", "ffn_up"), "down_proj": ("mlp", "ffn_down"),
}


def load_peft(directory: str):
    """PEFT adapter as {gguf base tensor name: (A [r,in], B [out,r], scale)} in HF row order."""
    cfg = json.load(open(os.path.join(directory, "adapter_config.json")))
    tensors = load_file(os.path.join(directory, "adapter_model.safetensors"))
    r, alpha = cfg["r"], cfg["lora_alpha"]
    scale = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
    out = {}
    for key, a in tensors.items():
        if ".lora_A." not in key:
            continue
        b = tensors[key.replace(".lora_A.", ".lora_B.")]
        parts = key.split(".")
        layer = int(parts[parts.index("layers") + 1])
        module = parts[parts.index("lora_A") - 1]
        out[f"blk.{layer}.{PEFT_TARGETS[module][1]}.weight"] = (
            a.astype(np.float64), b.astype(np.float64), scale)
    return out


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_hf(x, positions, base):
    """x: [T, H, D] in HF layout; rotate_half pairs (i, i + D/2)."""
    d = x.shape[-1]
    inv = base ** (-np.arange(0, d, 2, dtype=np.float64) / d)          # [D/2]
    ang = positions[:, None].astype(np.float64) * inv[None, :]          # [T, D/2]
    cos = np.concatenate([np.cos(ang), np.cos(ang)], axis=-1)[:, None, :]
    sin = np.concatenate([np.sin(ang), np.sin(ang)], axis=-1)[:, None, :]
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    rot = np.concatenate([-x2, x1], axis=-1)
    return x * cos + rot * sin


def forward(m: Model, items, lora=None, lora_scale=1.0, layers=None, norms=None):
    """items: list of int token ids or 1-D float arrays (embedding rows).
    layers: run only the first `layers` blocks (then output_norm), default all.
    norms: {gguf norm tensor name: vector} replacing those RMSNorm weights.
    Returns (hidden [T, C] after the final norm, logits [T, V]), float64."""
    norm_w = dict(m.w)
    norm_w.update({k: np.asarray(v, np.float64) for k, v in (norms or {}).items()})
    emb = m.w["token_embd.weight"]
    x = np.stack([emb[i] if isinstance(i, (int, np.integer)) else np.asarray(i, np.float64)
                  for i in items])
    T = x.shape[0]
    pos = np.arange(T)
    H, Hkv, D = m.n_heads, m.n_kv_heads, m.head_dim

    def W(name):
        w = m.w[name]
        if lora and name in lora:
            a, b, s = lora[name]
            w = w + lora_scale * s * (b @ a)
        return w

    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(m.n_layers if layers is None else layers):
        h = rmsnorm(x, norm_w[f"blk.{l}.attn_norm.weight"], m.eps)
        q = (h @ W(f"blk.{l}.attn_q.weight").T).reshape(T, H, D)
        k = (h @ W(f"blk.{l}.attn_k.weight").T).reshape(T, Hkv, D)
        v = (h @ W(f"blk.{l}.attn_v.weight").T).reshape(T, Hkv, D)
        q, k = rope_hf(q, pos, m.rope_base), rope_hf(k, pos, m.rope_base)
        att = np.empty((T, H, D))
        for hh in range(H):
            kv = hh // (H // Hkv)
            s = q[:, hh, :] @ k[:, kv, :].T / math.sqrt(D) + mask
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            att[:, hh, :] = s @ v[:, kv, :]
        x = x + att.reshape(T, H * D) @ W(f"blk.{l}.attn_output.weight").T
        h = rmsnorm(x, norm_w[f"blk.{l}.ffn_norm.weight"], m.eps)
        g = h @ W(f"blk.{l}.ffn_gate.weight").T
        u = h @ W(f"blk.{l}.ffn_up.weight").T
        x = x + ((g / (1 + np.exp(-g))) * u) @ W(f"blk.{l}.ffn_down.weight").T
    hidden = rmsnorm(x, norm_w["output_norm.weight"], m.eps)
    return hidden, hidden @ m.output_matrix().T


if __name__ == "__main__":
    model = Model(sys.argv[1])
    toks = [int(t) for t in sys.argv[2:]]
    _, logits = forward(model, toks)
    top = np.argsort(-logits[-1])[:5]
    print([(int(i), float(logits[-1, i])) for i in top])
