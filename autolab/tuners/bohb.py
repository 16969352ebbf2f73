"""BOHB (Falkner et al. 2018): Hyperband's brackets, new configurations proposed by a Parzen model.

NNI's classArgs and schedule: s_max = floor(log_eta(max_budget / min_budget)); bracket s starts
ceil((s_max + 1) eta^s / (s + 1)) configurations at max_budget / eta^s (floored, as NNI), the best
1/eta of a rung go on at eta times the budget (hyperband.py does the brackets). A new
configuration is drawn at random with probability random_fraction, and otherwise from the model:
the results at the largest budget that has at least min_points_in_model + 2 of them (default
min_points_in_model: the number of parameters + 1) are split into the best top_n_percent ("good")
and the rest ("bad"), each a Parzen estimator (autolab's, parzen.py, as TPE uses; no ConfigSpace);
num_samples candidates are drawn from the good one widened by bandwidth_factor, and the one with
the highest good/bad density ratio is run. min_bandwidth is the narrowest kernel, as a fraction of
a parameter's range. Nested choice is refused, as NNI's BOHB does.

exec_mode (an autolab addition, as Hyperband's): "parallelism" (default) starts the next bracket
whenever the open ones have nothing to run, so no slot idles; "serial" waits, as NNI's BOHB does,
until the current bracket has issued its last rung.
"""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any, ClassVar

import numpy as np

from ..fidelity import without_budget
from ..history import History
from ..searchspace import SearchSpace, SearchSpaceError
from .base import TunerError, canonical, random_unseen
from .hyperband import EPSILON, Bracket, HyperbandTuner
from .observations import Encoder
from .parzen import BANDWIDTH_DIMS, Parzen
from .tpe import Group


def _number(name: str, value: Any, low: float, low_open: bool = False, high: float | None = None) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (high is None or value <= high)
    if not ok:
        bound = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise TunerError(f"BOHB classArgs.{name} must be a finite number {bound}, got {value!r}")
    return float(value)


class BohbTuner(HyperbandTuner):
    """NNI's BOHB advisor as a tuner."""

    supports_nested: ClassVar[bool] = False
    label: ClassVar[str] = "BOHB"

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        min_budget: float = 1,
        max_budget: float = 3,
        eta: int = 3,
        min_points_in_model: int | None = None,
        top_n_percent: int = 15,
        num_samples: int = 64,
        random_fraction: float = 1 / 3,
        bandwidth_factor: float = 3,
        min_bandwidth: float = 1e-3,
        exec_mode: str = "parallelism",
        seed: int | None = None,
    ) -> None:
        min_budget = _number("min_budget", min_budget, 0, low_open=True)
        max_budget = _number("max_budget", max_budget, max(min_budget, 1.0))
        super().__init__(space, optimize_mode, R=max_budget, eta=eta, exec_mode=exec_mode, seed=seed)
        self.s_max = math.floor(math.log(max_budget / min_budget, eta) + EPSILON)
        self.min_budget, self.max_budget = min_budget, max_budget
        if min_points_in_model is not None:
            min_points_in_model = int(_number("min_points_in_model", min_points_in_model, 0))
        self.min_points_in_model = min_points_in_model
        self.top_n_percent = _number("top_n_percent", top_n_percent, 1, high=99)
        self.num_samples = int(_number("num_samples", num_samples, 1))
        self.random_fraction = _number("random_fraction", random_fraction, 0, high=1)
        self.bandwidth_factor = _number("bandwidth_factor", bandwidth_factor, 0, low_open=True)
        self.min_bandwidth = _number("min_bandwidth", min_bandwidth, 0)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self.encoder = Encoder(space)
        if space.dims:  # an empty space (the budget is all a trial gets) has nothing to model: Hyperband
            self.group = Group(space, (None, None), list(range(len(space.dims))))

    def propose(
        self, bracket: Bracket, history: History, rng: random.Random, seen: set[str]
    ) -> dict[str, Any]:
        if rng.random() < self.random_fraction or not self.space.dims:
            return random_unseen(self.space, rng, seen)
        model = self._model(history)
        if model is None:
            return random_unseen(self.space, rng, seen)
        good, good_wide, bad = model
        np_rng = np.random.default_rng(rng.getrandbits(64))
        xn, xc = good_wide.sample(np_rng, self.num_samples)
        score = good.log_pdf(xn, xc) - bad.log_pdf(xn, xc)
        g = self.group
        for i in np.argsort(-score, kind="stable"):
            row = np.full(len(self.space.dims), np.nan)
            row[g.numeric], row[g.choice] = xn[i], xc[i]
            params = self.space.to_parameters(self.encoder.decode(row))
            if canonical(params) not in seen:
                return params
        return random_unseen(self.space, rng, seen)

    def _model(self, history: History) -> tuple[Parzen, Parzen, Parzen] | None:
        """(good, good widened for sampling, bad) at the largest budget with enough results."""
        by_budget: dict[float, list[tuple[float, np.ndarray]]] = {}
        for trial in history.trials:
            fid, value = trial.fidelity, trial.last_value
            if (
                not fid
                or fid.get("bracket") is None
                or trial.running
                or value is None
                or not math.isfinite(value)
            ):
                continue
            try:
                row = self.encoder.encode_flat(self.space.to_flat(without_budget(trial.parameters)))
            except (SearchSpaceError, KeyError, TypeError, ValueError):
                continue  # from an earlier search space
            by_budget.setdefault(float(fid["budget"]), []).append((self.loss(value), row))
        needed = (
            len(self.space.dims) + 1 if self.min_points_in_model is None else self.min_points_in_model
        ) + 2
        enough = [b for b, points in by_budget.items() if len(points) >= needed]
        if not enough:
            return None
        points = sorted(by_budget[max(enough)], key=lambda p: p[0])
        n_good = max(1, min(len(points) - 1, math.floor(self.top_n_percent * len(points) / 100)))
        x = np.array([p[1] for p in points])
        return (
            self._kde(x[:n_good], 1.0),
            self._kde(x[:n_good], self.bandwidth_factor),
            self._kde(x[n_good:], 1.0),
        )

    def _kde(self, x: np.ndarray, widen: float) -> Parzen:
        g = self.group
        bounds = g.bounds
        floor = self.min_bandwidth * (bounds.high - bounds.low)
        if bounds.min_sigma is not None:
            floor = np.maximum(floor, bounds.min_sigma)
        bounds = dataclasses.replace(bounds, min_sigma=floor)
        bandwidth = widen * min(1.0, BANDWIDTH_DIMS / max(len(g.numeric), 1))
        xn, xc = x[:, g.numeric], x[:, g.choice].astype(int)
        return Parzen(xn, xc, np.ones(len(x)), bounds, prior_weight=0.0, bandwidth=bandwidth)
