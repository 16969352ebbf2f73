"""Issue 24 item 4, twelfth round: output warping for autolab's GP, bench-side (autolab unchanged).

The losses are transformed by a monotone map before the GP fits them, so that a surface with tall
walls far from the optimum and small ripples near it (Levy-6, Griewank-8) is modelled at its bottom
rather than at its walls. Everything downstream runs in the warped space: the kernel's
hyperparameters, the posterior, the Kriging believer's predictions for running trials, and log EI,
whose threshold is the warped best (a monotone warp keeps the best trial the best, so the
threshold is warp(best loss) = min of the warped losses). The warp is refitted on every
suggestion from the losses the GP fits (all finished trials below MAX_FIT) and replaces the
shipped long-tail log (believer.compression): the warp is applied to the raw losses.

Parts (used through bench/gp_try.py, e.g. `init1+hebo`; `init1` is the GP as shipped):
- hebo:   HEBO's power warp (Cowen-Rivers et al. 2022): losses divided by their sd, then Box-Cox if
          all are positive, else Yeo-Johnson, lambda by maximum likelihood (scikit-learn's
          power_transform, standardised); Yeo-Johnson when Box-Cox's output has sd < 0.5, and the
          losses unwarped when the warp's output still has sd < 0.5 (HEBO's fallbacks).
- copula: the Gaussian copula warp (Salinas et al. 2020): the losses' empirical CDF (average
          ranks / n), winsorised to [d, 1 - d] with d = 1 / (4 n^(1/4) sqrt(pi log n)), then the
          standard normal quantile. Only the order of the losses is kept.
- logmed: log(y - min + c), c = median - min (the shipped compression's map, always on).
- log10:  log(y - min + c), c = (median - min) / 10 (a deeper log: the bottom stretched more).
- wall:   (declared after the first four were screened) the walls flattened, the bottom kept as it
          is: y where y <= median, else median + s log(1 + (y - median) / s), s = median - min
          (slope 1 at the median, continuous); unwarped when median == min. hebo stretches the
          bottom as well, which made its Levy-6 runs either very good or stuck (round 12 table).
- ident:  no warp, no long-tail log: a check that the patched suggest is the shipped one (the
          same regrets wherever the shipped long-tail log never fires).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

WARPS = ("hebo", "copula", "logmed", "log10", "ident", "wall")
STATS: dict[str, list[float]] = {"compressed": []}


def warp_hebo(y: np.ndarray) -> np.ndarray:
    """HEBO's power warp with its two fallbacks (see the module docstring)."""
    from sklearn.preprocessing import power_transform

    sd = float(y.std())
    if not sd > 0:
        return y
    z = (y / sd).reshape(-1, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = power_transform(z, method="yeo-johnson" if z.min() <= 0 else "box-cox").ravel()
            if z.min() > 0 and out.std() < 0.5:
                out = power_transform(z, method="yeo-johnson").ravel()
    except (ValueError, FloatingPointError):
        return y
    if not np.all(np.isfinite(out)) or out.std() < 0.5:
        return y
    return out


def warp_copula(y: np.ndarray) -> np.ndarray:
    """Winsorised empirical CDF, then the normal quantile (Salinas et al. 2020)."""
    from scipy.stats import norm, rankdata

    n = len(y)
    if n < 2:
        return y
    d = 1.0 / (4.0 * n**0.25 * math.sqrt(math.pi * math.log(n)))
    return norm.ppf(np.clip(rankdata(y) / n, d, 1.0 - d))


def warp_log(frac: float) -> Callable[[np.ndarray], np.ndarray]:
    """log(y - min + c), c = frac * (median - min); unwarped when median == min."""

    def warp(y: np.ndarray) -> np.ndarray:
        lo, mid = float(y.min()), float(np.median(y))
        if not mid > lo:
            return y
        return np.log(y - lo + frac * (mid - lo))

    return warp


def warp_wall(y: np.ndarray) -> np.ndarray:
    """The losses above the median log-compressed, those below unchanged (see `wall` above)."""
    lo, mid = float(y.min()), float(np.median(y))
    if not mid > lo:
        return y
    s = mid - lo
    return np.where(y <= mid, y, mid + s * np.log1p(np.maximum(y - mid, 0.0) / s))


def make_suggest(warp: Callable[[np.ndarray], np.ndarray]) -> Callable[..., dict[str, Any]]:
    """The shipped GPTuner.suggest (autolab/tuners/gp.py) with `warp` in place of the long-tail
    log: the same steps in the same order, so the random draws are those of the shipped tuner."""
    from threadpoolctl import threadpool_limits

    from autolab.tuners import gp as gpmod
    from autolab.tuners.base import canonical

    def suggest(self: Any, history: Any) -> dict[str, Any]:
        rng = gpmod.call_rng(self.seed, self.rng, history, "gp")
        raw, seen = self.encoder.observe(history)
        obs = gpmod.as_losses(raw, self.optimize_mode == "maximize")
        done = np.flatnonzero(obs.kind != gpmod.RUNNING)
        if len(done) < self.cold_start_num:
            return gpmod.random_unseen(self.space, rng, seen)
        fit = gpmod.best_and_newest(done, obs.loss, gpmod.MAX_FIT)
        x = self.cube.encode(obs.x[fit])
        _, shift = gpmod.compression(obs.loss[done])
        STATS["compressed"].append(float(shift is not None))  # would the shipped GP have logged?
        y = warp(np.asarray(obs.loss[fit], dtype=float))
        pending = np.flatnonzero(obs.kind == gpmod.RUNNING)
        with threadpool_limits(limits=1, user_api="blas"):
            gp = self._fit(x, y, rng)
            best = float(y.min())  # the warped best
            if len(pending):
                gp, x, believed = self._believe(gp, x, y, self.cube.encode(obs.x[pending]))
                best = min(best, float(believed.min()))
            cand = self._maximise(gp, best, x[np.argsort(y)[: self.starts]], rng)
        for u in cand:
            params = self.cube.to_params(u)
            if canonical(params) not in seen:
                return params
        return gpmod.random_unseen(self.space, rng, seen)

    return suggest


def apply_warp(parts: set[str]) -> None:
    """Patch GPTuner.suggest with the one warp named in `parts` (none: unchanged)."""
    from autolab.tuners import gp as gpmod

    chosen = parts & set(WARPS)
    if len(chosen) > 1:
        raise SystemExit(f"one warp at a time, got {sorted(chosen)}")
    if not chosen:
        return
    name = chosen.pop()
    warp = {
        "hebo": warp_hebo,
        "copula": warp_copula,
        "logmed": warp_log(1.0),
        "log10": warp_log(0.1),
        "ident": lambda y: y,
        "wall": warp_wall,
    }[name]
    gpmod.GPTuner.suggest = make_suggest(warp)


def row_stats() -> dict[str, float]:
    """Per run: the share of fits where the shipped GP's long-tail log would have fired."""
    out = {}
    if STATS["compressed"]:
        out["compressed"] = round(float(np.mean(STATS["compressed"])), 3)
    for v in STATS.values():
        v.clear()
    return out
