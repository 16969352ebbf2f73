"""Sixth-round parallel-TPE attempts (issue 24), patched into autolab's TPE for bench/tuner_par100.py.

    install("lp")       local penalisation of the pending points (Gonzalez et al. 2016, "Batch
                        Bayesian optimization via local penalization") in place of the liar's kernels
    install("lp+liar")  the same on top of the committed liar kernels
    install("lpmed")    "lp" with L the median gradient norm instead of the largest (wider balls)

Local penalisation: each candidate's score log l(x) - log g(x) gets sum_j log phi_j(x) over the
pending points x_j, phi_j(x) = P(x lies outside the ball that x_j rules out) = 0.5 erfc(-z),
z = (L |x - x_j| - mu_j + M) / sqrt(2 s_j^2), with mu_j, s_j the believer's posterior at x_j, M the
best finished loss and L the largest gradient norm of the believer's mean (all in the believer's
fitted scale, distances in the unit cube). A pending point believed near the best rules out only a
small ball (the batch may crowd a good basin); one believed poor rules out a wide one. The liar's
kernels instead are one fixed width for every pending point. Only for spaces of one group of
uniform numeric dims (the screening functions); elsewhere the committed code runs.
"""

# ruff: noqa  (a measuring script: the committed _candidates copied with the attempt's two hooks)
from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr

import autolab.tuners.tpe as tpe
from autolab.tuners.believer import compression
from autolab.tuners.observations import COMPLETED, RUNNING
from autolab.tuners.parzen import Parzen

MODE: dict[str, object] = {"liar": True, "lp": False, "lstat": np.max}
COMMITTED = tpe.TpeTuner._candidates
LOG_FLOOR = math.log(1e-12)


def _lipschitz(gp, u: np.ndarray) -> float:
    """Largest (MODE["lstat"]) norm of the GP mean's gradient at the rows of u (forward differences)."""
    h = 1e-4
    n, d = u.shape
    pts = np.vstack([u] + [u + h * np.eye(d)[k] for k in range(d)])
    m = gp.predict(pts).reshape(d + 1, n)
    grad = (m[1:] - m[0]) / h
    return max(float(MODE["lstat"](np.sqrt((grad**2).sum(axis=0)))), 1e-7)


def _penalty(self, group, obs, running, pending, xn):
    """sum_j log phi_j at each candidate (rows of xn); zeros when the believer has no fit."""
    last = self.believe._last
    if last is None or not len(pending):
        return np.zeros(len(xn))
    gp = last[1]
    span = group.bounds.high - group.bounds.low
    u = (xn - group.bounds.low) / span
    up = (obs.x[pending][:, group.numeric] - group.bounds.low) / span
    done = np.setdiff1d(np.arange(len(obs.loss)), running)
    lo, shift = compression(obs.loss[done])
    best = obs.loss[done].min()
    m_best = best if shift is None else math.log(best - lo + shift)
    key = last[0]
    cache = getattr(self, "_lp_cache", None)
    if cache is None or cache[0] != key:
        ud = (obs.x[done][:, group.numeric] - group.bounds.low) / span
        cache = (key, _lipschitz(gp, ud[-100:]))
        self._lp_cache = cache
    lip = cache[1]
    mu, sd = gp.predict(up, return_std=True)
    sd = np.maximum(sd, 1e-9)
    dist = np.sqrt(((u[:, None, :] - up[None, :, :]) ** 2).sum(axis=2))  # (m, k)
    z = (lip * dist - mu[None, :] + m_best) / (math.sqrt(2.0) * sd[None, :])
    # log(0.5 erfc(-z)) = log Phi(sqrt(2) z)
    return np.maximum(log_ndtr(math.sqrt(2.0) * z), LOG_FLOOR).sum(axis=1)


def _candidates(self, group, obs, running, rng):
    """tpe.TpeTuner._candidates as committed, with the liar optional and the penalty added."""
    active = ~np.isnan(obs.x[:, group.first])
    rows = np.flatnonzero(active & (obs.kind != RUNNING))
    if len(rows) < 2:
        return None
    order = rows[np.argsort(obs.loss[rows], kind="stable")]
    n_below = min(max(1, math.ceil(self.args["gamma"] * len(rows))), tpe.MAX_BELOW, len(rows) - 1)
    done = int(np.count_nonzero(obs.kind[rows] == COMPLETED))
    if done:
        n_below = min(n_below, done)
    below, above = np.sort(order[:n_below]), np.sort(order[n_below:])
    pw = float(self.args["prior_weight"])

    def fit(part, extra=None, rank_weights=None):
        part, weights = tpe._thin(
            part, self._weights(len(part)) * (1.0 if rank_weights is None else rank_weights)
        )
        return Parzen(
            obs.x[part][:, group.numeric],
            obs.x[part][:, group.choice],
            weights,
            group.bounds,
            pw,
            extra=extra,
        )

    position = np.empty(len(obs.loss), dtype=int)
    position[order] = np.arange(len(order))
    low_weights = np.exp(-position[below] / max(self.rank_decay, tpe.RANK_DECAY_SHARE * len(below)))
    low_weights *= len(below) / low_weights.sum()
    low = fit(below, rank_weights=low_weights)
    pending = running[active[running]]
    simple = not len(group.choice) and len(group.numeric) == len(self.space.dims)
    if len(pending) and (MODE["liar"] or not simple):
        width = np.minimum(
            low.obs_sigma * max(1.0, tpe.LIAR_WIDTH_PER_DIM * len(group.numeric)),
            group.bounds.high - group.bounds.low,
        )
        extra = (obs.x[pending][:, group.numeric], obs.x[pending][:, group.choice], width)
        high = fit(above, extra)
    else:
        high = fit(above)
    xn, xc = low.sample(rng, int(self.args["n_ei_candidates"]))
    score = low.log_pdf(xn, xc) - high.log_pdf(xn, xc)
    if MODE["lp"] and simple and len(pending):
        score = score + _penalty(self, group, obs, running, pending, xn)
    best_first = np.argsort(-score, kind="stable")
    return xn[best_first], xc[best_first]


def install(name: str) -> None:
    """Patch the attempt `name` into TPE; "base" puts the committed code back."""
    if name not in ("base", "lp", "lp+liar", "lpmed"):
        raise SystemExit(f"unknown variant {name!r} (lp, lp+liar, lpmed)")
    MODE.update(lp=True, liar=name == "lp+liar", lstat=np.median if name == "lpmed" else np.max)
    tpe.TpeTuner._candidates = COMMITTED if name == "base" else _candidates
