"""Regularized (aging) evolution, rebuilt from the history at every call.

The population is the newest `population_size` finished trials (older ones have aged out). A
tournament of `sample_size` random members picks the parent (the best of them); the child changes
each active parameter with probability 1/d (at least one): a numeric one moves by a normal step
of a tenth of its range (sampling coordinates, so log types move in log space), a choice takes
another option (a newly chosen nested branch gets random values). Until the first population is
complete, points are random. Running trials are not parents; no point is suggested twice while
unexplored ones remain. EARLY_STOPPED trials rank after every completed one, FAILED ones
as the worst value seen (observations.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..history import History
from ..searchspace import SearchSpace
from .base import Tuner, TunerError, canonical
from .observations import RUNNING, Encoder, as_losses
from .sampling import call_rng, py_rng, random_unseen

MAX_TRIES = 50
STEP = 0.1


class EvolutionTuner(Tuner):
    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        population_size: int = 32,
        sample_size: int | None = None,
    ) -> None:
        for key, value in (("population_size", population_size), ("sample_size", sample_size)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 2):
                raise TunerError(f"Evolution {key} must be an integer >= 2, got {value!r}")
        self.population_size = population_size
        self.sample_size = min(sample_size or max(2, population_size // 4), population_size)
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self.encoder = Encoder(space)

    def suggest(self, history: History) -> dict[str, Any]:
        rng = call_rng(self.seed, self.rng, history, "evolution")
        raw, seen = self.encoder.observe(history)
        obs = as_losses(raw, self.optimize_mode == "maximize")
        done = np.flatnonzero(obs.kind != RUNNING)
        if len(done) < self.population_size:
            return random_unseen(self.space, rng, seen)
        population = done[-self.population_size :]
        for _ in range(MAX_TRIES):
            entrants = rng.choice(population, size=self.sample_size, replace=False)
            parent = entrants[np.argmin(obs.loss[entrants])]
            params = self.space.to_parameters(self._mutate(obs.x[parent], rng))
            if canonical(params) not in seen:
                return params
        return random_unseen(self.space, rng, seen)

    def _mutate(self, parent: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        row = parent.copy()
        active = [i for i in range(len(row)) if not np.isnan(row[i])]
        change = [i for i in active if rng.random() < 1.0 / len(active)]
        if not change:
            change = [active[int(rng.integers(len(active)))]]
        dims = self.space.dims
        for i in change:
            dim = dims[i]
            if dim.is_choice:
                row[i] = other_choice(row[i], len(dim.choices), rng)
            else:
                row[i] = float(
                    np.clip(row[i] + rng.normal(0.0, STEP * (dim.high - dim.low)), dim.low, dim.high)
                )
        return decode_child(self.space, self.encoder, row, rng)


def other_choice(current: float, options: int, rng: np.random.Generator) -> float:
    """Another option of a choice than the current one (the current one when it has no other)."""
    if options < 2:
        return current
    other = int(rng.integers(options - 1))
    return float(other + (other >= current))


def decode_child(
    space: SearchSpace, encoder: Encoder, row: np.ndarray, rng: np.random.Generator
) -> dict[str, Any]:
    """A mutated row as flat parameters: the active ones, where a branch chosen just now (no values
    in the row yet) gets random ones."""
    fresh = encoder.encode_flat(space.sample_flat(py_rng(rng)))
    flat: dict[str, Any] = {}
    for i, dim in enumerate(space.dims):
        if not space.is_active(dim, flat):
            continue
        value = row[i] if not np.isnan(row[i]) else fresh[i]
        if np.isnan(value):  # its parent choice differs in the random draw: sample it alone
            flat[dim.key] = dim.sample(py_rng(rng))
            continue
        flat[dim.key] = int(value) if dim.is_choice else dim.from_internal(float(value))
    return flat
