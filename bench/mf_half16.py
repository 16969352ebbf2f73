"""Issue 16, sixteenth round: the issue's second target on the stored runs, "reaches Optuna's regret at
100 budget units with at most half the cost". Per MFHartmann problem, on a seed range: each Optuna row's
median regret at cost 100 (rows with every seed of the range there), RA's median at cost 50, and the
first whole cost at which RA's median is at or below the best of those Optuna medians (a one-off
reading, not a declared rule; RA and the rules for loading runs are bench/mf_table11.py's).

    python3 bench/mf_half16.py --files mf_runs.jsonl ... mf_peers16.jsonl --seeds 0-19
"""

from __future__ import annotations

import argparse
import statistics

from mf_table11 import RA, load, regrets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", nargs="+", required=True)
    parser.add_argument("--seeds", default="0-19")
    args = parser.parse_args()
    lo, hi = map(int, args.seeds.split("-"))
    runs = load(args.files)
    print("| problem | Optuna rows at 100 (median) | RA at 50 | RA at 100 | RA reaches the best at cost |")
    print("|---|---|---|---|---|")
    for problem in ("MFHartmann-3 good", "MFHartmann-3 bad", "MFHartmann-6 good", "MFHartmann-6 bad"):
        optuna = {}
        for p, m in runs:
            if p == problem and m.startswith("Optuna"):
                r = regrets(runs, problem, m, 100, lo, hi)
                if len(r) == hi - lo + 1:
                    optuna[m.removeprefix("Optuna 5.0.0 ")] = statistics.median(r.values())
        ra = {c: statistics.median(regrets(runs, problem, RA, c, lo, hi).values()) for c in range(1, 101)}
        best = min(optuna.values())
        reach = next((c for c in range(1, 101) if ra[c] <= best), None)
        shown = "; ".join(f"{m} {v:.4f}" for m, v in sorted(optuna.items(), key=lambda kv: kv[1]))
        print(f"| {problem} | {shown} | {ra[50]:.4f} | {ra[100]:.4f} | {reach or 'not by 100'} |")


if __name__ == "__main__":
    main()
