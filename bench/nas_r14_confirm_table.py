"""Table of the fourteenth round's confirmation: ENAS's shipped setting end to end on fresh seeds.

Reads `nas_hard_results/evaluate_r14_shipped_u1_s<seed>.json` (written by `nas_hard.py evaluate`) for the
given seeds and prints one markdown row per seed: search wall time, found mean test accuracy (3 retrain
seeds), p, found architecture; then the pass count (p < 0.05).

    python3 nas_r14_confirm_table.py --seeds 24,25,26,27,28,29
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ABBREV = {
    "conv3x3": "c3",
    "conv5x5": "c5",
    "dil_conv3x3": "d3",
    "sep_conv3x3": "s3",
    "max_pool": "mp",
    "skip": "skip",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="24,25,26,27,28,29")
    parser.add_argument("--results", default="nas_hard_results")
    args = parser.parse_args()
    print("| seed | search wall time | found: mean test acc (3 seeds) | p | found |")
    print("|---|---|---|---|---|")
    passed = ran = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        path = Path(args.results) / f"evaluate_r14_shipped_u1_s{seed}.json"
        if not path.exists():
            print(f"| {seed} | not run | | | |")
            continue
        (row,) = [m for m in json.loads(path.read_text())["methods"] if m["method"] == "enas"]
        scores = row["scores"]
        mean = sum(scores) / len(scores)
        arch = " ".join(ABBREV.get(op, op) for op in row["arch"].values())
        each = ", ".join(f"{s:.3f}" for s in scores)
        print(f"| {seed} | {row['search_s']:.0f} s | {mean:.4f} ({each}) | {row['p']:.4f} | {arch} |")
        ran += 1
        passed += row["p"] < 0.05
    print(f"\npasses (p < 0.05): {passed} of {ran} seeds run")


if __name__ == "__main__":
    main()
