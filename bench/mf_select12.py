"""Issue 16, twelfth round: variants of RA against RA on the same seeds (bench/mf_round12_declared.md).

Per problem and cost: each row's median regret (digits in accuracy points) over the seeds in the
range that went that far, the seeds it is lower - higher than the reference, the two-sided exact
sign-test p, and for digits the seeds at 0 / <= 1 / <= 2 / <= 3 validation images of regret.

    python3 bench/mf_select12.py --files F... --seeds 60-99 [--ref RA] [--rows NAME...]

A row is named by its `autolab TPE + ASHA (...)` method name's inside after "min_correlation 0.5, "
(RA's arguments left out): "RA" is the reference, "min_correlation 0.6" a variant.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from mf_bench import regret_at  # noqa: E402
from mf_problems import problems  # noqa: E402
from mf_table9 import SHORT  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

PREFIX = "autolab TPE + ASHA (stopping, min_correlation 0.5, "
RA_PARTS = [
    "correlation_confidence 0.8",
    "correlation_chain True",
    "min_pairs 4",
    "rung_value auto",
    "TPE n_startup_jobs 5",
]
COSTS = (10, 30, 100)


def label(method: str) -> str:
    """RA, or what differs from RA's arguments ("-x" for one of RA's left out)."""
    if not method.startswith(PREFIX):
        return method
    parts = method[len(PREFIX) : -1].split(", ")
    more = [p for p in parts if p not in RA_PARTS]
    less = [f"-{p}" for p in RA_PARTS if p not in parts]
    return ", ".join(more + less) or "RA"


Runs = dict[tuple[str, str], dict[int, tuple[list, float]]]


def load(files: list[str]) -> Runs:
    runs: Runs = {}
    for path in files:
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            seeds = runs.setdefault((run["problem"], label(run["method"])), {})
            if run["seed"] not in seeds or seeds[run["seed"]][1] < run["max_cost"]:
                seeds[run["seed"]] = (run["trace"], float(run["max_cost"]))
    return runs


def regrets(runs: Runs, problem: str, row: str, c: int, lo: int, hi: int) -> dict[int, float]:
    p = problems()[problem]
    out = {}
    for seed, (trace, cost) in runs.get((problem, row), {}).items():
        if lo <= seed <= hi and cost >= c - 1e-9:
            r = regret_at(p, trace, c)
            out[seed] = float("inf") if r is None else r * (100 if p.mode == "maximize" else 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", nargs="+", required=True)
    parser.add_argument("--seeds", default="60-99")
    parser.add_argument("--ref", default="RA")
    parser.add_argument("--rows", nargs="*", default=None, help="default: every row but the reference")
    parser.add_argument("--problems", nargs="*", default=list(SHORT))
    args = parser.parse_args()
    lo, hi = map(int, args.seeds.split("-"))
    runs = load(args.files)
    for problem in args.problems:
        rows = args.rows or sorted({r for (p, r) in runs if p == problem and r != args.ref})
        digits = problems()[problem].mode == "maximize"
        print(
            f"\n{problem}, seeds {lo}-{hi}: median (n); lower - higher than {args.ref}, p"
            + ("; seeds at 0/1/2/3 images" if digits else "")
            + "\n"
        )
        print("| row | " + " | ".join(f"cost {c}" for c in COSTS) + " |")
        print("|---|" + "---|" * len(COSTS))
        for row in [args.ref, *rows]:
            cells = []
            for c in COSTS:
                mine = regrets(runs, problem, row, c, lo, hi)
                ref = regrets(runs, problem, args.ref, c, lo, hi)
                if not mine:
                    cells.append("-")
                    continue
                text = f"{statistics.median(mine.values()):.3f} ({len(mine)})"
                if row != args.ref:
                    common = set(mine) & set(ref)
                    won = sum(mine[s] < ref[s] for s in common)
                    lost = sum(mine[s] > ref[s] for s in common)
                    pv = binomtest(won, won + lost).pvalue if won + lost else 1.0
                    same = sum(mine[s] == ref[s] for s in common)
                    text += f" {won}-{lost} p {pv:.2f}" + (f" ={same}" if not digits else "")
                if digits:
                    steps = [round(v * 5.4) for v in mine.values()]
                    text += " [" + "/".join(str(sum(s <= k for s in steps)) for k in range(4)) + "]"
                cells.append(text)
            print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
