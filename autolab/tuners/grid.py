"""Grid search over every combination; continuous parameters are refined level by level.

Enumerable parameters (choice, randint, quniform, qloguniform) take all their values. A continuous
parameter (uniform, loguniform, normal...) takes the midpoint of its range first, then the points
that halve the gaps, and so on (as NNI 3's grid search does), so a space with continuous parameters
never runs out and maxTrialNumber ends the experiment. A fully enumerable space raises NoMoreTrials
once every combination was suggested, and the experiment then ends cleanly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from statistics import NormalDist
from typing import Any

from ..history import History
from ..searchspace import Dim, SearchSpace
from .base import NoMoreTrials, Tuner, TunerError, canonical

MAX_LEVEL = 30


def _level_points(dim: Dim, level: int) -> list[float | int]:
    """Values of a continuous dim up to refinement `level` (level 0: the midpoint)."""
    fractions = [(2 * k + 1) / 2 ** (level + 1) for k in range(2**level)]
    points: list[float | int] = []
    for f in fractions:
        if dim.is_normal:
            x = NormalDist(dim.args[0], dim.args[1]).inv_cdf(f)
        else:
            x = dim.low + f * (dim.high - dim.low)
        points.append(dim.from_internal(x))
    return points


MAX_VALUES = 100_000  # per enumerable parameter: a larger one is a mistake, not a grid


class GridSearchTuner(Tuner):
    def update_search_space(self, space: SearchSpace) -> None:
        for dim in space.dims:
            count = dim.grid_count()
            if count is not None and count > MAX_VALUES:
                raise TunerError(
                    f"GridSearch: parameter '{dim.key}' has about {count:,} values; grid search "
                    f"enumerates at most {MAX_VALUES:,} a parameter (use Random or TPE)"
                )
        super().update_search_space(space)
        self._cursor = 0  # candidates before it were seen already (the history only grows)

    def suggest(self, history: History) -> dict[str, Any]:
        seen = self.seen(history)
        if len(seen) < self._cursor:  # a shorter history than last time: start over
            self._cursor = 0
        for index, flat in enumerate(itertools.islice(self._candidates(), self._cursor, None), self._cursor):
            params = self.space.to_parameters(flat)
            if canonical(params) not in seen:
                self._cursor = index
                return params
        raise NoMoreTrials("grid search has tried every combination")

    def _candidates(self) -> Iterator[dict[str, Any]]:
        continuous = [d for d in self.space.dims if d.grid_values() is None]
        if not continuous:
            yield from self.space.grid()
            return
        for level in range(MAX_LEVEL):
            # every continuous dim refined to this level; combinations of lower levels recur and
            # are skipped by the caller as already seen
            values = {d.key: [p for lv in range(level + 1) for p in _level_points(d, lv)] for d in continuous}
            yield from self.space.grid(values)


def grid_size(tuner: GridSearchTuner) -> float:
    """Number of combinations (inf with continuous parameters)."""
    if any(d.grid_values() is None for d in tuner.space.dims):
        return math.inf
    return tuner.space.grid_size()
