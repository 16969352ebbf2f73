"""Random search with NNI's distributions; never repeats a point while unexplored ones remain."""

from __future__ import annotations

import random
from typing import Any

from ..history import History
from .base import Tuner, canonical

MAX_REDRAWS = 100


class RandomTuner(Tuner):
    def suggest(self, history: History) -> dict[str, Any]:
        # Seeded from (seed, number of trials so far): the sequence depends on the history only,
        # so a resumed experiment continues it instead of starting over.
        rng = self.rng if self.seed is None else random.Random(f"{self.seed}:{len(history)}")
        seen = self.seen(history)
        params = self.space.sample(rng)
        for _ in range(MAX_REDRAWS):
            if canonical(params) not in seen:
                return params
            params = self.space.sample(rng)
        # the space is nearly used up: choose among the points left, when they can be listed
        if all(d.grid_values() is not None for d in self.space.dims):
            left = [p for p in map(self.space.to_parameters, self.space.grid()) if canonical(p) not in seen]
            if left:
                return rng.choice(left)
        return params
