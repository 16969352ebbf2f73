"""Median stopping rule (NNI's Medianstop): stop a trial whose best result so far is worse than the
median, at the same step, of the running averages of the trials that completed successfully.

A call costs O(1) in the number of results, and one quick pass over the trials (to see whether the
completed ones changed): the sorted running averages of the completed trials at every step are
kept, and a trial that completes is folded in once; the best result so far of a running trial is
kept too. That is a cache of the history, never state of its own: each part is tied to the very
lists of results it was taken from and only extended while such a list grows (results are only
ever appended), and rebuilt otherwise, so a fresh assessor given the same history decides the same.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from typing import ClassVar

from ..history import History, Trial
from ._args import int_arg
from .base import Assessor


class _Folded:
    """The first `count` results of one list, folded: their sum, or the best finite one."""

    def __init__(self, values: list[float]) -> None:
        self.values = values
        self.count = 0
        self.total = 0.0  # added left to right, as NNI does (see _fold)
        self.best: float | None = None

    def fits(self, values: list[float]) -> bool:
        return values is self.values and len(values) >= self.count


class MedianstopAssessor(Assessor):
    """classArgs: optimize_mode ('maximize'), start_step (0): judge only once a trial has reported
    start_step intermediate results."""

    #: cheap: microseconds per call, fine on the manager loop
    slow: ClassVar[bool] = False

    def __init__(self, optimize_mode: str = "maximize", start_step: int = 0) -> None:
        super().__init__(optimize_mode)
        self.start_step = int_arg("Medianstop", "start_step", start_step, 0)
        self._running: dict[str, _Folded] = {}  # trial id -> its best result so far
        self._completed: dict[str, _Folded] = {}  # trial id -> its results summed into _by_step
        self._by_step: list[list[float]] = []  # [s - 1]: sorted finite running averages at step s
        self._seen: list[list[float]] = []  # the completed trials' result lists, as last folded
        self._seen_ids: list[str] = []  # and their ids
        self._seen_size = 0

    def should_stop(self, trial: Trial, history: History) -> bool:
        step = len(trial.intermediate)
        if step == 0 or step < self.start_step:
            return False
        maximize = self.optimize_mode == "maximize"
        best = self._best(trial, maximize)
        if best is None:
            return False
        completed = history.completed()
        self._sync(completed)
        if trial.trial_id in self._completed:  # a stale SUCCEEDED copy of itself must not count
            averages = self._rebuilt([t for t in completed if t.trial_id != trial.trial_id], step)
        else:
            averages = self._by_step[step - 1] if step <= len(self._by_step) else []
        if not averages:
            return False
        # With an even count take the lenient middle value, as NNI does: the lower one when
        # maximizing, the upper one when minimizing.
        if maximize:
            return best < averages[(len(averages) - 1) // 2]
        return best > averages[len(averages) // 2]

    def trial_ended(self, trial_id: str) -> None:
        # its best so far is no longer asked for (if it completed, _sync folds it from the history)
        self._running.pop(trial_id, None)

    def _best(self, trial: Trial, maximize: bool) -> float | None:
        """The trial's best finite result so far (None when it has none)."""
        folded = self._running.get(trial.trial_id)
        if folded is None or not folded.fits(trial.intermediate):
            folded = self._running[trial.trial_id] = _Folded(trial.intermediate)
        best = folded.best
        for v in folded.values[folded.count :]:
            if math.isfinite(v) and (best is None or (v > best if maximize else v < best)):
                best = v
        folded.best, folded.count = best, len(folded.values)
        return best

    def _sync(self, completed: list[Trial]) -> None:
        """Fold into _by_step what changed among the completed trials since the last call."""
        lists = [t.intermediate for t in completed]
        ids = [t.trial_id for t in completed]
        size = sum(map(len, lists))
        # lists compare by identity first (C speed); contents only when they are other lists
        if size == self._seen_size and lists == self._seen and ids == self._seen_ids:
            return
        for t in completed:
            folded = self._completed.get(t.trial_id)
            if folded is None:
                folded = self._completed[t.trial_id] = _Folded(t.intermediate)
            elif not folded.fits(t.intermediate):
                break  # not the results folded before: another history
            self._fold(folded, self._by_step)
        else:
            if len(self._completed) == len(completed):  # else a trial left the completed ones
                self._seen, self._seen_ids, self._seen_size = lists, ids, size
                return
        self._completed = {t.trial_id: _Folded(t.intermediate) for t in completed}
        self._by_step = self._all_folded(self._completed.values())
        self._seen, self._seen_ids, self._seen_size = lists, ids, size

    def _rebuilt(self, completed: list[Trial], step: int) -> list[float]:
        by_step = self._all_folded([_Folded(t.intermediate) for t in completed], upto=step)
        return by_step[step - 1] if step <= len(by_step) else []

    @classmethod
    def _all_folded(cls, trials: Iterable[_Folded], upto: int | None = None) -> list[list[float]]:
        # appended, then sorted once (inserting in order would cost O(trials^2) a step)
        by_step: list[list[float]] = []
        for folded in trials:
            cls._fold(folded, by_step, upto, add=list.append)
        for averages in by_step:
            averages.sort()
        return by_step

    @staticmethod
    def _fold(
        folded: _Folded,
        by_step: list[list[float]],
        upto: int | None = None,
        add: Callable[[list[float], float], None] = bisect.insort,
    ) -> None:
        """Add the running averages of the results not folded yet to by_step."""
        values = folded.values
        end = len(values) if upto is None else min(upto, len(values))
        # Summed left to right, as NNI does: results are often exact ties (accuracies are multiples
        # of 1/n), and the same rounding keeps every decision identical to NNI's.
        total = folded.total
        for k in range(folded.count, end):
            total += values[k]
            if k == len(by_step):
                by_step.append([])
            avg = total / (k + 1)
            if math.isfinite(avg):
                add(by_step[k], avg)
        folded.total, folded.count = total, max(folded.count, end)
