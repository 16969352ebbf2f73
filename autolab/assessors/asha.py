"""ASHA in stopping mode (asynchronous successive halving, Li et al. 2020), for any tuner.

Rungs sit at grace_period * eta^(k + min_early_stopping_rate) intermediate results (the trial's
"resource" is the number of results it has reported). When a trial reaches a rung, its result there
is compared with the results there of every trial that reached it before (running, finished or
stopped): it goes on only if it is among the best 1/eta of them, else it stops. Nobody waits for a
rung to fill, so every slot stays busy. The rule is Optuna's SuccessiveHalvingPruner's: with fewer
than eta results at the rung, only the best so far goes on.

classArgs: optimize_mode, grace_period (1; Optuna's min_resource), eta (3; reduction_factor is
accepted too), min_early_stopping_rate (0), max_t (none: no rung at or past it, where a trial ends
anyway).

The rungs a trial has passed are cached (a trial is judged once per rung); a fresh assessor (on
resume) judges a trial's rungs again at its next result, against the results stored by then.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from ..history import History, Trial
from ._args import int_arg
from .base import Assessor, AssessorError


class AshaAssessor(Assessor):
    """Stop a trial that is not in the best 1/eta at a rung it reaches."""

    slow: ClassVar[bool] = False  # one pass over the trials per rung reached: microseconds

    def __init__(
        self,
        optimize_mode: str = "maximize",
        grace_period: int = 1,
        eta: Any = None,
        reduction_factor: Any = None,
        min_early_stopping_rate: int = 0,
        max_t: int | None = None,
    ) -> None:
        super().__init__(optimize_mode)
        if eta is not None and reduction_factor is not None:
            raise AssessorError("ASHA classArgs: give eta or reduction_factor (the same thing), not both")
        factor = (
            3 if eta is None and reduction_factor is None else (eta if eta is not None else reduction_factor)
        )
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 1:
            raise AssessorError(f"ASHA classArgs.eta must be a number > 1, got {factor!r}")
        self.eta = factor
        self.grace_period = int_arg("ASHA", "grace_period", grace_period, 1)
        self.min_early_stopping_rate = int_arg("ASHA", "min_early_stopping_rate", min_early_stopping_rate, 0)
        self.max_t = None if max_t is None else int_arg("ASHA", "max_t", max_t, 1)
        self._passed: dict[str, int] = {}  # trial id -> how many rungs it has passed

    def rung_level(self, k: int) -> int:
        """The number of results at rung k."""
        return math.ceil(self.grace_period * self.eta ** (k + self.min_early_stopping_rate) - 1e-9)

    def rungs_reached(self, steps: int) -> int:
        """How many rungs a trial with `steps` results has reached."""
        k = 0
        while self.rung_level(k) <= steps and (self.max_t is None or self.rung_level(k) < self.max_t):
            k += 1
        return k

    def should_stop(self, trial: Trial, history: History) -> bool:
        reached = self.rungs_reached(len(trial.intermediate))
        passed = self._passed.get(trial.trial_id, 0)
        for k in range(passed, reached):
            if not self._goes_on(trial, history, self.rung_level(k)):
                return True
            self._passed[trial.trial_id] = k + 1
        return False

    def _goes_on(self, trial: Trial, history: History, level: int) -> bool:
        mine = self._loss(trial.intermediate[level - 1])
        others = [
            self._loss(t.intermediate[level - 1])
            for t in history.trials
            if t.trial_id != trial.trial_id and len(t.intermediate) >= level
        ]
        ranked = sorted([*others, mine])
        keep = max(math.floor(len(ranked) / self.eta), 1)  # the best 1/eta, at least the best one
        return mine <= ranked[keep - 1]

    def _loss(self, value: float) -> float:
        if math.isnan(value):
            return math.inf  # a NaN result is the worst there is
        return -value if self.optimize_mode == "maximize" else value

    def trial_ended(self, trial_id: str) -> None:
        self._passed.pop(trial_id, None)
