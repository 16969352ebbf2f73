"""Where TPE + ASHA (stopping) spends its budget, and what its rungs decide (issue 16, fifth round).

For one multi-fidelity row of bench/mf_bench.py, per problem over seeds: the share of the cost
spent by trials that ended at each rung level (stopped there) or at the full budget, how many
trials reached the full budget by each checkpoint, and, for min_correlation rows, how often each
rung was switched on (its measured Spearman correlation at least min_correlation) against the
correlation of that rung with the full budget measured on 1,000 uniform random points.

    nice -n 10 python3 bench/mf_rungs.py --seeds 10 --max-cost 30 \
        --method "autolab TPE + ASHA (stopping, min_correlation 0.5)" --problems "MFHartmann-3 bad"
    nice -n 10 python3 bench/mf_rungs.py --seeds 10 --max-cost 30 --asha-args '{"correlation_confidence": 0.8}'
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter, defaultdict
from typing import Any

import mf_bench
import numpy as np
from mf_problems import MFHartmann, Problem, problems
from scipy.stats import spearmanr

from autolab.assessors import create_assessor
from autolab.assessors.asha import AshaAssessor, rank_correlation
from autolab.history import History, Trial, TrialStatus


class Watched:
    """An ASHA assessor that counts, per rung level, the decisions taken with the rung on or off."""

    def __init__(self, inner: AshaAssessor) -> None:
        self.inner = inner
        self.on: Counter[int] = Counter()
        self.off: Counter[int] = Counter()
        self.history: History | None = None
        original = inner.informs

        def informs(history: History, level: int) -> bool:
            hit = original(history, level)
            (self.on if hit else self.off)[level] += 1
            return hit

        inner.informs = informs  # type: ignore[method-assign]

    def should_stop(self, trial: Trial, history: History) -> bool:
        self.history = history
        return self.inner.should_stop(trial, history)


def random_correlation(problem: Problem, level: int, n: int = 1000) -> float:
    """Spearman's correlation of the values at `level` and at the full budget, n uniform random
    points of an MFHartmann problem (whose parameters are uniform on [0, 1])."""
    rng = np.random.default_rng(0)
    points = [
        dict(zip(problem.space, map(float, rng.random(len(problem.space))), strict=True)) for _ in range(n)
    ]
    low = [problem.at(p, level) for p in points]
    full = [problem.at(p, problem.max_budget) for p in points]
    return float(spearmanr(low, full).statistic)


def run(problem: Problem, method: str, seed: int, max_cost: float) -> dict[str, Any]:
    watched: list[Watched] = []

    def make(name: str, args: dict[str, Any]) -> Watched:
        watched.append(Watched(create_assessor(name, args)))  # type: ignore[arg-type]
        return watched[-1]

    mf_bench.create_assessor = make  # type: ignore[assignment]
    trace = mf_bench.simulate(problem, method, seed, max_cost)
    w = watched[0]
    assert w.history is not None
    spent: dict[int, float] = defaultdict(float)  # level a trial ended at -> cost
    ended: Counter[int] = Counter()  # level -> trials that ended there
    for t in w.history.trials:
        steps = len(t.intermediate)
        level = steps if t.status == TrialStatus.EARLY_STOPPED else problem.max_budget
        spent[level] += steps / problem.max_budget
        ended[level] += 1
    done = [t for t in w.history.trials if t.status == TrialStatus.SUCCEEDED and t.value is not None]
    measured = {  # each rung's correlation with the finals over the completed trials, at the end
        lv: rank_correlation([(t.intermediate[lv - 1], t.value) for t in done])
        for lv in set(w.on) | set(w.off)
        if len(done) >= 3
    }
    return {
        "trace": trace,
        "spent": dict(spent),
        "ended": ended,
        "full": len(done),
        "on": w.on,
        "off": w.off,
        "rho": measured,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--max-cost", type=float, default=30)
    parser.add_argument("--method", default="autolab TPE + ASHA (stopping, min_correlation 0.5)")
    parser.add_argument("--asha-args", type=json.loads, default=None, help="mf_bench.py's --asha-args row")
    parser.add_argument("--problems", nargs="*", default=["MFHartmann-3 good", "MFHartmann-3 bad"])
    args = parser.parse_args()
    if args.asha_args is not None:
        mf_bench.EXTRA_ASHA.append(args.asha_args)
        args.method = mf_bench.extra_name(args.asha_args)
    every = problems()
    for name in args.problems:
        problem = every[name]
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        runs = [run(problem, args.method, s, args.max_cost) for s in seeds]
        total = sum(sum(r["spent"].values()) for r in runs)
        levels = sorted({lv for r in runs for lv in [*r["spent"], *r["on"], *r["off"]]})
        print(f"\n{name}, {args.method}, seeds {seeds[0]}-{seeds[-1]}, cost {args.max_cost:g}")
        print(
            "| ended at | trials (median a seed) | share of cost | rung on (decisions) "
            "| Spearman, completed trials | random points |"
        )
        print("|---|---|---|---|---|---|")
        for lv in levels:
            share = sum(r["spent"].get(lv, 0.0) for r in runs) / total
            on = sum(r["on"][lv] for r in runs)
            off = sum(r["off"][lv] for r in runs)
            rate = f"{on / (on + off):.0%} of {on + off}" if on + off else "-"
            hartmann = isinstance(problem, MFHartmann) and lv < problem.max_budget
            rho = f"{random_correlation(problem, lv):.2f}" if hartmann else "-"
            rhos = [r["rho"][lv] for r in runs if lv in r["rho"]]
            mine = f"{statistics.median(rhos):.2f}" if rhos else "-"
            n = statistics.median(r["ended"][lv] for r in runs)
            print(f"| {lv} | {n:g} | {share:.0%} | {rate} | {mine} | {rho} |")
        med = statistics.median(r["full"] for r in runs)
        regret = statistics.median(
            float("inf") if (x := mf_bench.regret_at(problem, r["trace"], args.max_cost)) is None else x
            for r in runs
        )
        print(f"full-budget trials (median) {med:g}; median regret at {args.max_cost:g}: {regret:.3f}")


if __name__ == "__main__":
    main()
