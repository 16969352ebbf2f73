"""The eighth round's Schwefel-4 table (issue 24): each tuner against a base tuner on shared seeds.

    python bench/tuner_schwefel_round8.py FUNC BASE SEED0 SEED1 OUT [OUT ...]

For every tuner with rows for FUNC on seeds [SEED0, SEED1) in the files (tuner_seq100.py's format;
a later file's row for the same tuner, function and seed replaces an earlier one's), on the seeds
it shares with BASE: seed range, count, median and mean regret, BASE's median on the same seeds,
the seeds where the tuner is lower / higher, the two-sided sign test's p, the share of seeds ending
below 100 / 200 / 300 (Schwefel-4's basins: a coordinate left in the second-best basin costs 118),
and the median wall seconds of a run.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest


def main(func: str, base: str, s0: int, s1: int, paths: list[str]) -> None:
    cells: dict[str, dict[int, float]] = defaultdict(dict)
    secs: dict[str, list[float]] = defaultdict(list)
    for path in paths:
        with open(path) as fh:
            for line in fh:
                row = json.loads(line)
                if row["f"] == func and s0 <= row["s"] < s1:
                    cells[row["t"]][row["s"]] = row["r"]
                    secs[row["t"]].append(row["sec"])
    ref = cells.get(base, {})
    print("| tuner | seeds | n | median | mean | base, same seeds | lower / higher | p ", end="")
    print("| below 100 / 200 / 300 | s a run |")
    print("|---|---|---:|---:|---:|---:|---|---:|---|---:|")
    order = sorted(cells, key=lambda t: (t != base, float(np.median(list(cells[t].values())))))
    for tuner in order:
        rows = cells[tuner]
        common = sorted(set(rows) & set(ref)) if tuner != base else sorted(rows)
        if not common:
            continue
        a = np.array([rows[s] for s in common])
        b = np.array([ref[s] for s in common])
        wins, losses = int(np.sum(a < b)), int(np.sum(a > b))
        p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
        basins = " / ".join(f"{100 * np.mean(a < c):.0f}" for c in (100, 200, 300))
        duel = f"{wins} / {losses} | {p:.2g}" if tuner != base else " | "
        print(
            f"| {tuner} | {common[0]}-{common[-1]} | {len(common)} | {np.median(a):.4g} | {np.mean(a):.4g} "
            f"| {np.median(b):.4g} | {duel} | {basins} % | {np.median(secs[tuner]):.2g} |"
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
