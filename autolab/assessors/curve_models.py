"""Parametric learning-curve families and a bounded least-squares ensemble that extrapolates them.

The families are the saturating ones of Domhan et al. (IJCAI 2015), written for a curve that rises
towards an asymptote on a 0..1 scale; `predict` maps the data onto that scale first. Each family is
fitted with scipy's curve_fit under a cap on function evaluations and a wall-clock deadline, and the
prediction is the median over the families that fit about as well as the best one.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

Array = np.ndarray


@dataclass(frozen=True)
class Family:
    name: str
    f: Callable[..., Array]
    p0: tuple[float, ...]


def _pow3(x: Array, c: float, a: float, alpha: float) -> Array:
    return c - a * x ** (-alpha)


def _log_linear(x: Array, a: float, b: float) -> Array:
    return a * np.log(x) + b


def _exp3(x: Array, c: float, a: float, b: float) -> Array:
    return c - np.exp(-a * x + b)


def _ilog2(x: Array, c: float, a: float) -> Array:
    return c - a / np.log(x + 1.0)


def _janoschek(x: Array, alpha: float, beta: float, kappa: float, delta: float) -> Array:
    return alpha - (alpha - beta) * np.exp(-abs(kappa) * x**delta)


def _mmf(x: Array, alpha: float, beta: float, kappa: float, delta: float) -> Array:
    return alpha - (alpha - beta) / (1.0 + (abs(kappa) * x) ** delta)


def _weibull(x: Array, alpha: float, beta: float, kappa: float, delta: float) -> Array:
    return alpha - (alpha - beta) * np.exp(-((abs(kappa) * x) ** delta))


FAMILIES: tuple[Family, ...] = (
    Family("pow3", _pow3, (1.0, 1.0, 0.5)),
    Family("log_linear", _log_linear, (0.3, 0.0)),
    Family("exp3", _exp3, (1.0, 0.5, 0.0)),
    Family("ilog2", _ilog2, (1.0, 0.5)),
    Family("janoschek", _janoschek, (1.0, 0.0, 0.3, 1.0)),
    Family("mmf", _mmf, (1.0, 0.0, 0.5, 1.0)),
    Family("weibull", _weibull, (1.0, 0.0, 0.3, 1.0)),
)

#: function evaluations allowed per family fit (Levenberg-Marquardt; ~5 per iteration for 4 params)
MAX_FEV = 400
#: a family takes part in the ensemble when its RMSE is within this factor (+ a noise floor) of the best
RMSE_FACTOR = 2.0
RMSE_FLOOR = 0.02
#: predictions further than this many data ranges outside the data are treated as diverged
MAX_EXTRAPOLATION = 5.0


@dataclass(frozen=True)
class Fit:
    family: str
    params: tuple[float, ...]
    rmse: float
    prediction: float


def fit_family(family: Family, x: Array, y: Array, target: float, max_fev: int = MAX_FEV) -> Fit | None:
    """Least-squares fit of one family on (x, y); None if it fails or predicts nonsense."""
    if len(x) <= len(family.p0):
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            params, _ = curve_fit(family.f, x, y, p0=family.p0, maxfev=max_fev)
        except (RuntimeError, ValueError, TypeError, FloatingPointError):
            return None
        fitted = family.f(x, *params)
        prediction = float(family.f(np.array([target], dtype=float), *params)[0])
    rmse = float(np.sqrt(np.mean((fitted - y) ** 2)))
    if not (math.isfinite(rmse) and math.isfinite(prediction)):
        return None
    return Fit(family.name, tuple(float(p) for p in params), rmse, prediction)


def fit_all(
    y_scaled: Array, target: float, deadline: float | None = None, families: Sequence[Family] = FAMILIES
) -> list[Fit]:
    """Fit every family that the deadline (a time.perf_counter() value) leaves room for."""
    x = np.arange(1, len(y_scaled) + 1, dtype=float)
    fits = []
    for family in families:
        if deadline is not None and time.perf_counter() >= deadline:
            break
        fit = fit_family(family, x, y_scaled, target)
        if fit is not None and abs(fit.prediction) <= MAX_EXTRAPOLATION + 1:
            fits.append(fit)
    return fits


def predict(
    values: Sequence[float], target_step: int, increasing: bool = True, time_budget: float | None = 0.2
) -> float | None:
    """The value the curve `values` (reported at steps 1..n) is predicted to reach at target_step.

    increasing=False for curves that improve downwards (a loss). None when no family fits.
    time_budget bounds the wall time in seconds (a fit started before the deadline still ends).
    """
    y = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if len(y) < 3:
        return None
    if not increasing:
        y = -y
    low, span = float(y.min()), float(np.ptp(y))
    if span < 1e-12:
        return float(y[-1] if increasing else -y[-1])
    deadline = None if time_budget is None else time.perf_counter() + time_budget
    fits = fit_all((y - low) / span, float(target_step), deadline)
    if not fits:
        return None
    best = min(f.rmse for f in fits)
    kept = [f.prediction for f in fits if f.rmse <= RMSE_FACTOR * best + RMSE_FLOOR]
    scaled = float(np.median(kept))
    result = float(low + scaled * span)
    return result if increasing else -result
