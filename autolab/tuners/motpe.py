"""Multi-objective TPE (MOTPE, Ozaki et al. 2020/2022), with Optuna's constrained semantics.

TPE splits the trials into the best few (l) and the rest (g). With several objectives "best" is
the non-domination rank, and the front that straddles the split is ordered by hypervolume
contribution (moranks.py); infeasible trials rank after every feasible one. The rest is autolab's
TPE (rank weights in l, Kriging believer and constant liar for running trials), run on the
history with each trial's rank as its value, with differences measured on the benchmark's
problems (bench/README.md): l is the best 20% (gamma 0.2, TPE's is 0.1), weighed alike with 3 or
more objectives (by rank with 2, as TPE), and in spaces of more than
8 parameters each parameter has its own kernel (`multivariate: auto`; true / false force joint or
per-parameter kernels), as Optuna's and the MOTPE paper's: sampling each parameter from a different
good trial mixes their coordinates, which found better fronts on ZDT (30 parameters) and DTLZ2 (12),
while joint kernels did better on the 4-parameter 'model' surface.

classArgs: objectives ({key: maximize | minimize}; the first one is the reported `default`
number unless the dict has its key), constraints ({key: {min, max}}), multivariate (auto), plus
TPE's (optimize_mode, the direction of objectives given as a list; seed; tpe_args, whose gamma
defaults to 0.2 here). With one objective and no constraints it is TPE.
`tuner: {name: TPE, classArgs: {objectives: ...}}` builds this class.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..history import History
from ..searchspace import SearchSpace
from .base import TunerError
from .moranks import rank_values, ranked_history
from .multi import parse_objectives
from .tpe import Group, GroupKey, TpeTuner

#: multivariate 'auto': joint kernels up to this many parameters, one per parameter above. Measured
#: (bench/mo_bench.py, 100 evaluations, seeds 0-2, hypervolume): the 4-parameter 'model' surface
#: 81.79 joint vs 81.55 per parameter; ZDT1 (30) 8.7 joint (2 seeds) vs 9.48, DTLZ2 (12) 12.1-12.5 vs 13.4
JOINT_UP_TO = 8
#: l's share of the trials with several objectives (TPE's gamma is 0.1): a front needs more good
#: trials than a single optimum. 100 evaluations, seeds 0-2: ZDT1 9.48 -> 9.97, DTLZ2 13.40 ->
#: 13.67, model (joint) 81.79 -> 81.83
MO_GAMMA = 0.2
#: with 3 or more objectives l's trials weigh alike (TPE weighs them by rank): the front is wide and
#: each part of it counts. DTLZ2 (3 objectives), 100 evaluations, seeds 0-2: 12.79 / 13.67 / 13.86
#: by rank, 14.08 / 14.21 / 14.47 alike; with 2 objectives alike did worse (ZDT1 9.97 / 9.83 / 9.98
#: by rank, 9.58 / 9.35 / 9.35 alike)
FLAT_FROM = 3


class DimGroup(Group):
    """One parameter as a group of its own (univariate kernels); `scope` is the group it belongs
    to (which decides when it is active), its key names the parameter (models are per key)."""

    def __init__(self, space: SearchSpace, scope: GroupKey, index: int) -> None:
        super().__init__(space, (space.dims[index].key, index), [index])
        self.scope = Group(space, scope, [index])


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
        multivariate: bool | str = "auto",
    ) -> None:
        self.objectives = parse_objectives("MOTPE", objectives, constraints, optimize_mode)
        if self.objectives.several:  # TPE's coordinate jumps were measured on one objective only
            self.jump_slots = 0
        if not isinstance(multivariate, bool) and multivariate != "auto":
            raise TunerError(f"MOTPE multivariate must be true, false or 'auto', got {multivariate!r}")
        self.multivariate = multivariate
        if len(self.objectives) >= FLAT_FROM:
            self.rank_decay = math.inf
        if self.objectives.several and isinstance(tpe_args, dict | None):
            tpe_args = {"gamma": MO_GAMMA, **(tpe_args or {})}
        super().__init__(space, optimize_mode, seed, tpe_args, parallel_optimize, constant_liar_type)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        joint = self.multivariate if isinstance(self.multivariate, bool) else len(space.dims) <= JOINT_UP_TO
        if self.objectives.several and not joint:  # one kernel per parameter (see the docstring)
            self.groups = [
                DimGroup(space, g.key, i) for g in self.groups for i in sorted(g.numeric + g.choice)
            ]

    def _active(self, group: Group, row: np.ndarray) -> bool:
        if isinstance(group, DimGroup):
            return super()._active(group.scope, row)
        return super()._active(group, row)

    def suggest(self, history: History) -> dict[str, Any]:
        if not self.objectives.several:  # plain TPE
            return super().suggest(history)
        ranks = rank_values(self.objectives, history.trials, "hypervolume")
        return super().suggest(ranked_history(history, ranks, self.optimize_mode == "maximize"))
