"""Random search with NNI's distributions; never repeats a point while unexplored ones remain."""

from __future__ import annotations

import random
from typing import Any

from ..history import History
from .base import Tuner, random_unseen


class RandomTuner(Tuner):
    def suggest(self, history: History) -> dict[str, Any]:
        # Seeded from (seed, number of trials so far): the sequence depends on the history only,
        # so a resumed experiment continues it instead of starting over.
        rng = self.rng if self.seed is None else random.Random(f"{self.seed}:{len(history)}")
        return random_unseen(self.space, rng, self.seen(history))
