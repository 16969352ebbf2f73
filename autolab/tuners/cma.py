"""CMA-ES (the `cmaes` package, which Optuna's CmaEsSampler wraps), rebuilt from the history.

The numeric top-level parameters form a unit cube (sampling coordinates: log for log types, mu +- 3
sigma for normal types, randint and q types rounded when decoded). The first `n_startup_trials`
trials are random; every later trial, in sequence order, is a member of a generation of `popsize`:
generation g is told to the optimizer once all its members have finished, and a new trial is
sampled from the optimizer after the last complete generation. So with trials running in parallel
the new trials are further members drawn from the newest distribution, and nothing is wasted.

No state is kept that the history does not hold: each suggestion replays the stored trials, in
order, through a fresh optimizer built from the classArgs (a cache of the told generations is kept
and checked against the history), and the sample is drawn with a generator seeded by (seed,
number of trials). Resume is reopening the store: the next suggestions equal an uninterrupted
run's.

A generation ranks its members by loss; an EARLY_STOPPED member ranks after its generation's
completed ones (more steps first, then by its last value), a FAILED one (or one without a value)
last: CMA-ES reads only the order. Trials of an earlier search space or USER_CANCELED are left out.

Surrogate pre-selection (`prescreen`, as GP pre-selection for evolution strategies, Ulmer et
al. 2003, and the global linear-quadratic surrogate of lq-CMA-ES, Hansen 2019): each suggestion
draws `prescreen` candidates from the CMA-ES distribution and runs the one that a least-squares
quadratic model of the finished trials' losses predicts lowest (full quadratic once there are
twice as many trials as terms, else diagonal, else linear, else none). On rugged boxes with 100
evaluations the model follows the global bowl under the ripples (bench/README.md: Rastrigin-6 and
Levy-6 against Optuna's CmaEsSampler); `prescreen: 1` is plain CMA-ES.

Mirrored sampling (`mirrored`, Brockhoff et al. 2010): every second member of a generation is the
previous member reflected through the mean (m - (x - m)), so each pair's steps cancel and the
mean's update is less noisy; with pre-selection, the pair spans the model's preferred direction
and its opposite. `mirrored: false` with `prescreen: 1` is Optuna's CmaEsSampler.

CMA-ES cannot model choices: `choice` parameters and everything under a nested choice are
suggested by an independent sampler (autolab's TPE by default, or random), with one warning naming
them, as Optuna's CmaEsSampler hands such parameters to its independent sampler.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from cmaes import CMA
from threadpoolctl import threadpool_limits

from ..history import History
from ..searchspace import SearchSpace
from .base import Tuner, TunerError, canonical
from .observations import COMPLETED, RUNNING, STOPPED, Encoder, Observations
from .sampling import call_rng, random_unseen
from .tpe import TpeTuner

log = logging.getLogger("autolab.manager")  # the manager builds the tuner: a line of manager.log
MAX_ASKS = 20  # fresh samples tried before a repeated point falls back to a random unseen one
STARTS = ("center", "best")
# candidates drawn per suggestion, of which the quadratic model's best is run (1: plain CMA-ES).
# Chosen on seeds 100-199 among 1, 3, 5, 10, 20, with and without mirrored sampling (bench/README.md,
# fifth round): 10 with mirroring had median regrets of 26.6, 27.5, 0.225 on Rastrigin-6, its noisy
# variant and Levy-6 (plain CMA-ES: 30.3, 30.4, 0.733) and was ahead of plain on Ackley-5,
# Griewank-8, Rosenbrock-4 and Hartmann-6 too.
PRESCREEN = 10


@dataclass
class _Replay:
    """The optimizer after the told generations, and what was told (to check it against a history)."""

    key: tuple[Any, ...]  # the start: (mean0 bytes,)
    optimizer: Any
    told: int  # rows told (after the startup rows)
    x: np.ndarray  # their cube coordinates
    values: np.ndarray  # their tell values
    popsize: int
    generations: list[tuple[int, int]]  # the told ones' rows, [first, end)


class CmaEsTuner(Tuner):
    """classArgs: optimize_mode, seed, sigma0 (in the unit cube; default 1/6 as Optuna), popsize
    (default 4 + 3 ln d), n_startup_trials (random trials before CMA-ES), lr_adapt (learning-rate
    adaptation, LRA-CMA-ES), start ('center' of the box or the 'best' startup trial),
    independent_sampler ('tpe' or 'random', for the parameters CMA-ES cannot model), prescreen
    (candidates per suggestion for the quadratic model's pre-selection; 1: plain CMA-ES), mirrored
    (every second member the reflection of the previous one through the mean)."""

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        sigma0: float | None = None,
        popsize: int | None = None,
        n_startup_trials: int = 1,
        lr_adapt: bool = False,
        start: str = "center",
        independent_sampler: str = "tpe",
        mirrored: bool = True,
        prescreen: int = PRESCREEN,
    ) -> None:
        if sigma0 is not None and (
            isinstance(sigma0, bool) or not isinstance(sigma0, (int, float)) or not 0 < sigma0 <= 1
        ):
            raise TunerError(f"CMAES sigma0 must be a number in (0, 1] (unit-cube scale), got {sigma0!r}")
        if popsize is not None and (isinstance(popsize, bool) or not isinstance(popsize, int) or popsize < 2):
            raise TunerError(f"CMAES popsize must be an integer >= 2, got {popsize!r}")
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 0
        ):
            raise TunerError(f"CMAES n_startup_trials must be an integer >= 0, got {n_startup_trials!r}")
        if isinstance(prescreen, bool) or not isinstance(prescreen, int) or prescreen < 1:
            raise TunerError(f"CMAES prescreen must be an integer >= 1 (1: plain CMA-ES), got {prescreen!r}")
        for flag, given in (("lr_adapt", lr_adapt), ("mirrored", mirrored)):
            if not isinstance(given, bool):
                raise TunerError(f"CMAES {flag} must be true or false, got {given!r}")
        for key, value, allowed in (
            ("start", start, STARTS),
            ("independent_sampler", independent_sampler, ("tpe", "random")),
        ):
            if value not in allowed:
                raise TunerError(f"CMAES {key} must be one of {', '.join(allowed)}, got {value!r}")
        self.sigma0 = float(sigma0) if sigma0 is not None else 1.0 / 6.0
        self.popsize = popsize
        self.n_startup = n_startup_trials
        self.lr_adapt = lr_adapt
        self.start = start
        self.independent = independent_sampler
        self.mirrored = mirrored
        self.prescreen = prescreen
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self.encoder = Encoder(space)
        # CMA-ES models the numeric parameters that are always active; the rest go to `other`
        self.modelled = [i for i, d in enumerate(space.dims) if d.parent is None and not d.is_choice]
        others = [d.key for d in space.dims if d.parent is not None or d.is_choice]
        self.other: TpeTuner | None = None
        if others and self.independent == "tpe":
            self.other = TpeTuner(space, optimize_mode=self.optimize_mode, seed=self.seed)
        if others:
            log.warning(
                "tuner: CMA-ES models numeric top-level parameters only; %s sampled independently by %s: %s",
                "all parameters are" if not self.modelled else "these are",
                "TPE" if self.independent == "tpe" else "random search",
                ", ".join(others),
            )
        self.low = np.array([space.dims[i].low for i in self.modelled])
        self.width = np.array([space.dims[i].high - space.dims[i].low for i in self.modelled])
        self._replay: _Replay | None = None

    # -- suggest ----------------------------------------------------------------------------------
    def suggest(self, history: History) -> dict[str, Any]:
        # small matrices: one BLAS thread is fastest; many threads beside busy trials made a
        # suggestion with 1000 trials take 0.3 s instead of 8 ms here (as gp.py found)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._suggest(history)

    def _suggest(self, history: History) -> dict[str, Any]:
        rng = call_rng(self.seed, self.rng, history, "cmaes")
        obs, seen = self.encoder.observe(history)
        if not self.modelled or len(obs) < self.n_startup:
            return self._independent(history, rng, seen)
        cube = (obs.x[:, self.modelled] - self.low) / self.width
        loss = -obs.loss if self.optimize_mode == "maximize" else obs.loss
        optimizer = self._optimizer(cube, obs, loss)
        optimizer.reseed_rng(int(rng.integers(2**31)))
        others = len(self.modelled) < len(self.space.dims)
        flat = self.space.to_flat(self._independent(history, rng, seen)) if others else {}
        state = self._replay
        member = len(cube) - self.n_startup - state.told if state is not None else 0
        mirror = self.mirrored and state is not None and member % state.popsize % 2 == 1
        for attempt in range(MAX_ASKS):
            if attempt == 0 and mirror:  # the previous member reflected through the mean
                u = np.clip(2 * optimizer.mean - cube[-1], 0.0, 1.0)
            elif attempt == 0 and self.prescreen > 1:  # surrogate pre-selection (module docstring)
                pool = np.array([optimizer.ask() for _ in range(self.prescreen)])
                done = (obs.kind == COMPLETED) & np.isfinite(loss)
                u = np.clip(pool[quadratic_pick(pool, cube, loss, done)], 0.0, 1.0)
            else:
                u = np.clip(optimizer.ask(), 0.0, 1.0)
            for j, i in enumerate(self.modelled):
                dim = self.space.dims[i]
                flat[dim.key] = dim.from_internal(float(self.low[j] + u[j] * self.width[j]))
            params = self.space.to_parameters(flat)
            if canonical(params) not in seen:
                return params
        return random_unseen(self.space, rng, seen)

    def _independent(self, history: History, rng: np.random.Generator, seen: set[str]) -> dict[str, Any]:
        if self.other is not None:
            return self.other.suggest(history)
        return random_unseen(self.space, rng, seen)

    # -- the optimizer, replayed from the history --------------------------------------------------
    def _optimizer(self, cube: np.ndarray, obs: Observations, loss: np.ndarray) -> Any:
        mean0 = self._mean0(cube[: self.n_startup], loss[: self.n_startup], obs.kind[: self.n_startup])
        members = slice(self.n_startup, None)
        x, kind, steps = cube[members], obs.kind[members], obs.steps
        steps = np.zeros(len(x), dtype=int) if steps is None else steps[members]
        loss = loss[members]
        key = (mean0.tobytes(),)
        state = self._replay
        if state is None or state.key != key or not self._still_true(state, x, kind, loss, steps):
            optimizer = self._fresh(mean0, self.popsize)
            state = _Replay(key, optimizer, 0, x[:0], loss[:0], optimizer.population_size, [])
        while state.told + state.popsize <= len(x):
            rows = slice(state.told, state.told + state.popsize)
            if (kind[rows] == RUNNING).any():
                break
            values = generation_values(loss[rows], kind[rows], steps[rows])
            state.optimizer.tell(list(zip(x[rows], values, strict=True)))
            state.x = np.vstack([state.x, x[rows]])
            state.values = np.concatenate([state.values, values])
            state.generations.append((state.told, state.told + state.popsize))
            state.told += state.popsize
        self._replay = state
        return state.optimizer

    @staticmethod
    def _still_true(
        state: _Replay, x: np.ndarray, kind: np.ndarray, loss: np.ndarray, steps: np.ndarray
    ) -> bool:
        """Whether the cached generations are what this history says (the history only grows, but
        the space may change or a running trial be cancelled)."""
        if state.told > len(x) or not np.array_equal(state.x, x[: state.told]):
            return False
        told = [generation_values(loss[a:b], kind[a:b], steps[a:b]) for a, b in state.generations]
        return np.array_equal(np.concatenate([np.zeros(0), *told]), state.values)

    def _fresh(self, mean0: np.ndarray, popsize: int | None) -> Any:
        bounds = np.tile([0.0, 1.0], (len(self.modelled), 1))
        return CMA(
            mean=mean0,
            sigma=self.sigma0,
            bounds=bounds,
            seed=0,
            population_size=popsize,
            lr_adapt=self.lr_adapt,
        )

    def _mean0(self, x: np.ndarray, loss: np.ndarray, kind: np.ndarray) -> np.ndarray:
        done = np.flatnonzero(kind == COMPLETED)
        if self.start == "best" and len(done):
            return np.clip(x[done[np.argmin(loss[done])]], 1e-9, 1 - 1e-9)
        return np.full(len(self.modelled), 0.5)


def generation_values(loss: np.ndarray, kind: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Tell values for one generation's members: completed ones their loss; EARLY_STOPPED ones
    after them (more steps first, then the lower last loss); FAILED ones (or without a value) last.
    Only the order matters to CMA-ES; the values stay finite for its stopping test."""
    values = loss.astype(float).copy()
    done = (kind == COMPLETED) & np.isfinite(values)
    top = float(values[done].max()) if done.any() else 0.0
    span = (top - float(values[done].min())) if done.any() else 0.0
    span = span or abs(top) or 1.0
    stopped = np.flatnonzero((kind == STOPPED) & np.isfinite(values))
    order = stopped[np.lexsort((values[stopped], -steps[stopped]))]
    for rank, i in enumerate(order, start=1):
        values[i] = top + 0.1 * span * rank / len(order)
    rest = ~done & ~np.isin(np.arange(len(values)), stopped)
    values[rest] = top + 0.2 * span
    return values


def quadratic_pick(pool: np.ndarray, cube: np.ndarray, loss: np.ndarray, done: np.ndarray) -> int:
    """The candidate a least-squares quadratic model of the losses of the rows `done` (a mask:
    the completed trials) predicts lowest (full quadratic with enough trials, else diagonal, else
    linear; 0 with too few)."""
    done = np.flatnonzero(done)
    n, d = len(done), cube.shape[1]
    full = 1 + d + d * (d + 1) // 2
    if n >= 2 * full:
        kind = "full"
    elif n >= 2 * (1 + 2 * d):
        kind = "diag"
    elif n >= 2 * (1 + d):
        kind = "linear"
    else:
        return 0
    coef, *_ = np.linalg.lstsq(features(cube[done], kind), loss[done], rcond=None)
    return int(np.argmin(features(pool, kind) @ coef))


def features(u: np.ndarray, kind: str) -> np.ndarray:
    cols = [np.ones((len(u), 1)), u]
    if kind == "diag":
        cols.append(u**2)
    elif kind == "full":
        i, j = np.triu_indices(u.shape[1])
        cols.append(u[:, i] * u[:, j])
    return np.hstack(cols)
