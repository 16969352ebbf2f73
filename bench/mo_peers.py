"""Optuna 5's multi-objective samplers on bench/mo_problems.py, run in Optuna's venv.

    /tmp/mo-venv/bin/python bench/mo_peers.py SAMPLER PROBLEM EVALS SEED [ZDT_DIMS DTLZ_DIMS]

SAMPLER: nsga2 (NSGAIISampler), tpe (TPESampler), gp (GPSampler), each with its defaults and the
seed. Prints one JSON line: the objective vectors in evaluation order and the seconds taken.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import optuna
from mo_problems import problems

optuna.logging.set_verbosity(optuna.logging.WARNING)


def suggest(trial: optuna.Trial, name: str, spec: dict[str, Any]) -> Any:
    kind, value = spec["_type"], spec["_value"]
    if kind == "uniform":
        return trial.suggest_float(name, value[0], value[1])
    if kind == "loguniform":
        return trial.suggest_float(name, value[0], value[1], log=True)
    if kind == "qloguniform":  # integer steps on a log scale
        return trial.suggest_int(name, int(value[0]), int(value[1]), log=True)
    if kind == "randint":  # NNI's upper bound is exclusive
        return trial.suggest_int(name, value[0], value[1] - 1)
    if kind == "choice":
        return trial.suggest_categorical(name, value)
    raise ValueError(kind)


def main() -> None:
    sampler_name, problem, evals, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    zdt_dims, dtlz_dims = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) > 6 else (30, 12)
    func, space, dims, _ = problems(zdt_dims, dtlz_dims)[problem]
    n_obj = len(func({k: _any(s) for k, s in space.items()}, dims))
    sampler = {
        "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed),
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "gp": lambda: optuna.samplers.GPSampler(seed=seed),
    }[sampler_name]()
    study = optuna.create_study(directions=["minimize"] * n_obj, sampler=sampler)
    points = []

    def objective(trial: optuna.Trial) -> list[float]:
        values = func({k: suggest(trial, k, s) for k, s in space.items()}, dims)
        points.append(values)
        return values

    start = time.perf_counter()
    study.optimize(objective, n_trials=evals)
    print(json.dumps({"points": points, "seconds": time.perf_counter() - start}))


def _any(spec: dict[str, Any]) -> Any:
    value = spec["_value"]
    return (
        value[0] if spec["_type"] == "choice" else max(value[0], 1e-9) if "log" in spec["_type"] else value[0]
    )


if __name__ == "__main__":
    main()
