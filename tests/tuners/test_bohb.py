"""BOHB: NNI's schedule and classArgs, and its Parzen model on the largest budget with enough
results."""

from __future__ import annotations

import random
import statistics
from typing import Any

import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.bohb import BohbTuner
from autolab.tuners.hyperband import Bracket

SPACE = SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}, "k": {"_type": "choice", "_value": [0, 1]}})


def make(**args: Any) -> BohbTuner:
    tuner = create_tuner(SPACE, "BOHB", {"seed": 0, **args})
    assert isinstance(tuner, BohbTuner)
    return tuner


def done(i: int, x: float, k: int, budget: float, value: float) -> Trial:
    fid = {"budget": budget, "bracket": 0, "rung": 0, "config": f"T{i}"}
    params = {"x": x, "k": k, "TRIAL_BUDGET": budget}
    return Trial(f"T{i}", i, params, TrialStatus.SUCCEEDED, value=value, fidelity=fid)


def test_nnis_schedule_from_min_and_max_budget() -> None:
    tuner = make()  # NNI's defaults: min_budget 1, max_budget 3, eta 3
    assert tuner.s_max == 1
    assert [(tuner.rung_size(0, i), tuner.budget(0, i)) for i in range(2)] == [(3, 1), (1, 3)]
    assert [(tuner.rung_size(1, 0), tuner.budget(1, 0))] == [(2, 3)]
    wide = make(min_budget=2, max_budget=18)
    assert wide.s_max == 2 and [wide.budget(0, i) for i in range(3)] == [2, 6, 18]


def proposals(tuner: BohbTuner, history: History, n: int) -> list[float]:
    """n new configurations for a bracket's first rung."""
    return [tuner.propose(Bracket(7), history, random.Random(i), set())["x"] for i in range(n)]


def test_the_model_proposes_near_the_best_at_the_largest_budget_with_enough_points() -> None:
    trials = []
    for i in range(20):  # budget 1: best near 0.2; budget 3 (larger, enough points): best near 0.8
        x = i / 19
        trials.append(done(i, x, i % 2, 1, -((x - 0.2) ** 2)))
        trials.append(done(100 + i, x, i % 2, 3, -((x - 0.8) ** 2)))
    history = History(trials)
    model = proposals(make(random_fraction=0, max_budget=9), history, 20)
    assert abs(statistics.median(model) - 0.8) < 0.1, model
    at_random = proposals(make(random_fraction=1, max_budget=9), history, 20)
    assert statistics.median(abs(x - 0.8) for x in model) < statistics.median(abs(x - 0.8) for x in at_random)


def test_too_few_points_at_every_budget_is_random_search() -> None:
    history = History([done(i, i / 3, 0, 1, 0.0) for i in range(3)])  # needs 2 dims + 1 + 2 = 5
    assert make(random_fraction=0)._model(history) is None
    assert make(random_fraction=0, min_points_in_model=1)._model(history) is not None


def test_nested_choice_is_refused_as_nnis_bohb_does() -> None:
    nested = SearchSpace(
        {"m": {"_type": "choice", "_value": [{"_name": "a", "y": {"_type": "uniform", "_value": [0, 1]}}]}}
    )
    with pytest.raises(TunerError, match="nested"):
        create_tuner(nested, "BOHB", {})


@pytest.mark.parametrize(
    "args, key",
    [
        ({"min_budget": 0}, "min_budget"),
        ({"max_budget": 0.5}, "max_budget"),
        ({"top_n_percent": 100}, "top_n_percent"),
        ({"num_samples": 0}, "num_samples"),
        ({"random_fraction": 1.5}, "random_fraction"),
        ({"bandwidth_factor": 0}, "bandwidth_factor"),
        ({"min_bandwidth": -1}, "min_bandwidth"),
        ({"eta": 1}, "eta"),
        ({"min_points_in_model": "x"}, "min_points_in_model"),
        ({"max_budget": float("inf")}, "max_budget"),  # YAML's .inf and .nan
        ({"eta": float("nan")}, "eta"),
        ({"num_samples": float("inf")}, "num_samples"),
        ({"min_points_in_model": float("inf")}, "min_points_in_model"),
    ],
)
def test_bad_class_args_name_the_key(args: dict[str, Any], key: str) -> None:
    with pytest.raises(TunerError, match=f"^BOHB classArgs.{key} must be"):
        create_tuner(SPACE, "BOHB", args)


def test_a_fresh_tuner_continues_the_same_bracket() -> None:
    old, history = make(max_budget=9, random_fraction=0.2, min_points_in_model=1), History()
    for i in range(30):
        params = old.suggest(history)
        fid = {**params.fidelity, "config": params.fidelity["config"] or f"T{i}"}  # type: ignore[attr-defined]
        status = TrialStatus.SUCCEEDED if i % 4 else TrialStatus.RUNNING
        history.trials.append(Trial(f"T{i}", i, dict(params), status, value=params["x"], fidelity=fid))
    expected = old.suggest(history)
    fresh = make(max_budget=9, random_fraction=0.2, min_points_in_model=1).suggest(history)
    assert fresh == expected and fresh.fidelity == expected.fidelity  # type: ignore[attr-defined]
