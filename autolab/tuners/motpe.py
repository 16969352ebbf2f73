"""Multi-objective TPE (MOTPE, Ozaki et al. 2020/2022), with Optuna's constrained semantics.

TPE splits the trials into the best few (l) and the rest (g). With several objectives "best" is
the non-domination rank, and the front that straddles the split is ordered by hypervolume
contribution (moranks.py); infeasible trials rank after every feasible one. Everything else is
autolab's TPE as it is (joint kernels, rank weights in l, Kriging believer and constant liar for
running trials), run on the history with each trial's rank as its value.

classArgs: objectives ({key: maximize | minimize}; the first one is the reported `default`
number unless the dict has its key), constraints ({key: {min, max}}), plus TPE's (optimize_mode,
the direction of objectives given as a list; seed; tpe_args). With one objective and no
constraints it is TPE. `tuner: {name: TPE, classArgs: {objectives: ...}}` builds this class.
"""

from __future__ import annotations

from typing import Any

from ..history import History
from ..searchspace import SearchSpace
from .moranks import rank_values, ranked_history
from .multi import parse_objectives
from .tpe import TpeTuner


class MotpeTuner(TpeTuner):
    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        seed: int | None = None,
        objectives: Any = None,
        constraints: Any = None,
        tpe_args: dict[str, Any] | None = None,
        parallel_optimize: bool = True,
        constant_liar_type: str | None = None,
    ) -> None:
        self.objectives = parse_objectives("MOTPE", objectives, constraints, optimize_mode)
        super().__init__(space, optimize_mode, seed, tpe_args, parallel_optimize, constant_liar_type)

    def suggest(self, history: History) -> dict[str, Any]:
        if (
            len(self.objectives) == 1
            and not self.objectives.constraints
            and self.objectives.names == ("default",)
        ):
            return super().suggest(history)
        ranks = rank_values(self.objectives, history.trials, "hypervolume")
        return super().suggest(ranked_history(history, ranks, self.optimize_mode == "maximize"))
