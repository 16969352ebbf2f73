"""Issue 16, eleventh round: target 1's table on seeds 0-19 and 0-59, from the stored runs.

Per problem and cost: autolab's recommended row RA (docs/multi-fidelity.md) and every peer (Optuna,
Syne Tune, DEHB, NNI, random search at full budget), median regret over the seeds each has in the
range at that cost (n shown); the best peer (lowest median on those seeds, among peers with 18
seeds or more there); RA against it seed by
seed (seeds lower - higher for RA, ties left out) with the two-sided exact sign test's p; and
whether RA's median is strictly below every peer's (target 1). A cell where some row has fewer
seeds than the range is marked partial (`bench/mf_round11_declared.md`).

    python3 bench/mf_table11.py                  # the summary table, 0-19 and 0-59
    python3 bench/mf_table11.py --full 0-59      # every row's median and n per cell
    python3 bench/mf_table11.py --each 10        # RA against every peer at cost 10, seeds 0-59
    python3 bench/mf_table11.py --no-random      # random search left out (as rounds 7-10)
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
from mf_table9 import ROWS, SHORT  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

FILES = ["mf_runs.jsonl", "mf_peer_rows7.jsonl", "mf_runs9.jsonl", "mf_peers11.jsonl"]
RA = ROWS["RA"]
PEERS = ("Optuna", "Syne Tune", "DEHB", "NNI", "autolab random (full budget)")
COSTS = (10, 30, 100)
MIN_SEEDS = 18
Runs = dict[tuple[str, str], dict[int, tuple[list, float]]]


def load(files: list[str]) -> Runs:
    """(problem, method) -> seed -> (trace, max_cost): the run to the largest cost of each seed."""
    runs: Runs = {}
    for path in files:
        if not Path(path).exists():
            continue
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            if run["method"] != RA and not run["method"].startswith(PEERS):
                continue
            seeds = runs.setdefault((run["problem"], run["method"]), {})
            if run["seed"] not in seeds or seeds[run["seed"]][1] < run["max_cost"]:
                seeds[run["seed"]] = (run["trace"], float(run["max_cost"]))
    return runs


def regrets(runs: Runs, problem: str, method: str, c: int, lo: int, hi: int) -> dict[int, float]:
    """seed -> regret at cost c (digits in accuracy points; none yet: inf), runs that went that far."""
    p = problems()[problem]
    out = {}
    for seed, (trace, cost) in runs.get((problem, method), {}).items():
        if lo <= seed <= hi and cost >= c - 1e-9:
            r = regret_at(p, trace, c)
            out[seed] = float("inf") if r is None else r * (100 if p.mode == "maximize" else 1)
    return out


def sign(mine: dict[int, float], theirs: dict[int, float]) -> tuple[int, int, float]:
    common = set(mine) & set(theirs)
    won = sum(mine[s] < theirs[s] for s in common)
    lost = sum(mine[s] > theirs[s] for s in common)
    return won, lost, binomtest(won, won + lost).pvalue if won + lost else 1.0


def cell(runs: Runs, problem: str, c: int, lo: int, hi: int, skip: tuple[str, ...] = ()) -> list[str]:
    """[RA's median (n), the best peer's median (name, n), RA lower-higher and p, met]."""
    ra = regrets(runs, problem, RA, c, lo, hi)
    peers = {
        m: regrets(runs, problem, m, c, lo, hi)
        for (p, m) in runs
        if p == problem and m != RA and not m.startswith(skip)
    }
    # a peer is a candidate for "best" with 18 seeds or more (the rule of rounds 7-10)
    meds = {m: statistics.median(v.values()) for m, v in peers.items() if len(v) >= MIN_SEEDS}
    if not ra or not meds:
        return ["n/a"] * 4
    best = min(meds, key=meds.__getitem__)
    won, lost, pv = sign(ra, peers[best])
    full = hi - lo + 1
    ra_med = statistics.median(ra.values())
    met = "yes" if ra_med < meds[best] else "**no**"
    low = min([len(ra), *(len(v) for v in peers.values())])
    if low < full:
        met += f" (partial: fewest n {low})"
    short = best.replace(" (full budget)", " full").replace("autolab ", "").replace(" 0.16.0", "")
    short = short.replace(" 5.0.0", "").replace(" (asynchronous)", "").replace(" (stopping)", "")
    short = short.replace(" (advisor)", "").replace(" 0.1.2 (eta 3)", "").replace(" 3.0", "")
    return [
        f"{ra_med:.3f} ({len(ra)})",
        f"{meds[best]:.3f} {short} ({len(peers[best])})",
        f"{won}-{lost}, p {pv:.2f}",
        met,
    ]


def full_table(runs: Runs, lo: int, hi: int) -> None:
    for problem in SHORT:
        methods = [RA, *sorted(m for (p, m) in runs if p == problem and m != RA)]
        print(f"\n{problem}, seeds {lo}-{hi}: median regret (n)\n")
        print("| method | " + " | ".join(f"cost {c}" for c in COSTS) + " |")
        print("|---|" + "---|" * len(COSTS))
        for m in methods:
            vals = [regrets(runs, problem, m, c, lo, hi) for c in COSTS]
            shown = [f"{statistics.median(v.values()):.3f} ({len(v)})" if v else "-" for v in vals]
            print(f"| {'RA (autolab)' if m == RA else m} | " + " | ".join(shown) + " |")


def each(runs: Runs, c: int, lo: int, hi: int) -> None:
    """RA against every peer at cost c: the peer's median and RA's seeds lower - higher, p."""
    for problem, short in SHORT.items():
        ra = regrets(runs, problem, RA, c, lo, hi)
        line = []
        for m in sorted(m for (p, m) in runs if p == problem and m != RA):
            theirs = regrets(runs, problem, m, c, lo, hi)
            if len(theirs) >= MIN_SEEDS:
                won, lost, pv = sign(ra, theirs)
                line.append(f"{m}: {statistics.median(theirs.values()):.3f}, {won}-{lost} p {pv:.2f}")
        print(f"{short} @{c}, RA {statistics.median(ra.values()):.3f}: " + "; ".join(line))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", nargs="*", default=[str(HERE / f) for f in FILES])
    parser.add_argument("--full", default=None, help="a seed range lo-hi: every row's medians")
    parser.add_argument("--no-random", action="store_true", help="peers as rounds 7-10 read them")
    parser.add_argument("--each", type=int, default=None, help="a cost: RA against every peer there")
    args = parser.parse_args()
    skip = ("autolab random",) if args.no_random else ()
    runs = load(args.files)
    if args.each is not None:
        each(runs, args.each, 0, 59)
        return
    if args.full:
        full_table(runs, *map(int, args.full.split("-")))
        return
    head = ["RA (n)", "best peer (n)", "RA lower-higher, p", "target met"]
    print(
        "| cell | "
        + " | ".join(f"0-19 {h}" for h in head)
        + " | "
        + " | ".join(f"0-59 {h}" for h in head)
        + " |"
    )
    print("|---|" + "---|" * 8)
    for problem, short in SHORT.items():
        for c in COSTS:
            cols = cell(runs, problem, c, 0, 19, skip) + cell(runs, problem, c, 0, 59, skip)
            print(f"| {short} @{c} | " + " | ".join(cols) + " |")


if __name__ == "__main__":
    main()
