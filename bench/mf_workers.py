"""How busy multi-fidelity methods keep parallel workers, on a simulated clock.

The digits-MLP learning-curve table of bench/mf_digits.py; one epoch takes one tick on any worker.
At every tick each busy worker trains its trial one epoch (the assessor, if any, judges the new
result), finished or stopped trials free their worker, and each free worker asks the tuner for a
trial (a tuner that says NotYet leaves the worker idle for that tick). Busy = worker-ticks spent
training / (workers x ticks), until the cumulative cost reaches --max-cost full evaluations or the
tuner runs out of the grid's 288 points (then the rest would be the finite grid's drain).

    python bench/mf_workers.py --workers 8 --seeds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mf_digits import EPOCHS, SPACE, key, load_table  # noqa: E402

from autolab.assessors import create_assessor  # noqa: E402
from autolab.fidelity import BUDGET_KEY, without_budget  # noqa: E402
from autolab.history import History, Trial, TrialStatus  # noqa: E402
from autolab.searchspace import SearchSpace  # noqa: E402
from autolab.tuners import NoMoreTrials, create_tuner  # noqa: E402
from autolab.tuners.base import NotYet  # noqa: E402

ASHA = {"grace_period": 1, "eta": 3, "max_t": EPOCHS}
METHODS: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = {
    "Hyperband, exec_mode serial": ("Hyperband", {"R": EPOCHS, "eta": 3, "exec_mode": "serial"}, None),
    "Hyperband, exec_mode parallelism": ("Hyperband", {"R": EPOCHS, "eta": 3}, None),
    "BOHB (parallelism)": ("BOHB", {"min_budget": 1, "max_budget": EPOCHS, "eta": 3}, None),
    "Random + ASHA (stopping)": ("Random", {}, ASHA),
    "TPE + ASHA (stopping)": ("TPE", {}, ASHA),
    "ASHA (promotion, from checkpoints)": ("ASHA", ASHA, None),
}


def simulate(
    method: str, seed: int, workers: int, table: dict[str, list[float]], max_cost: float
) -> tuple[float, float, bool]:
    """(busy fraction, busy fraction until every grid point had started, whether the tuner ran out
    of the grid's points before max_cost)."""
    name, args, asha = METHODS[method]
    tuner = create_tuner(SearchSpace(SPACE), name, {"optimize_mode": "maximize", "seed": seed, **args})
    assessor = create_assessor("ASHA", asha) if asha is not None else None
    history = History()
    running: list[tuple[Trial, list[float], int, int]] = []  # trial, its curve, budget, first epoch
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
            curve = table[key(without_budget(params))]
            started.add(key(without_budget(params)))
            if before_all is None and len(started) == len(table) and ticks:
                before_all = busy_ticks / (workers * ticks)
            running.append((trial, curve, int(params.get(BUDGET_KEY, EPOCHS)), start))
        if not running:
            break
        ticks += 1
        busy_ticks += len(running)
        still = []
        for trial, curve, budget, start in running:
            trial.intermediate.append(curve[start + len(trial.intermediate)])
            cost += 1 / EPOCHS
            if trial.fidelity is not None:
                trained[trial.fidelity["config"]] = start + len(trial.intermediate)
            if assessor is not None and assessor.should_stop(trial, history):
                trial.status = TrialStatus.EARLY_STOPPED
            elif start + len(trial.intermediate) == budget:
                trial.status, trial.value = TrialStatus.SUCCEEDED, curve[budget - 1]
            else:
                still.append((trial, curve, budget, start))
        running = still
    busy = busy_ticks / (workers * ticks) if ticks else 0.0
    return busy, busy if before_all is None else before_all, exhausted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-cost", type=float, default=100)
    args = parser.parse_args()
    table = load_table()
    print(
        f"{args.workers} workers, simulated clock, until {args.max_cost:g} full evaluations; seeds 0-{args.seeds - 1}\n"
    )
    print(
        "| method | busy (median) | busy (worst seed) | busy until every grid point had started (median)"
        " | seeds that ran out of the grid first |"
    )
    print("|---|---|---|---|---|")
    for method in METHODS:
        runs = [simulate(method, s, args.workers, table, args.max_cost) for s in range(args.seeds)]
        busy = [b for b, _, _ in runs]
        before = statistics.median(b for _, b, _ in runs)
        out = sum(e for _, _, e in runs)
        print(
            f"| {method} | {statistics.median(busy):.1%} | {min(busy):.1%} | {before:.1%} | {out} of {len(runs)} |"
        )


if __name__ == "__main__":
    main()
