#!/usr/bin/env python3
"""RESULTS.md's pass-diagnostics table: how each run's text and ID passes relate to each
other, to popularity and across users, from the `pass_diagnostics` that `hdrec evaluate`
stores in evaluation.json (Training.PassDiagnostics; docs/training.md "Pass diagnostics").

    Tools/diagnostics_table.py NAME=EVAL_DIR ...

EVAL_DIR is an `hdrec evaluate` output directory (or a directory whose evaluation.json
holds pass_diagnostics). Directories without one are listed as "not measured".
Standard library only.
"""
import json
import os
import sys


def main():
    print("| run | text~ID Spearman | text~ID top-10 overlap | Spearman with popularity (text / ID) "
          "| top 10 ∩ 10 most popular (text / ID) | top 10 shared with the previous user (text / ID) "
          "| softmax entropy, nats (text / ID) | fused top 10 shared with the previous user |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    uniform = None
    for spec in sys.argv[1:]:
        name, path = spec.split("=", 1)
        try:
            with open(os.path.join(path, "evaluation.json")) as f:
                d = json.load(f)["pass_diagnostics"]
        except (OSError, ValueError, KeyError):
            print(f"| {name} | not measured | | | | | | |")
            continue
        uniform = d["uniform_entropy"]
        both = lambda key, digits=2: f"{d['text_' + key]:.{digits}f} / {d['id_' + key]:.{digits}f}"
        print(f"| {name} | {d['text_id_spearman']:.3f} | {d['text_id_top10_overlap']:.2f} "
              f"| {both('popularity_spearman', 3)} | {both('popularity_top10_overlap')} "
              f"| {both('user_to_user_top10_overlap')} | {both('entropy')} "
              f"| {d['fused_user_to_user_top10_overlap']:.2f} |" if d.get("fused_user_to_user_top10_overlap") is not None
              else f"| {name} | {d['text_id_spearman']:.3f} | {d['text_id_top10_overlap']:.2f} "
              f"| {both('popularity_spearman', 3)} | {both('popularity_top10_overlap')} "
              f"| {both('user_to_user_top10_overlap')} | {both('entropy')} | – |")
    if uniform is not None:
        print(f"\n(Means over the evaluated test users; a uniform pass has entropy ln I = {uniform:.2f} nats.)")


if __name__ == "__main__":
    main()
