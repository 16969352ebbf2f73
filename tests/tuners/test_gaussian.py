"""gaussian.fit with a fitted noise variance, and the GP tuner's log expected improvement."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from autolab.tuners import gaussian
from autolab.tuners.gp import log_h


def _noisy_bowl(seed: int, sd: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((60, 2))
    trend = np.sum((x - 0.3) ** 2, axis=1)
    return x, trend, trend + rng.normal(0, sd, len(x))


def test_noise_is_fitted_and_kept_out_of_the_predicted_sd() -> None:
    x, trend, y = _noisy_bowl(0, 0.05)
    gp = gaussian.fit(x, y, np.arange(len(y)), noise=True)
    # the fitted noise (normalised units: y's variance is 1) is in alpha, the kernel has no white term
    noise_var = gp.alpha - 1e-6
    assert 0.05 < noise_var * np.var(y) / 0.05**2 < 5
    assert "WhiteKernel" not in repr(gp.kernel_)
    mu, sd = gp.predict(x, return_std=True)
    # the trend, not the noise, is what the mean follows: closer to the trend than the data are
    assert np.sqrt(np.mean((mu - trend) ** 2)) < 0.6 * np.sqrt(np.mean((y - trend) ** 2))
    assert np.median(sd) < 0.05  # the latent function's sd at the trials, not noise + function


def test_without_noise_the_fit_interpolates() -> None:
    x, _, y = _noisy_bowl(1, 0.05)
    gp = gaussian.fit(x, y, np.arange(len(y)))
    assert gp.alpha == 1e-6
    assert np.max(np.abs(gp.predict(x) - y)) < 1e-3


def test_subset_fit_with_noise_conditions_on_every_row() -> None:
    x, _, y = _noisy_bowl(2, 0.05)
    gp = gaussian.fit(x, y, np.arange(20), noise=True)
    assert len(gp.X_train_) == len(y) and gp.alpha > 1e-6


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
    mode = gaussian.fit(u, y, np.arange(90), noise=True, prior=True)
    scales = mode.kernel_.k2.length_scale
    assert np.all((scales > 0.1) & (scales < 3)), scales
    assert 1e-6 < mode.alpha < 0.1  # a little noise: the ripples, not the trend
