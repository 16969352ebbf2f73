"""Gaussian-process fitting on the unit cube, shared by the GP tuner and TPE's believer.

A constant times a Matern kernel with one length scale per column, y normalised. The kernel's
hyperparameters are fitted by marginal likelihood on a subset of the rows (the caller's choice,
which keeps the cost flat with long histories); the posterior then uses every row.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def fit(
    x: np.ndarray,
    y: np.ndarray,
    hyper: np.ndarray,
    *,
    nu: float = 2.5,
    alpha: float = 1e-6,
    length_scale: float = 0.5,
    random_state: int = 0,
) -> Any:
    """A fitted GaussianProcessRegressor: hyperparameters from the rows `hyper`, posterior on all."""
    # not at the top: TPE imports this module, and `autolab create` with TPE should not wait ~0.5 s
    # for scikit-learn before a single trial has finished (it loads on the first fit)
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(x.shape[1], length_scale), (1e-2, 1e2), nu=nu)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gp = GaussianProcessRegressor(kernel, alpha=alpha, normalize_y=True, random_state=random_state)
        gp.fit(x[hyper], y[hyper])
    return posterior(gp.kernel_, x, y, alpha) if len(hyper) < len(y) else gp


def posterior(kernel: Any, x: np.ndarray, y: np.ndarray, alpha: float = 1e-6) -> Any:
    """The posterior on (x, y) with a kernel already fitted (no hyperparameter search)."""
    from sklearn.gaussian_process import GaussianProcessRegressor  # as in fit(): loaded on first use

    gp = GaussianProcessRegressor(kernel, alpha=alpha, normalize_y=True, optimizer=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gp.fit(x, y)
