"""gaussian.fit with a prior on the length scales, and the GP tuner's log expected improvement."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from autolab.tuners import gaussian
from autolab.tuners.gp import log_h


def test_log_h_is_log_of_ei_over_sd_and_finite_where_ei_underflows() -> None:
    z = np.linspace(-30, 4, 500)
    direct = z * norm.cdf(z) + norm.pdf(z)
    ok = direct > 1e-250
    assert np.allclose(log_h(z[ok]), np.log(direct[ok]), rtol=1e-9, atol=1e-9)
    far = np.array([-40.0, -100.0, -1e3])
    assert np.all(direct[:1] >= 0) and np.all(far * norm.cdf(far) + norm.pdf(far) == 0)
    values = log_h(np.concatenate([far[::-1], z]))
    assert np.all(np.isfinite(values)) and np.all(np.diff(values) > 0)  # still ranks candidates
    # asymptote: log phi(z) - 2 log|z|
    assert abs(log_h(np.array([-1e3]))[0] - (norm.logpdf(-1e3) - 2 * np.log(1e3))) < 1e-3


def test_log_h_stays_finite_and_increasing_to_the_farthest_tail() -> None:
    # a GP's candidate at its observed minimum has a tiny spread: z reached -1e8 and beyond, where
    # the erfcx form rounded 1 + z Phi/phi to 0 or below (log_h -inf or NaN, with RuntimeWarnings)
    z = -np.logspace(0, 15, 3000)[::-1]
    with np.errstate(all="raise"):
        values = log_h(z)
    assert np.all(np.isfinite(values)) and np.all(np.diff(values) > 0)
    for far in (-1e4, -1e8, -1e12):  # log phi(z) + log(1/z^2 - 3/z^4): exact to rounding here
        expected = norm.logpdf(far) - 2 * np.log(-far) + np.log1p(-3 / far**2)
        assert abs(log_h(np.array([far]))[0] - expected) <= 1e-12 * abs(expected)
    # the series and the erfcx form meet at TAIL_Z
    near = np.array([np.nextafter(-30.0, -np.inf), -30.0])
    assert abs(np.diff(log_h(near))[0]) < 1e-8  # of a value near -458


def _levy(u: np.ndarray) -> np.ndarray:
    w = 1 + (-10 + 20 * u - 1) / 4
    head = np.sin(np.pi * w[:, 0]) ** 2
    mid = np.sum((w[:, :-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:, :-1] + 1) ** 2), axis=1)
    tail = (w[:, -1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[:, -1]) ** 2)
    return head + mid + tail


def test_the_prior_keeps_every_column_of_a_rugged_function_in_the_model() -> None:
    """Levy-6 on 90 random points: the likelihood maximum switches two columns off (length scale
    at its bound, 100) although every column matters; the posterior mode keeps them all."""
    u = np.random.default_rng(0).random((90, 6))
    y = _levy(u)
    bare = gaussian.fit(u, y, np.arange(90)).kernel_.k2.length_scale
    assert np.max(bare) > 50
    mode = gaussian.fit(u, y, np.arange(90), prior=True)
    scales = mode.kernel_.k2.length_scale
    assert np.all((scales > 0.05) & (scales < 5)), scales
    # the posterior on every row when the hyperparameters came from a subset
    sub = gaussian.fit(u, y, np.arange(30), prior=True)
    assert len(sub.X_train_) == 90 and np.all(sub.kernel_.k2.length_scale < 5)
