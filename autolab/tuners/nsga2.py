"""NSGA-II (Deb et al. 2002), steady state and rebuilt from the history at every call.

The parents are the best `population_size` finished trials of the whole history by (constrained
non-domination rank, crowding distance): NSGA-II's elitist survival over every trial so far, so a
trial that finishes late still competes and resume needs nothing but the history. Each child comes
from two binary tournaments, simulated binary crossover (SBX) of the numeric parameters in their
sampling coordinates (log types in log space) and uniform crossover of the choices, then
polynomial mutation of each parameter with probability 1/d (a choice takes another option; a
newly chosen nested branch gets random values). Until `population_size` trials have finished,
points are random. Infeasible trials rank after every feasible one (moranks.py).

classArgs: objectives, constraints (see autolab/objectives.py), optimize_mode (the direction of
objectives given as a list, or of the one `default` number), seed, population_size (24),
crossover_prob (0.9), eta_crossover (15), eta_mutation (20). `tuner: {name: Evolution, classArgs:
{objectives: ...}}` builds this class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..history import History
from ..searchspace import SearchSpace
from .base import Tuner, TunerError, canonical
from .evolution import decode_child, other_choice
from .moranks import rank_values, ranked_history
from .multi import parse_objectives
from .observations import RUNNING, Encoder, as_losses
from .sampling import call_rng, random_unseen

MAX_TRIES = 50


class Nsga2Tuner(Tuner):
    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        objectives: Any = None,
        constraints: Any = None,
        population_size: int = 24,
        crossover_prob: float = 0.9,
        eta_crossover: float = 15.0,
        eta_mutation: float = 20.0,
    ) -> None:
        self.objectives = parse_objectives("NSGA-II", objectives, constraints, optimize_mode)
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise TunerError(f"NSGA-II population_size must be an integer >= 2, got {population_size!r}")
        for key, value, low, high in (
            ("crossover_prob", crossover_prob, 0.0, 1.0),
            ("eta_crossover", eta_crossover, 0.0, 1000.0),
            ("eta_mutation", eta_mutation, 0.0, 1000.0),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise TunerError(f"NSGA-II {key} must be a number in [{low:g}, {high:g}], got {value!r}")
        self.population_size = population_size
        self.crossover_prob = float(crossover_prob)
        self.eta_c, self.eta_m = float(eta_crossover), float(eta_mutation)
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self.encoder = Encoder(space)

    def suggest(self, history: History) -> dict[str, Any]:
        rng = call_rng(self.seed, self.rng, history, "nsga2")
        ranks = rank_values(self.objectives, history.trials, "crowding")
        raw, seen = self.encoder.observe(ranked_history(history, ranks, maximize=False))
        obs = as_losses(raw, maximize=False)
        done = np.flatnonzero(obs.kind != RUNNING)
        if len(done) < self.population_size:
            return random_unseen(self.space, rng, seen)
        population = done[np.argsort(obs.loss[done], kind="stable")[: self.population_size]]
        for _ in range(MAX_TRIES):
            a, b = (self._tournament(population, obs.loss, rng) for _ in range(2))
            row = self._crossover(obs.x[a], obs.x[b], rng)
            params = self.space.to_parameters(self._mutate(row, rng))
            if canonical(params) not in seen:
                return params
        return random_unseen(self.space, rng, seen)

    @staticmethod
    def _tournament(population: np.ndarray, loss: np.ndarray, rng: np.random.Generator) -> int:
        i, j = rng.choice(population, size=2, replace=False)
        return int(i if loss[i] <= loss[j] else j)

    def _crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """SBX on numeric dims, uniform on choices; a dim one parent lacks (nested) comes from the
        other. One of the two SBX children, picked at random per dim."""
        child = a.copy()
        cross = rng.random() < self.crossover_prob
        for i, dim in enumerate(self.space.dims):
            x, y = a[i], b[i]
            if np.isnan(x) or np.isnan(y):
                child[i] = y if np.isnan(x) else x
            elif not cross:
                child[i] = x
            elif dim.is_choice:
                child[i] = x if rng.random() < 0.5 else y
            elif rng.random() < 0.5 and abs(x - y) > 1e-14:
                u = rng.random()
                beta = (
                    (2 * u) ** (1 / (self.eta_c + 1))
                    if u <= 0.5
                    else (1 / (2 - 2 * u)) ** (1 / (self.eta_c + 1))
                )
                sign = 1 if rng.random() < 0.5 else -1
                child[i] = np.clip(0.5 * ((x + y) + sign * beta * (y - x)), dim.low, dim.high)
            else:
                child[i] = x if rng.random() < 0.5 else y
        return child

    def _mutate(self, row: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        row = row.copy()
        active = [i for i in range(len(row)) if not np.isnan(row[i])]
        dims = self.space.dims
        for i in active:
            if rng.random() >= 1.0 / len(active):
                continue
            dim = dims[i]
            if dim.is_choice:
                row[i] = other_choice(row[i], len(dim.choices), rng)
            else:
                row[i] = _polynomial(row[i], dim.low, dim.high, self.eta_m, rng)
        return decode_child(self.space, self.encoder, row, rng)


def _polynomial(x: float, low: float, high: float, eta: float, rng: np.random.Generator) -> float:
    """Deb's polynomial mutation of x in [low, high] (bounded form)."""
    span = high - low
    if span <= 0:
        return x
    d1, d2 = (x - low) / span, (high - x) / span
    u, power = rng.random(), 1.0 / (eta + 1.0)
    if u < 0.5:
        delta = (2 * u + (1 - 2 * u) * (1 - d1) ** (eta + 1)) ** power - 1
    else:
        delta = 1 - (2 * (1 - u) + 2 * (u - 0.5) * (1 - d2) ** (eta + 1)) ** power
    return float(np.clip(x + delta * span, low, high))
