"""Gaussian-process fitting on the unit cube, shared by the GP tuner and TPE's believer.

A constant times a Matern kernel with one length scale per column, y normalised. The kernel's
hyperparameters are fitted by marginal likelihood on a subset of the rows (the caller's choice,
which keeps the cost flat with long histories); the posterior then uses every row.

With `noise=True` a noise variance is fitted too (as Optuna's GPSampler does by default): on a
rugged surface the process then models the trend and treats the ripples as noise, instead of
interpolating every ripple with short length scales that say nothing between the trials. The
fitted noise becomes the posterior's `alpha` (the regressor's `alpha` attribute), so `predict`'s
standard deviation is the function's, not the function's plus noise.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

NOISE_START = 1e-2
NOISE_BOUNDS = (1e-6, 0.5)
# With `prior=True` the hyperparameters are a posterior mode rather than a likelihood maximum, with
# the priors of Optuna's GPSampler (optuna/_gp/prior.py): on a length scale l (cube units)
# log p = -(0.1 l^2 + 0.1 / l^2), which keeps l near 1 and stops the fit from switching a column
# off (l at its upper bound, 100) or chasing ripples (l -> 0.01); on the noise variance a
# Gamma(1.1, rate 30), which keeps the noise small unless the data insist.
LENGTH_PRIOR = 0.1
NOISE_PRIOR = (1.1, 30.0)


def fit(
    x: np.ndarray,
    y: np.ndarray,
    hyper: np.ndarray,
    *,
    nu: float = 2.5,
    alpha: float = 1e-6,
    length_scale: float = 0.5,
    random_state: int = 0,
    noise: bool = False,
    prior: bool = False,
) -> Any:
    """A fitted GaussianProcessRegressor: hyperparameters from the rows `hyper`, posterior on all;
    `noise`: fit a noise variance too (NOISE_BOUNDS, in units of the normalised y's variance);
    `prior`: the hyperparameters' posterior mode under LENGTH_PRIOR / NOISE_PRIOR."""
    # not at the top: TPE imports this module, and `autolab create` with TPE should not wait ~0.5 s
    # for scikit-learn before a single trial has finished (it loads on the first fit)
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(x.shape[1], length_scale), (1e-2, 1e2), nu=nu)
    if noise:
        kernel = kernel + WhiteKernel(NOISE_START, NOISE_BOUNDS)
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
    if noise:  # sklearn's predict would add the white term to the sd: move it into alpha
        return posterior(gp.kernel_.k1, x, y, alpha + float(gp.kernel_.k2.noise_level))
    return posterior(gp.kernel_, x, y, alpha) if len(hyper) < len(y) else gp


def posterior(kernel: Any, x: np.ndarray, y: np.ndarray, alpha: float | np.ndarray = 1e-6) -> Any:
    """The posterior on (x, y) with a kernel already fitted (no hyperparameter search); `alpha`: the
    noise variance, one for all rows or one per row."""
    from sklearn.gaussian_process import GaussianProcessRegressor  # as in fit(): loaded on first use

    gp = GaussianProcessRegressor(kernel, alpha=alpha, normalize_y=True, optimizer=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gp.fit(x, y)


def _map_optimizer(n_lengths: int, noise: bool) -> Callable[..., tuple[np.ndarray, float]]:
    """scikit-learn's optimizer hook, minimising -(log marginal likelihood + log prior) over the
    log hyperparameters theta = [log constant, log length scales..., log noise (if fitted)]."""
    from scipy.optimize import minimize  # with scikit-learn, on the first fit (see fit())

    lengths = slice(1, 1 + n_lengths)

    def objective(theta: np.ndarray, obj_func: Callable[..., Any]) -> tuple[float, np.ndarray]:
        value, grad = obj_func(theta, eval_gradient=True)  # -lml and its gradient
        grad = np.array(grad, dtype=float)
        sq = np.exp(2 * theta[lengths])
        value += LENGTH_PRIOR * float(np.sum(sq + 1 / sq))
        grad[lengths] += 2 * LENGTH_PRIOR * (sq - 1 / sq)
        if noise:
            shape, rate = NOISE_PRIOR
            value -= (shape - 1) * theta[-1] - rate * np.exp(theta[-1])
            grad[-1] -= (shape - 1) - rate * np.exp(theta[-1])
        return float(value), grad

    def optimizer(obj_func: Callable[..., Any], initial_theta: np.ndarray, bounds: np.ndarray) -> Any:
        res = minimize(objective, initial_theta, args=(obj_func,), jac=True, method="L-BFGS-B", bounds=bounds)
        return res.x, float(res.fun)

    return optimizer
