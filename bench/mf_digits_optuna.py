"""Optuna 5's side of bench/mf_digits.py, run in its own venv (needs optuna only): TPE with the
HyperbandPruner and with the SuccessiveHalvingPruner on the same learning-curve table. Prints
{method: [trace per seed]}, a trace being [(cumulative cost, best 27-epoch accuracy so far), ...]."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import optuna

EPOCHS = 27
GRID_KEYS = ("alpha", "batch_size", "hidden_size", "learning_rate_init")


def run(
    table: dict[str, list[float]], grid: dict[str, list[Any]], pruner: Any, seed: int, max_cost: float
) -> list:
    state = {"cost": 0.0, "best": float("-inf")}
    trace: list[tuple[float, float]] = []

    def objective(trial: optuna.Trial) -> float:
        params = {k: trial.suggest_categorical(k, grid[k]) for k in GRID_KEYS}
        curve = table[json.dumps(params, sort_keys=True)]
        epochs = 0
        try:
            for epoch in range(EPOCHS):
                epochs += 1
                trial.report(curve[epoch], epoch + 1)
                if epoch + 1 < EPOCHS and trial.should_prune():
                    raise optuna.TrialPruned()
        finally:
            state["cost"] += epochs / EPOCHS
            if epochs == EPOCHS:
                state["best"] = max(state["best"], curve[EPOCHS - 1])
            trace.append((state["cost"], state["best"]))
        return curve[EPOCHS - 1]

    def budget(study: optuna.Study, _trial: Any) -> None:
        if state["cost"] >= max_cost:
            study.stop()

    # a fixed study name: the HyperbandPruner picks a trial's bracket from a hash of it, so a
    # random name (the default) made the runs differ from one invocation to the next
    study = optuna.create_study(
        study_name=f"mf-digits-{seed}",
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=pruner,
    )
    study.optimize(objective, callbacks=[budget], n_trials=100000)
    return trace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", required=True)
    parser.add_argument("--max-cost", type=float, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with open(args.table) as f:
        table = json.load(f)
    grid: dict[str, list[Any]] = {k: [] for k in GRID_KEYS}
    for text in table:
        for k, v in json.loads(text).items():
            if v not in grid[k]:
                grid[k].append(v)
    pruners = {
        f"Optuna {optuna.__version__} TPE + HyperbandPruner": lambda: optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=EPOCHS, reduction_factor=3
        ),
        f"Optuna {optuna.__version__} TPE + SuccessiveHalvingPruner": lambda: (
            optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
        ),
        f"Optuna {optuna.__version__} TPE (full budget)": lambda: optuna.pruners.NopPruner(),
    }
    out = {
        name: [run(table, grid, make(), seed, args.max_cost) for seed in args.seeds]
        for name, make in pruners.items()
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
