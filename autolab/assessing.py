"""Runs the assessor for the manager: once per new intermediate result, slow ones off the loop.

The assessor judges each new result in report order, seeing the trial's results up to that one (a
burst of results read at once is judged result by result, so `start_step` and `gap` count right).
An assessor whose class says `slow = True` (Curvefitting) runs in a worker thread on a snapshot,
one call per trial at a time; results that arrive meanwhile are judged when it returns. An
assessor's exception is logged and the trial goes on.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging

from .assessors.base import Assessor
from .history import History, Trial

log = logging.getLogger("autolab.manager")


def _upto(trial: Trial, count: int) -> Trial:
    return dataclasses.replace(trial, intermediate=list(trial.intermediate[:count]))


class AssessorRunner:
    """assessor None: an experiment without one (nothing is ever judged)."""

    def __init__(self, assessor: Assessor | None) -> None:
        self.assessor = assessor
        self.slow = bool(getattr(assessor, "slow", False))
        self.judged: dict[str, int] = {}  # trial id -> results judged so far
        self.pending: dict[str, concurrent.futures.Future[bool]] = {}
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None

    def on_results(self, trial: Trial, history: History) -> bool:
        """Judge the trial's new results; True when it should stop now."""
        count = len(trial.intermediate)
        done = self.judged.get(trial.trial_id, 0)
        if self.assessor is None or count <= done:
            return False
        if self.slow:
            if trial.trial_id not in self.pending:
                self.judged[trial.trial_id] = count
                if self.pool is None:
                    self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="assessor")
                snapshot = History(list(history.trials))
                self.pending[trial.trial_id] = self.pool.submit(
                    self.assessor.should_stop, _upto(trial, count), snapshot
                )
            return False
        for k in range(done + 1, count + 1):
            self.judged[trial.trial_id] = k
            try:
                if self.assessor.should_stop(trial if k == count else _upto(trial, k), history):
                    return True
            except Exception:
                log.exception("assessor failed on trial %s; the trial goes on", trial.trial_id)
        return False

    def collect(self, trials: dict[str, Trial], history: History) -> list[str]:
        """Ids of running trials a finished slow call says to stop; re-submits for newer results."""
        stop: list[str] = []
        for trial_id, future in list(self.pending.items()):
            if not future.done():
                continue
            del self.pending[trial_id]
            trial = trials.get(trial_id)
            if trial is None or not trial.running:
                continue
            try:
                verdict = future.result()
            except Exception:
                log.exception("assessor failed on trial %s; the trial goes on", trial_id)
                verdict = False
            if verdict:
                stop.append(trial_id)
            else:
                self.on_results(trial, history)
        return stop

    def forget(self, trial_id: str) -> None:
        self.judged.pop(trial_id, None)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
