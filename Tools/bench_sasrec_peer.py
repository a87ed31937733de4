"""The peer of `hdrec sasrec` in BENCHMARKS.md "SASRec": RecBole 1.2.1's SASRec trained on the same
prepared dataset, timed per training epoch (wall and process CPU seconds) and per full-ranking
validation pass, with torch limited to THREADS threads.

The configuration is the one in docs/peers.md "RecBole: SASRec on the bundled
Amazon Scientific data": CE loss, hidden 128, inner 256, 2 layers, 2 heads, dropout 0.5, max length
50, lr 1e-3, train batch 256, eval_args {split: LS valid_and_test, order: TO, group_by: user, mode:
full}, NDCG@10 as the validation metric, seed 2020. The atomic .inter file is written from the
dataset's users.jsonl (train items, then valid, then test) with the position in the sequence as the
timestamp, so RecBole's leave-one-out split is exactly the dataset's.

Usage: python Tools/bench_sasrec_peer.py DATA_DIR [--epochs 2] [--threads 2] [--workdir DIR]
Prints one JSON object on stdout (RecBole's own log goes to stderr).

Needs a python with torch and recbole==1.2.1. Two compatibility shims, applied only when needed, let
RecBole 1.2.1 run on numpy 2 and without the tensorboard package (both documented in Tools/README.md):
- numpy 2 removed np.float_/np.complex_/np.unicode_, which RecBole's Config.compatibility_settings
  reads; they are set to np.float64/np.complex128/np.str_ (what they aliased in numpy 1.x);
- recbole.utils imports torch.utils.tensorboard.SummaryWriter, which needs the tensorboard package;
  when it is missing a no-op SummaryWriter stands in (RecBole only writes loss scalars with it, so
  no training or evaluation work is skipped).
"""
import argparse
import json
import logging
import os
import sys
import tempfile
import time
import types


def numpy_shim():
    import numpy as np
    for old, new in (("float_", "float64"), ("complex_", "complex128"), ("unicode_", "str_")):
        if old not in np.__dict__:
            try:
                getattr(np, old)
            except AttributeError:
                setattr(np, old, getattr(np, new))


def tensorboard_shim():
    try:
        import torch.utils.tensorboard  # noqa: F401
        return False
    except ImportError:
        pass

    class SummaryWriter:  # RecBole calls add_scalar / add_hparams / close only.
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    module = types.ModuleType("torch.utils.tensorboard")
    module.SummaryWriter = SummaryWriter
    sys.modules["torch.utils.tensorboard"] = module
    return True


def write_atomic_files(data_dir, workdir, name):
    """users.jsonl -> <workdir>/<name>/<name>.inter; returns (users, interactions)."""
    folder = os.path.join(workdir, name)
    os.makedirs(folder, exist_ok=True)
    users = interactions = 0
    with open(os.path.join(data_dir, "users.jsonl")) as src, \
            open(os.path.join(folder, name + ".inter"), "w") as dst:
        dst.write("user_id:token\titem_id:token\ttimestamp:float\n")
        for line in src:
            if not line.strip():
                continue
            record = json.loads(line)
            sequence = list(record["train"]) + [record["valid"], record["test"]]
            for position, item in enumerate(sequence):
                dst.write(f"u{record['user']}\ti{item}\t{position}\n")
            users += 1
            interactions += len(sequence)
    return users, interactions


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="dataset directory from `hdrec prepare` (users.jsonl)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", help="where atomic files and RecBole's logs go (default: a temp dir)")
    parser.add_argument("--no-test", action="store_true", help="skip the final test-split evaluation")
    args = parser.parse_args()
    data_dir = os.path.abspath(args.data_dir)

    numpy_shim()
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    stubbed = tensorboard_shim()
    import recbole
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.model.sequential_recommender import SASRec
    from recbole.trainer import Trainer
    from recbole.utils import init_seed, init_logger

    workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="recbole-sasrec-"))
    os.makedirs(workdir, exist_ok=True)
    name = "bench"
    users, interactions = write_atomic_files(data_dir, workdir, name)
    os.chdir(workdir)  # RecBole writes log/ and saved/ into the working directory.

    config = Config(model="SASRec", dataset=name, config_dict={
        "data_path": workdir, "checkpoint_dir": os.path.join(workdir, "saved"),
        "use_gpu": False, "worker": 0, "show_progress": False, "seed": 2020, "reproducibility": True,
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "loss_type": "CE", "train_neg_sample_args": None,
        "hidden_size": 128, "inner_size": 256, "n_layers": 2, "n_heads": 2,
        "hidden_dropout_prob": 0.5, "attn_dropout_prob": 0.5, "MAX_ITEM_LIST_LENGTH": 50,
        "learning_rate": 0.001, "train_batch_size": 256, "stopping_step": 10,
        "epochs": args.epochs, "valid_metric": "NDCG@10",
        "metrics": ["Recall", "MRR", "NDCG"], "topk": [10],
        "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "full"},
    })
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    # RecBole logs to stdout through its own handler; keep stdout for the JSON.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) is sys.stdout:
            handler.setStream(sys.stderr)

    prep_start = time.perf_counter()
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    prep_seconds = time.perf_counter() - prep_start
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = SASRec(config, train_data._dataset).to(config["device"])
    trainer = Trainer(config, model)

    epochs = []
    for epoch in range(args.epochs):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        loss = trainer._train_epoch(train_data, epoch, show_progress=False)
        wall1, cpu1 = time.perf_counter(), time.process_time()
        score, result = trainer._valid_epoch(valid_data, show_progress=False)
        wall2, cpu2 = time.perf_counter(), time.process_time()
        epochs.append({"epoch": epoch + 1, "train_loss": float(loss),
                       "train_seconds": round(wall1 - wall0, 3), "train_cpu_seconds": round(cpu1 - cpu0, 3),
                       "eval_seconds": round(wall2 - wall1, 3), "eval_cpu_seconds": round(cpu2 - cpu1, 3),
                       "valid_ndcg10": float(result["ndcg@10"]), "valid_recall10": float(result["recall@10"])})
        print(f"recbole epoch {epoch + 1}: loss {float(loss):.4f}, train {wall1 - wall0:.1f} s wall / "
              f"{cpu1 - cpu0:.1f} CPU-s, valid {wall2 - wall1:.1f} s, NDCG@10 {float(result['ndcg@10']):.4f}",
              file=sys.stderr, flush=True)

    test = None
    if not args.no_test:
        wall0 = time.perf_counter()
        result = trainer.evaluate(test_data, load_best_model=False, show_progress=False)
        test = {"seconds": round(time.perf_counter() - wall0, 3), "ndcg10": float(result["ndcg@10"]),
                "recall10": float(result["recall@10"])}

    def mean(key):
        return round(sum(e[key] for e in epochs) / len(epochs), 3)

    print(json.dumps({
        "system": "recbole", "recbole": recbole.__version__, "torch": torch.__version__.split("+")[0],
        "threads": args.threads, "users": users, "interactions": interactions,
        "train_examples": len(train_data._dataset), "train_batch_size": config["train_batch_size"],
        "prep_seconds": round(prep_seconds, 3), "epochs": epochs,
        "train_seconds": mean("train_seconds"), "train_cpu_seconds": mean("train_cpu_seconds"),
        "eval_seconds": mean("eval_seconds"), "eval_cpu_seconds": mean("eval_cpu_seconds"),
        "valid_ndcg10": epochs[-1]["valid_ndcg10"], "test": test,
        "shims": {"numpy2_aliases": True, "tensorboard_stub": stubbed},
    }))


if __name__ == "__main__":
    main()
