"""Multi-objective Bayesian optimisation: the GP tuner with one Gaussian process per objective and
expected hypervolume improvement (log-EHVI, exact for any number of objectives: ehvi.py).

Each objective (and each constrained key) gets its own GP, fitted as the GP tuner fits its one
(gp.py, gaussian.py: Matern kernel with a length scale per column on the unit cube, hyperparameters
on a capped subset). The next point maximises log EHVI over the feasible trials' front, with the
reference point 10% beyond the worst feasible value of each objective, plus log of the probability
that every constraint holds (each constrained key's GP; Optuna's GPSampler does the same); until a
trial is feasible, only that probability. The acquisition is maximised as the GP tuner's is (random
points, points near the front's trials, shrinking local searches), then the best few are refined by
L-BFGS-B on finite differences, which reaches the space's bounds, where ZDT-like fronts lie.
Running trials join every GP at its predicted value (Kriging believer) and the front at those
values, so parallel suggestions spread along the front. Trials without every objective (failed,
partial results) are left out of the models; their parameters are not suggested again.

Rebuilt from the history at every call (same seed and history, same suggestion; resume needs
nothing else). classArgs: objectives, constraints (autolab/objectives.py), optimize_mode (the
direction of objectives given as a list), seed, and the GP tuner's nu, alpha, cold_start_num,
selection_num_warm_up, selection_num_starting_points. `tuner: {name: GP, classArgs: {objectives:
...}}` builds this class. With one objective and no constraints it is the GP tuner.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr
from threadpoolctl import threadpool_limits

from ..history import History, Trial
from ..pareto import nadir_reference, pareto_front
from ..searchspace import SearchSpace
from ..statuses import TrialStatus
from . import ehvi
from .base import canonical
from .gp import GPTuner
from .moranks import ranked_history
from .multi import parse_objectives
from .observations import COMPLETED, RUNNING, best_and_newest, internal
from .sampling import call_rng, random_unseen

#: the most trials the models fit on (the front's and the newest, as the GP tuner's MAX_FIT)
MAX_FIT = 200
#: candidates refined by L-BFGS-B after the local searches, and its iterations
POLISH_STARTS = 3
POLISH_ITERS = 40


class Models:
    """The fitted GPs: one per objective, one per constrained key (with its bounds)."""

    def __init__(self, objectives: list[Any], constraints: list[tuple[Any, float, float]]) -> None:
        self.objectives, self.constraints = objectives, constraints

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pairs = [gp.predict(u, return_std=True) for gp in self.objectives]
        return np.column_stack([p[0] for p in pairs]), np.column_stack([p[1] for p in pairs])

    def log_feasible(self, u: np.ndarray) -> np.ndarray:
        """log P(every constraint holds), constraints independent."""
        out = np.zeros(len(u))
        for gp, low, high in self.constraints:
            mu, sd = gp.predict(u, return_std=True)
            sd = np.maximum(sd, 1e-12)
            # P(low <= c <= high) = P(c <= high) - P(c < low); one side open is the other's log_ndtr
            hi = log_ndtr((high - mu) / sd)
            lo = log_ndtr((low - mu) / sd)
            with np.errstate(divide="ignore"):
                out += hi + np.log(-np.expm1(np.minimum(lo - hi, -1e-300)))
        return out


class MoGpTuner(GPTuner):
    # MOGP's 2-objective figures (bench/README.md, issue 23) were measured with the likelihood
    # maximum, kept for them; with 3+ objectives the prior is used (set in __init__): on DTLZ2 the
    # likelihood maximum set most length scales at their bound of 100, the model extrapolated those
    # columns as nearly flat and the polish pushed them to the cube's faces, far from the optimum
    # (hypervolume below random search's; bench/README.md, "MOGP on DTLZ2 (issue 23)")
    length_prior = False
    start_length = 0.5  # the GP tuner's start of 1 (issue 24) was not measured on MOGP's fronts

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        objectives: Any = None,
        constraints: Any = None,
        nu: float = 2.5,
        alpha: float = 1e-6,
        cold_start_num: int = 10,
        selection_num_warm_up: int = 2000,
        selection_num_starting_points: int = 5,
    ) -> None:
        self.objectives = parse_objectives("GP", objectives, constraints, optimize_mode)
        self.length_prior = len(self.objectives) >= 3
        super().__init__(
            space,
            optimize_mode,
            seed,
            nu=nu,
            alpha=alpha,
            cold_start_num=cold_start_num,
            selection_num_warm_up=selection_num_warm_up,
            selection_num_starting_points=selection_num_starting_points,
        )

    def suggest(self, history: History) -> dict[str, Any]:
        if not self.objectives.several:  # the GP tuner
            return super().suggest(history)
        rng = call_rng(self.seed, self.rng, history, "mogp")
        ids, losses, violation, bounded = self._results(history.trials)
        # each trial with every objective SUCCEEDED at its position among them (the encoder's rows map
        # back to the results), others FAILED, running ones as they are
        positions = {tid: float(i) for tid, i in ids.items()}
        obs, seen = self.encoder.observe(ranked_history(history, positions, maximize=False))
        done = np.flatnonzero(obs.kind == COMPLETED)
        if len(done) < self.cold_start_num:
            return random_unseen(self.space, rng, seen)
        row = obs.loss[done].astype(int)  # each trial's position in `losses`
        y, v = np.array([losses[i] for i in row]), violation[row]
        feasible = np.flatnonzero(v == 0)
        front = feasible[pareto_front(y[feasible].tolist())] if len(feasible) else np.array([], dtype=int)
        order = np.argsort(np.where(v == 0, 0.0, 1.0 + v), kind="stable")
        order = np.concatenate([front, order[~np.isin(order, front)]])  # front first, then feasible
        fit = best_and_newest(np.arange(len(done)), np.argsort(np.argsort(order)).astype(float), MAX_FIT)
        x = self.cube.encode(obs.x[done[fit]])
        pending = self.cube.encode(obs.x[obs.kind == RUNNING])
        with threadpool_limits(limits=1, user_api="blas"):
            gps = [self._fit(x, y[fit, j], rng) for j in range(y.shape[1])]
            cons = []
            for k, (_key, low, high) in enumerate(self.objectives.constraints):
                have = [i for i in fit if bounded[row[i]][k] is not None]
                if len(have) >= 2:
                    c = np.array([bounded[row[i]][k] for i in have])
                    xc = self.cube.encode(obs.x[done[have]])
                    low_ = -np.inf if low is None else low
                    high_ = np.inf if high is None else high
                    cons.append((self._fit(xc, c, rng), low_, high_))
            points = y[front]
            if len(pending):
                believed = [self._believe(gp, x, y[fit, j], pending) for j, gp in enumerate(gps)]
                gps = [b[0] for b in believed]
                points = np.vstack([points, np.column_stack([b[2] for b in believed])])
            models = Models(gps, cons)
            box = None
            if len(front):
                ref = np.array(nadir_reference(y[feasible].tolist()))
                box = ehvi.boxes(points, ref, rng)
            near = x[np.isin(fit, front)] if len(front) else x[np.isin(fit, order[: self.starts])]
            if len(near) > 10:
                near = near[rng.choice(len(near), 10, replace=False)]
            cand = self._maximise(models, box, near, rng)
            cand = self._polish(models, box, cand)
        for u in cand:
            params = self.cube.to_params(u)
            if canonical(params) not in seen:
                return params
        return random_unseen(self.space, rng, seen)

    def _results(
        self, trials: list[Trial]
    ) -> tuple[dict[str, int], list[list[float]], np.ndarray, list[list[float | None]]]:
        """The trials with every objective (id -> position) and, per position, the losses, the
        constraint violation and each constrained key's value (None when not reported)."""
        ids: dict[str, int] = {}
        losses: list[list[float]] = []
        violation: list[float] = []
        bounded: list[list[float | None]] = []
        for t in trials:
            raw = t.raw_value if t.raw_value is not None else t.value
            loss = self.objectives.losses(raw) if t.status == TrialStatus.SUCCEEDED else None
            if loss is None:
                continue
            ids[t.trial_id] = len(losses)
            losses.append(loss)
            violation.append(self.objectives.violation(raw))
            bounded.append(
                [_number(self.objectives.lookup(raw, key)) for key, _, _ in self.objectives.constraints]
            )
        return ids, losses, np.array(violation), bounded

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        # (column, dim) of the numeric parameters with steps (randint, q types)
        self.stepped = [(col, space.dims[i]) for i, col, _ in self.cube.columns if _stepped(space.dims[i])]

    def _snap(self, u: np.ndarray) -> np.ndarray:
        """Stepped columns moved to the value the point will take (to_params rounds it), so the
        acquisition is what the rounded point gets: between two integers the model is unsure and
        would promise what no integer gives (measured on `model`: the search stuck in the gap)."""
        if not self.stepped:
            return u
        u = u.copy()
        for col, dim in self.stepped:
            span = dim.high - dim.low
            x = dim.low + np.clip(u[:, col], 0.0, 1.0) * span
            values = np.array([internal(dim, dim.from_internal(float(v))) for v in x])
            u[:, col] = (values - dim.low) / span
        return u

    def _acquisition(self, gp: Any, u: np.ndarray, best: Any) -> np.ndarray:
        if not isinstance(gp, Models):  # one objective: the GP tuner's own
            return super()._acquisition(gp, u, best)
        u = self._snap(u)
        score = gp.log_feasible(u)
        if best is not None:
            mu, sd = gp.predict(u)
            score = score + ehvi.log_ehvi(mu, sd, *best)
        return score

    def _polish(self, models: Models, box: Any, cand: np.ndarray) -> np.ndarray:
        """L-BFGS-B from the best few candidates over the numeric columns (choices held), on
        finite differences computed in one batch per step."""
        numeric = [col for i, col, _ in self.cube.columns if not self.space.dims[i].is_choice]
        if not numeric:
            return cand
        out = []
        for start in cand[:POLISH_STARTS]:

            def negative(z: np.ndarray, start: np.ndarray = start) -> tuple[float, np.ndarray]:
                h = 1e-6
                batch = np.repeat(start[None], len(z) + 1, axis=0)
                batch[:, numeric] = z
                step = np.where(z + h <= 1.0, h, -h)
                batch[1 + np.arange(len(z)), np.array(numeric)] += step
                f = self._acquisition(models, batch, box)
                return -float(f[0]), -(f[1:] - f[0]) / step

            res = minimize(
                negative,
                start[numeric],
                jac=True,
                method="L-BFGS-B",
                bounds=[(0.0, 1.0)] * len(numeric),
                options={"maxiter": POLISH_ITERS},
            )
            better = start.copy()
            better[numeric] = res.x
            out.append(better)
        return np.vstack([*out, cand])


def _stepped(dim: Any) -> bool:
    return not dim.is_choice and (dim.q is not None or dim.is_integer) and dim.high > dim.low


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        return None
    return float(value)
