"""MOGP's expected hypervolume improvement: the boxes cover exactly the region a point can add,
log-EHVI matches a Monte Carlo estimate for 2, 3 and 4 objectives and stays finite far from the
front; and the tuner's own behaviour (running trials, snapped integers)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from autolab.history import History, Trial
from autolab.pareto import hypervolume, pareto_front
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import create_tuner
from autolab.tuners.ehvi import boxes, log_ehvi, log_h


def a_front(m: int, rng: np.random.Generator) -> np.ndarray:
    points = rng.random((40, m))
    return points[pareto_front(points.tolist())]


@pytest.mark.parametrize("m", [2, 3, 4])
def test_boxes_are_the_region_below_the_reference_that_the_front_leaves(m: int) -> None:
    rng = np.random.default_rng(m)
    front, ref, floor = a_front(m, rng), np.full(m, 1.5), -1.0
    lower, upper = boxes(front, ref, rng)
    volume = np.prod(upper - np.maximum(lower, floor), axis=1).sum()
    assert volume == pytest.approx(
        (ref - floor).prod() - hypervolume(front.tolist(), ref.tolist()), rel=1e-12
    )
    assert np.all(upper > np.maximum(lower, floor))


@pytest.mark.parametrize("m", [2, 3])
def test_log_ehvi_matches_monte_carlo(m: int) -> None:
    rng = np.random.default_rng(10 + m)
    front, ref = a_front(m, rng), np.full(m, 1.5)
    mu, sd = rng.random((4, m)) * 0.8, 0.1 + 0.2 * rng.random((4, m))
    exact = np.exp(log_ehvi(mu, sd, *boxes(front, ref, rng)))
    base = hypervolume(front.tolist(), ref.tolist())
    for i in range(4):
        draws = mu[i] + sd[i] * rng.standard_normal((3000, m))
        gains = [hypervolume([*front.tolist(), y.tolist()], ref.tolist()) - base for y in draws]
        assert abs(exact[i] - np.mean(gains)) < 4 * np.std(gains) / np.sqrt(len(gains)) + 1e-6


def test_log_ehvi_orders_points_where_ehvi_underflows() -> None:
    rng = np.random.default_rng(0)
    box = boxes(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([2.0, 2.0]), rng)
    far = log_ehvi(np.array([[5.0, 5.0], [6.0, 6.0]]), np.full((2, 2), 0.01), *box)
    assert np.all(np.isfinite(far)) and far[0] > far[1]
    z = np.array([-40.0, -5.0, 0.0, 3.0])
    direct = np.log(z[1:] * norm.cdf(z[1:]) + norm.pdf(z[1:]))
    assert log_h(z)[1:] == pytest.approx(direct, rel=1e-9)
    assert log_h(z)[0] == pytest.approx(-800.0 - 0.5 * np.log(2 * np.pi) - 2 * np.log(40.0), abs=0.01)


SPACE = {
    "x": {"_type": "uniform", "_value": [0, 1]},
    "y": {"_type": "uniform", "_value": [0, 1]},
    "depth": {"_type": "randint", "_value": [1, 9]},
}
ARGS = {"objectives": {"a": "minimize", "b": "minimize"}, "seed": 0}


def history_of(n: int) -> History:
    rng = np.random.default_rng(1)
    trials = []
    for i in range(n):
        p = {"x": float(rng.random()), "y": float(rng.random()), "depth": int(rng.integers(1, 9))}
        a, b = p["x"], (1 + p["y"] + p["depth"] / 8) * (1 - p["x"] ** 0.5)
        trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, value=a, raw_value={"default": a, "b": b}))
    return History(trials)


def test_running_trial_moves_the_next_suggestion() -> None:
    history = history_of(15)
    tuner = create_tuner(SearchSpace(SPACE), "GP", ARGS)
    first = tuner.suggest(history)
    history.trials.append(Trial("run", 15, first, TrialStatus.RUNNING))
    second = tuner.suggest(history)
    assert second != first
    assert abs(second["x"] - first["x"]) + abs(second["y"] - first["y"]) > 1e-3


def test_acquisition_is_scored_at_the_rounded_integer() -> None:
    tuner = create_tuner(SearchSpace(SPACE), "GP", ARGS)
    col = next(c for i, c, _ in tuner.cube.columns if tuner.space.dims[i].key == "depth")
    u = np.full((1, tuner.cube.n_columns), 0.5)
    u[0, col] = 0.47  # between two depths: scored at the one it will take
    snapped = tuner._snap(u)
    assert tuner.cube.to_params(snapped[0]) == tuner.cube.to_params(u[0])
    assert snapped[0, col] != u[0, col] and snapped[0, 0] == u[0, 0]


def test_without_a_feasible_trial_it_seeks_feasibility() -> None:
    """Every trial so far breaks b <= 0.3 (all have x > 0.5, b grows with x): MOGP maximises the
    probability of feasibility alone and goes to small x."""
    rng = np.random.default_rng(2)
    trials = []
    for i in range(12):
        p = {"x": float(0.5 + 0.5 * rng.random()), "y": float(rng.random()), "depth": int(rng.integers(1, 9))}
        raw = {"default": p["y"], "b": p["x"]}
        trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, value=p["y"], raw_value=raw))
    tuner = create_tuner(SearchSpace(SPACE), "GP", {**ARGS, "constraints": {"b": {"max": 0.3}}})
    assert tuner.suggest(History(trials))["x"] < 0.5


def test_one_objective_with_a_constraint() -> None:
    history = history_of(14)
    args = {"objectives": {"a": "minimize"}, "constraints": {"b": {"max": 1.0}}, "seed": 0}
    params = create_tuner(SearchSpace(SPACE), "GP", args).suggest(history)
    assert set(params) == {"x", "y", "depth"}
