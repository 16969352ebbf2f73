"""A multivariate Parzen estimator: a weighted mixture of product kernels, on numpy.

One component per observation plus one prior component. A component is a product of truncated
normals over the numeric dims (sampling coordinates, bounded) and of categorical distributions
over the choice dims. Because kernels are joint, TPE built on it models interactions between
parameters (Branin's valley, Hartmann's coupled optimum), which independent per-parameter
estimators cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
# Scott's rule alone leaves a product kernel too wide in many dimensions: l(x) then spreads over
# the whole box and TPE stalls in whichever basin it found first. Narrowing it as 1.8 / (numeric
# dims), capped at Scott's width, measured over 100 seeds (100 evaluations): Hartmann-6 median
# regret 0.148 -> 0.086 (Optuna's TPE: 0.132), Branin 0.0026 -> 0.0017, mixed 2.4e-05 -> 5.4e-05.
BANDWIDTH_DIMS = 1.8


@dataclass(frozen=True)
class Bounds:
    """The numeric dims' box and prior, and the choice dims' sizes, of one group of dims."""

    low: np.ndarray  # (dn,)
    high: np.ndarray  # (dn,)
    prior_mu: np.ndarray  # (dn,)
    prior_sigma: np.ndarray  # (dn,)
    n_choices: tuple[int, ...]  # one per choice dim
    min_sigma: np.ndarray | None = None  # (dn,) narrowest kernel per numeric dim (integers: about one step)


class Parzen:
    """Mixture over `xn` (n, dn) numeric and `xc` (n, dc) choice observations with `weights`."""

    def __init__(
        self,
        xn: np.ndarray,
        xc: np.ndarray,
        weights: np.ndarray,
        bounds: Bounds,
        prior_weight: float,
        bandwidth: float | None = None,
        extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """`extra` = (xn, xc, sigma): more components of weight 1 with a given kernel width
        (TPE's pending trials: kernels that mark the points being evaluated)."""
        n, dn = xn.shape
        self.bounds = bounds
        width = bounds.high - bounds.low
        # Scott's rule on the spread of the observations, kept between a floor that shrinks with
        # n (so exploitation can sharpen) and the whole range.
        spread = _weighted_std(xn, weights) if n > 1 else width
        if bandwidth is None:
            bandwidth = min(1.0, BANDWIDTH_DIMS / max(dn, 1))
        sigma = bandwidth * spread * max(n, 1) ** (-1.0 / (dn + 4))
        self.obs_sigma = np.clip(sigma, width / min(100.0, 1.0 + n) * 0.5, width)
        if bounds.min_sigma is not None:
            self.obs_sigma = np.minimum(np.maximum(self.obs_sigma, bounds.min_sigma), width)
        ex_n, ex_c, ex_sigma = (
            extra if extra is not None else (np.empty((0, dn)), np.empty((0, xc.shape[1])), self.obs_sigma)
        )
        k = len(ex_n)
        self.mu = np.vstack([xn, ex_n, bounds.prior_mu[None, :]])
        self.sigma = np.vstack(
            [
                np.broadcast_to(self.obs_sigma, (n, dn)),
                np.broadcast_to(ex_sigma, (k, dn)),
                bounds.prior_sigma[None, :],
            ]
        )
        if dn:
            a = (bounds.low - self.mu) / self.sigma
            b = (bounds.high - self.mu) / self.sigma
            self.cdf_a, self.cdf_b = ndtr(a), ndtr(b)
            # log of the truncation mass, summed over dims, per component (every mean lies inside
            # its box and sigma <= the box width, so the mass is never tiny)
            self.log_z = np.sum(np.log(np.maximum(self.cdf_b - self.cdf_a, 1e-300)), axis=1)
        w = np.concatenate([weights.astype(float), np.ones(k), [max(prior_weight, 0.0)]])
        self.log_w = np.log(np.maximum(w / w.sum(), 1e-300))
        self.w = np.exp(self.log_w)
        observed = np.vstack([xc, ex_c]).astype(int)
        self.log_cat: list[np.ndarray] = []  # per choice dim: (components, K) log probabilities
        for j, size in enumerate(bounds.n_choices):
            probs = np.full((n + k + 1, size), max(prior_weight, 1e-3) / size)
            probs[np.arange(n + k), observed[:, j]] += 1.0
            probs[n + k] = 1.0 / size  # the prior component: uniform
            self.log_cat.append(np.log(probs / probs.sum(axis=1, keepdims=True)))

    def sample(self, rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        comp = rng.choice(len(self.w), size=m, p=self.w)
        dn = len(self.bounds.low)
        xn = np.empty((m, dn))
        if dn:
            lo, hi = self.cdf_a[comp], self.cdf_b[comp]
            u = lo + rng.random((m, dn)) * (hi - lo)
            xn = self.mu[comp] + self.sigma[comp] * ndtri(np.clip(u, 1e-12, 1 - 1e-12))
            xn = np.clip(xn, self.bounds.low, self.bounds.high)
        xc = np.empty((m, len(self.log_cat)), dtype=int)
        for j, log_p in enumerate(self.log_cat):
            cum = np.cumsum(np.exp(log_p[comp]), axis=1)
            xc[:, j] = np.minimum((rng.random(m)[:, None] > cum).sum(axis=1), log_p.shape[1] - 1)
        return xn, xc

    def log_pdf(self, xn: np.ndarray, xc: np.ndarray) -> np.ndarray:
        """Log density of m points: (m,)."""
        total = self._log_norm_const()[None, :]
        if len(self.bounds.low):
            # the quadratic form through matrix products: (m, d) @ (d, n) instead of (m, n, d)
            prec = self._prec
            total = total - 0.5 * ((xn * xn) @ prec.T - 2.0 * xn @ (self.mu * prec).T + self._mu2)
        for j, log_p in enumerate(self.log_cat):
            total = total + log_p[:, xc[:, j]].T
        top = total.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(total - top).sum(axis=1, keepdims=True)))[:, 0]

    def _log_norm_const(self) -> np.ndarray:
        if not hasattr(self, "_const"):
            const = self.log_w.copy()
            if len(self.bounds.low):
                self._prec = 1.0 / self.sigma**2
                self._mu2 = np.sum(self.mu * self.mu * self._prec, axis=1)[None, :]
                const -= np.sum(np.log(self.sigma), axis=1) + self.log_z + LOG_SQRT_2PI * len(self.bounds.low)
            self._const = const
        return self._const


def _weighted_std(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    w = w / w.sum()
    mean = w @ x
    return np.sqrt(np.maximum(w @ (x - mean) ** 2, 0.0))
