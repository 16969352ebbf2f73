"""Where a study's trials are kept: in memory only, or in an experiment's store (persisted).

Both keep the History the tuner and the assessor are given (the same objects the manager hands
them); the persisted one writes every change to the store first, as the manager's Trials do, so
`autolab experiment list`, `top`, `export` and the web UI read a study like any experiment. An
in-process trial has no process and no trial directory: its results go straight to the store.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..experiments import TRIAL_ID_ALPHABET
from ..fidelity import of_trial, promoted_from
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
        self.user_attrs: dict[str, dict[str, Any]] = {}  # trial id -> set_user_attr's values
        # enqueued trials not yet asked for (WAITING, in sequence order): ask() takes them first
        self.waiting = [t for t in self.history.trials if t.status is TrialStatus.WAITING]

    def new_id(self) -> str:
        # ids as the manager's (experiments.new_trial_id) from a plain generator: they need to be
        # unique here, not secret, and drawing each letter from the OS cost a fifth of a trial
        trial_id = "".join(_IDS.choices(TRIAL_ID_ALPHABET, k=5))
        while trial_id in self.by_id:
            trial_id = "".join(_IDS.choices(TRIAL_ID_ALPHABET, k=5))
        return trial_id

    def add(
        self, params: dict[str, Any], source: str = "tuner", fidelity: dict[str, Any] | None = None
    ) -> Trial:
        """A new RUNNING trial (an in-process trial starts when it is asked for). fidelity: a
        multi-fidelity tuner's budget, bracket, rung and config, kept as the manager keeps it."""
        trials = self.history.trials
        trial_id = self.new_id()
        trial = Trial(
            trial_id,
            trials[-1].sequence + 1 if trials else 0,
            dict(params),  # plain (a tuner's Suggestion carries its fidelity beside)
            TrialStatus.RUNNING,
            start_time=time.time(),
            source=source,
            fidelity=of_trial(fidelity, trial_id),
        )
        self.unpause(promoted_from(trial, trials))
        self._added(trial)
        trials.append(trial)
        self.by_id[trial.trial_id] = trial
        return trial

    def _added(self, trial: Trial) -> None:
        """Where a new trial is written (nowhere in memory)."""

    def enqueue(self, params: dict[str, Any]) -> Trial:
        """A WAITING trial of these (maybe partial) parameters, numbered now (as Optuna's
        enqueue_trial), kept (a named study's survives the process) until ask() starts it."""
        trials = self.history.trials
        trial = Trial(
            self.new_id(), trials[-1].sequence + 1 if trials else 0, dict(params), source="enqueued"
        )
        self._write(trial)
        trials.append(trial)
        self.by_id[trial.trial_id] = trial
        self.waiting.append(trial)
        return trial

    def start(self, trial: Trial, params: dict[str, Any]) -> Trial:
        """The first WAITING trial, RUNNING with its parameters completed."""
        self.waiting.remove(trial)
        trial.parameters = dict(params)
        trial.status = TrialStatus.RUNNING
        trial.start_time = time.time()
        self._started(trial)
        return trial

    def _write(self, trial: Trial) -> None:
        """Write a new trial's row (nowhere in memory)."""

    def _started(self, trial: Trial) -> None:
        """Write a WAITING trial's start (nowhere in memory)."""

    def user_attrs_of(self, trial: Trial) -> dict[str, Any]:
        return self.user_attrs.get(trial.trial_id, {})

    def set_user_attr(self, trial: Trial, key: str, value: Any) -> None:
        self.user_attrs.setdefault(trial.trial_id, {})[key] = value

    def unpause(self, trials: list[Trial]) -> None:
        """Paused trials whose configuration went on to the next rung: SUCCEEDED (as the manager's)."""
        for trial in trials:
            trial.status = TrialStatus.SUCCEEDED

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
    """Trials in an experiment's store, mirrored in the History.

    Inside optimize (`defer`), a trial's row is written when it reports, when it ends (its row and
    result in one transaction: half the writes of a row written at ask and updated at tell, which
    is what a fast objective costs), or by flush() once it has run FLUSH_AFTER seconds, so a long
    trial shows RUNNING. Outside optimize (ask/tell by hand) the row is written at ask."""

    FLUSH_AFTER = 0.5

    def __init__(self, store: Store) -> None:
        self.store = store
        self.directory = store.directory
        super().__init__(store.history())
        self.messages = {r.id: r.message for r in store.trial_rows() if r.message}
        self.user_attrs = store.user_attrs()
        self.defer = False
        self.pending: dict[str, Trial] = {}  # asked, no row yet (defer)

    def _added(self, trial: Trial) -> None:
        if self.defer:
            self.pending[trial.trial_id] = trial
        else:
            self._write(trial)

    def unpause(self, trials: list[Trial]) -> None:
        for trial in trials:  # a paused trial has ended, so its row is written
            self.store.update_trial(trial.trial_id, status=TrialStatus.SUCCEEDED)
        super().unpause(trials)

    def _write(self, trial: Trial) -> None:
        self.store.add_trial(
            trial.trial_id,
            trial.parameters,
            trial.source,
            trial.status,
            trial.sequence,
            fidelity=trial.fidelity,
            start_time=trial.start_time,
        )

    def _started(self, trial: Trial) -> None:
        self.store.update_trial(
            trial.trial_id, status=trial.status, parameters=trial.parameters, start_time=trial.start_time
        )

    def set_user_attr(self, trial: Trial, key: str, value: Any) -> None:
        attrs = {**self.user_attrs_of(trial), key: value}
        try:
            text = json.dumps(attrs, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UserError(f"set_user_attr({key!r}): a named study keeps JSON values: {exc}") from None
        self.store.set_user_attrs(trial.trial_id, text)
        super().set_user_attr(trial, key, value)

    def flush(self, older_than: float = 0.0) -> None:
        """Write the rows of pending trials started at least older_than seconds ago."""
        now = time.time()
        for trial in list(self.pending.values()):
            if now - (trial.start_time or now) >= older_than:
                self._write(self.pending.pop(trial.trial_id))

    def set_parameters(self, trial: Trial) -> None:
        if trial.trial_id not in self.pending:
            self.store.update_trial(trial.trial_id, parameters=trial.parameters)

    def report(self, trial: Trial, metric: Metric) -> None:
        if trial.trial_id in self.pending:
            self._write(self.pending.pop(trial.trial_id))
        self.store.record_metrics(trial.trial_id, [metric], 0)
        super().report(trial, metric)

    def finish(self, trial: Trial, status: TrialStatus, metric: Metric | None, message: str) -> None:
        end = time.time()  # the result and the end in one transaction
        metrics = [] if metric is None else [metric]
        if self.pending.pop(trial.trial_id, None) is not None:
            self.store.add_trial(  # no intermediate results: a report writes the row first
                trial.trial_id,
                trial.parameters,
                trial.source,
                status,
                trial.sequence,
                metric,
                fidelity=trial.fidelity,
                start_time=trial.start_time,
                end_time=end,
                message=message,
            )
        else:
            self.store.record_metrics(
                trial.trial_id, metrics, 0, status=status, end_time=end, message=message
            )
        super().finish(trial, status, metric, message)
        trial.end_time = end

    def set_meta(self, **values: Any) -> None:
        self.store.set_meta(**values)

    def close(self) -> None:
        self.flush()  # asked and never told: a reopened study marks them FAILED
        self.store.close()


def final_metric(value: Any) -> Metric:
    """The FINAL metric a told value stands for; MetricError (one line) when it is not a number."""
    return Metric.of(FINAL, value)


def intermediate_metric(value: Any) -> Metric:
    return Metric.of(PERIODICAL, value)
