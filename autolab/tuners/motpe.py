"""Multi-objective TPE (MOTPE, Ozaki et al. 2020/2022), with Optuna's constrained semantics.

TPE splits the trials into the best few (l) and the rest (g). With several objectives "best" is
the non-domination rank, and the front that straddles the split is ordered by hypervolume
contribution (moranks.py); infeasible trials rank after every feasible one. The rest is autolab's
TPE (rank weights in l, Kriging believer and constant liar for running trials), run on the
history with each trial's rank as its value, except that each parameter has its own kernel
(`multivariate: false`, the default here, as Optuna's and the MOTPE paper's): sampling each
parameter from a different good trial mixes their coordinates, which on the benchmark's
problems (bench/README.md) found better fronts than TPE's joint kernels (`multivariate: true`).

classArgs: objectives ({key: maximize | minimize}; the first one is the reported `default`
number unless the dict has its key), constraints ({key: {min, max}}), plus TPE's (optimize_mode,
the direction of objectives given as a list; seed; tpe_args), multivariate (false). With one objective and no
constraints it is TPE. `tuner: {name: TPE, classArgs: {objectives: ...}}` builds this class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..history import History
from ..searchspace import SearchSpace
from .base import TunerError
from .moranks import rank_values, ranked_history
from .multi import parse_objectives
from .tpe import Group, GroupKey, TpeTuner


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
        multivariate: bool = False,
    ) -> None:
        self.objectives = parse_objectives("MOTPE", objectives, constraints, optimize_mode)
        if not isinstance(multivariate, bool):
            raise TunerError(f"MOTPE multivariate must be true or false, got {multivariate!r}")
        self.multivariate = multivariate
        super().__init__(space, optimize_mode, seed, tpe_args, parallel_optimize, constant_liar_type)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        if self.several and not self.multivariate:  # one kernel per parameter (see the docstring)
            self.groups = [
                DimGroup(space, g.key, i) for g in self.groups for i in sorted(g.numeric + g.choice)
            ]

    def _active(self, group: Group, row: np.ndarray) -> bool:
        if isinstance(group, DimGroup):
            return super()._active(group.scope, row)
        return super()._active(group, row)

    @property
    def several(self) -> bool:
        """False for one `default` objective without constraints: plain TPE."""
        obj = self.objectives
        return len(obj) > 1 or bool(obj.constraints) or obj.names != ("default",)

    def suggest(self, history: History) -> dict[str, Any]:
        if not self.several:
            return super().suggest(history)
        ranks = rank_values(self.objectives, history.trials, "hypervolume")
        return super().suggest(ranked_history(history, ranks, self.optimize_mode == "maximize"))
