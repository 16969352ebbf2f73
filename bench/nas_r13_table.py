"""Prints the thirteenth round's rows (bench/README.md, NAS bench thirteenth round) from its JSONs, and the
ENAS 200-epoch `10:1` picks' means: uniform_prob 1 (rounds 12-13) against plain ENAS (ninth round, seeds 0-4)."""

from __future__ import annotations

import os
import statistics

from nas_r12_table import HERE, load, rows
from scipy.stats import mannwhitneyu


def found_means(names: list[str], method: str) -> dict[int, float]:
    out = {}
    for name in names:
        if os.path.exists(os.path.join(HERE, name)):
            for r in load(name)["methods"]:
                if r["method"] == method:
                    out[r["seed"]] = statistics.mean(r["scores"])
    return out


if __name__ == "__main__":
    seeds = [
        s for s in range(16, 22) if os.path.exists(os.path.join(HERE, f"evaluate_r13_enas200_u1_s{s}.json"))
    ]
    for s in seeds:
        rows(f"search_r13_enas200_u1_s{s}.json", f"evaluate_r13_enas200_u1_s{s}.json", "p=1")
    names = ["evaluate_dev_r12_u1_s0_d10.json"]
    names += [f"evaluate_r12_enas200_u1_s{s}.json" for s in range(12, 16)]
    names += [f"evaluate_r13_enas200_u1_s{s}.json" for s in seeds]
    uni = found_means(names, "enas d10 b1")
    plain = found_means([f"evaluate_r9_enas200_derive_s{s}.json" for s in range(5)], "enas d10 b1")
    for label, m in (("uniform_prob 1, 10:1", uni), ("plain ENAS, 10:1", plain)):
        vals = [m[s] for s in sorted(m)]
        print(
            f"{label}: seeds {sorted(m)}, means {[round(v, 4) for v in vals]}, mean {statistics.mean(vals):.4f}"
        )
    test = mannwhitneyu(list(uni.values()), list(plain.values()), alternative="greater")
    print(f"one-sided Mann-Whitney (uniform > plain) over seeds: U {test.statistic:.0f}, p {test.pvalue:.4f}")
