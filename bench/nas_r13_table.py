"""Prints the thirteenth round's rows (bench/README.md, NAS bench thirteenth round) from its JSONs, and the
ENAS 200-epoch picks' means per derivation: uniform_prob 1 (rounds 12-13) against plain ENAS (rounds 9-11)."""

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
    r12 = [f"evaluate_r12_enas200_u1_s{s}.json" for s in range(12, 16)]
    r13 = [f"evaluate_r13_enas200_u1_s{s}.json" for s in seeds]
    r9 = [f"evaluate_r9_enas200_derive_s{s}.json" for s in range(5)]
    plain_all = r9 + [f"evaluate_r10_enas200_nowarm_s{s}.json" for s in (5, 6)]
    plain_all += [f"evaluate_r11_enas200_recal_s{s}.json" for s in range(8, 12)]
    for method, uni_names, plain_names in (
        ("enas d10 b1", ["evaluate_dev_r12_u1_s0_d10.json", *r12, *r13], r9),
        ("enas d100 ball", ["evaluate_dev_r12_u1_s0.json", *r12, *r13], plain_all),
    ):
        uni, plain = found_means(uni_names, method), found_means(plain_names, method)
        for label, m in ((f"uniform_prob 1, {method}", uni), (f"plain ENAS, {method}", plain)):
            vals = [m[s] for s in sorted(m)]
            print(
                f"{label}: seeds {sorted(m)}, means {[round(v, 4) for v in vals]}, mean {statistics.mean(vals):.4f}"
            )
        test = mannwhitneyu(list(uni.values()), list(plain.values()), alternative="greater")
        print(
            f"one-sided Mann-Whitney (uniform > plain) over seeds: U {test.statistic:.0f}, p {test.pvalue:.4f}"
        )
