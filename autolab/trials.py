"""The manager's mirror of the store's trials: every trial (the history the algorithms see), the
active ones (the only ones a loop turn touches), those recorded but waiting for a slot, and why a
killed trial was killed. Every change is written to the store first; resume rebuilds this from it.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import protocol
from .experiments import new_trial_id
from .fidelity import continued, of_trial, promoted_from
from .history import History, Trial
from .metric_reader import MetricReader
from .statuses import TrialStatus
from .store import Store
from .tally import COUNTED

log = logging.getLogger("autolab.manager")


class Trials:
    def __init__(self, store: Store, directory: Path) -> None:
        self.store = store
        self.directory = directory
        self.history: History = store.history()
        self.by_id: dict[str, Trial] = {t.trial_id: t for t in self.history.trials}
        # trials WAITING or RUNNING: the loop touches only these
        self.active: dict[str, Trial] = {t.trial_id: t for t in self.history.trials if t.running}
        self.unstarted: list[Trial] = []  # recorded trials waiting for a free slot (resume, re-runs)
        # active trials the service was given (started or adopted): only these can end by an event;
        # any other active trial has no process, and a stop ends it at once
        self.in_service: set[str] = set()
        self.kill_reason: dict[str, TrialStatus] = {}
        self.queued: set[str] = set()  # WAITING trials whose message says why they wait in a queue
        self.metrics = MetricReader(store)
        # paths and the count toward maxTrialNumber are asked for on every loop turn: kept, not
        # rebuilt (at concurrency 128 rebuilding them was a tenth of the manager's time)
        self._dirs: dict[str, Path] = {}
        # a manager killed between recording a promotion and ending its paused trial: end it now
        self.unpause(t for t in self.history.trials if continued(t, self.history.trials))
        self._counted = sum(1 for t in self.history.trials if t.source in COUNTED)
        self.ended_count = 0  # trials ended by this manager (a tuner that said NotYet waits for one)

    def trial_dir(self, trial_id: str) -> Path:
        directory = self._dirs.get(trial_id)
        if directory is None:
            directory = self._dirs[trial_id] = self.directory / "trials" / trial_id
        return directory

    def new_id(self) -> str:
        trial_id = new_trial_id()
        while trial_id in self.by_id:
            trial_id = new_trial_id()
        return trial_id

    def counted(self) -> int:
        """Trials toward maxTrialNumber: not re-runs (they replace a lost trial), nor imported ones."""
        return self._counted

    def record(
        self,
        params: dict[str, Any],
        source: str,
        trial_id: str | None = None,
        fidelity: dict[str, Any] | None = None,
    ) -> Trial:
        """A new WAITING trial: its directory with parameter.json first, then its row and mirror,
        so a crash or a full disk never leaves a recorded trial without its parameters. A failed
        write is an OSError naming the file, and nothing is recorded."""
        trial_id = trial_id or self.new_id()
        params = dict(params)  # plain (a tuner's Suggestion carries its fidelity beside)
        fidelity = of_trial(fidelity, trial_id)
        directory = self.trial_dir(trial_id)
        self.write_parameters(directory, params)
        try:
            seq = self.store.add_trial(trial_id, params, source, fidelity=fidelity)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)  # no row: the directory would be nobody's
            raise
        trial = Trial(trial_id, seq, params, TrialStatus.WAITING, source=source, fidelity=fidelity)
        self._counted += source in COUNTED
        self.unpause(promoted_from(trial, self.history.trials))
        self.history.trials.append(trial)
        self.by_id[trial_id] = trial
        self.active[trial_id] = trial
        return trial

    def unpause(self, trials: Iterable[Trial]) -> None:
        """Paused trials whose configuration went on to the next rung: SUCCEEDED (their result
        stands; the configuration's next trial continues from their checkpoint)."""
        for trial in list(trials):
            trial.status = TrialStatus.SUCCEEDED
            self.store.update_trial(trial.trial_id, status=TrialStatus.SUCCEEDED)

    @staticmethod
    def write_parameters(directory: Path, params: dict[str, Any]) -> None:
        """The trial's directory and parameter.json; an OSError naming the file when it fails
        (a write that fails for a full disk names no file by itself)."""
        path = directory / protocol.PARAMETER_FILE
        try:
            directory.mkdir(parents=True, exist_ok=True)
            protocol.write_parameters(directory, params)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror or str(exc), str(exc.filename or path)) from exc

    def started(self, trial: Trial, handle: dict[str, Any] | None, at: float | None = None) -> None:
        """The service says the trial's process runs (with its handle, from a service that starts
        trials off the loop and only now has it), since `at` when it knows when (a Slurm job)."""
        trial.status = TrialStatus.RUNNING
        trial.start_time = at or time.time()
        extra: dict[str, Any] = {"handle": handle} if handle else {}
        if trial.trial_id in self.queued:  # the queue's reason is over
            self.queued.discard(trial.trial_id)
            extra["message"] = ""
        self.store.update_trial(
            trial.trial_id, status=TrialStatus.RUNNING, start_time=trial.start_time, **extra
        )

    def waits(self, trial: Trial, why: str) -> None:
        """The service says why the trial still waits (a scheduler's queue reason): its message."""
        self.queued.add(trial.trial_id)
        self.store.update_trial(trial.trial_id, message=why)

    def read_metrics(self, trial: Trial) -> bool:
        """Store the trial's new metric lines and mirror them; True if an intermediate result came.
        A trial's unreadable metrics never stop the loop or its other trials (logged, False)."""
        new_intermediate = False
        try:
            for metric in self.metrics.read(trial.trial_id, self.trial_dir(trial.trial_id)):
                if metric.final:
                    trial.value = metric.number
                    trial.raw_value = metric.value
                else:
                    trial.intermediate.append(metric.number)
                    new_intermediate = True
        except Exception:
            log.exception("trial %s: reading its metrics failed", trial.trial_id)
            return False
        return new_intermediate

    def ended(self, trial: Trial) -> None:
        """Forget an ended trial in the loop's working set (its row and mirror keep its end)."""
        self.active.pop(trial.trial_id, None)
        self.in_service.discard(trial.trial_id)
        self.ended_count += 1
        self.metrics.forget(trial.trial_id)
        self._dirs.pop(trial.trial_id, None)

    def add_imported(self, records: list[dict[str, Any]]) -> int:
        """Finished trials from NNI's export shape ([{"parameter":..., "value":...}]), in one
        transaction, mirrored; they do not count toward maxTrialNumber."""
        before = len(self.history.trials)
        added = self.store.add_imported(records, self.new_id, protocol.default_value)
        for trial in self.store.history().trials[before:]:
            self.history.trials.append(trial)
            self.by_id[trial.trial_id] = trial
        return added
