"""Expected hypervolume improvement (EHVI) of Gaussian predictions, in log space, for MOGP.

Minimisation. The region a new point can add to the front's hypervolume (below the reference
point, dominated by no front point) is cut into boxes; with one independent Gaussian per
objective the expected volume a point adds inside a box [l, u] is the product, over objectives,
of E[(u - max(y, l))+] = s (h((u - mu) / s) - h((l - mu) / s)) with h(z) = z Phi(z) + phi(z)
(Yang et al. 2019), and EHVI is the sum over boxes: exact for any number of objectives.

The boxes: a grid over the first m-1 objectives cut at the front's values; in each cell the
last objective is open below the smallest last value of the front points that dominate the cell's
lower corner (the reference where none does). That is k+1 boxes for a 2-objective front of k
points and (k+1)^2 (fewer after merging equal neighbours) for 3. Everything is computed in log
space (log-EHVI, Ament et al. 2023), so far from the front, where EHVI underflows to 0,
candidates are still ordered by how close they come.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, log_ndtr, logsumexp

#: at most this many boxes (a front of 4+ objectives is thinned to fit; 2 and 3 never reach it
#: at the sizes the tuner keeps)
MAX_BOXES = 20000
_SQRT_HALF_PI = math.sqrt(math.pi / 2)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
TAIL_Z = -30.0  # log_h's asymptotic series below this


def boxes(front: np.ndarray, ref: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper), each (B, m): the non-dominated region below `ref` as boxes, lower -inf
    where open. Front points not strictly below the reference are ignored."""
    m = len(ref)
    front = front[np.all(front < ref, axis=1)]
    while len(front) and (len(front) + 1) ** (m - 1) > MAX_BOXES:
        front = front[rng.permutation(len(front))[: int(MAX_BOXES ** (1 / (m - 1))) - 1]]
    if len(front) == 0:
        return np.full((1, m), -np.inf), ref[None, :].copy()
    if m == 1:  # one objective (with constraints): below the best, EHVI is EI
        return np.full((1, 1), -np.inf), front.min(axis=0, keepdims=True)
    # cut points per grid objective: -inf, then the front's values (cells [c_i, c_i+1), last to ref)
    cuts = [np.concatenate([[-np.inf], np.unique(front[:, d])]) for d in range(m - 1)]
    tops = [np.concatenate([c[1:], [ref[d]]]) for d, c in enumerate(cuts)]
    grids = np.meshgrid(*cuts, indexing="ij")
    corners = np.stack([g.ravel() for g in grids], axis=1)  # (cells, m-1) lower corners
    dominating = np.all(front[None, :, : m - 1] <= corners[:, None, :], axis=2)  # (cells, k)
    last = np.where(dominating, front[None, :, m - 1], ref[m - 1]).min(axis=1)
    top_grids = np.meshgrid(*tops, indexing="ij")
    upper = np.column_stack([*(g.ravel() for g in top_grids), last])
    lower = np.column_stack([corners, np.full(len(corners), -np.inf)])
    return _merged(lower, upper, [len(c) for c in cuts])


def _merged(lower: np.ndarray, upper: np.ndarray, shape: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Neighbouring cells along the last grid objective with the same top in the last objective
    are one box (fewer boxes, the same region)."""
    if len(shape) < 2:
        return lower, upper
    n = shape[-1]
    same = np.zeros(len(lower), dtype=bool)
    same[1:] = upper[1:, -1] == upper[:-1, -1]
    same[::n] = False  # the first cell of each run along the last grid objective starts a box
    start = np.flatnonzero(~same)
    end = np.append(start[1:], len(lower)) - 1
    lo, hi = lower[start].copy(), upper[start].copy()
    hi[:, -2] = upper[end, -2]
    return lo, hi


def log_h(z: np.ndarray) -> np.ndarray:
    """log(z Phi(z) + phi(z)), accurate far into the negative tail (Mills ratio via erfcx; below
    TAIL_Z its asymptotic series, where 1 + z Phi(z) / phi(z) ~ 1 / z^2 is below the rounding of the
    erfcx form: from |z| ~ 1e8 that gave -inf or nan, which a GP's point at its observed minimum
    with a tiny predicted spread reaches)."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    neg = (z < 0) & (z >= TAIL_Z)
    zn = z[neg]
    log_phi = -0.5 * zn * zn - _LOG_SQRT_2PI
    # z Phi(z) / phi(z) = z sqrt(pi/2) erfcx(-z / sqrt 2), in (-1, 0) for z < 0
    out[neg] = log_phi + np.log1p(zn * _SQRT_HALF_PI * erfcx(-zn / math.sqrt(2)))
    tail = z < TAIL_Z
    zt = z[tail]
    w = 1.0 / (zt * zt)  # 1 + z Phi/phi = w (1 - 3w + 15w^2 - 105w^3 + ...): error below 1e-8 here
    out[tail] = -0.5 * zt * zt - _LOG_SQRT_2PI + np.log(w) + np.log1p(w * (-3 + w * (15 - 105 * w)))
    zp = z[z >= 0]
    out[z >= 0] = np.log(zp * np.exp(log_ndtr(zp)) + np.exp(-0.5 * zp * zp - _LOG_SQRT_2PI))
    return out


def log_ehvi(mu: np.ndarray, sd: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """log EHVI of N Gaussian predictions (mu, sd: (N, m)) over the boxes (lower, upper: (B, m)).
    A box's side in one objective repeats across many boxes (a grid's rows and columns), so each
    objective's distinct sides are computed once and gathered: (N, B) work, not (N, B, m) special
    functions."""
    total = np.zeros((len(mu), len(lower)))
    for d in range(lower.shape[1]):
        sides, which = np.unique(np.column_stack([lower[:, d], upper[:, d]]), axis=0, return_inverse=True)
        total += _log_side(mu[:, d : d + 1], sd[:, d : d + 1], sides[:, 0], sides[:, 1])[:, which.ravel()]
    return logsumexp(total, axis=1)


def _log_side(mu: np.ndarray, sd: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """log E[(u - max(y, l))+] for y ~ N(mu, sd): (N, 1) predictions against (S,) sides."""
    sd = np.maximum(sd, 1e-12)
    lb = log_h((upper[None] - mu) / sd)
    open_below = ~np.isfinite(lower)
    a = (np.where(open_below, 0.0, lower)[None] - mu) / sd
    la = np.where(open_below[None], -np.inf, log_h(a))
    with np.errstate(divide="ignore", invalid="ignore"):
        # log(h(b) - h(a)) = log h(b) + log(1 - exp(log h(a) - log h(b)))
        term = lb + np.log(-np.expm1(np.minimum(la - lb, 0.0)))
    return np.where(np.isnan(term), -np.inf, term) + np.log(sd)
