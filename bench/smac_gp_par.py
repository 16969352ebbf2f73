"""Ninth-round attempts (issue 24) at autolab's SMAC and GP with trials running, patched in for
bench/tuner_par100.py (TUNER smac-VARIANT / gp-VARIANT).

    install("smac", "nofant")  SMAC's forest on the finished trials only: running trials are not
                               joined at the forest's prediction (SMAC3's behaviour: no pending
                               handling; the suggestions still differ, each call has its own draws)
    install("smac", "liarmin") running trials join the forest at the best finished (log-scaled)
                               loss instead of the forest's prediction (a constant liar, optimistic:
                               the incumbent's neighbourhood stays attractive while trials run there)
    install("smac", "liarmed") / install("smac", "liarmax")  the same at the median / the worst
                               finished loss (pessimistic: the suggestions spread away from running
                               trials more than the forest's own prediction makes them)
    install("smac", "start5")  the random start counts running trials: random while fewer than
                               n_initial (10) suggestions were made or fewer than 5 trials finished
                               (committed: fewer than 10 finished, 18 random points with 8 running)
    install("gp", "nobest")    the GP's expected-improvement threshold is the best finished loss,
                               not lowered to the lowest believed loss of a running trial
    install("smac", "base"), install("gp", "base")  the committed code back
"""

from __future__ import annotations

from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import autolab.tuners.gp as gp
import autolab.tuners.smac as smac
from autolab.history import History
from autolab.statuses import TrialStatus
from autolab.tuners.base import canonical
from autolab.tuners.believer import compression
from autolab.tuners.forest import Forest
from autolab.tuners.observations import RUNNING, Observations, as_losses, best_and_newest
from autolab.tuners.sampling import call_rng, random_unseen

COMMITTED = {
    "smac._fit": smac.SmacTuner._fit,
    "smac.suggest": smac.SmacTuner.suggest,
    "gp.suggest": gp.GPTuner.suggest,
}


def _fit_nofant(
    self: smac.SmacTuner, obs: Observations, done: np.ndarray, rng: np.random.Generator
) -> tuple[Forest, float]:
    fit = best_and_newest(done, obs.loss, smac.MAX_FIT)
    y = smac._log_scale(obs.loss[fit])
    forest = Forest(self.features(obs.x[fit]), y, int(rng.integers(2**31)))
    return forest, float(y.min())


def _gp_suggest_nobest(self: gp.GPTuner, history: History) -> dict[str, Any]:
    """The committed GPTuner.suggest without `best = min(best, believed.min())`."""
    rng = call_rng(self.seed, self.rng, history, "gp")
    raw, seen = self.encoder.observe(history)
    obs = as_losses(raw, self.optimize_mode == "maximize")
    done = np.flatnonzero(obs.kind != RUNNING)
    if len(done) < self.cold_start_num:
        return random_unseen(self.space, rng, seen)
    fit = best_and_newest(done, obs.loss, gp.MAX_FIT)
    x = self.cube.encode(obs.x[fit])
    y = obs.loss[fit]
    lo, shift = compression(obs.loss[done])
    if shift is not None:
        y = np.log(y - lo + shift)
    pending = np.flatnonzero(obs.kind == RUNNING)
    with threadpool_limits(limits=1, user_api="blas"):
        model = self._fit(x, y, rng)
        best = float(y.min())
        if len(pending):
            model, x, _ = self._believe(model, x, y, self.cube.encode(obs.x[pending]))
        cand = self._maximise(model, best, x[np.argsort(y)[: self.starts]], rng)
    for u in cand:
        params = self.cube.to_params(u)
        if canonical(params) not in seen:
            return params
    return random_unseen(self.space, rng, seen)


LIAR = {"liarmin": np.min, "liarmed": np.median, "liarmax": np.max}
LIE = {"at": np.min}


def _fit_liar(
    self: smac.SmacTuner, obs: Observations, done: np.ndarray, rng: np.random.Generator
) -> tuple[Forest, float]:
    fit = best_and_newest(done, obs.loss, smac.MAX_FIT)
    y = smac._log_scale(obs.loss[fit])
    x = self.features(obs.x[fit])
    seed = int(rng.integers(2**31))
    running = np.flatnonzero(obs.kind == RUNNING)
    if not len(running):
        return Forest(x, y, seed), float(y.min())
    xr = self.features(obs.x[running])
    forest = Forest(np.vstack([x, xr]), np.concatenate([y, np.full(len(running), LIE["at"](y))]), seed)
    return forest, float(y.min())


def _smac_suggest_start5(self: smac.SmacTuner, history: History) -> dict[str, Any]:
    n_done = sum(1 for t in history.trials if t.status != TrialStatus.RUNNING)
    if len(history) >= self.n_initial and 5 <= n_done < self.n_initial:
        self.n_initial, keep = n_done, self.n_initial  # the model phase, on the finished trials
        try:
            return COMMITTED["smac.suggest"](self, history)
        finally:
            self.n_initial = keep
    return COMMITTED["smac.suggest"](self, history)


VARIANTS = {"smac": ("base", "nofant", "start5", *LIAR), "gp": ("base", "nobest")}


def install(tuner: str, name: str) -> None:
    """Patch the attempt `name` into `tuner` ("base": the committed code)."""
    if name not in VARIANTS.get(tuner, ()):
        raise SystemExit(f"unknown variant {tuner}-{name}")
    smac.SmacTuner._fit = COMMITTED["smac._fit"]  # type: ignore[method-assign]
    smac.SmacTuner.suggest = COMMITTED["smac.suggest"]  # type: ignore[method-assign]
    if tuner == "smac" and name == "start5":
        smac.SmacTuner.suggest = _smac_suggest_start5  # type: ignore[method-assign]
    gp.GPTuner.suggest = COMMITTED["gp.suggest"]  # type: ignore[method-assign]
    if tuner == "smac" and name == "nofant":
        smac.SmacTuner._fit = _fit_nofant  # type: ignore[method-assign]
    if tuner == "smac" and name in LIAR:
        LIE["at"] = LIAR[name]
        smac.SmacTuner._fit = _fit_liar  # type: ignore[method-assign]
    if tuner == "gp" and name == "nobest":
        gp.GPTuner.suggest = _gp_suggest_nobest  # type: ignore[method-assign]
