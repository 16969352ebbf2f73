"""Evolution: random first population, then children of tournament winners among the newest."""

from __future__ import annotations

import random
import statistics

import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.evolution import EvolutionTuner

SPACE = {
    "x": {"_type": "uniform", "_value": [0, 10]},
    "y": {"_type": "uniform", "_value": [0, 10]},
    "act": {"_type": "choice", "_value": ["relu", "tanh", "gelu"]},
}


def f(p: dict) -> float:
    return (p["x"] - 7) ** 2 + (p["y"] - 2) ** 2 + (0 if p["act"] == "tanh" else 3)


def test_children_stay_close_to_good_parents() -> None:
    space = SearchSpace(SPACE)
    tuner = EvolutionTuner(space, optimize_mode="minimize", seed=0, population_size=10)
    history = History()
    for i in range(80):
        p = tuner.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, f(p)))
    first = statistics.median(f(t.parameters) for t in history.trials[:10])
    last = statistics.median(f(t.parameters) for t in history.trials[-20:])
    assert last < first / 3
    assert min(t.value for t in history.trials if t.value is not None) < 1.0


def test_child_differs_from_parent_in_few_parameters() -> None:
    space = SearchSpace(SPACE)
    rng = random.Random(0)
    history = History()
    for i in range(4):
        p = space.sample(rng)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, 1.0))
    # one clear winner; a tournament over the whole population always picks it
    best = {"x": 7.0, "y": 2.0, "act": "tanh"}
    history.trials.append(Trial("t4", 4, best, TrialStatus.SUCCEEDED, 0.0))
    tuner = EvolutionTuner(space, optimize_mode="minimize", seed=1, population_size=5, sample_size=5)
    for _ in range(10):
        child = tuner.suggest(history)
        changed = [k for k in best if child[k] != best[k]]
        assert 1 <= len(changed) <= 3 and child != best
        history.trials.append(Trial(f"r{len(history)}", len(history), child, TrialStatus.RUNNING))


def test_old_trials_age_out_of_the_population() -> None:
    space = SearchSpace({"x": {"_type": "uniform", "_value": [0, 100]}})
    history = History([Trial("old", 0, {"x": 90.0}, TrialStatus.SUCCEEDED, 0.0)])  # best, but old
    for i in range(1, 6):
        history.trials.append(Trial(f"t{i}", i, {"x": float(10 * i)}, TrialStatus.SUCCEEDED, 5.0 - i * 0.1))
    tuner = EvolutionTuner(space, optimize_mode="minimize", seed=0, population_size=5, sample_size=5)
    xs = [
        EvolutionTuner(space, optimize_mode="minimize", seed=s, population_size=5, sample_size=5).suggest(
            history
        )["x"]
        for s in range(10)
    ]
    # the parent is t5 (x=50, best of the newest five), not the aged-out x=90
    assert statistics.median(xs) == pytest.approx(50, abs=15)
    assert tuner.suggest(history) == EvolutionTuner(
        space, optimize_mode="minimize", seed=0, population_size=5, sample_size=5
    ).suggest(history)


def test_nested_branch_switch_gets_values() -> None:
    raw = {
        "m": {
            "_type": "choice",
            "_value": [
                {"_name": "a", "u": {"_type": "uniform", "_value": [0, 1]}},
                {"_name": "b", "k": {"_type": "randint", "_value": [1, 4]}},
            ],
        }
    }
    space = SearchSpace(raw)
    history = History(
        [
            Trial(f"t{i}", i, {"m": {"_name": "a", "u": i / 10}}, TrialStatus.SUCCEEDED, float(i))
            for i in range(4)
        ]
    )
    got = [EvolutionTuner(space, seed=s, population_size=4).suggest(history)["m"] for s in range(20)]
    b = [m for m in got if m["_name"] == "b"]
    assert b and all(set(m) == {"_name", "k"} and 1 <= m["k"] < 4 for m in b)


def test_bad_population_size() -> None:
    with pytest.raises(TunerError, match="population_size"):
        create_tuner(SearchSpace(SPACE), "Evolution", {"population_size": 1})
    assert isinstance(create_tuner(SearchSpace(SPACE), "Evolution", {"population_size": 8}), EvolutionTuner)
