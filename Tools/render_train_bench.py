#!/usr/bin/env python3
"""Renders Tools/bench_train.sh's records as the "Trainer" section of BENCHMARKS.md.

    render_train_bench.py BENCHMARKS.md COMMAND train.jsonl [--run RUN_DIR]... [--print]

Each line of train.jsonl: {"layers", "load_before", "load_between", "load_after", "ours": hdrec
bench-train --json, "peer": Tools/bench_train_peer.py's JSON or null}. --run quotes a training
run's history.json (tokensPerSecond, secondsPerEpoch) and run.json. Replaces only the "## Trainer"
section (inserted before "## HDRec inference" the first time). Standard library only.
"""
import argparse
import datetime
import json
import os

from bench_machine import cpu_name, replace_section
import subprocess




def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def run_lines(path):
    """One bullet for a training run directory, from its history.json and run.json."""
    try:
        with open(os.path.join(path, "history.json")) as f:
            h = json.load(f)
    except (OSError, ValueError):
        return [f"- `{path}`: no history.json yet."]
    spec = {}
    try:
        with open(os.path.join(path, "run.json")) as f:
            spec = json.load(f)
    except (OSError, ValueError):
        pass
    net, opt = spec.get("network", {}), spec.get("options", {})
    epochs = h.get("secondsPerEpoch") or []
    bits = [f"{h.get('completedEpochs', len(epochs))} epoch(s) done"]
    if net.get("layers"):
        bits.append(f"{net['layers']} layers")
    if opt.get("batchSize"):
        bits.append(f"batch {opt['batchSize']}")
    if opt.get("ablation"):
        bits.append(f"ablation {opt['ablation']}")
    if spec.get("maxUsers"):
        bits.append(f"{spec['maxUsers']} users")
    tps = h.get("tokensPerSecond")
    epoch_text = ", ".join(f"{s / 60:.1f} min" for s in epochs) if epochs else "–"
    return [f"- `{path}` ({'; '.join(bits)}): **{fmt(tps, 0)} tokens/s** (history.json `tokensPerSecond`), "
            f"epoch time {epoch_text} (`secondsPerEpoch`)."]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("markdown")
    ap.add_argument("command")
    ap.add_argument("records")
    ap.add_argument("--run", action="append", default=[])
    ap.add_argument("--print", action="store_true", help="print the section instead of writing it")
    args = ap.parse_args()
    with open(args.records) as f:
        records = [json.loads(line) for line in f if line.strip()]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    peer_versions = next((r["peer"] for r in records if r.get("peer")), None)
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")

    lines = ["## Trainer", "",
             f"`{args.command}` on {when} (commit {commit}); machine: {cpu_name()}, {os.cpu_count()} cores, "
             "shared with other jobs (load averages below, taken before, between and after each pair).", "",
             "One training step of the text branch at the PyTorch + PEFT peer's shapes "
             "(`docs/peers.md`): the first L layers of SmolLM2-135M (dequantized to f32), "
             "LoRA r 8, alpha 32, dropout 0.05 on q, k, v, o, up, down; 10 sequences × 160 random tokens; "
             "the final-norm hidden states at 8 positions each through the IPL (576 → 512 → SiLU → 4,344); "
             "cross-entropy; forward + backward + AdamW. Mean of 3 steps after 2 warm-up steps, 2 threads. "
             "Tokens/s counts sequences × length per step, as the peer does. "
             "Ours: `hdrec bench-train` (Workbench.TrainStepBenchmark: the trainer's own HDRecNetwork forward/backward, "
             "SoftmaxCrossEntropy and AdamW). "
             + (f"Peer: `Tools/bench_train_peer.py`, torch {peer_versions['torch']}, transformers "
                f"{peer_versions['transformers']}, peft {peer_versions['peft']}, measured in the same run."
                if peer_versions else
                "Peer: not re-measured in this run (no torch available); the docs/peers.md numbers are "
                "3.1 s/step, 516 tokens/s with 8 layers and 11.2 s/step, 143 tokens/s with 30."),
             "",
             "| layers | hdrec s/step | hdrec tokens/s | PyTorch + PEFT s/step | PyTorch + PEFT tokens/s | ratio (tokens/s) "
             "| CPU s/step hdrec / peer | load average |",
             "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in records:
        o, p = r["ours"], r.get("peer")
        ratio = f"{o['tokens_per_second'] / p['tokens_per_second']:.2f}×" if p else "–"
        lines.append(f"| {r['layers']} | {fmt(o['seconds_per_step'])} | {fmt(o['tokens_per_second'], 0)} "
                     f"| {fmt(p and p['seconds_per_step'])} | {fmt(p and p['tokens_per_second'], 0)} | {ratio} "
                     f"| {fmt(o['cpu_seconds_per_step'])} / {fmt(p and p['cpu_seconds_per_step'])} "
                     f"| {r['load_before']} → {r['load_between']} → {r['load_after']} |")
    lines += ["", "Where the time goes (mean seconds per step):", "",
              "| layers | who | forward | loss | backward | optimizer | steps |",
              "|---:|---|---:|---:|---:|---:|---|"]
    for r in records:
        for who, x in (("hdrec", r["ours"]), ("PyTorch + PEFT", r.get("peer"))):
            if not x:
                continue
            steps = ", ".join(f"{s:.2f}" for s in x["step_seconds"])
            lines.append(f"| {r['layers']} | {who} | {fmt(x['forward_seconds'])} | {fmt(x['loss_seconds'], 3)} "
                         f"| {fmt(x['backward_seconds'])} | {fmt(x['optimizer_seconds'], 3)} | {steps} |")
    if args.run:
        lines += ["", "The DLA trainer itself (`hdrec train`, every phase of Algorithm 1 counted: "
                  "`tokensPerSecond` in history.json counts the tokens of every forward, teacher passes included):", ""]
        for path in args.run:
            lines += run_lines(path)
    lines += ["", "How the step was made faster, with before/after figures: [docs/training.md](docs/training.md) §Speed."]
    section = "\n".join(lines) + "\n"
    if args.print:
        print(section)
        return
    replace_section(args.markdown, "## Trainer", section, before="## HDRec inference")
    print(section)


if __name__ == "__main__":
    main()
