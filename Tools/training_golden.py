"""Golden vectors for the Training ops (Tests/TrainingTests/Fixtures/training-golden.json).

Independent float64 numpy references for what the Swift gradient checks cannot prove (they prove
backward against forward, not forward against the model):

1. `block`: one Llama decoder layer with LoRA (no dropout), written the Hugging Face way:
   rotate-half RoPE on HF-layout q/k weights. The Swift block receives the same weights after the
   GGUF converter's q/k row permutation (convert_hf_to_gguf.py LlamaModel.permute), applied to the
   base weights and to LoRA B of q and k, and uses llama.cpp's adjacent-pair ("NORM") RoPE. Equal
   outputs confirm that the two conventions agree and that the Swift block is Llama's layer.
2. `optim`: AdamW (torch.optim.AdamW's update rule) under a cosine-with-warm-up schedule (HF
   get_cosine_schedule_with_warmup) with global-norm clipping (clip_grad_norm_), for a few steps
   and two tensors, one without weight decay.

Rerun: .venv-tools/bin/python Tools/training_golden.py
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(20261129)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TrainingTests", "Fixtures", "training-golden.json")


def rmsnorm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def silu(x):
    return x / (1 + np.exp(-x))


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], -1)


def permute(w, n_head):
    # convert_hf_to_gguf.py LlamaModel.permute: HF rotate-half rows -> adjacent-pair rows
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def block_case():
    C, F, H, Hkv, D, R, alpha, eps, base = 8, 12, 4, 2, 2, 2, 8.0, 1e-5, 10000.0
    lengths, T = [4, 2], 4
    s = alpha / R
    u = lambda *shape, lo=-0.5, hi=0.5: rng.uniform(lo, hi, size=shape)
    W = {"q": u(H * D, C), "k": u(Hkv * D, C), "v": u(Hkv * D, C), "o": u(C, H * D),
         "gate": u(F, C), "up": u(F, C), "down": u(C, F)}
    A = {t: u(R, W[t].shape[1]) for t in W}
    B = {t: u(W[t].shape[0], R) for t in W}
    attn_norm, ffn_norm = u(C, lo=0.7, hi=1.3), u(C, lo=0.7, hi=1.3)
    x = u(len(lengths) * T, C, lo=-1, hi=1)

    def proj(t, inp):
        return inp @ W[t].T + s * (inp @ A[t].T) @ B[t].T

    out = np.zeros_like(x)
    for b, L in enumerate(lengths):
        rows = slice(b * T + T - L, b * T + T)  # left padding
        h = x[rows]
        xn = rmsnorm(h, attn_norm, eps)
        q = proj("q", xn).reshape(L, H, D)
        k = proj("k", xn).reshape(L, Hkv, D)
        v = proj("v", xn).reshape(L, Hkv, D)
        inv = base ** (-np.arange(0, D, 2) / D)
        ang = np.arange(L)[:, None] * inv[None, :]
        cos = np.concatenate([np.cos(ang)] * 2, -1)[:, None, :]
        sin = np.concatenate([np.sin(ang)] * 2, -1)[:, None, :]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        o = np.zeros((L, H, D))
        for hh in range(H):
            g = hh // (H // Hkv)
            sc = q[:, hh] @ k[:, g].T / math.sqrt(D)
            sc = np.where(np.tril(np.ones((L, L))) > 0, sc, -np.inf)
            p = np.exp(sc - sc.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            o[:, hh] = p @ v[:, g]
        mid = h + proj("o", o.reshape(L, H * D))
        xn2 = rmsnorm(mid, ffn_norm, eps)
        out[rows] = mid + proj("down", silu(proj("gate", xn2)) * proj("up", xn2))
    # GGUF layout for the Swift side
    Wg = dict(W)
    Wg["q"], Wg["k"] = permute(W["q"], H), permute(W["k"], Hkv)
    Bg = dict(B)
    Bg["q"], Bg["k"] = permute(B["q"], H), permute(B["k"], Hkv)
    flat = lambda a: [float(v) for v in np.asarray(a).reshape(-1)]
    return {
        "dim": C, "ffn": F, "heads": H, "kvHeads": Hkv, "headDim": D, "rank": R, "alpha": alpha,
        "eps": eps, "ropeBase": base, "lengths": lengths, "paddedLength": T,
        "attnNorm": flat(attn_norm), "ffnNorm": flat(ffn_norm), "x": flat(x),
        "weights": {t: flat(Wg[t]) for t in W}, "loraA": {t: flat(A[t]) for t in W},
        "loraB": {t: flat(Bg[t]) for t in W},
        "validRows": [b * T + t for b, L in enumerate(lengths) for t in range(T - L, T)],
        "out": flat(out),
    }


def optim_case():
    lr, warmup, total, wd, b1, b2, eps, max_norm = 1e-2, 2, 6, 0.1, 0.9, 0.999, 1e-8, 1.0
    p = [rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 3)]
    decay = [True, False]
    init = [a.copy() for a in p]
    m = [np.zeros_like(a) for a in p]
    v = [np.zeros_like(a) for a in p]
    grads, lrs, norms = [], [], []
    for step in range(total):
        g = [rng.uniform(-1.5, 1.5, a.shape) for a in p]
        grads.append([list(map(float, a)) for a in g])
        norm = math.sqrt(sum(float((a * a).sum()) for a in g))
        norms.append(norm)
        coef = max_norm / (norm + 1e-6)
        if coef < 1:
            g = [a * coef for a in g]
        rate = lr * step / warmup if step < warmup else lr * max(0.0, 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))))
        lrs.append(rate)
        t = step + 1
        for i in range(2):
            if decay[i]:
                p[i] = p[i] * (1 - rate * wd)
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            denom = np.sqrt(v[i]) / math.sqrt(1 - b2 ** t) + eps
            p[i] = p[i] - rate / (1 - b1 ** t) * m[i] / denom
    return {
        "lr": lr, "warmup": warmup, "total": total, "weightDecay": wd, "beta1": b1, "beta2": b2, "eps": eps,
        "maxNorm": max_norm, "decay": decay, "init": [list(map(float, a)) for a in init],
        "grads": grads, "learningRates": lrs, "norms": norms, "final": [list(map(float, a)) for a in p],
    }


with open(OUT, "w") as f:
    json.dump({"block": block_case(), "optim": optim_case()}, f, indent=1)
print("wrote", os.path.normpath(OUT))
