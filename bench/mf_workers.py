"""How busy multi-fidelity methods keep parallel workers, on a simulated clock.

A problem of bench/mf_problems.py (the digits-MLP learning-curve table, or MFHartmann-3/-6 good/bad);
one step (an epoch; a fidelity unit of MFHartmann) takes one tick on any worker. At every tick
each busy worker trains its trial one step (the assessor, if any, judges the new result), finished
or stopped trials free their worker, and each free worker asks the tuner for a trial (a tuner that
says NotYet leaves the worker idle for that tick). Busy = worker-ticks spent training / (workers x
ticks), until the cumulative cost reaches --max-cost full evaluations or the tuner runs out of a
finite grid's points (the digits table's 288; then the rest would be the grid's drain).

    python bench/mf_workers.py --workers 8 --seeds 5
    python bench/mf_workers.py --workers 8 --seeds 5 --problem "MFHartmann-6 bad" --max-cost 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mf_problems import Digits, Problem, problems  # noqa: E402

from autolab.assessors import create_assessor  # noqa: E402
from autolab.fidelity import BUDGET_KEY, without_budget  # noqa: E402
from autolab.history import History, Trial, TrialStatus  # noqa: E402
from autolab.searchspace import SearchSpace  # noqa: E402
from autolab.tuners import NoMoreTrials, create_tuner  # noqa: E402
from autolab.tuners.base import NotYet  # noqa: E402


def methods(budget: int) -> dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """name -> (tuner, its classArgs, the ASHA assessor's classArgs or None), for steps 1 ... budget."""
    asha = {"grace_period": 1, "eta": 3, "max_t": budget}
    return {
        "Hyperband, exec_mode serial": ("Hyperband", {"R": budget, "eta": 3, "exec_mode": "serial"}, None),
        "Hyperband, exec_mode parallelism": ("Hyperband", {"R": budget, "eta": 3}, None),
        "BOHB (parallelism)": ("BOHB", {"min_budget": 1, "max_budget": budget, "eta": 3}, None),
        "Random + ASHA (stopping)": ("Random", {}, asha),
        "TPE + ASHA (stopping)": ("TPE", {}, asha),
        "TPE + ASHA (stopping, min_correlation 0.5)": ("TPE", {}, {**asha, "min_correlation": 0.5}),
        "ASHA (promotion, from checkpoints)": ("ASHA", asha, None),
    }


def _key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def simulate(
    method: str, seed: int, workers: int, problem: Problem, max_cost: float
) -> tuple[float, float, bool]:
    """(busy fraction, busy fraction until every grid point had started (the digits table's; the
    whole run's on a continuous problem), whether the tuner ran out of the grid before max_cost)."""
    budget = problem.max_budget
    grid = len(problem.table) if isinstance(problem, Digits) else None
    name, args, asha = methods(budget)[method]
    tuner = create_tuner(
        SearchSpace(problem.space), name, {"optimize_mode": problem.mode, "seed": seed, **args}
    )
    assessor = create_assessor("ASHA", asha) if asha is not None else None
    history = History()
    running: list[tuple[Trial, dict[str, Any], int, int]] = []  # trial, its configuration, budget, first step
    trained: dict[str, int] = {}  # config -> epochs in its checkpoint (ASHA's promotion mode)
    busy_ticks = ticks = 0
    started: set[str] = set()
    before_all: float | None = None  # busy fraction when the last grid point started
    cost, exhausted = 0.0, False
    # the clock stops when the tuner runs out of points: the drain after that is the finite grid's
    while cost < max_cost and not exhausted:
        while len(running) < workers and not exhausted:
            try:
                params = tuner.suggest(history)
            except NotYet:
                break
            except NoMoreTrials:
                exhausted = True
                break
            trial_id = f"T{len(history)}"
            fid = getattr(params, "fidelity", None)
            fid = None if fid is None else {**fid, "config": fid["config"] or trial_id}
            trial = Trial(trial_id, len(history), dict(params), TrialStatus.RUNNING, fidelity=fid)
            history.trials.append(trial)
            start = trained.get(fid["config"], 0) if fid and params.get("load_checkpoint_dir") else 0
            config = {k: v for k, v in without_budget(params).items() if k in problem.space}
            started.add(_key(config))
            if before_all is None and len(started) == grid and ticks:
                before_all = busy_ticks / (workers * ticks)
            running.append((trial, config, int(params.get(BUDGET_KEY, budget)), start))
        if not running:
            break
        ticks += 1
        busy_ticks += len(running)
        still = []
        for trial, config, until, start in running:
            trial.intermediate.append(problem.at(config, start + len(trial.intermediate) + 1))
            cost += 1 / budget
            if trial.fidelity is not None:
                trained[trial.fidelity["config"]] = start + len(trial.intermediate)
            if assessor is not None and assessor.should_stop(trial, history):
                trial.status = TrialStatus.EARLY_STOPPED
            elif start + len(trial.intermediate) == until:
                trial.status, trial.value = TrialStatus.SUCCEEDED, trial.intermediate[-1]
            else:
                still.append((trial, config, until, start))
        running = still
    busy = busy_ticks / (workers * ticks) if ticks else 0.0
    return busy, busy if before_all is None else before_all, exhausted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-cost", type=float, default=100)
    parser.add_argument("--problem", default=Digits.name, help="a problem of bench/mf_problems.py")
    parser.add_argument("--methods", nargs="+", help="only these rows")
    args = parser.parse_args()
    known = problems()
    if args.problem not in known:
        parser.error(f"--problem: one of {', '.join(known)}")
    problem = known[args.problem]
    print(
        f"{problem.name}: {args.workers} workers, simulated clock, until {args.max_cost:g} full evaluations;"
        f" seeds 0-{args.seeds - 1}\n"
    )
    print(
        "| method | busy (median) | busy (worst seed) | busy until every grid point had started (median)"
        " | seeds that ran out of the grid first |"
    )
    print("|---|---|---|---|---|")
    for method in args.methods or methods(problem.max_budget):
        runs = [simulate(method, s, args.workers, problem, args.max_cost) for s in range(args.seeds)]
        busy = [b for b, _, _ in runs]
        before = statistics.median(b for _, b, _ in runs)
        out = sum(e for _, _, e in runs)
        print(
            f"| {method} | {statistics.median(busy):.1%} | {min(busy):.1%} | {before:.1%} | {out} of {len(runs)} |"
        )


if __name__ == "__main__":
    main()
