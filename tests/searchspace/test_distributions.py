"""Search space: NNI's _types, their distributions and their grids."""

from __future__ import annotations

import json
import math
import random
import statistics
from collections import Counter
from typing import Any

import pytest
from scipy import stats

from autolab.searchspace import SearchSpace, SearchSpaceError

N = 4000


def samples(spec: dict[str, Any], n: int = N, seed: int = 0) -> list[Any]:
    space = SearchSpace({"x": spec})
    rng = random.Random(seed)
    return [space.sample(rng)["x"] for _ in range(n)]


def freqs(values: list[Any]) -> dict[Any, float]:
    return {k: c / len(values) for k, c in Counter(values).items()}


# -- distributions ------------------------------------------------------------------------------


def test_choice_returns_the_options_uniformly() -> None:
    options = ["sgd", 3, 0.5, None, [1, 2], {"k": 1}]
    values = samples({"_type": "choice", "_value": options}, n=6000)
    counts = Counter(json.dumps(v, sort_keys=True) for v in values)
    assert set(counts) == {json.dumps(o, sort_keys=True) for o in options}
    for c in counts.values():
        assert abs(c / 6000 - 1 / 6) < 0.03


def test_randint_upper_bound_is_exclusive() -> None:
    values = samples({"_type": "randint", "_value": [-2, 3]})
    assert all(type(v) is int for v in values)
    assert set(values) == {-2, -1, 0, 1, 2}
    for p in freqs(values).values():
        assert abs(p - 0.2) < 0.03


def test_randint_single_value() -> None:
    assert set(samples({"_type": "randint", "_value": [7, 8]}, n=50)) == {7}


def test_uniform_is_uniform_in_range() -> None:
    values = samples({"_type": "uniform", "_value": [2, 5]})
    assert all(2 <= v <= 5 for v in values)
    assert isinstance(values[0], float)
    assert stats.kstest(values, stats.uniform(loc=2, scale=3).cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # clip(round(x/q)*q, low, high) with x ~ U(low, high)
        ([0, 10, 3], {0: 0.15, 3: 0.3, 6: 0.3, 9: 0.25}),
        ([1, 10, 4], {1: 1 / 9, 4: 4 / 9, 8: 4 / 9}),  # round(x/4)*4 = 0 is clipped up to low
        ([0, 11, 4], {0: 2 / 11, 4: 4 / 11, 8: 4 / 11, 11: 1 / 11}),  # 12 is clipped down to high
    ],
)
def test_quniform_rounds_then_clips(value: list[float], expected: dict[float, float]) -> None:
    values = samples({"_type": "quniform", "_value": value})
    got = freqs(values)
    assert set(got) == set(expected)
    for k, p in expected.items():
        assert abs(got[k] - p) < 0.03, (k, got[k], p)


def test_quniform_with_fractional_q() -> None:
    values = samples({"_type": "quniform", "_value": [0, 1, 0.25]})
    assert {round(v, 9) for v in values} == {0.0, 0.25, 0.5, 0.75, 1.0}


def test_loguniform_in_range_and_log_uniform() -> None:
    low, high = 1e-4, 1e-1
    values = samples({"_type": "loguniform", "_value": [low, high]})
    assert all(low <= v <= high for v in values)
    geometric_mean = math.sqrt(low * high)
    assert 0.8 < statistics.median(values) / geometric_mean < 1.25
    logs = [math.log(v) for v in values]
    dist = stats.uniform(loc=math.log(low), scale=math.log(high) - math.log(low))
    assert stats.kstest(logs, dist.cdf).pvalue > 1e-3
    # a plain uniform would put ~90% of the mass above 1e-2
    assert 0.28 < sum(v > 1e-2 for v in values) / len(values) < 0.39


def test_qloguniform_multiples_of_q_clipped_log_distributed() -> None:
    values = samples({"_type": "qloguniform", "_value": [1, 1000, 5]})
    assert all(1 <= v <= 1000 for v in values)
    assert all(v == 1 or v % 5 == 0 for v in values)  # 0 is clipped up to low = 1
    assert 1 in values
    assert 20 < statistics.median(values) < 50  # geometric mean ~31.6; uniform would give ~500


def test_normal_mean_and_sigma() -> None:
    values = samples({"_type": "normal", "_value": [2, 3]})
    assert abs(statistics.fmean(values) - 2) < 0.2
    assert abs(statistics.stdev(values) - 3) < 0.15
    assert stats.kstest(values, stats.norm(loc=2, scale=3).cdf).pvalue > 1e-3
    assert min(values) < 2 - 6 and max(values) > 2 + 6  # unbounded, not clipped to +-2 sigma


def test_qnormal_rounds_to_q() -> None:
    values = samples({"_type": "qnormal", "_value": [0, 5, 2]})
    assert all(v % 2 == 0 for v in values)
    assert abs(statistics.fmean(values)) < 0.3
    assert abs(statistics.stdev(values) - 5) < 0.3


def test_lognormal_is_exp_of_normal() -> None:
    values = samples({"_type": "lognormal", "_value": [1, 0.5]})
    assert all(v > 0 for v in values)
    logs = [math.log(v) for v in values]
    assert abs(statistics.fmean(logs) - 1) < 0.05
    assert abs(statistics.stdev(logs) - 0.5) < 0.05
    assert abs(statistics.median(values) - math.e) < 0.15


def test_qlognormal_rounds_exp_of_normal() -> None:
    values = samples({"_type": "qlognormal", "_value": [2, 0.5, 1]})
    assert all(v >= 0 and float(v).is_integer() for v in values)
    assert statistics.median(values) in (7, 8)  # round(e^2) = 7


@pytest.mark.parametrize(
    "spec",
    [
        {"_type": "choice", "_value": ["a", "b", 3]},
        {"_type": "randint", "_value": [-3, 4]},
        {"_type": "quniform", "_value": [0, 10, 3]},
        {"_type": "quniform", "_value": [1, 10, 4]},
        {"_type": "quniform", "_value": [0, 11, 4]},
        {"_type": "quniform", "_value": [0, 1, 0.1]},
        {"_type": "qloguniform", "_value": [1, 100, 7]},
    ],
)
def test_grid_values_are_exactly_the_values_sampling_gives(spec: dict[str, Any]) -> None:
    space = SearchSpace({"x": spec})
    dim = space.dims[0]
    grid = dim.grid_values()
    assert grid is not None
    sampled = set(samples(spec, n=6000)) if spec["_type"] != "choice" else set(range(len(spec["_value"])))
    if spec["_type"] != "choice":
        assert sampled <= set(grid)
        # every grid value but those of near-zero probability shows up in 6000 samples
        assert len(sampled) >= len(grid) - 1
    else:
        assert set(grid) == sampled


@pytest.mark.parametrize("kind", ["uniform", "loguniform", "normal", "lognormal", "qnormal", "qlognormal"])
def test_continuous_types_cannot_be_enumerated(kind: str) -> None:
    value = {
        "uniform": [0, 1],
        "loguniform": [1, 2],
        "normal": [0, 1],
        "lognormal": [0, 1],
        "qnormal": [0, 1, 1],
        "qlognormal": [0, 1, 1],
    }[kind]
    space = SearchSpace({"lr": {"_type": kind, "_value": value}})
    assert space.dims[0].grid_values() is None
    with pytest.raises(SearchSpaceError, match="'lr'"):
        list(space.grid())
