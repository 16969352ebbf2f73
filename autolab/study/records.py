"""Where a study's trials are kept: in memory only, or in an experiment's store (persisted).

Both keep the History the tuner and the assessor are given (the same objects the manager hands
them); the persisted one writes every change to the store first, as the manager's Trials do, so
`autolab experiment list`, `top`, `export` and the web UI read a study like any experiment. An
in-process trial has no process and no trial directory: its results go straight to the store.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from ..experiments import TRIAL_ID_ALPHABET
from ..history import History, Trial
from ..protocol import FINAL, PERIODICAL, Metric
from ..statuses import TrialStatus
from ..store import Store

_IDS = random.Random()  # seeded from the OS once


class MemoryRecords:
    """Trials in memory only: nothing is written (the fastest path; gone with the process)."""

    directory: Path | None = None

    def __init__(self, history: History | None = None) -> None:
        self.history = history or History()
        self.by_id: dict[str, Trial] = {t.trial_id: t for t in self.history.trials}
        self.messages: dict[str, str] = {}  # why a trial ended as it did (an error, a pruning)

    def new_id(self) -> str:
        # ids as the manager's (experiments.new_trial_id) from a plain generator: they need to be
        # unique here, not secret, and drawing each letter from the OS cost a fifth of a trial
        trial_id = "".join(_IDS.choices(TRIAL_ID_ALPHABET, k=5))
        while trial_id in self.by_id:
            trial_id = "".join(_IDS.choices(TRIAL_ID_ALPHABET, k=5))
        return trial_id

    def add(self, params: dict[str, Any], source: str = "tuner") -> Trial:
        """A new RUNNING trial (an in-process trial starts when it is asked for)."""
        trial = Trial(
            self.new_id(),
            len(self.history.trials),
            params,
            TrialStatus.RUNNING,
            start_time=time.time(),
            source=source,
        )
        self.history.trials.append(trial)
        self.by_id[trial.trial_id] = trial
        return trial

    def set_parameters(self, trial: Trial) -> None:
        """The trial's parameters grew (define-by-run): nothing to write in memory."""

    def report(self, trial: Trial, metric: Metric) -> None:
        trial.intermediate.append(metric.number)

    def finish(self, trial: Trial, status: TrialStatus, metric: Metric | None, message: str) -> None:
        trial.status = status
        trial.end_time = time.time()
        if metric is not None:
            trial.value, trial.raw_value = metric.number, metric.value
        if message:
            self.messages[trial.trial_id] = message

    def message(self, trial: Trial) -> str:
        return self.messages.get(trial.trial_id, "")

    def set_meta(self, **values: Any) -> None:
        """Experiment-level facts (status, elapsed, config): nowhere to keep them in memory."""

    def close(self) -> None:
        pass


class StoreRecords(MemoryRecords):
    """Trials in an experiment's store: every change written first, then mirrored."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.directory = store.directory
        super().__init__(store.history())
        self.messages = {r.id: r.message for r in store.trial_rows() if r.message}

    def add(self, params: dict[str, Any], source: str = "tuner") -> Trial:
        trial_id = self.new_id()
        now = time.time()
        seq = self.store.add_trial(trial_id, params, source, TrialStatus.RUNNING, start_time=now)
        trial = Trial(trial_id, seq, params, TrialStatus.RUNNING, start_time=now, source=source)
        self.history.trials.append(trial)
        self.by_id[trial_id] = trial
        return trial

    def set_parameters(self, trial: Trial) -> None:
        self.store.update_trial(trial.trial_id, parameters=trial.parameters)

    def report(self, trial: Trial, metric: Metric) -> None:
        self.store.record_metrics(trial.trial_id, [metric], 0)
        super().report(trial, metric)

    def finish(self, trial: Trial, status: TrialStatus, metric: Metric | None, message: str) -> None:
        end = time.time()  # the result and the end in one transaction
        metrics = [] if metric is None else [metric]
        self.store.record_metrics(trial.trial_id, metrics, 0, status=status, end_time=end, message=message)
        super().finish(trial, status, metric, message)
        trial.end_time = end

    def set_meta(self, **values: Any) -> None:
        self.store.set_meta(**values)

    def close(self) -> None:
        self.store.close()


def final_metric(value: Any) -> Metric:
    """The FINAL metric a told value stands for; MetricError (one line) when it is not a number."""
    return Metric.of(FINAL, value)


def intermediate_metric(value: Any) -> Metric:
    return Metric.of(PERIODICAL, value)
