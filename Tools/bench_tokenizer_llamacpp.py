#!/usr/bin/env python3
"""Peer figure for BENCHMARKS.md "Tokenizer": llama.cpp's tokenizer (through
llama-cpp-python's ctypes binding) over the same inputs as
`hdrec tokenize --file F --lines --time`, one `llama_tokenize` call per line.

Usage: .venv-tools/bin/python Tools/bench_tokenizer_llamacpp.py MODEL.gguf LINES.txt
Prints tokens, seconds and tokens/s (best of 3 passes; includes the ctypes call overhead).
"""
import sys
import time

import llama_cpp


def main():
    model_path, lines_path = sys.argv[1], sys.argv[2]
    with open(lines_path, "rb") as f:
        lines = f.read().split(b"\n")
    llama_cpp.llama_backend_init()
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(model_path.encode(), params)
    vocab = llama_cpp.llama_model_get_vocab(model)
    cap = max(len(l) for l in lines) * 2 + 16
    buf = (llama_cpp.llama_token * cap)()
    best = None
    for _ in range(3):
        start = time.perf_counter()
        tokens = 0
        for line in lines:
            tokens += llama_cpp.llama_tokenize(vocab, line, len(line), buf, cap, False, False)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(f"{len(lines)} inputs, {tokens} tokens in {best:.3f} s: {tokens / best:.0f} tokens/s")
    llama_cpp.llama_model_free(model)


if __name__ == "__main__":
    main()
