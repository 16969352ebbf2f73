"""Median stopping rule (NNI's Medianstop): stop a trial whose best result so far is worse than the
median, at the same step, of the running averages of the trials that completed successfully."""

from __future__ import annotations

import math
from typing import ClassVar

from ..history import History, Trial
from ._args import int_arg
from .base import Assessor


class MedianstopAssessor(Assessor):
    """classArgs: optimize_mode ('maximize'), start_step (0): judge only once a trial has reported
    start_step intermediate results."""

    #: cheap: O(completed trials x steps) arithmetic, fine on the manager loop
    slow: ClassVar[bool] = False

    def __init__(self, optimize_mode: str = "maximize", start_step: int = 0) -> None:
        super().__init__(optimize_mode)
        self.start_step = int_arg("Medianstop", "start_step", start_step, 0)

    def should_stop(self, trial: Trial, history: History) -> bool:
        step = len(trial.intermediate)
        if step == 0 or step < self.start_step:
            return False
        finite = [v for v in trial.intermediate if math.isfinite(v)]
        if not finite:
            return False
        maximize = self.optimize_mode == "maximize"
        best = max(finite) if maximize else min(finite)
        averages = sorted(
            avg
            for t in history.completed()
            if t.trial_id != trial.trial_id
            and len(t.intermediate) >= step
            and math.isfinite(avg := _running_average(t.intermediate, step))
        )
        if not averages:
            return False
        # With an even count take the lenient middle value, as NNI does: the lower one when
        # maximizing, the upper one when minimizing.
        if maximize:
            return best < averages[(len(averages) - 1) // 2]
        return best > averages[len(averages) // 2]


def _running_average(values: list[float], step: int) -> float:
    # Summed left to right, as NNI does: results are often exact ties (accuracies are multiples of
    # 1/n), and the same rounding keeps every decision identical to NNI's.
    total = 0.0
    for v in values[:step]:
        total += v
    return total / step
