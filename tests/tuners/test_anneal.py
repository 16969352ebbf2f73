"""Anneal (hyperopt's algorithm): concentrates around good trials; rebuilt from the history."""

from __future__ import annotations

import statistics

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import create_tuner
from autolab.tuners.anneal import AnnealTuner

SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
    "units": {"_type": "quniform", "_value": [16, 256, 16]},
    "model": {
        "_type": "choice",
        "_value": [{"_name": "a", "k": {"_type": "randint", "_value": [1, 6]}}, {"_name": "b"}],
    },
}


def f(p: dict) -> float:
    import math

    pen = 0.0 if p["model"]["_name"] == "a" and p["model"]["k"] == 3 else 0.3
    return (math.log10(p["lr"]) + 3) ** 2 * 0.1 + abs(p["units"] - 128) / 256 + pen


def run(n: int, seed: int) -> History:
    tuner = create_tuner(SearchSpace(SPACE), "Anneal", {"optimize_mode": "minimize", "seed": seed})
    history = History()
    for i in range(n):
        p = tuner.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, f(p)))
    return history


def test_later_trials_are_better() -> None:
    h = run(60, 0)
    vals = [t.value for t in h.trials if t.value is not None]
    assert statistics.median(vals[-20:]) < statistics.median(vals[:20])
    assert all(
        isinstance(t.parameters["units"], int) and 16 <= t.parameters["units"] <= 256 for t in h.trials
    )


def test_resume_gives_the_same_point_and_running_points_are_not_repeated() -> None:
    h = run(15, 3)
    space = SearchSpace(SPACE)
    a, b = (
        AnnealTuner(space, optimize_mode="minimize", seed=3),
        AnnealTuner(space, optimize_mode="minimize", seed=3),
    )
    assert a.suggest(h) == b.suggest(h)
    keys = set()
    for i in range(15, 20):
        p = a.suggest(h)
        h.trials.append(Trial(f"t{i}", i, p, TrialStatus.RUNNING))
        keys.add(str(sorted(p.items())))
    assert len(keys) == 5
