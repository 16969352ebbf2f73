"""GridSearch: every combination once, nested branches expanded, continuous parameters refined."""

from __future__ import annotations

import itertools
import json
import math
from statistics import NormalDist
from typing import Any

import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import NoMoreTrials, create_tuner
from autolab.tuners.grid import GridSearchTuner, grid_size


def run_out(
    tuner: GridSearchTuner,
    limit: int = 500,
    status: TrialStatus = TrialStatus.SUCCEEDED,
) -> tuple[list[dict[str, Any]], History]:
    history = History()
    for i in range(limit):
        try:
            params = tuner.suggest(history)
        except NoMoreTrials:
            return [t.parameters for t in history.trials], history
        history.trials.append(Trial(f"t{i}", i, params, status=status, value=0.0))
    raise AssertionError(f"no NoMoreTrials after {limit} suggestions")


def keys(points: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(p, sort_keys=True) for p in points]


def test_enumerable_space_is_covered_exactly_once_then_no_more_trials() -> None:
    space = SearchSpace(
        {
            "opt": {"_type": "choice", "_value": ["sgd", "adam"]},
            "layers": {"_type": "randint", "_value": [1, 4]},
            "width": {"_type": "quniform", "_value": [0, 10, 5]},
            "batch": {"_type": "qloguniform", "_value": [8, 32, 8]},
        }
    )
    tuner = GridSearchTuner(space)
    points, _ = run_out(tuner)
    expected = [
        {"opt": o, "layers": n, "width": w, "batch": b}
        for o, n, w, b in itertools.product(["sgd", "adam"], [1, 2, 3], [0, 5, 10], [8, 16, 24, 32])
    ]
    assert len(points) == len(expected) == grid_size(tuner) == 72
    assert sorted(keys(points)) == sorted(keys(expected))
    assert all(type(p["layers"]) is int for p in points)


def test_order_is_deterministic() -> None:
    raw = {"a": {"_type": "choice", "_value": [1, 2, 3]}, "b": {"_type": "randint", "_value": [0, 4]}}
    first, _ = run_out(GridSearchTuner(SearchSpace(raw)))
    second, _ = run_out(GridSearchTuner(SearchSpace(raw), seed=99))
    assert first == second


def test_nested_branches_expand_only_when_chosen() -> None:
    space = SearchSpace(
        {
            "model": {
                "_type": "choice",
                "_value": [
                    {"_name": "linear"},
                    {
                        "_name": "cnn",
                        "kernel": {"_type": "choice", "_value": [3, 5]},
                        "pool": {
                            "_type": "choice",
                            "_value": [
                                {"_name": "max"},
                                {"_name": "avg", "k": {"_type": "randint", "_value": [2, 4]}},
                            ],
                        },
                    },
                ],
            },
            "lr": {"_type": "choice", "_value": [0.1, 0.01]},
        }
    )
    points, _ = run_out(GridSearchTuner(space))
    assert len(points) == (1 + 2 * (1 + 2)) * 2 == space.grid_size()
    assert len(set(keys(points))) == len(points)
    assert {"model": {"_name": "linear"}, "lr": 0.1} in points
    assert {"model": {"_name": "cnn", "kernel": 5, "pool": {"_name": "avg", "k": 3}}, "lr": 0.01} in points
    for p in points:
        if p["model"]["_name"] == "linear":
            assert p["model"] == {"_name": "linear"}


def test_running_and_failed_trials_count_as_tried() -> None:
    raw = {"a": {"_type": "choice", "_value": list(range(5))}}
    points, _ = run_out(GridSearchTuner(SearchSpace(raw)), status=TrialStatus.RUNNING)
    assert sorted(p["a"] for p in points) == [0, 1, 2, 3, 4]
    points, _ = run_out(GridSearchTuner(SearchSpace(raw)), status=TrialStatus.FAILED)
    assert len(points) == 5


def test_resume_continues_with_the_untried_points() -> None:
    raw = {"a": {"_type": "choice", "_value": list(range(4))}, "b": {"_type": "choice", "_value": ["x", "y"]}}
    space = SearchSpace(raw)
    history = History(
        [
            Trial("old1", 0, {"a": 2, "b": "y"}, TrialStatus.SUCCEEDED, 1.0),
            Trial("old2", 1, {"a": 0, "b": "x"}, TrialStatus.RUNNING),
        ]
    )
    tuner = GridSearchTuner(space)
    for i in range(6):
        history.trials.append(Trial(f"n{i}", i + 2, tuner.suggest(history)))
    with pytest.raises(NoMoreTrials):
        GridSearchTuner(space).suggest(history)
    assert len(set(keys([t.parameters for t in history.trials]))) == 8


def test_uniform_is_refined_midpoint_first() -> None:
    tuner = GridSearchTuner(SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}}))
    history = History()
    values = []
    for i in range(15):
        params = tuner.suggest(history)
        values.append(params["x"])
        history.trials.append(Trial(f"t{i}", i, params))
    assert values[0] == 0.5
    assert sorted(values[1:3]) == [0.25, 0.75]
    assert sorted(values[3:7]) == [0.125, 0.375, 0.625, 0.875]
    assert sorted(values[7:15]) == [k / 16 for k in range(1, 16, 2)]
    assert grid_size(tuner) == math.inf


def test_loguniform_midpoint_is_geometric_and_normal_midpoint_is_mu() -> None:
    space = SearchSpace(
        {"lr": {"_type": "loguniform", "_value": [1e-4, 1.0]}, "w": {"_type": "normal", "_value": [2.0, 3.0]}}
    )
    tuner = GridSearchTuner(space)
    history = History()
    first = tuner.suggest(history)
    assert first["lr"] == pytest.approx(1e-2)
    assert first["w"] == pytest.approx(2.0)
    points = [first]
    history.trials.append(Trial("t0", 0, first))
    for i in range(1, 9):
        points.append(tuner.suggest(history))
        history.trials.append(Trial(f"t{i}", i, points[-1]))
    quartile = NormalDist(2.0, 3.0).inv_cdf(0.25)
    assert {round(p["w"], 6) for p in points} == {round(quartile, 6), 2.0, round(4.0 - quartile, 6)}
    assert {round(math.log10(p["lr"]), 6) for p in points} == {-3.0, -2.0, -1.0}
    assert len(set(keys(points))) == 9


def test_continuous_with_choice_covers_the_choices_first() -> None:
    space = SearchSpace(
        {"x": {"_type": "uniform", "_value": [-1, 1]}, "opt": {"_type": "choice", "_value": ["a", "b", "c"]}}
    )
    tuner = GridSearchTuner(space)
    history = History()
    first = []
    for i in range(3):
        first.append(tuner.suggest(history))
        history.trials.append(Trial(f"t{i}", i, first[-1]))
    assert sorted(p["opt"] for p in first) == ["a", "b", "c"]
    assert all(p["x"] == 0 for p in first)


def test_create_by_nni_name() -> None:
    space = SearchSpace({"a": {"_type": "choice", "_value": [1]}})
    for name in ("GridSearch", "gridsearch", "Grid_Search"):
        assert isinstance(create_tuner(space, name), GridSearchTuner)


def test_huge_enumerable_parameter_is_refused_at_once() -> None:
    from autolab.searchspace import SearchSpace
    from autolab.tuners import create_tuner
    from autolab.tuners.base import TunerError

    space = SearchSpace({"a": {"_type": "randint", "_value": [0, 1_000_000_000]}})
    with pytest.raises(TunerError, match="'a' has about 1,000,000,000 values"):
        create_tuner(space, "GridSearch")
