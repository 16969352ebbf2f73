"""Median stopping rule (NNI's Medianstop): stop a trial whose best result so far is worse than the
median, at the same step, of the running averages of the trials that completed successfully.

A call costs O(completed trials), whatever the number of results: the running sums of completed
trials and the best result of a running one are kept between calls. They are a cache of the
history, never state of their own: each is tied to the very list of results it was taken from and
only extended while that list grows (results are only ever appended), and rebuilt from the list
otherwise, so a fresh assessor given the same history decides the same.
"""

from __future__ import annotations

import math
from typing import ClassVar

from ..history import History, Trial
from ._args import int_arg
from .base import Assessor


class _Prefix:
    """What has been folded of one list of results: the first len(sums) of them."""

    def __init__(self, values: list[float]) -> None:
        self.values = values
        self.sums: list[float] = []  # sums[k]: values[0] + ... + values[k], added left to right
        self.best: float | None = None  # best finite value among the first `count`
        self.count = 0

    def fits(self, values: list[float]) -> bool:
        return values is self.values and len(values) >= max(self.count, len(self.sums))


class MedianstopAssessor(Assessor):
    """classArgs: optimize_mode ('maximize'), start_step (0): judge only once a trial has reported
    start_step intermediate results."""

    #: cheap: O(completed trials) per call, fine on the manager loop
    slow: ClassVar[bool] = False

    def __init__(self, optimize_mode: str = "maximize", start_step: int = 0) -> None:
        super().__init__(optimize_mode)
        self.start_step = int_arg("Medianstop", "start_step", start_step, 0)
        self._folded: dict[str, _Prefix] = {}  # trial id -> its results folded so far

    def should_stop(self, trial: Trial, history: History) -> bool:
        step = len(trial.intermediate)
        if step == 0 or step < self.start_step:
            return False
        maximize = self.optimize_mode == "maximize"
        best = self._best(trial, maximize)
        if best is None:
            return False
        averages = []
        for t in history.completed():
            if t.trial_id != trial.trial_id and len(t.intermediate) >= step:
                avg = self._sum(t, step) / step
                if math.isfinite(avg):
                    averages.append(avg)
        if not averages:
            return False
        averages.sort()
        # With an even count take the lenient middle value, as NNI does: the lower one when
        # maximizing, the upper one when minimizing.
        if maximize:
            return best < averages[(len(averages) - 1) // 2]
        return best > averages[len(averages) // 2]

    def trial_ended(self, trial_id: str) -> None:
        # its best-so-far is no longer asked for; if it completed, its running sums are folded
        # again from its results in the history when first needed
        self._folded.pop(trial_id, None)

    def _prefix(self, trial: Trial) -> _Prefix:
        prefix = self._folded.get(trial.trial_id)
        if prefix is None or not prefix.fits(trial.intermediate):
            prefix = self._folded[trial.trial_id] = _Prefix(trial.intermediate)
        return prefix

    def _best(self, trial: Trial, maximize: bool) -> float | None:
        """The trial's best finite result so far (None when it has none)."""
        prefix = self._prefix(trial)
        values, best = prefix.values, prefix.best
        for v in values[prefix.count :]:
            if math.isfinite(v) and (best is None or (v > best if maximize else v < best)):
                best = v
        prefix.best, prefix.count = best, len(values)
        return best

    def _sum(self, trial: Trial, step: int) -> float:
        """The sum of the trial's first `step` results."""
        prefix = self._prefix(trial)
        sums, values = prefix.sums, prefix.values
        # Summed left to right, as NNI does: results are often exact ties (accuracies are multiples
        # of 1/n), and the same rounding keeps every decision identical to NNI's.
        total = sums[-1] if sums else 0.0
        for k in range(len(sums), step):
            total += values[k]
            sums.append(total)
        return sums[step - 1]
