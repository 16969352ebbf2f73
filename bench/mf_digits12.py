"""Issue 16, twelfth round: where RA (docs/multi-fidelity.md's recommended configuration: TPE
n_startup_jobs 5 + ASHA stopping with the correlation gate, rung_value auto) spends its budget on
the digits-MLP table, and which of the table's best configurations it finds, stops or never tries.

The table's 288 configurations, ranked by final validation accuracy (540 images: one image is
0.185 points): rank 1 is the optimum (regret 0), rank 2 regret 0.185, ranks 3-5 regret 0.370,
ranks 6-15 regret 0.555. Per seed it records every trial (configuration's rank, steps run,
status, cumulative cost after it, the configuration's index in the table) and prints, over the seeds: trials, distinct
configurations, full-budget trials and stopped trials by level at cost 10 / 30 / 100, the share of
the cost spent by trials that ended at each level, and for the top-1 / top-2 / top-5 sets how often
a member was tried, stopped (and at which rung) or completed by each cost.

    nice -n 10 python3 bench/mf_digits12.py --first-seed 60 --seeds 40 [--asha-args JSON] [--out F]
    python3 bench/mf_digits12.py --load F        # the summary of runs written with --out
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import mf_bench  # noqa: E402
from mf_problems import problems  # noqa: E402

DIGITS = "digits MLP (table)"
RA_ARGS: dict[str, Any] = {
    "correlation_confidence": 0.8,
    "correlation_chain": True,
    "min_pairs": 4,
    "rung_value": "auto",
    "tpe_args": {"n_startup_jobs": 5},
}
COSTS = (10, 30, 100)
STEP = 100 / 540  # one validation image, in accuracy points


def ranks() -> dict[str, int]:
    """configuration key (the table's) -> rank by final accuracy (1: the optimum; ties share)."""
    table = problems()[DIGITS].table  # type: ignore[attr-defined]
    finals = {k: v[-1] for k, v in table.items()}
    return {k: 1 + sum(f > finals[k] + 1e-12 for f in finals.values()) for k in finals}


def run(seed: int, args: dict[str, Any], max_cost: float, method: str | None = None) -> dict[str, Any]:
    """One run of the row (mf_bench's simulate); the trials it made, with their ranks."""
    problem = problems()[DIGITS]
    grid = problem.GRID  # type: ignore[attr-defined]
    caught: list[Any] = []
    original = mf_bench.make_assessor

    def make(mode: str, asha: dict[str, Any]) -> Any:
        caught.append(original(mode, asha))
        real = caught[-1]

        class Spy:
            def should_stop(self, trial: Any, history: Any) -> bool:
                self.history = history
                return bool(real.should_stop(trial, history))

        caught.append(Spy())
        return caught[-1]

    mf_bench.make_assessor = make  # type: ignore[assignment]
    try:
        if method is None:
            mf_bench.EXTRA_ASHA[:] = [args]
            method = mf_bench.extra_name(args)
        trace = mf_bench.simulate(problem, method, seed, max_cost)
    finally:
        mf_bench.make_assessor = original  # type: ignore[assignment]
    rank = ranks()
    index = {k: i for i, k in enumerate(problem.table)}  # type: ignore[attr-defined]
    history = caught[-1].history if caught and hasattr(caught[-1], "history") else None
    trials = []
    for t, (cost, _) in zip(history.trials if history else [], trace, strict=False):
        key = json.dumps({k: t.parameters[k] for k in grid}, sort_keys=True)
        trials.append([rank[key], len(t.intermediate), t.status.value, round(cost, 6), index[key]])
    return {"seed": seed, "trace": trace, "trials": trials, "method": method}


def summary(runs: list[dict[str, Any]]) -> None:
    problem = problems()[DIGITS]
    print(f"{len(runs)} seeds ({runs[0]['seed']}-{runs[-1]['seed']}), {runs[0]['method']}\n")
    print(
        "| by cost | median regret | seeds at 0 / <= 0.185 / <= 0.370 / <= 0.555 | trials | distinct "
        "| full budget | stopped, by level | share of cost: full / stopped |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for c in COSTS:
        reg = []
        for r in runs:
            x = mf_bench.regret_at(problem, r["trace"], c)
            reg.append(float("inf") if x is None else round(x * 100 / STEP))
        within = [sum(x <= k for x in reg) for k in range(4)]
        upto = [[t for t in r["trials"] if t[3] <= c + 1e-9] for r in runs]
        n = [len(u) for u in upto]
        full = [sum(t[1] == 27 for t in u) for u in upto]
        levels = sorted({t[1] for r in runs for t in r["trials"] if t[1] < 27})
        stop = {lv: [sum(t[1] == lv for t in u) for u in upto] for lv in levels}
        spent_full = sum(sum(t[1] for t in u if t[1] == 27) for u in upto)
        spent = sum(sum(t[1] for t in u) for u in upto)
        med = statistics.median(reg) * STEP
        print(
            f"| {c} | {med:.3f} | {' / '.join(map(str, within))} | {statistics.median(n):g} | "
            f"{statistics.median(len({t[4] for t in u}) for u in upto):g} | {statistics.median(full):g} | "
            + ", ".join(f"{lv}: {statistics.median(stop[lv]):g}" for lv in levels)
            + f" | {spent_full / spent:.0%} / {1 - spent_full / spent:.0%} |"
        )
    print("\nThe best configurations (seeds of the run; a member counted once, its best outcome):\n")
    print("| set | by cost | tried | completed | tried, none completed: seeds by the level stopped at |")
    print("|---|---|---|---|---|")
    for top in (1, 2, 5, 15):
        for c in COSTS:
            tried = done = 0
            stopped: Counter[int] = Counter()
            for r in runs:
                mine = [t for t in r["trials"] if t[0] <= top and t[3] <= c + 1e-9]
                if mine:
                    tried += 1
                if any(t[1] == 27 for t in mine):
                    done += 1
                elif mine:
                    stopped[max(t[1] for t in mine)] += 1
            shown = ", ".join(f"{lv}: {n}" for lv, n in sorted(stopped.items())) or "-"
            print(f"| top {top} | {c} | {tried} | {done} | {shown} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first-seed", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--max-cost", type=float, default=100)
    parser.add_argument("--asha-args", type=json.loads, default=RA_ARGS)
    parser.add_argument("--method", default=None, help="an mf_bench.py method name instead of --asha-args")
    parser.add_argument("--out", default=None, help="each run appended here (JSON lines)")
    parser.add_argument("--load", nargs="*", default=None)
    args = parser.parse_args()
    if args.load:
        runs = [json.loads(line) for p in args.load for line in Path(p).read_text().splitlines()]
        summary(sorted(runs, key=lambda r: r["seed"]))
        return
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    runs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        import time

        if time.time() > stop_at:
            print(f"(STOP_AT: stopped before seed {seed})", file=sys.stderr)
            break
        runs.append(run(seed, args.asha_args, args.max_cost, args.method))
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(runs[-1]) + "\n")
    summary(runs)


if __name__ == "__main__":
    main()
