"""The experiment loop: suggest -> start -> watch (metrics, exits) -> assess -> finish.

One Manager per experiment process. It owns the store, the tuner, the assessor and the training
service, and is driven by `step()`, called often from the tornado IO loop (which also serves the
REST API). All writes go to the store first; the in-memory History mirrors it for the algorithms.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from . import protocol
from .assessing import AssessorRunner
from .assessors.base import Assessor
from .experiments import new_trial_id
from .failfast import FailFast
from .history import History, Trial, TrialStatus
from .metric_reader import MetricReader
from .searchspace import SearchSpace
from .services.base import Event, EventKind, Launch, TrainingService
from .store import Store
from .task.launch import job_command_and_code
from .tuners.base import NoMoreTrials, Tuner

log = logging.getLogger("autolab.manager")
MAX_STARTS_PER_TURN = 32  # however many slots are free, the loop turns on (stop requests, results)


class ExperimentStatus:
    RUNNING = "RUNNING"
    DONE = "DONE"  # limits reached or the tuner has no more trials; every trial ended
    STOPPED = "STOPPED"  # stopped by the user (or the manager died: see experiments.manager_alive)
    ERROR = "ERROR"


class Manager:
    def __init__(
        self,
        directory: Path,
        store: Store,
        service: TrainingService,
        tuner: Tuner,
        assessor: Assessor | None,
        settings: dict[str, Any],
        exp_id: str,
    ) -> None:
        """settings: the normalized config (ExperimentConfig.to_dict(), camelCase keys)."""
        self.directory = directory
        self.store = store
        self.service = service
        self.tuner = tuner
        self.assessor = assessor
        self.settings = settings
        self.exp_id = exp_id
        self.history: History = store.history()
        self.by_id: dict[str, Trial] = {t.trial_id: t for t in self.history.trials}
        # trials WAITING or RUNNING: the loop touches only these
        self.active: dict[str, Trial] = {t.trial_id: t for t in self.history.trials if t.running}
        self.kill_reason: dict[str, TrialStatus] = {}
        self.tuner_done = False
        self.deadline_hit = False
        self.stopping = False
        self.status = ExperimentStatus.RUNNING
        self.error: str | None = None
        self.run_started = time.time()
        self.elapsed_before = float(store.get_meta("elapsed", 0.0))
        self._last_elapsed_save = 0.0
        self.assessing = AssessorRunner(assessor) if assessor is not None else None
        # objects with optional trial_created(manager, trial) / trial_finished(manager, trial)
        # methods (e.g. the job tree of task configs); their errors are logged, never fatal
        self.listeners: list[Any] = []
        self.fail_fast = FailFast(self.history)  # a trial command that cannot work stops it early
        self.failed_fast = False
        self.unstarted: list[Trial] = []  # recorded trials waiting for a free slot (resume, re-runs)
        self.metrics = MetricReader(store)

    # -- limits (updatable while running; kept in the store so resume keeps them) --------------
    @property
    def concurrency(self) -> int:
        return int(self.settings["trialConcurrency"])

    @property
    def max_trials(self) -> int | None:
        return self.settings.get("maxTrialNumber")

    @property
    def max_duration(self) -> float | None:
        return self.settings.get("maxExperimentDuration")

    def elapsed(self) -> float:
        """Seconds spent RUNNING, over every run of the experiment (time spent DONE does not count)."""
        if self.status != ExperimentStatus.RUNNING:
            return self.elapsed_before
        return self.elapsed_before + (time.time() - self.run_started)

    def counted_trials(self) -> int:
        """Trials toward maxTrialNumber: not re-runs (they replace a lost trial), nor imported ones."""
        return sum(1 for t in self.history.trials if t.source == "tuner")

    # -- start-up ------------------------------------------------------------------------------
    def start(self) -> None:
        """Adopt or settle the trials an earlier manager left (resume), then mark RUNNING."""
        for trial in list(self.active.values()):
            row = self.store.trial_row(trial.trial_id)
            handle = row.handle if row else {}
            launch = self._launch(trial)
            # adopt() is asked even without a stored handle: the manager may have died between
            # starting the trial and storing its handle, and the service may still find it
            if self.service.adopt(launch, handle):
                log.info("adopted trial %s (still running)", trial.trial_id)
                fresh = self.service.handle(trial.trial_id)
                # a job still queued on a cluster stays WAITING (its STARTED event comes later)
                if trial.status == TrialStatus.WAITING and fresh.get("started", True):
                    trial.status = TrialStatus.RUNNING
                    trial.start_time = trial.start_time or time.time()
                    self.store.update_trial(
                        trial.trial_id, status=TrialStatus.RUNNING, start_time=trial.start_time, handle=fresh
                    )
                elif not handle:
                    self.store.update_trial(trial.trial_id, handle=fresh)
                self._read_metrics_safely(trial)
                continue
            self._read_metrics_safely(trial)
            code = _read_exit(self.trial_dir(trial.trial_id))
            if code is not None:
                self._finish(
                    trial, Event(trial.trial_id, EventKind.EXITED, code, "ended while the manager was down")
                )
            elif not handle and not self._left_traces(trial):
                # the manager died before the trial's process started: start it, as itself
                log.info("trial %s never started; starting it now", trial.trial_id)
                self.unstarted.append(trial)
            else:
                self._finish(trial, Event(trial.trial_id, EventKind.LOST))
        self.store.set_meta(status=ExperimentStatus.RUNNING, pid=os.getpid(), error=None)
        self.status = ExperimentStatus.RUNNING

    def _left_traces(self, trial: Trial) -> bool:
        """Whether the trial's process ever ran (it wrote a metric, output or its pid)."""
        directory = self.trial_dir(trial.trial_id)
        if trial.intermediate or trial.value is not None:
            return True
        for name in (protocol.METRICS_FILE, protocol.STDOUT_FILE, protocol.STDERR_FILE, "trial.pid"):
            try:
                if (directory / name).stat().st_size > 0:
                    return True
            except OSError:
                pass
        return False

    # -- the loop ------------------------------------------------------------------------------
    def step(self) -> None:
        """One turn: events, metrics, assessor, limits, new trials. Never raises for a trial's fault."""
        for event in self.service.poll():
            trial = self.by_id.get(event.trial_id)
            if trial is None or not trial.running:
                continue
            try:
                if event.kind == EventKind.STARTED:
                    trial.status = TrialStatus.RUNNING
                    trial.start_time = time.time()
                    self.store.update_trial(
                        trial.trial_id, status=TrialStatus.RUNNING, start_time=trial.start_time
                    )
                else:
                    self._read_metrics_safely(trial)
                    self._finish(trial, event)
            except Exception:
                # one trial's bad event must not lose the others' (they are not delivered twice)
                log.exception("handling %s of trial %s failed", event.kind.value, trial.trial_id)
        for trial in list(self.active.values()):
            if self._read_metrics_safely(trial):
                self._assess(trial)
        self._collect_assessments()
        self._save_elapsed()
        if self.status != ExperimentStatus.RUNNING:
            return
        if self.max_duration is not None and self.elapsed() >= self.max_duration and not self.deadline_hit:
            self.deadline_hit = True
            log.info(
                "maxExperimentDuration reached; cancelling %d running trial(s)",
                len(list(self.active.values())),
            )
            self._end_creation()
            self._cancel_unstarted("maxExperimentDuration reached before it started")
            for trial in list(self.active.values()):
                self.kill_trial(trial.trial_id, TrialStatus.USER_CANCELED)
        if not self.stopping:
            started = self._start_unstarted()
            if not self.tuner_done:
                self._create_trials(MAX_STARTS_PER_TURN - started)
        if self.stopping and not self.active:
            ended = ExperimentStatus.ERROR if self.failed_fast else ExperimentStatus.STOPPED
            self._set_status(ended if self.status == ExperimentStatus.RUNNING else self.status)
        elif self.tuner_done and not self.active:
            self._set_status(ExperimentStatus.DONE)

    @property
    def finished(self) -> bool:
        return self.status != ExperimentStatus.RUNNING

    def _end_creation(self) -> None:
        self.tuner_done = True

    def _check_fail_fast(self, trial: Trial, event: Event) -> None:
        problem = self.fail_fast.observe(trial, event, self.trial_dir(trial.trial_id))
        if problem is None or self.stopping:
            return
        log.error("%s", problem)
        self.error = problem
        self.store.set_meta(error=problem)
        self.failed_fast = True
        self.request_stop()

    def _start_unstarted(self) -> int:
        started = 0
        while started < MAX_STARTS_PER_TURN and self.unstarted and self.service.free_slots() > 0:
            self._start_trial(self.unstarted.pop(0))
            started += 1
        return started

    def _cancel_unstarted(self, why: str) -> None:
        while self.unstarted:
            trial = self.unstarted.pop(0)
            self.kill_reason[trial.trial_id] = TrialStatus.USER_CANCELED
            self._finish(trial, Event(trial.trial_id, EventKind.EXITED, None, why, killed=True))

    def _create_trials(self, limit: int) -> None:
        for _ in range(limit):
            if self.service.free_slots() <= 0:
                return
            if self.max_trials is not None and self.counted_trials() >= self.max_trials:
                self._end_creation()
                return
            try:
                params = self.tuner.suggest(self.history)
            except NoMoreTrials as exc:
                log.info("tuner has no more trials: %s", exc)
                self._end_creation()
                return
            except Exception as exc:  # a tuner bug must not lose what is recorded
                log.exception("tuner failed")
                self.error = f"tuner failed: {type(exc).__name__}: {exc}"
                self.store.set_meta(error=self.error)
                self._end_creation()
                return
            self.add_trial(params)

    def new_trial_id(self) -> str:
        trial_id = new_trial_id()
        while trial_id in self.by_id:
            trial_id = new_trial_id()
        return trial_id

    def add_trial(
        self, params: dict[str, Any], source: str = "tuner", trial_id: str | None = None, start: bool = True
    ) -> Trial:
        """Record a new trial and write its parameters; start it now, or when a slot frees."""
        trial_id = trial_id or self.new_trial_id()
        seq = self.store.add_trial(trial_id, params, source)
        trial = Trial(trial_id, seq, params, TrialStatus.WAITING, source=source)
        self.history.trials.append(trial)
        self.by_id[trial_id] = trial
        self.active[trial_id] = trial
        directory = self.trial_dir(trial_id)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / (protocol.PARAMETER_FILE + ".tmp")
        tmp.write_text(json.dumps(params), encoding="utf-8")
        tmp.replace(directory / protocol.PARAMETER_FILE)
        self._notify("trial_created", trial)
        if start:
            self._start_trial(trial)
        else:
            self.unstarted.append(trial)
        return trial

    def _start_trial(self, trial: Trial) -> None:
        self.service.start(self._launch(trial))
        handle = self.service.handle(trial.trial_id)
        if handle:
            self.store.update_trial(trial.trial_id, handle=handle)

    def _notify(self, method: str, trial: Trial) -> None:
        for listener in self.listeners:
            hook = getattr(listener, method, None)
            if hook is None:
                continue
            try:
                hook(self, trial)
            except Exception:
                log.exception("%s.%s failed for trial %s", type(listener).__name__, method, trial.trial_id)

    def trial_dir(self, trial_id: str) -> Path:
        return self.directory / "trials" / trial_id

    def _launch(self, trial: Trial) -> Launch:
        directory = self.trial_dir(trial.trial_id)
        env = {
            protocol.ENV_EXPERIMENT_ID: self.exp_id,
            protocol.ENV_TRIAL_ID: trial.trial_id,
            protocol.ENV_SEQUENCE_ID: str(trial.sequence),
            protocol.ENV_TRIAL_DIR: str(directory),
            protocol.NNI_ENV_EXPERIMENT_ID: self.exp_id,
            protocol.NNI_ENV_TRIAL_ID: trial.trial_id,
            protocol.NNI_ENV_SEQUENCE_ID: str(trial.sequence),
            protocol.NNI_ENV_OUTPUT_DIR: str(directory),
        }
        command, code_dir = job_command_and_code(self.settings, trial.parameters, directory, self.directory)
        return Launch(
            trial.trial_id,
            trial.sequence,
            directory,
            command,
            code_dir,
            env,
            int(self.settings.get("trialGpuNumber") or 0),
            self.settings.get("maxTrialDuration"),
        )

    # -- metrics -------------------------------------------------------------------------------
    def _read_metrics_safely(self, trial: Trial) -> bool:
        """_read_metrics, but a trial's unreadable metrics never stop the loop or its other trials."""
        try:
            return self._read_metrics(trial)
        except Exception:
            log.exception("trial %s: reading its metrics failed", trial.trial_id)
            return False

    def _read_metrics(self, trial: Trial) -> bool:
        """Store the trial's new metric lines and mirror them; True if an intermediate result came."""
        new_intermediate = False
        for rec in self.metrics.read(trial.trial_id, self.trial_dir(trial.trial_id)):
            if rec["type"] == protocol.FINAL:
                trial.value = rec["number"]
                trial.raw_value = rec["value"]
            else:
                trial.intermediate.append(rec["number"])
                new_intermediate = True
        return new_intermediate

    # -- assessor ------------------------------------------------------------------------------
    def _assess(self, trial: Trial) -> None:
        if self.assessing is None or trial.trial_id in self.kill_reason:
            return
        if self.assessing.on_results(trial, self.history):
            self.kill_trial(trial.trial_id, TrialStatus.EARLY_STOPPED)

    def _collect_assessments(self) -> None:
        if self.assessing is None:
            return
        for trial_id in self.assessing.collect(self.active, self.history):
            self.kill_trial(trial_id, TrialStatus.EARLY_STOPPED)

    # -- ending trials -------------------------------------------------------------------------
    def kill_trial(self, trial_id: str, reason: TrialStatus = TrialStatus.USER_CANCELED) -> bool:
        """Stop a running trial (SIGTERM to its process group, SIGKILL after a grace period)."""
        trial = self.by_id.get(trial_id)
        if trial is None or not trial.running:
            return False
        self.kill_reason.setdefault(trial_id, reason)
        log.info("killing trial %s (%s)", trial_id, reason.value)
        if trial in self.unstarted:  # no process yet: it just ends
            self.unstarted.remove(trial)
            self._finish(
                trial, Event(trial_id, EventKind.EXITED, None, "cancelled before it started", killed=True)
            )
            return True
        self.service.kill(trial_id)
        return True

    def _finish(self, trial: Trial, event: Event) -> None:
        code = event.exit_code
        message = event.message
        replacement: str | None = None
        if event.kind == EventKind.LOST:
            status = TrialStatus.FAILED
            earlier = [t for t in self.history.trials if t.source == f"rerun:{trial.trial_id}"]
            replacement = earlier[0].trial_id if earlier else self.new_trial_id()
            message = f"lost while the manager was down (no exit status); re-run as trial {replacement}"
            if earlier:  # a crash came between marking it lost and finishing: re-run it once only
                replacement = None
        elif trial.trial_id in self.kill_reason:
            status = self.kill_reason.pop(trial.trial_id)
        elif event.timed_out:
            status = TrialStatus.FAILED
        elif code == 0:
            if trial.value is None:
                status = TrialStatus.NO_RESULT
                message = message or "exited 0 without reporting a final result"
            else:
                status = TrialStatus.SUCCEEDED
        else:
            status = TrialStatus.FAILED
            message = message or f"exit code {code}"
        trial.status = status
        trial.end_time = time.time()
        self.active.pop(trial.trial_id, None)
        self.metrics.forget(trial.trial_id)
        if self.assessing is not None:
            self.assessing.forget(trial.trial_id)
        self.store.update_trial(
            trial.trial_id, status=status, end_time=trial.end_time, exit_code=code, message=message
        )
        log.info("trial %s %s%s", trial.trial_id, status.value, f" ({message})" if message else "")
        self._notify("trial_finished", trial)
        self._check_fail_fast(trial, event)
        if replacement is not None:
            self.add_trial(
                dict(trial.parameters), source=f"rerun:{trial.trial_id}", trial_id=replacement, start=False
            )

    # -- control -------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop the experiment: cancel running trials; status STOPPED once they ended."""
        if self.stopping:
            return
        self.stopping = True
        self._cancel_unstarted("the experiment was stopped before it started")
        for trial in list(self.active.values()):
            self.kill_trial(trial.trial_id, TrialStatus.USER_CANCELED)

    def update(self, **changes: Any) -> None:
        """Change trialConcurrency, maxTrialNumber, maxExperimentDuration or searchSpace while running."""
        if "searchSpace" in changes:
            space = SearchSpace(changes["searchSpace"], source="searchSpace")
            self.tuner.update_search_space(space)
        if "trialConcurrency" in changes:
            self.service.set_concurrency(int(changes["trialConcurrency"]))
        self.settings.update(changes)
        self.store.set_meta(config=self.settings)
        if not self.stopping:
            # more trials, more time or a new space: ask the tuner again (even while the last
            # trials of a finished budget still run), and carry on if it was DONE
            self.tuner_done = False
            self.deadline_hit = False
            if self.status == ExperimentStatus.DONE:
                self._set_status(ExperimentStatus.RUNNING)

    def import_trials(self, records: list[dict[str, Any]]) -> int:
        """Add finished trials from NNI's export shape ([{"parameter":..., "value":...}]) for the tuner
        to learn from (one transaction); they do not count toward maxTrialNumber."""
        before = len(self.history.trials)
        added = self.store.add_imported(records, self.new_trial_id, protocol.default_value)
        for trial in self.store.history().trials[before:]:
            self.history.trials.append(trial)
            self.by_id[trial.trial_id] = trial
        return added

    def _set_status(self, status: str) -> None:
        if status == self.status and status != ExperimentStatus.RUNNING:
            return
        if status == ExperimentStatus.RUNNING and self.status != ExperimentStatus.RUNNING:
            self.run_started = time.time()
        elif status != ExperimentStatus.RUNNING and self.status == ExperimentStatus.RUNNING:
            self.elapsed_before = self.elapsed()
        self.status = status
        self.store.set_meta(
            status=status, elapsed=self.elapsed(), end_time=None if status == "RUNNING" else time.time()
        )
        log.info("experiment %s", status)

    def _save_elapsed(self) -> None:
        now = time.time()
        if now - self._last_elapsed_save > 2.0 and self.status == ExperimentStatus.RUNNING:
            self._last_elapsed_save = now
            self.store.set_meta(elapsed=self.elapsed())

    def close(self) -> None:
        if self.assessing is not None:
            self.assessing.close()
        self.service.close()


def _read_exit(trial_dir: Path) -> int | None:
    try:
        return int((trial_dir / protocol.EXIT_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
