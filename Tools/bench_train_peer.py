#!/usr/bin/env python3
"""The PyTorch + PEFT peer of `hdrec bench-train`: one LoRA training step on SmolLM2-135M.

Measures exactly the setup of docs/peers.md ("PyTorch + PEFT: one LoRA training
step on SmolLM2-135M"): torch on CPU with set_num_threads(threads); transformers loading the
SmolLM2 GGUF dequantized to fp32; the first L decoder layers; PEFT LoRA r 8, alpha 32, dropout
0.05 on q, k, v, o, up, down; the final-norm hidden states at S positions per sequence through
an IPL (576 -> 512 -> SiLU -> items, no bias on the second layer); cross-entropy (mean);
forward + backward + AdamW (+ zero_grad); B random-token sequences of T tokens; the mean of
`steps` timed steps after `warmup` untimed ones. Tokens per step = B * T, as the peer counts.

Prints one JSON object with the same keys as `hdrec bench-train --json`.
Needs torch, transformers, peft and gguf (Tools/README.md: a separate venv, .venv-torch).

    python Tools/bench_train_peer.py --base MODEL.gguf [--layers 8] [--threads 2]
"""
import argparse
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="SmolLM2 GGUF file")
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--sequences", type=int, default=10)
    ap.add_argument("--length", type=int, default=160)
    ap.add_argument("--positions", type=int, default=8)
    ap.add_argument("--items", type=int, default=4344)
    ap.add_argument("--ipl-hidden", type=int, default=512)
    ap.add_argument("--lora-dropout", type=float, default=0.05)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import transformers
    import peft
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    t_load = time.perf_counter()
    directory, name = os.path.split(os.path.abspath(args.base))
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, torch_dtype=torch.float32)
    if not 1 <= args.layers <= len(model.model.layers):
        sys.exit(f"--layers must be in 1...{len(model.model.layers)}, found {args.layers}")
    model.model.layers = model.model.layers[: args.layers]
    model.config.num_hidden_layers = args.layers
    lora = LoraConfig(r=8, lora_alpha=32, lora_dropout=args.lora_dropout, bias="none",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"])
    peft_model = get_peft_model(model, lora)
    peft_model.train()
    load_seconds = time.perf_counter() - t_load

    width = model.config.hidden_size
    ipl = nn.Sequential(nn.Linear(width, args.ipl_hidden), nn.SiLU(), nn.Linear(args.ipl_hidden, args.items, bias=False))
    ipl.train()
    params = [p for p in peft_model.parameters() if p.requires_grad] + list(ipl.parameters())
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)

    # The decoder without the LM head: PEFT injected the adapters in place, so the inner
    # LlamaModel runs them; its last_hidden_state is after the final RMSNorm.
    decoder = peft_model.base_model.model.model
    ids = torch.randint(0, model.config.vocab_size, (args.sequences, args.length))
    positions = torch.tensor([(i + 1) * args.length // args.positions - 1 for i in range(args.positions)])
    targets = torch.randint(0, args.items, (args.sequences * args.positions,))

    steps, fw, ls, bw, opt, cpu = [], 0.0, 0.0, 0.0, 0.0, 0.0
    last_loss = float("nan")
    for step in range(args.warmup + args.steps):
        c0, t0 = time.process_time(), time.perf_counter()
        hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state
        logits = ipl(hidden[:, positions, :].reshape(-1, width))
        t1 = time.perf_counter()
        loss = F.cross_entropy(logits, targets)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t4, c1 = time.perf_counter(), time.process_time()
        last_loss = loss.item()
        if step >= args.warmup:
            steps.append(t4 - t0)
            fw += t1 - t0; ls += t2 - t1; bw += t3 - t2; opt += t4 - t3; cpu += c1 - c0
    k = float(args.steps)
    mean = sum(steps) / k
    tokens = args.sequences * args.length
    print(json.dumps({
        "impl": "torch+peft", "torch": torch.__version__, "transformers": transformers.__version__,
        "peft": peft.__version__, "layers": args.layers, "sequences": args.sequences, "length": args.length,
        "positions": args.positions, "items": args.items, "ipl_hidden": args.ipl_hidden,
        "lora_dropout": args.lora_dropout, "threads": args.threads, "steps": args.steps, "warmup": args.warmup,
        "tokens_per_step": tokens, "step_seconds": steps, "seconds_per_step": mean,
        "tokens_per_second": tokens / mean, "forward_seconds": fw / k, "loss_seconds": ls / k,
        "backward_seconds": bw / k, "optimizer_seconds": opt / k, "cpu_seconds_per_step": cpu / k,
        "last_loss": last_loss, "load_seconds": load_seconds,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
