"""Bayesian optimisation with scikit-learn's GaussianProcessRegressor (NNI's GP tuner classArgs).

The space is mapped to the unit cube (numeric parameters in their sampling coordinates, choices
one-hot); a Matern kernel with one length scale per column is fitted to the losses, its
hyperparameters a posterior mode under Optuna GPSampler's prior on length scales (gaussian.py);
losses with a long tail of bad values are fitted on a log scale (believer.compression).
Sequential suggestions (no trial running or waiting) switch, once NOISE_AT trials have finished, to
a model with a fitted noise variance (GPSampler's prior on it; the acquisition reads the posterior of
the noise-free function) when the first NOISE_AT finished trials (`_noisy_model`, a function of those
trials only) have no long tail in their losses and the noiseless model fitted on them has long length
scales (geometric mean >= NOISE_LENGTH, a trend with ripples: Levy-6, Griewank-8), not on funnels,
basins or log-fitted valleys (Ackley-5, Rosenbrock-4), where the fitted noise costs. The noisy
model's mean is a per-dimension quadratic trend (gaussian.Trended: the bowl) plus the posterior of
what it leaves (the ripples). Measured in bench/README.md (issue 24, fourteenth round `ls40c`,
fifteenth round and its second screen `quad`). A suggestion with any trial running uses the
noiseless model and the believer below, unchanged: with 8 running the noisy model lost Hartmann-6
(fourteenth round).
The next point maximises the acquisition (ei, ranked as log EI; ucb or poi): `selection_num_warm_up`
random points plus points near the best trials, the best `selection_num_starting_points` of them
refined by shrinking local searches. Running trials join the posterior at the loss the model predicts for them (Kriging
believer; the kernel is fitted on real results only), so parallel suggestions differ without
distorting the model (bench/README.md: with 8 running, within 1.1x of the sequential regret).
With more than MAX_FIT finished trials the fit uses the best half and the newest half of that many,
and the kernel's hyperparameters are fitted on at most MAX_HYPER of them (keeps a suggestion under
100 ms with thousands of trials).

NNI's defaults of selection_num_warm_up=100000 and selection_num_starting_points=250 (with L-BFGS)
are replaced by 2000 and 5 (with local search): the same quality here at a fraction of the time.
Nested choice is not supported (as in NNI).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from ..history import History
from ..searchspace import SearchSpace
from . import gaussian
from .base import Tuner, TunerError, canonical
from .believer import compression
from .ehvi import log_h
from .observations import RUNNING, Encoder, Observations, as_losses, best_and_newest
from .sampling import call_rng, random_unseen
from .unitcube import UnitCube

MAX_FIT = 200
MAX_HYPER = 60
LOCAL_ROUNDS = (0.1, 0.03, 0.01)
LOCAL_POINTS = 150
# the noisy model's choice: read once NOISE_AT trials have finished, from those trials only
NOISE_AT = 40
NOISE_LENGTH = 0.5
TREND_ROWS = 2


class GPTuner(Tuner):
    # a prior on the length scales, as Optuna's GPSampler has one (gaussian.LENGTH_PRIOR)
    length_prior = True
    # the length scales' search starts at 1 (cube units; GPSampler's start): better than 0.5 on
    # Griewank-8 and Levy-6 selection seeds (bench/README.md, issue 24 eighth round)
    start_length = 1.0
    supports_nested = False

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        utility: str = "ei",
        kappa: float = 5.0,
        xi: float = 0.0,
        nu: float = 2.5,
        alpha: float = 1e-6,
        cold_start_num: int = 10,
        selection_num_warm_up: int = 2000,
        selection_num_starting_points: int = 5,
    ) -> None:
        if utility not in ("ei", "ucb", "poi"):
            raise TunerError(f"GP utility must be 'ei', 'ucb' or 'poi', got {utility!r}")
        if nu not in (0.5, 1.5, 2.5):
            raise TunerError(f"GP nu must be 0.5, 1.5 or 2.5, got {nu!r}")
        for key, value, low in (("kappa", kappa, 0), ("xi", xi, 0), ("alpha", alpha, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
                raise TunerError(f"GP {key} must be a number >= {low}, got {value!r}")
        for key, ivalue, ilow in (
            ("cold_start_num", cold_start_num, 1),
            ("selection_num_warm_up", selection_num_warm_up, 1),
            ("selection_num_starting_points", selection_num_starting_points, 1),
        ):
            if isinstance(ivalue, bool) or not isinstance(ivalue, int) or ivalue < ilow:
                raise TunerError(f"GP {key} must be an integer >= {ilow}, got {ivalue!r}")
        self.utility, self.kappa, self.xi, self.nu, self.alpha = (
            utility,
            float(kappa),
            float(xi),
            float(nu),
            float(alpha),
        )
        self.cold_start_num = cold_start_num
        self.warm_up = selection_num_warm_up
        self.starts = selection_num_starting_points
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self.encoder = Encoder(space)
        self.cube = UnitCube(space)

    # -- suggest ----------------------------------------------------------------------------------
    def suggest(self, history: History) -> dict[str, Any]:
        rng = call_rng(self.seed, self.rng, history, "gp")
        raw, seen = self.encoder.observe(history)
        obs = as_losses(raw, self.optimize_mode == "maximize")
        done = np.flatnonzero(obs.kind != RUNNING)
        if len(done) < self.cold_start_num:
            return random_unseen(self.space, rng, seen)
        fit = best_and_newest(done, obs.loss, MAX_FIT)
        x = self.cube.encode(obs.x[fit])
        y = obs.loss[fit]
        lo, shift = compression(obs.loss[done])
        if (
            shift is not None
        ):  # a long tail of bad losses (Rosenbrock): fitted on a log scale, as TPE's believer
            y = np.log(y - lo + shift)
        pending = np.flatnonzero(obs.kind == RUNNING)

        # small matrices: one BLAS thread is fastest, and many threads beside busy trials are
        # far slower (a 60x60 Cholesky took 130 ms with the machine's trials running)
        with threadpool_limits(limits=1, user_api="blas"):
            # the noisy model for sequential suggestions only: with trials running, the shipped one
            gp = self._fit(x, y, rng, noise=not len(pending) and self._noisy_model(raw, done))
            best = float(y.min())
            if len(pending):
                gp, x, believed = self._believe(gp, x, y, self.cube.encode(obs.x[pending]))
                best = min(best, float(believed.min()))  # else a believed gain keeps drawing points there
            cand = self._maximise(gp, best, x[np.argsort(y)[: self.starts]], rng)
        for u in cand:
            params = self.cube.to_params(u)
            if canonical(params) not in seen:
                return params
        return random_unseen(self.space, rng, seen)

    def _noisy_model(self, raw: Observations, done: np.ndarray) -> bool:
        """Whether this run fits the noise (a function of the first NOISE_AT finished trials, in
        history order, so a resumed tuner chooses the same): no long tail in their losses, and the
        noiseless model fitted on them (as _fit's, without its generator) has length scales whose
        geometric mean is >= NOISE_LENGTH. Their losses come from those trials alone (a failed or
        stopped one among them is ranked against them, not against later trials). A pure cache keeps
        the last answer."""
        if len(done) < NOISE_AT:
            return False
        first = done[:NOISE_AT]
        steps = None if raw.steps is None else raw.steps[first]
        own = as_losses(
            Observations(raw.x[first], raw.loss[first], raw.kind[first], steps),
            self.optimize_mode == "maximize",
        )
        x, loss = self.cube.encode(own.x), np.asarray(own.loss, dtype=float)
        key = x.tobytes() + loss.tobytes()
        cached = getattr(self, "_noise_choice", None)
        if cached is None or cached[0] != key:
            chosen = compression(loss)[1] is None
            if chosen:
                gp = gaussian.fit(
                    x,
                    loss,
                    np.arange(NOISE_AT),
                    nu=self.nu,
                    alpha=self.alpha,
                    length_scale=self.start_length,
                    prior=self.length_prior,
                )
                lengths = np.asarray(gp.kernel_.k2.length_scale, dtype=float)
                chosen = float(np.exp(np.mean(np.log(lengths)))) >= NOISE_LENGTH
            self._noise_choice = cached = (key, chosen)
        return bool(cached[1])

    def _fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, noise: bool = False) -> Any:
        """Kernel hyperparameters by marginal likelihood on at most MAX_HYPER points (the best
        and a random rest), then the posterior on all points with that kernel; `noise`: with a
        fitted noise variance (gaussian.fit) and a per-dimension quadratic trend as the mean
        (gaussian.Trended; the kernel fitted to what the trend leaves) where the rows allow one."""
        # the trend only with at least TREND_ROWS rows per feature (1 + 2 per column): in a wide space a
        # least-squares quadratic on few rows would interpolate them (no bench space is that wide)
        trend = gaussian.Trended(x, y) if noise and len(y) >= TREND_ROWS * (1 + 2 * x.shape[1]) else None
        if trend is not None:
            y = y - trend.trend(x)
        sub = np.arange(len(y))
        if len(y) > MAX_HYPER:
            order = np.argsort(y, kind="stable")
            rest = rng.choice(order[MAX_HYPER // 2 :], size=MAX_HYPER - MAX_HYPER // 2, replace=False)
            sub = np.concatenate([order[: MAX_HYPER // 2], rest])
        gp = gaussian.fit(
            x,
            y,
            sub,
            nu=self.nu,
            alpha=self.alpha,
            length_scale=self.start_length,
            random_state=int(rng.integers(2**31)),
            prior=self.length_prior,
            noise=noise,
        )
        return gp if trend is None else trend.on(gp)

    def _believe(
        self, gp: Any, x: np.ndarray, y: np.ndarray, pending: np.ndarray
    ) -> tuple[Any, np.ndarray, np.ndarray]:
        """Kriging believer: the running trials join the posterior at the value the model predicts
        for them (the kernel fitted on real results only), so the model's uncertainty around them
        collapses and the next suggestion goes elsewhere, while its mean barely moves."""
        believed = gp.predict(pending)
        both = np.vstack([x, pending])
        return gaussian.posterior(gp.kernel_, both, np.concatenate([y, believed]), self.alpha), both, believed

    def _acquisition(self, gp: Any, u: np.ndarray, best: float) -> np.ndarray:
        mu, sd = gp.predict(u, return_std=True)
        sd = np.maximum(sd, 1e-12)
        if self.utility == "ucb":
            return -(mu - self.kappa * sd)
        z = (best - mu - self.xi) / sd
        if self.utility == "poi":
            return norm.cdf(z)
        return np.log(sd) + log_h(z)  # log EI: far from the best, EI itself underflows to 0 everywhere

    def _maximise(self, gp: Any, best: Any, near: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Candidate points, best acquisition first (`gp`, `best`: what _acquisition takes; MOGP's
        are its models and the front's boxes)."""
        pool = [self.cube.random(rng, self.warm_up)]
        for scale in (0.05, 0.15):  # around the best trials
            pool.append(
                self.cube.project(
                    np.repeat(near, 50, axis=0) + rng.normal(0, scale, (50 * len(near), self.cube.n_columns))
                )
            )
        u = np.vstack(pool)
        score = self._acquisition(gp, u, best)
        first = np.argsort(-score)[: self.starts]  # a NaN score sorts last here (and is never a top one's)
        top, top_score = u[first], score[first]
        for scale in LOCAL_ROUNDS:
            local = self.cube.project(
                np.repeat(top, LOCAL_POINTS // len(top) + 1, axis=0)
                + rng.normal(0, scale, ((LOCAL_POINTS // len(top) + 1) * len(top), self.cube.n_columns))
            )
            both = np.vstack([top, local])
            s = np.concatenate([top_score, self._acquisition(gp, local, best)])
            order = np.argsort(-s)[: self.starts]
            top, top_score = both[order], s[order]
        rest = np.argsort(-score)[:20]
        return np.vstack([top, u[rest]])
