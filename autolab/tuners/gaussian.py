"""Gaussian-process fitting on the unit cube, shared by the GP tuner and TPE's believer.

A constant times a Matern kernel with one length scale per column, y normalised. The kernel's
hyperparameters are fitted by marginal likelihood on a subset of the rows (the caller's choice,
which keeps the cost flat with long histories); the posterior then uses every row.

With `prior=True` the hyperparameters are a posterior mode instead of the likelihood maximum, with
a prior on each length scale as Optuna's GPSampler has one (see LENGTH_PRIOR). With `noise=True` a
noise variance is fitted beside the kernel (a WhiteKernel, with GPSampler's prior NOISE_PRIOR) and the
returned posterior is that of the noise-free function: the noise joins the rows as alpha (kept in the
result's `noise_`), and the predicted sd leaves it out. `Trended` adds a per-dimension quadratic trend
as the mean of such a posterior (the GP tuner's noisy model).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

# log p(l) = -LENGTH_PRIOR (l^2 + 1 / l^2) on each length scale l (cube units), the form of Optuna
# GPSampler's prior (optuna/_gp/prior.py, where the weight is 0.1). The likelihood maximum alone
# switched whole columns off on rugged surfaces (l at its bound, 100: on Levy-6, two of six columns
# that all matter), which the prior forbids. Measured, GP sequential, seeds 0-9, median regret
# (bench/README.md, issue 24 second round): Levy-6 1.33 -> 0.44; it costs Rastrigin-6 (31.4 -> 42.9),
# whose ripples want length scales the prior calls unlikely.
LENGTH_PRIOR = 0.1
# Optuna GPSampler's prior on the noise variance of the standardised losses: Gamma(concentration 1.1,
# rate 30) (optuna/_gp/prior.py), the variance at least MIN_NOISE; with `noise=True` only.
NOISE_PRIOR = (1.1, 30.0)
MIN_NOISE = 1e-6


def fit(
    x: np.ndarray,
    y: np.ndarray,
    hyper: np.ndarray,
    *,
    nu: float = 2.5,
    alpha: float = 1e-6,
    length_scale: float = 0.5,
    random_state: int = 0,
    prior: bool = False,
    noise: bool = False,
) -> Any:
    """A fitted GaussianProcessRegressor: hyperparameters from the rows `hyper`, posterior on all;
    `prior`: the hyperparameters' posterior mode under LENGTH_PRIOR (else the likelihood maximum);
    `noise` (with `prior`): a fitted noise variance under NOISE_PRIOR, its search started at 1,
    and the posterior of the noise-free function with that noise on every row (`noise_`)."""
    # not at the top: TPE imports this module, and `autolab create` with TPE should not wait ~0.5 s
    # for scikit-learn before a single trial has finished (it loads on the first fit)
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(x.shape[1], length_scale), (1e-2, 1e2), nu=nu)
    if noise:
        kernel = kernel + WhiteKernel(1.0, (MIN_NOISE, 1e2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gp = GaussianProcessRegressor(
            kernel,
            alpha=alpha,
            normalize_y=True,
            random_state=random_state,
            optimizer=_map_optimizer(x.shape[1], noise) if prior else "fmin_l_bfgs_b",
        )
        gp.fit(x[hyper], y[hyper])
    if noise:
        level = float(gp.kernel_.k2.noise_level)
        post = posterior(gp.kernel_.k1, x, y, alpha + level)
        post.noise_ = level
        return post
    return posterior(gp.kernel_, x, y, alpha) if len(hyper) < len(y) else gp


def posterior(kernel: Any, x: np.ndarray, y: np.ndarray, alpha: float = 1e-6) -> Any:
    """The posterior on (x, y) with a kernel already fitted (no hyperparameter search)."""
    from sklearn.gaussian_process import GaussianProcessRegressor  # as in fit(): loaded on first use

    gp = GaussianProcessRegressor(kernel, alpha=alpha, normalize_y=True, optimizer=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gp.fit(x, y)


def _map_optimizer(n_lengths: int, noise: bool = False) -> Callable[..., tuple[np.ndarray, float]]:
    """scikit-learn's optimizer hook, minimising -(log marginal likelihood + log prior) over the
    log hyperparameters theta = [log constant, log length scales..., (log noise)]."""
    from scipy.optimize import minimize  # loaded with scikit-learn, on the first fit (see fit())

    lengths = slice(1, 1 + n_lengths)

    def objective(theta: np.ndarray, obj_func: Callable[..., Any]) -> tuple[float, np.ndarray]:
        value, grad = obj_func(theta, eval_gradient=True)  # -lml and its gradient
        grad = np.array(grad, dtype=float)
        sq = np.exp(2 * theta[lengths])
        grad[lengths] += 2 * LENGTH_PRIOR * (sq - 1 / sq)
        total = float(value) + LENGTH_PRIOR * float(np.sum(sq + 1 / sq))
        if noise:  # a Gamma(a, b) prior on v = exp(t): log p = (a - 1) t - b e^t (+ const)
            a, b = NOISE_PRIOR
            t = theta[1 + n_lengths]
            total -= (a - 1) * t - b * np.exp(t)
            grad[1 + n_lengths] -= (a - 1) - b * np.exp(t)
        return total, grad

    def optimizer(obj_func: Callable[..., Any], initial_theta: np.ndarray, bounds: np.ndarray) -> Any:
        res = minimize(objective, initial_theta, args=(obj_func,), jac=True, method="L-BFGS-B", bounds=bounds)
        return res.x, float(res.fun)

    return optimizer


def quadratic(u: np.ndarray) -> np.ndarray:
    """The trend's features on the unit cube: 1, v and v^2 per column, v = u - 0.5."""
    v = u - 0.5
    return np.hstack([np.ones((len(u), 1)), v, v * v])


class Trended:
    """A posterior plus a per-dimension quadratic trend as its mean: c + sum_j (b_j v_j + a_j v_j^2),
    least squares on the rows (minimum norm where columns coincide, as one-hot ones do); the posterior
    (`fit` on the residuals) adds the ripples, and the sd is the posterior's. On a bowl with ripples
    (Griewank-8, Levy-6) the trend carries the bowl, so the mean's minimiser is the bowl's."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.coef = np.linalg.lstsq(quadratic(x), y, rcond=None)[0]
        self.gp: Any = None

    def trend(self, u: np.ndarray) -> np.ndarray:
        return quadratic(u) @ self.coef

    def on(self, gp: Any) -> Trended:
        """This trend on a posterior fitted to the residuals y - trend(x)."""
        self.gp = gp
        return self

    def predict(self, u: np.ndarray, return_std: bool = False) -> Any:
        t = self.trend(u)
        if return_std:
            mu, sd = self.gp.predict(u, return_std=True)
            return mu + t, sd
        return self.gp.predict(u) + t
