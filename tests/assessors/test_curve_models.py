from __future__ import annotations

import time

import numpy as np
import pytest

from autolab.assessors import curve_models as cm

X = np.arange(1, 21, dtype=float)
# one member of each family, rising from about 0.1 towards 0.9 over 20 epochs
KNOWN = {
    "pow3": (0.95, 0.8, 0.7),
    "exp3": (0.9, 0.25, 0.0),
    "janoschek": (0.9, 0.1, 0.2, 0.9),
    "mmf": (0.95, 0.1, 0.3, 1.5),
    "weibull": (0.9, 0.1, 0.15, 1.2),
    "ilog2": (1.2, 0.7),
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_each_family_recovers_its_own_curve(name: str) -> None:
    family = next(f for f in cm.FAMILIES if f.name == name)
    y = family.f(X, *KNOWN[name])
    fit = cm.fit_family(family, X[:10], y[:10], 20.0)
    assert fit is not None
    assert fit.rmse < 1e-3
    assert fit.prediction == pytest.approx(y[19], abs=0.01)


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_ensemble_predicts_a_known_curve(name: str) -> None:
    family = next(f for f in cm.FAMILIES if f.name == name)
    y = family.f(X, *KNOWN[name])
    predicted = cm.predict(list(y[:10]), 20)
    assert predicted is not None
    # families that fit the first half equally well part a little in the second: a few points
    assert predicted == pytest.approx(y[19], abs=0.05)


def test_noisy_curve_and_loss_curve() -> None:
    rng = np.random.default_rng(0)
    y = 0.95 - 0.8 * X**-0.7
    noisy = y + rng.normal(0, 0.005, len(X))
    assert cm.predict(list(noisy[:10]), 20) == pytest.approx(y[19], abs=0.03)
    loss = 2.0 * np.exp(-0.2 * X) + 0.3
    assert cm.predict(list(loss[:8]), 20, increasing=False) == pytest.approx(loss[19], abs=0.03)


def test_degenerate_inputs() -> None:
    assert cm.predict([0.5, 0.6], 20) is None  # too few points
    assert cm.predict([0.7, 0.7, 0.7, 0.7], 20) == 0.7  # flat: stays where it is
    assert cm.predict([0.1, float("nan"), 0.3, 0.4, 0.45], 20) is not None
    assert cm.fit_family(cm.FAMILIES[0], X[:3], X[:3], 20.0) is None  # as many params as points


def test_deadline_bounds_the_work() -> None:
    rng = np.random.default_rng(1)
    y = list(0.9 - 0.5 * X**-0.5 + rng.normal(0, 0.05, len(X)))
    assert cm.fit_all(np.asarray(y), 20.0, deadline=time.perf_counter() - 1) == []
    start = time.perf_counter()
    for _ in range(5):
        cm.predict(y[:19], 20, time_budget=0.01)
    # each call stops starting fits after 10 ms; one fit is capped by MAX_FEV evaluations
    assert (time.perf_counter() - start) / 5 < 0.2
