"""Issue 16, twelfth round: a bench-only ASHA variant (stopping mode), not shipped.

`keep_share` (a number in (0, 1)): at a rung, a trial goes on if it is among the best keep_share
of the trials there (at least the best one), instead of the best 1/eta; the rungs stay at
grace_period * eta^k. It separates the two things eta sets: on the digits table, eta 2 (rungs 1,
2, 4, 8, 16, keep the best half) completed the optimum on every seed that tried it (25 of 40,
seeds 60-99) where eta 3 (rungs 1, 3, 9, keep a third) stopped it at rung 9 on 10 of 19, but eta
2's longer chain switched MFHartmann's low rungs on later and lost its cost-10 cells. Everything
else is autolab's AshaAssessor (the gate, rung_value).

`keep_top: true` (with keep_share): keep_share only at the top rung (the last below max_t: 9 of
the digits table's 27, 81 of MFHartmann's 100), 1/eta at the others. On MFHartmann rung 81 ranks
the finals almost perfectly (Spearman 0.91-0.99 on random points, ninth round) and a trial there
has spent 81 % of its cost; on the digits table rung 9 is where RA stopped the optimum.
"""

from __future__ import annotations

import math
from typing import Any

from autolab.assessors.asha import AshaAssessor

KEYS = ("keep_share", "keep_top")


class Asha12(AshaAssessor):
    def __init__(self, keep_share: float, keep_top: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keep_top = keep_top
        if not 0 < keep_share < 1:
            raise ValueError(f"keep_share must be in (0, 1), got {keep_share!r}")
        self.keep_share = keep_share

    def _kept(self, ranked: int, level: int) -> int:
        top = self.max_t is not None and self.chain_levels(level) == [level]  # no rung above, below max_t
        if self.keep_top and not top:
            return super()._kept(ranked, level)
        return max(math.floor(ranked * self.keep_share + 1e-9), 1)


def make(mode: str, asha: dict[str, Any]) -> Asha12:
    return Asha12(optimize_mode=mode, **asha)
