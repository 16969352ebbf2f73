"""The peers' side of bench/mf_bench.py, run in their own venvs (numpy and the peer only):

    /tmp/mf-venv/bin/python bench/mf_peers.py optuna --seeds 0 1 ... [--problems ...]   # optuna==5.0.0
    /tmp/mf2-syne/bin/python bench/mf_peers.py syne --seeds 0 1 ...                     # syne-tune==0.16.0

Each method trains a configuration step by step (reporting every step), and the pruner or scheduler
stops it or lets it reach the full budget; a trace is [(cumulative cost, best full-budget value)]
after each trial (mf_problems.Tracker). Prints a JSON line {problem, method, seed, trace} per run.

Optuna 5: TPE + HyperbandPruner (min_resource 1, max_resource B, reduction_factor 3), TPE +
SuccessiveHalvingPruner (min_resource 1, reduction_factor 3), TPE at full budget. Syne Tune 0.16.0:
ASHA (stopping, random search) and BOHB (its asynchronous BOHB: ASHA with a KDE searcher), both
grace_period 1, reduction_factor 3, max_t B. Syne Tune 0.16 has no DEHB and no promotion-type
Hyperband (both were removed from it), so neither is here.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime
from typing import Any

import numpy as np
from mf_problems import Problem, Tracker, problems


def optuna_methods() -> dict[str, Any]:
    import optuna

    v = optuna.__version__
    return {
        f"Optuna {v} TPE + HyperbandPruner": lambda r: optuna.pruners.HyperbandPruner(1, r, 3),
        f"Optuna {v} TPE + SuccessiveHalvingPruner": lambda r: optuna.pruners.SuccessiveHalvingPruner(1, 3),
        f"Optuna {v} TPE (full budget)": lambda r: optuna.pruners.NopPruner(),
    }


def run_optuna(problem: Problem, make_pruner: Any, seed: int, max_cost: float) -> list:
    import optuna

    track, r = Tracker(problem, max_cost), problem.max_budget

    def objective(trial: optuna.Trial) -> float:
        params = {}
        for k, dim in problem.space.items():
            if dim["_type"] == "uniform":
                params[k] = trial.suggest_float(k, *dim["_value"])
            else:
                params[k] = trial.suggest_categorical(k, dim["_value"])
        steps, value = 0, None
        try:
            for step in range(1, r + 1):
                steps, value = step, problem.at(params, step)
                trial.report(value, step)
                if step < r and trial.should_prune():
                    raise optuna.TrialPruned()
        finally:
            track.trial(steps, value if steps == r else None)
        return value

    def budget(study: optuna.Study, _trial: Any) -> None:
        if track.spent:
            study.stop()

    # a fixed study name: the HyperbandPruner picks a trial's bracket from a hash of it
    study = optuna.create_study(
        study_name=f"mf-{problem.name}-{seed}",
        direction=problem.mode,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=make_pruner(r),
    )
    study.optimize(objective, callbacks=[budget], n_trials=10**6)
    return track.trace


def syne_methods() -> dict[str, Any]:
    from syne_tune.optimizer.baselines import ASHA, BOHB

    return {"Syne Tune 0.16.0 ASHA (stopping)": ASHA, "Syne Tune 0.16.0 BOHB (asynchronous)": BOHB}


def run_syne(problem: Problem, scheduler_class: Any, seed: int, max_cost: float) -> list:
    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import choice, uniform
    from syne_tune.optimizer.scheduler import SchedulerDecision

    random.seed(seed)
    np.random.seed(seed)  # its ASHA draws brackets from numpy's global generator
    space: dict[str, Any] = {
        k: uniform(*d["_value"]) if d["_type"] == "uniform" else choice(d["_value"])
        for k, d in problem.space.items()
    }
    r = problem.max_budget
    scheduler = scheduler_class(
        space,
        metric="y",
        time_attr="step",
        max_t=r,
        do_minimize=problem.mode == "minimize",
        random_seed=seed,
        grace_period=1,
        reduction_factor=3,
    )
    track, trial_id = Tracker(problem, max_cost), 0
    while not track.spent:
        suggestion = scheduler.suggest()
        if suggestion is None:
            break
        trial = Trial(trial_id=trial_id, config=suggestion.config, creation_time=datetime.now())
        trial_id += 1
        scheduler.on_trial_add(trial)
        steps, result = 0, {}
        for step in range(1, r + 1):
            steps, result = step, {"y": problem.at(trial.config, step), "step": step}
            if step == r:
                scheduler.on_trial_complete(trial, result)
            elif scheduler.on_trial_result(trial, result) != SchedulerDecision.CONTINUE:
                break
        track.trial(steps, result["y"] if steps == r else None)
    return track.trace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=("optuna", "syne"))
    parser.add_argument("--max-cost", type=float, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--problems", nargs="*", default=None)
    parser.add_argument("--methods", nargs="*", default=None, help="default: every method of the peer")
    args = parser.parse_args()
    every = problems()
    if args.peer == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        made, run = optuna_methods(), run_optuna
    else:
        import logging
        import warnings

        logging.getLogger("syne_tune").setLevel(logging.ERROR)
        warnings.simplefilter("ignore", FutureWarning)  # pandas, once per KDE fit
        made, run = syne_methods(), run_syne
    if args.methods is not None:
        unknown = sorted(set(args.methods) - set(made))
        if unknown:
            parser.error(f"unknown --methods {unknown}; this peer has {sorted(made)}")
        made = {m: made[m] for m in args.methods}
    for seed in args.seeds:  # seed by seed, each run a JSON line as it ends (mf_bench.py --load)
        for name in args.problems or every:
            for method, make in made.items():
                trace = run(every[name], make, seed, args.max_cost)
                print(
                    json.dumps(
                        {
                            "problem": name,
                            "method": method,
                            "seed": seed,
                            "max_cost": args.max_cost,
                            "trace": trace,
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
