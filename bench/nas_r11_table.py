"""The eleventh round's NAS table (bench/README.md, NAS bench eleventh round) from its JSON files.

python nas_r11_table.py nas_hard_results/evaluate_r11_enas200_recal_s{8,9,10,11}.json
python nas_r11_table.py --dev nas_hard_results/dev_r11_enas200_recal_s{0,...}.json   # no retrain
"""

from __future__ import annotations

import json
import statistics
import sys

POOLSKIP = ("max_pool", "avg_pool", "skip")


def short(arch: dict[str, str]) -> str:
    return ", ".join(arch.values())


def npool(arch: dict[str, str]) -> int:
    return sum(v in POOLSKIP for v in arch.values())


def main(paths: list[str]) -> None:
    dev = paths[0] == "--dev"
    if dev:
        paths = paths[1:]
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        rows = data["searches"] if dev else data["methods"]
        ranks = {k: v["tau"] for r in rows for k, v in r.items() if k.startswith("rank_random")}
        for r in rows:
            top = r["top"][0]["score"]
            line = f"| {r['method']} | {r['seed']} | {r['search_s']:.0f} s ({r['fit_s']:.0f} + {r['derive_s']:.0f}) |"
            if not dev:
                means = [statistics.mean(x["scores"]) for x in data["random"]]
                found = statistics.mean(r["scores"])
                beats = sum(m < found for m in means)
                ties = sum(m == found for m in means)
                scores = ", ".join(f"{s:.3f}" for s in r["scores"])
                line += (
                    f" {found:.4f} ({scores}) | {r['p']:.4f} | {beats}{f' (+{ties} tied)' if ties else ''} |"
                )
            line += f" {short(r['arch'])} | {npool(r['arch'])} | {top:.4f} | {r['distinct_samples']} |"
            print(line)
        print("  tau:", {k: round(v, 3) for k, v in ranks.items()})
        both = [r for r in rows if "rank_random_recalibrate" in r]
        if both:
            a, b = both[0]["rank_random"]["scores"], both[0]["rank_random_recalibrate"]["scores"]
            diff = [y - x for x, y in zip(a, b, strict=True)]
            print(
                f"  random archs' scores: train {min(a):.3f}-{max(a):.3f}, recalibrated {min(b):.3f}-{max(b):.3f}, "
                f"recalibrated - train {min(diff):+.3f} to {max(diff):+.3f} (mean {statistics.mean(diff):+.4f}), "
                f"Pearson {statistics.correlation(a, b):.4f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
