"""Golden for whole HDRec training steps (Tests/TrainingTests/Fixtures/hdrec-step-golden.json).

An independent implementation of DLATrainer.trainStep in PyTorch + PEFT: the frozen base is
transformers' LlamaForCausalLM loaded from the committed stories260K GGUF (first 2 layers,
then the base's final norm), the two adapters are PEFT LoRA adapters ("text" and "id") on that
one base, and the heads ([SEQ]/[ALIGN] rows, ID projector, MLP IPL), the losses, the DLA
alternation, clipping, AdamW and the schedule are written here with torch ops and autograd.
Tests/TrainingTests/PyTorchStepGoldenTests.swift runs the same steps through DLATrainer.

What the steps cover (read Sources/Training/Loop/DLATrainer.swift alongside):
- ablation none, T = 2: teacher = text pass; ID phase CE + lambda*KL(teacher || id), step
  lora.id + projector + shared; text phase CE + lambda*KL(id logits before its update || text),
  step lora.text + shared. lambda = 0.5, temperature 2, loss averaged per user then over users.
- a batch of 3 users (task 2 and 3 prompts of lengths that force left padding in the Swift
  batch; here each prompt runs alone, unpadded) and one item-alignment prompt (task 1, text
  branch only, the [ALIGN] row), so the KL pairs only the users' rows.
- AdamW (weight decay on matrices only), HF cosine schedule with linear warm-up (the first
  update has lr 0), global-norm clipping per phase over the phase's groups (max norm 3: some
  phases clip, some do not), heads (IPL,
  projector, added rows) at twice the adapters' learning rate.
- dropout 0 everywhere: the Swift masks are hash-based and cannot be reproduced here.

Conventions the Swift side fixes and this script follows:
- q/k rows: the GGUF holds llama.cpp's permuted rows (adjacent-pair RoPE); transformers wants
  rotate-half rows, so the base q/k weights and LoRA B of q and k are un-permuted here
  (Tools/training_golden.py documents the permutation). The fixture stores B in GGUF order.
- a phase steps every tensor of its groups, one its forward did not use (the [ALIGN] row in
  the ID phase) with a zero gradient, as the rows of one trainable embedding matrix would be:
  PyTorch would skip a parameter whose .grad is None, so None is replaced by zeros.
- initial parameters are integers times a power of two (exact in f32 and f64) stored in the
  fixture: neither side's RNG is involved.

The reference runs in float64 (transformers still computes RMSNorm, RoPE frequencies and the
attention softmax in float32 internally, so it carries float32 noise at those points).

Environment (git-ignored .venv-torch), versions used for the committed fixture:
  python3 -m venv .venv-torch
  .venv-torch/bin/pip install torch          (the CPU build)
  .venv-torch/bin/pip install transformers peft gguf numpy safetensors
  Python 3.11, torch 2.13.0+cpu, transformers 5.25.0, peft 0.21.2, gguf 0.19.0, numpy 2.4.6,
  safetensors 0.8.0 (the fixture's "versions" records them too).
Rerun: .venv-torch/bin/python Tools/hdrec_step_golden.py  (add --float32 for the noise floor)
"""
import json
import math
import os
import sys

import gguf
import numpy as np
import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GGUF_PATH = os.path.join(ROOT, "Tests", "Fixtures", "stories260K", "stories260K.gguf")
OUT = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures", "hdrec-step-golden.json")

LAYERS, RANK, ALPHA = 2, 2, 8.0
SASREC_WIDTH, PROJECTOR_HIDDEN, IPL_HIDDEN, ITEMS = 8, 16, 16, 6
TARGETS = ["q", "k", "v", "o", "up", "down"]
HF_MODULE = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
             "o": "self_attn.o_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}
SEQ, ALIGN, SLOT = 512, 513, 0          # added-token ids (outside the base's 512) and the slot filler
STEPS, TOTAL_STEPS, WARMUP_FRACTION = 5, 8, 0.25
OPTIONS = {"learningRate": 1e-2, "weightDecay": 0.1, "clipNorm": 3.0, "klWeight": 0.5, "klTemperature": 2.0,
           "headLearningRateMultiplier": 2.0, "alternations": 2}
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
SCALE_EXPONENT = 10                      # initial values are k / 2^10

# --float32: the same run in float32, compared with the committed float64 fixture (nothing written):
# PyTorch's own float32 noise floor, the yardstick for the Swift test's tolerance.
DTYPE = torch.float32 if "--float32" in sys.argv else torch.float64
torch.set_default_dtype(DTYPE)
rng = np.random.default_rng(20261203)


# ---------------------------------------------------------------- the frozen base


def unpermute(w, n_head):
    # inverse of convert_hf_to_gguf.py's LlamaModel.permute: adjacent-pair rows -> rotate-half rows
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def load_base():
    reader = gguf.GGUFReader(GGUF_PATH)
    tensors = {t.name: np.array(t.data, dtype=np.float64) for t in reader.tensors}
    field = lambda k: reader.fields[k].contents()
    heads, kv_heads = field("llama.attention.head_count"), field("llama.attention.head_count_kv")
    dim, ffn = field("llama.embedding_length"), field("llama.feed_forward_length")
    eps = float(field("llama.attention.layer_norm_rms_epsilon"))
    config = LlamaConfig(vocab_size=tensors["token_embd.weight"].shape[0], hidden_size=dim, intermediate_size=ffn,
                         num_hidden_layers=LAYERS, num_attention_heads=heads, num_key_value_heads=kv_heads,
                         head_dim=dim // heads, rms_norm_eps=eps, rope_theta=10000.0, max_position_embeddings=2048,
                         attention_bias=False, mlp_bias=False, tie_word_embeddings=False, hidden_act="silu")
    config._attn_implementation = "eager"
    model = LlamaForCausalLM(config).to(DTYPE)
    state = {"model.embed_tokens.weight": tensors["token_embd.weight"], "model.norm.weight": tensors["output_norm.weight"],
             "lm_head.weight": tensors["output.weight"]}
    for l in range(LAYERS):
        b, p = f"blk.{l}.", f"model.layers.{l}."
        state[p + "self_attn.q_proj.weight"] = unpermute(tensors[b + "attn_q.weight"], heads)
        state[p + "self_attn.k_proj.weight"] = unpermute(tensors[b + "attn_k.weight"], kv_heads)
        state[p + "self_attn.v_proj.weight"] = tensors[b + "attn_v.weight"]
        state[p + "self_attn.o_proj.weight"] = tensors[b + "attn_output.weight"]
        state[p + "mlp.gate_proj.weight"] = tensors[b + "ffn_gate.weight"]
        state[p + "mlp.up_proj.weight"] = tensors[b + "ffn_up.weight"]
        state[p + "mlp.down_proj.weight"] = tensors[b + "ffn_down.weight"]
        state[p + "input_layernorm.weight"] = tensors[b + "attn_norm.weight"]
        state[p + "post_attention_layernorm.weight"] = tensors[b + "ffn_norm.weight"]
    missing, unexpected = model.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert not unexpected and all("rotary" in k for k in missing), (missing, unexpected)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, heads, kv_heads, dim, ffn


# ---------------------------------------------------------------- initial values (exact)


def exact(shape, bound):
    """Integers k with |k| <= bound * 2^SCALE_EXPONENT; the value is k / 2^SCALE_EXPONENT."""
    top = int(bound * 2 ** SCALE_EXPONENT)
    return rng.integers(-top, top + 1, size=shape)


def main():
    model, heads, kv_heads, dim, ffn = load_base()
    head_dim = dim // heads
    shapes = {"q": (heads * head_dim, dim), "k": (kv_heads * head_dim, dim), "v": (kv_heads * head_dim, dim),
              "o": (dim, heads * head_dim), "up": (ffn, dim), "down": (dim, ffn)}   # (out, in)
    # Fixture names are this script's (PEFT-like); the Swift test maps them to its store in one table.
    initial = {}
    for branch in ["text", "id"]:
        for l in range(LAYERS):
            for t in TARGETS:
                out, inp = shapes[t]
                initial[f"lora.{branch}.{l}.{t}.A"] = exact((RANK, inp), 0.25)
                initial[f"lora.{branch}.{l}.{t}.B"] = exact((out, RANK), 0.0625)
    initial["projector.0.weight"] = exact((PROJECTOR_HIDDEN, SASREC_WIDTH), 0.35)
    initial["projector.0.bias"] = exact((PROJECTOR_HIDDEN,), 0.35)
    initial["projector.2.weight"] = exact((dim, PROJECTOR_HIDDEN), 0.25)
    initial["projector.2.bias"] = exact((dim,), 0.25)
    initial["ipl.0.weight"] = exact((IPL_HIDDEN, dim), 0.125)
    initial["ipl.0.bias"] = exact((IPL_HIDDEN,), 0.125)
    initial["ipl.2.weight"] = exact((ITEMS, IPL_HIDDEN), 0.25)
    initial["tokens.seq"] = exact((dim,), 0.5)
    initial["tokens.align"] = exact((dim,), 0.5)
    sasrec = exact((ITEMS + 1, SASREC_WIDTH), 1.0)
    sasrec[0] = 0                                          # row 0: padding
    scale = 2.0 ** -SCALE_EXPONENT
    value = lambda k: torch.tensor(k * scale, dtype=DTYPE)

    # ------------------------------------------------------------ the network
    lora = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0, bias="none",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"])
    net = get_peft_model(model, lora, adapter_name="text")
    net.add_adapter("id", lora)
    llama = net.base_model.model.model                      # LlamaModel: embeddings, blocks, final norm
    params = {}
    for branch in ["text", "id"]:
        for l in range(LAYERS):
            for t in TARGETS:
                module = llama.layers[l].get_submodule(HF_MODULE[t])
                a, b = module.lora_A[branch].weight, module.lora_B[branch].weight
                b_value = initial[f"lora.{branch}.{l}.{t}.B"] * scale
                if t in ("q", "k"):
                    b_value = unpermute(b_value, heads if t == "q" else kv_heads)
                with torch.no_grad():
                    a.copy_(value(initial[f"lora.{branch}.{l}.{t}.A"]))
                    b.copy_(torch.tensor(b_value))
                a.requires_grad_(True); b.requires_grad_(True)
                params[f"lora.{branch}.{l}.{t}.A"] = a
                params[f"lora.{branch}.{l}.{t}.B"] = b
    projector = torch.nn.Sequential(torch.nn.Linear(SASREC_WIDTH, PROJECTOR_HIDDEN), torch.nn.SiLU(),
                                    torch.nn.Linear(PROJECTOR_HIDDEN, dim))
    ipl = torch.nn.Sequential(torch.nn.Linear(dim, IPL_HIDDEN), torch.nn.SiLU(),
                              torch.nn.Linear(IPL_HIDDEN, ITEMS, bias=False))
    for prefix, module in [("projector", projector), ("ipl", ipl)]:
        for n, p in module.named_parameters():
            with torch.no_grad():
                p.copy_(value(initial[f"{prefix}.{n}"]))
            params[f"{prefix}.{n}"] = p
    tokens = {"seq": torch.nn.Parameter(value(initial["tokens.seq"])),
              "align": torch.nn.Parameter(value(initial["tokens.align"]))}
    params["tokens.seq"], params["tokens.align"] = tokens["seq"], tokens["align"]
    sasrec_table = value(sasrec)
    embed = llama.embed_tokens.weight
    assert set(params) == set(initial)

    group = lambda name: ("lora.text" if name.startswith("lora.text") else "lora.id" if name.startswith("lora.id")
                          else "projector" if name.startswith("projector") else "shared")
    decays = lambda name: params[name].dim() == 2      # matrices decay; biases and rows do not

    # ------------------------------------------------------------ the batch
    vocab = embed.shape[0]
    word = lambda n: [int(x) for x in rng.integers(3, vocab, size=n)]
    user_prefix = word(4)
    item_text = [word(int(rng.integers(2, 4))) for _ in range(ITEMS)]

    def user_prompts(history, label):
        text, text_sup, ident, id_sup, slots = list(user_prefix), [], list(user_prefix), [], []
        targets = history[1:] + [label]
        for item, target in zip(history, targets):
            text += item_text[item] + [SEQ]
            text_sup.append([len(text) - 1, target])
            slots.append([len(ident), item])
            ident += [SLOT, SEQ]
            id_sup.append([len(ident) - 1, target])
        return ({"tokens": text, "slots": [], "supervision": text_sup},
                {"tokens": ident, "slots": slots, "supervision": id_sup})

    def alignment_prompt(item):
        tokens = word(3) + item_text[item] + [ALIGN]
        return {"tokens": tokens, "slots": [], "supervision": [[len(tokens) - 1, item]]}

    users = [user_prompts([0, 1, 2], 3), user_prompts([4, 5], 1), user_prompts([2], 0)]
    text_prompts = [u[0] for u in users] + [alignment_prompt(5)]
    id_prompts = [u[1] for u in users]

    # ------------------------------------------------------------ forward, losses, update
    def forward(prompts, branch):
        """(N, I) IPL logits at the supervised rows, and the rows per prompt."""
        net.set_adapter(branch)
        logits, rows = [], []
        for prompt in prompts:
            slot_at = {p: i for p, i in prompt["slots"]}
            rows_in = []
            for j, token in enumerate(prompt["tokens"]):
                if j in slot_at:
                    rows_in.append(projector(sasrec_table[slot_at[j] + 1]))
                elif token == SEQ:
                    rows_in.append(tokens["seq"])
                elif token == ALIGN:
                    rows_in.append(tokens["align"])
                else:
                    rows_in.append(embed[token])
            x = torch.stack(rows_in)[None]
            hidden = llama(inputs_embeds=x, position_ids=torch.arange(x.shape[1])[None], use_cache=False).last_hidden_state[0]
            supervised = [p for p, _ in prompt["supervision"]]
            logits.append(ipl(hidden[supervised]))
            rows.append(len(supervised))
        return torch.cat(logits), rows

    def per_user_weights(rows):
        groups = sum(1 for r in rows if r > 0)
        return torch.tensor([1.0 / (r * groups) for r in rows for _ in range(r)])

    def targets_of(prompts):
        return torch.tensor([t for p in prompts for _, t in p["supervision"]])

    def kl(teacher, student, weights, tau):
        p_log = torch.log_softmax(teacher / tau, -1)
        q_log = torch.log_softmax(student / tau, -1)
        return (weights * (p_log.exp() * (p_log - q_log)).sum(-1)).sum()

    def learning_rate(step):
        warmup = max(1, int(TOTAL_STEPS * WARMUP_FRACTION))
        if step < warmup:
            return OPTIONS["learningRate"] * step / warmup
        progress = min(1.0, (step - warmup) / max(1, TOTAL_STEPS - warmup))
        return OPTIONS["learningRate"] * max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))

    names = sorted(params)
    heads_groups = {"shared", "projector"}
    optimizer = torch.optim.AdamW(
        [{"params": [params[n] for n in names if group(n) not in heads_groups and decays(n)], "weight_decay": OPTIONS["weightDecay"], "heads": False},
         {"params": [params[n] for n in names if group(n) not in heads_groups and not decays(n)], "weight_decay": 0.0, "heads": False},
         {"params": [params[n] for n in names if group(n) in heads_groups and decays(n)], "weight_decay": OPTIONS["weightDecay"], "heads": True},
         {"params": [params[n] for n in names if group(n) in heads_groups and not decays(n)], "weight_decay": 0.0, "heads": True}],
        lr=OPTIONS["learningRate"], betas=(BETA1, BETA2), eps=EPS, foreach=False)

    def update(selected, step):
        chosen = [params[n] for n in names if group(n) in selected]
        for n in names:
            p = params[n]
            if group(n) in selected and p.grad is None:
                p.grad = torch.zeros_like(p)      # stepped with a zero gradient (see the docstring)
            elif group(n) not in selected:
                p.grad = None
        norm = torch.nn.utils.clip_grad_norm_(chosen, OPTIONS["clipNorm"])
        lr = learning_rate(step)
        for g in optimizer.param_groups:
            g["lr"] = lr * (OPTIONS["headLearningRateMultiplier"] if g["heads"] else 1.0)
        optimizer.step()
        for p in params.values():
            p.grad = None
        return float(norm)

    text_targets, id_targets = targets_of(text_prompts), targets_of(id_prompts)
    losses, norms = [], []
    for step in range(STEPS):
        for p in params.values():
            p.grad = None
        with torch.no_grad():
            teacher, teacher_rows = forward(text_prompts, "text")
        record = {"step": step}
        for t in range(OPTIONS["alternations"]):
            branch = "id" if t % 2 == 0 else "text"
            prompts, targets = (id_prompts, id_targets) if branch == "id" else (text_prompts, text_targets)
            logits, rows = forward(prompts, branch)
            ce = (per_user_weights(rows) * torch.nn.functional.cross_entropy(logits, targets, reduction="none")).sum()
            shared = min(len(rows), len(teacher_rows))
            assert rows[:shared] == teacher_rows[:shared]
            m = sum(rows[:shared])
            divergence = kl(teacher[:m], logits[:m], per_user_weights(rows[:shared]), OPTIONS["klTemperature"])
            (ce + OPTIONS["klWeight"] * divergence).backward()
            record[f"{branch}CE"], record[f"{branch}KL"] = ce.item(), divergence.item()
            selected = {"lora.id", "projector", "shared"} if branch == "id" else {"lora.text", "shared"}
            norms.append(update(selected, step))
            teacher, teacher_rows = logits.detach(), rows
        losses.append(record)
        print(record, "grad norms", norms[-2:])

    final = {n: [float(v) for v in final_value(params[n], n, heads, kv_heads).flatten()] for n in names}
    if DTYPE == torch.float32:
        with open(OUT) as f:
            reference = json.load(f)
        loss_error = max(abs(r[k] - e[k]) for r, e in zip(losses, reference["losses"]) for k in r if k != "step")
        parameter_error = max(abs(a - b) for n in names for a, b in zip(final[n], reference["final"][n]))
        print(f"float32 PyTorch vs the float64 fixture: max loss error {loss_error:.3g}, max parameter error {parameter_error:.3g}")
        worst = sorted(((abs(a - b), n, i) for n in names for i, (a, b) in enumerate(zip(final[n], reference["final"][n]))), reverse=True)
        print("largest:", [(f"{e:.3g}", n, i) for e, n, i in worst[:8]])
        return
    fixture = {
        "about": "Tools/hdrec_step_golden.py: HDRec training steps in PyTorch + PEFT (float64)",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                     "gguf": getattr(gguf, "__version__", "unknown"), "numpy": np.__version__},
        "base": {"gguf": "Tests/Fixtures/stories260K/stories260K.gguf", "layers": LAYERS},
        "network": {"loraRank": RANK, "loraAlpha": ALPHA, "loraTargets": TARGETS, "sasrecWidth": SASREC_WIDTH,
                    "projectorHidden": PROJECTOR_HIDDEN, "iplHidden": IPL_HIDDEN, "items": ITEMS,
                    "seqToken": SEQ, "alignToken": ALIGN},
        "options": dict(OPTIONS, totalSteps=TOTAL_STEPS, warmupFraction=WARMUP_FRACTION, steps=STEPS,
                        beta1=BETA1, beta2=BETA2, eps=EPS, lossAverage="users"),
        "batch": {"users": [{"text": u[0], "id": u[1]} for u in users], "textAlignments": text_prompts[len(users):]},
        "scaleExponent": SCALE_EXPONENT,
        "sasrec": [int(k) for k in sasrec.flatten()],
        "initial": {n: {"shape": list(initial[n].shape), "values": [int(k) for k in initial[n].flatten()]} for n in names},
        "losses": losses,
        "gradientNorms": norms,
        "final": {n: [float("%.8g" % v) for v in final[n]] for n in names},
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


def final_value(p, name, heads, kv_heads):
    """A parameter in the fixture's (Swift store's) layout: LoRA B of q and k back in GGUF row order."""
    v = p.detach().numpy()
    if name.endswith(".q.B") or name.endswith(".k.B"):
        n_head = heads if ".q." in name else kv_heads
        v = v.reshape(n_head, 2, v.shape[0] // n_head // 2, *v.shape[1:]).swapaxes(1, 2).reshape(v.shape)
    return v


if __name__ == "__main__":
    main()
