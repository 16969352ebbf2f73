"""The seventh round's SMAC attempts table (issue 24): each attempt against autolab SMAC as shipped.

    python bench/tuner_smac_round7.py FUNC BASE OUT [OUT ...]

For every tuner with rows for FUNC in the files (one JSON line per seed, tuner_seq100.py's format),
on the seeds it shares with BASE (the shipped SMAC, `smac`): seed range, count, median and mean
regret, BASE's median on the same seeds, the seeds where the attempt is lower / higher, and the
two-sided sign test's p.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.stats import binomtest
from tuner_seq100 import load


def main(func: str, base: str, paths: list[str]) -> None:
    cells = load(paths)
    ref = cells.get((func, base), {})
    print("| attempt | seeds | n | median | mean | base median, same seeds | wins / losses | p |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for (f, tuner), rows in sorted(cells.items()):
        if f != func:
            continue
        common = sorted(set(rows) & set(ref)) if tuner != base else sorted(rows)
        if not common:
            continue
        a = np.array([rows[s] for s in common])
        b = np.array([ref[s] for s in common])
        wins, losses = int(np.sum(a < b)), int(np.sum(a > b))
        p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
        print(
            f"| {tuner} | {common[0]}-{common[-1]} | {len(common)} | {np.median(a):.3g} | {np.mean(a):.3g} "
            f"| {np.median(b):.3g} | {wins} / {losses} | {p:.2g} |"
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
