"""The tenth round's SMAC tables (issue 24): attempts against autolab SMAC as committed, per function.

    python bench/tuner_smac_round10.py SEED0 SEED1 FUNCS OUT [OUT ...]

FUNCS: comma-separated functions, or "all" (tuner_seq100.py's ORDER). Rows in tuner_seq100.py's
format; rows with a "p" other than 1 (tuner_par100.py's 8-running rows) are skipped. The committed
SMAC (EXCHANGE_SHARE 0.5 of RANDOM_SHARE 0.2) is the base: rows named `smac`, `smac-exch` (the
eighth round's attempt, which draws exactly as that default: bench/README.md) or `smac-exch50`
(that default set by `_set`, for runs after it changed); in a file
that has `smac-exch` rows, its `smac` rows are the code before the exchange and are skipped. For every
other tuner with rows on FUNC in [SEED0, SEED1): on the seeds it shares with the base, the count,
its median and mean regret, the base's median, the seeds where it is lower / higher, the two-sided
sign test's p, the share of seeds below 100 / 200 / 300 (Schwefel-4's basins) and the median wall
seconds of a run.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest
from tuner_seq100 import ORDER

BASE = ("smac", "smac-exch", "smac-exch50")


def main(s0: int, s1: int, funcs: list[str], paths: list[str]) -> None:
    cells: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    secs: dict[tuple[str, str], list[float]] = defaultdict(list)
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as fh:
            rows_in = [json.loads(line) for line in fh]
        old = any(row["t"] == "smac-exch" for row in rows_in)  # "smac" is the code before it
        for row in rows_in:
            if (old and row["t"] == "smac") or row.get("p", 1) != 1:
                continue
            if s0 <= row["s"] < s1 and row["f"] in funcs:
                t = "smac" if row["t"] in BASE else row["t"]
                cells[row["f"], t][row["s"]] = row["r"]
                secs[row["f"], t].append(row.get("sec", float("nan")))
    print(
        "| function | tuner | seeds | n | median | mean | committed SMAC, same seeds | lower / higher | p ",
        end="",
    )
    print("| below 100 / 200 / 300 | s a run |")
    print("|---|---|---|---:|---:|---:|---:|---|---:|---|---:|")
    for func in funcs:
        ref = cells.get((func, "smac"), {})
        tuners = sorted(t for f, t in cells if f == func)
        for tuner in sorted(tuners, key=lambda t: t != "smac"):
            rows = cells[func, tuner]
            common = sorted(set(rows) & set(ref)) if tuner != "smac" else sorted(rows)
            if not common:
                continue
            a = np.array([rows[s] for s in common])
            b = np.array([ref[s] for s in common])
            wins, losses = int(np.sum(a < b)), int(np.sum(a > b))
            p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
            basins = " / ".join(f"{100 * np.mean(a < c):.0f}" for c in (100, 200, 300))
            duel = f"{wins} / {losses} | {p:.2g}" if tuner != "smac" else " | "
            print(
                f"| {func} | {tuner} | {common[0]}-{common[-1]} | {len(common)} | {np.median(a):.4g} "
                f"| {np.mean(a):.4g} | {np.median(b):.4g} | {duel} | {basins} % "
                f"| {np.median(secs[func, tuner]):.2g} |"
            )


if __name__ == "__main__":
    fs = ORDER if sys.argv[3] == "all" else sys.argv[3].split(",")
    main(int(sys.argv[1]), int(sys.argv[2]), list(fs), sys.argv[4:])
