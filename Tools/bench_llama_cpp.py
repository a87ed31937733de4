"""Peer benchmark: llama.cpp (llama-cpp-python) prefill tokens/s on a GGUF, measured the
way docs/peers.md describes: n_threads = n_threads_batch = T,
n_batch = n_ubatch = 512, Llama.eval over seeded random token ids, best of 3, logits
for the last position only. Prints one JSON object per prompt length.

    .venv-tools/bin/python Tools/bench_llama_cpp.py MODEL.gguf --threads 2 --tokens 64 128 512
"""
import argparse
import json
import time

import numpy as np
import llama_cpp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tokens", type=int, nargs="+", default=[64, 128, 512])
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    llm = llama_cpp.Llama(model_path=a.model, n_ctx=max(a.tokens) + 16, n_batch=512, n_ubatch=512,
                          n_threads=a.threads, n_threads_batch=a.threads, logits_all=False, verbose=False)
    vocab = llm.n_vocab()
    rng = np.random.default_rng(0)
    llm.reset(); llm.eval(rng.integers(0, vocab, 8).tolist())  # warm-up
    for n in a.tokens:
        toks = rng.integers(0, vocab, n).tolist()
        best = float("inf")
        for _ in range(a.repeats):
            llm.reset()
            llm._ctx.kv_cache_clear() if hasattr(llm._ctx, "kv_cache_clear") else None
            t0 = time.perf_counter()
            llm.eval(toks)
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"peer": "llama.cpp", "version": llama_cpp.__version__, "prompt_tokens": n,
                          "threads": a.threads, "prefill_tokens_per_s": round(n / best, 2),
                          "prefill_seconds": round(best, 5)}))


if __name__ == "__main__":
    main()
