"""Random search: NNI's distributions, seeds, no repeats while unexplored points remain."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter

import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import create_tuner
from autolab.tuners.random_tuner import RandomTuner

SPACE = {
    "opt": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
    "layers": {"_type": "randint", "_value": [1, 5]},
    "lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
    "dropout": {"_type": "uniform", "_value": [0.0, 0.5]},
}


def sequence(tuner: RandomTuner, n: int) -> list[dict]:
    history = History()
    for i in range(n):
        history.trials.append(Trial(f"t{i}", i, tuner.suggest(history), TrialStatus.SUCCEEDED, 0.0))
    return [t.parameters for t in history.trials]


def test_distributions_follow_the_space() -> None:
    tuner = RandomTuner(SearchSpace(SPACE))  # unseeded: a fresh draw each call
    points = [tuner.suggest(History()) for _ in range(3000)]
    opts = Counter(p["opt"] for p in points)
    assert set(opts) == {"sgd", "adam", "rmsprop"} and min(opts.values()) > 850
    layers = Counter(p["layers"] for p in points)
    assert set(layers) == {1, 2, 3, 4} and min(layers.values()) > 650
    lrs = [p["lr"] for p in points]
    assert all(1e-5 <= v <= 1e-1 for v in lrs)
    assert 0.75 < statistics.median(lrs) / math.sqrt(1e-6) < 1.33
    dropouts = [p["dropout"] for p in points]
    assert all(0 <= v <= 0.5 for v in dropouts) and abs(statistics.fmean(dropouts) - 0.25) < 0.02


def test_seed_reproduces_and_differs_between_seeds() -> None:
    space = SearchSpace(SPACE)
    a = sequence(RandomTuner(space, seed=1), 10)
    assert a == sequence(RandomTuner(space, seed=1), 10)
    assert a != sequence(RandomTuner(space, seed=2), 10)
    assert len({json.dumps(p, sort_keys=True) for p in a}) == 10


def test_seed_via_class_args() -> None:
    space = SearchSpace(SPACE)
    tuner = create_tuner(space, "Random", {"seed": 7, "optimize_mode": "minimize"})
    assert isinstance(tuner, RandomTuner)
    assert sequence(tuner, 3) == sequence(RandomTuner(space, seed=7), 3)


def test_small_finite_space_explored_without_repeats() -> None:
    space = SearchSpace(
        {"a": {"_type": "choice", "_value": [0, 1, 2, 3]}, "b": {"_type": "randint", "_value": [0, 6]}}
    )
    for seed in range(5):
        points = sequence(RandomTuner(space, seed=seed), 24)
        assert len({(p["a"], p["b"]) for p in points}) == 24


def test_larger_finite_space_explored_without_repeats() -> None:
    space = SearchSpace({"n": {"_type": "randint", "_value": [0, 300]}})
    points = sequence(RandomTuner(space, seed=0), 300)
    assert sorted(p["n"] for p in points) == list(range(300))


def test_random_says_when_a_finite_space_is_used_up() -> None:
    from autolab.history import History, Trial
    from autolab.searchspace import SearchSpace
    from autolab.tuners import NoMoreTrials, create_tuner

    tuner = create_tuner(SearchSpace({"a": {"_type": "choice", "_value": [7, 8]}}), "Random", {"seed": 1})
    history = History()
    for i in range(2):
        history.trials.append(Trial(str(i), i, tuner.suggest(history)))
    assert sorted(t.parameters["a"] for t in history.trials) == [7, 8]
    with pytest.raises(NoMoreTrials):
        tuner.suggest(history)
