"""Runs the assessor for the manager: once per new intermediate result, slow ones off the loop.

The assessor judges each new result in report order, seeing the trial's results up to that one (a
burst of results read at once is judged result by result, so `start_step` and `gap` count right).
A trial whose final result has come is not judged (the manager's loop skips it, and a slow call's
verdict on it is dropped): stopping it would only throw away a finished result.
An assessor whose class says `slow = True` (Curvefitting) runs in a worker thread on a snapshot,
one call per trial at a time; results that arrive meanwhile are judged when it returns. An
assessor's exception is logged and the trial goes on.

A result costs the loop O(1) here, however many the trial has: the results judged so far are one
list per trial that only grows (a burst is judged by appending to it, not by copying prefixes), and
the assessor is handed that same list each time, so it can keep running statistics of it
(Medianstop does). A slow call's list is not appended to until the call has returned.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging

from .assessors.base import Assessor
from .history import History, Trial

log = logging.getLogger("autolab.manager")


class AssessorRunner:
    """assessor None: an experiment without one (nothing is ever judged)."""

    def __init__(self, assessor: Assessor | None) -> None:
        self.assessor = assessor
        self.slow = bool(getattr(assessor, "slow", False))
        self.judged: dict[str, list[float]] = {}  # trial id -> the results judged so far
        self.pending: dict[str, concurrent.futures.Future[bool]] = {}
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None

    def on_results(self, trial: Trial, history: History) -> bool:
        """Judge the trial's new results; True when it should stop now."""
        results = trial.intermediate
        judged = self.judged.setdefault(trial.trial_id, [])
        if self.assessor is None or len(results) <= len(judged):
            return False
        seen = dataclasses.replace(trial, intermediate=judged)  # what the assessor is shown
        if self.slow:
            if trial.trial_id not in self.pending:
                judged.extend(results[len(judged) :])
                if self.pool is None:
                    self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="assessor")
                snapshot = History(list(history.trials))
                self.pending[trial.trial_id] = self.pool.submit(self.assessor.should_stop, seen, snapshot)
            return False
        while len(judged) < len(results):
            judged.append(results[len(judged)])
            try:
                if self.assessor.should_stop(seen, history):
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
            if trial is None or not trial.running or trial.value is not None:  # ended, or final result in
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
        """The trial has ended (or starts over)."""
        self.judged.pop(trial_id, None)
        if self.assessor is not None:
            try:
                self.assessor.trial_ended(trial_id)
            except Exception:
                log.exception("assessor failed on the end of trial %s", trial_id)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
