"""Test functions of the tuner benchmark (the same as the peer anchor script) and autolab's runner.

Branin, Hartmann-6 and a mixed 'train a model' surface (loguniform, 3-way choice, randint, uniform)
are those of the peer script; nested is one of ours: a nested choice of model with its own
parameters per branch (only tuners that support nested choice run it). The rugged suite
(tuner_rugged.py: Rastrigin, Schwefel, Griewank, Michalewicz, noisy variants) joins FUNCS here.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from tuner_rugged import RUGGED, noisy

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import create_tuner


def branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(ALPHA * np.exp(-np.sum(A * (x - P) ** 2, axis=1))))


def mixed(p: dict[str, Any]) -> float:
    lr = math.log10(p["lr"])
    base = {"sgd": 0.0, "adam": -0.05, "rmsprop": 0.03}[p["optimizer"]]
    return (lr + 2.5) ** 2 * 0.1 + (p["layers"] - 3) ** 2 * 0.02 + (p["dropout"] - 0.2) ** 2 + base + 0.1


def nested(p: dict[str, Any]) -> float:
    m = p["model"]
    if m["_name"] == "svm":
        return 0.3 + 0.05 * (math.log10(m["C"]) - 1) ** 2 + 0.2 * (math.log10(m["gamma"]) + 3) ** 2 / 9
    if m["_name"] == "forest":
        return 0.1 + 0.002 * (m["depth"] - 12) ** 2 + 0.5 * (m["max_features"] - 0.35) ** 2
    return 0.2 + 0.1 * (math.log10(p["lr"]) + 3) ** 2  # "linear": the global lr matters only here


SPACES: dict[str, dict[str, Any]] = {
    "branin": {"x1": {"_type": "uniform", "_value": [-5, 10]}, "x2": {"_type": "uniform", "_value": [0, 15]}},
    "hartmann6": {f"x{i}": {"_type": "uniform", "_value": [0, 1]} for i in range(6)},
    "mixed": {
        "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
        "optimizer": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
        "layers": {"_type": "randint", "_value": [1, 8]},
        "dropout": {"_type": "uniform", "_value": [0, 0.9]},
    },
    "nested": {
        "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
        "model": {
            "_type": "choice",
            "_value": [
                {
                    "_name": "svm",
                    "C": {"_type": "loguniform", "_value": [1e-2, 1e3]},
                    "gamma": {"_type": "loguniform", "_value": [1e-6, 1]},
                },
                {
                    "_name": "forest",
                    "depth": {"_type": "randint", "_value": [2, 30]},
                    "max_features": {"_type": "uniform", "_value": [0.05, 1.0]},
                },
                {"_name": "linear"},
            ],
        },
    },
}
FUNCS = {
    "branin": (branin, 0.397887),
    "hartmann6": (hartmann6, -3.32237),
    "mixed": (mixed, 0.05),
    "nested": (nested, 0.1),
    **{name: (f, minimum) for name, (f, _, minimum, _) in RUGGED.items()},
}
SPACES.update({name: space for name, (_, space, _, _) in RUGGED.items()})


def run_autolab(
    tuner: str, func: str, n: int, seed: int, parallel: int = 1, class_args: dict[str, Any] | None = None
) -> tuple[float, list[float]]:
    """Best value found (minimising) after n evaluations; suggestion latencies in seconds.

    With parallel > 1, `parallel` trials are always running: each suggestion sees the others
    pending, and the oldest pending trial finishes before the next suggestion. On a noisy function
    the best is the noise-free value of the trial with the best observed (noisy) value.
    """
    f, _ = FUNCS[func]
    seen = noisy(func, seed) if func in RUGGED else f
    space = SearchSpace(SPACES[func])
    args = {"optimize_mode": "minimize", "seed": seed, **(class_args or {})}
    t = create_tuner(space, tuner, args)
    history = History()
    lat: list[float] = []
    pending: list[Trial] = []
    done = 0
    best, best_seen = math.inf, math.inf
    while done < n:
        while len(pending) < parallel and len(history) < n:
            s = time.perf_counter()
            params = t.suggest(history)
            lat.append(time.perf_counter() - s)
            trial = Trial(f"t{len(history)}", len(history), params, TrialStatus.RUNNING)
            history.trials.append(trial)
            pending.append(trial)
        trial = pending.pop(0)
        trial.value = seen(trial.parameters)
        trial.status = TrialStatus.SUCCEEDED
        if trial.value < best_seen:
            best_seen, best = trial.value, f(trial.parameters)
        done += 1
    return best, lat


def latency_history(tuner: str, func: str, n: int, seed: int = 0, running: int = 0) -> tuple[float, float]:
    """Median wall and CPU seconds per suggestion with n finished random trials in the history.

    With `running` > 0, that many more trials are running, and each timed suggestion comes after
    the oldest running trial finished and before the suggested one starts (the steady state of an
    experiment that keeps them running: every suggestion sees one new result)."""
    import random

    f, _ = FUNCS[func]
    space = SearchSpace(SPACES[func])
    rng = random.Random(seed)
    history = History()
    for i in range(n):
        params = space.sample(rng)
        history.trials.append(Trial(f"t{i}", i, params, TrialStatus.SUCCEEDED, value=f(params)))
    pending = [Trial(f"t{i}", i, space.sample(rng), TrialStatus.RUNNING) for i in range(n, n + running)]
    history.trials.extend(pending)
    t = create_tuner(space, tuner, {"optimize_mode": "minimize", "seed": seed})
    t.suggest(history)  # warm the per-trial encoding cache, as a running experiment has it
    times, cpu = [], []
    for _ in range(20):
        s, c = time.perf_counter(), time.process_time()
        params = t.suggest(history)
        times.append(time.perf_counter() - s)
        cpu.append(time.process_time() - c)
        if running:
            new = Trial(f"t{len(history)}", len(history), params, TrialStatus.RUNNING)
            history.trials.append(new)
            pending.append(new)
            done = pending.pop(0)
            done.status, done.value = TrialStatus.SUCCEEDED, f(done.parameters)
    return float(np.median(times)), float(np.median(cpu))
