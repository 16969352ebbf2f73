"""The experiment loop: suggest -> start -> watch (metrics, exits) -> assess -> finish.

One Manager per experiment process. It owns the store, the tuner, the assessor and the training
service, and is driven by `step()`, called often from the tornado IO loop (which also serves the
REST API). All writes go to the store first; the in-memory History mirrors it for the algorithms.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from . import lifecycle, resume
from .assessing import AssessorRunner
from .assessors.base import Assessor
from .commands import trial_launch
from .config import UPDATABLE, ExperimentConfig, apply_update, save_config
from .failfast import FailFast
from .history import Trial
from .lifecycle import Phase, RunClock, trial_outcome
from .reruns import BadRerun
from .services.base import Event, EventKind, Launch, TrainingService
from .statuses import ExperimentStatus, TrialStatus
from .store import Store, StoreError
from .trials import Trials
from .tuners.base import NoMoreTrials, NotYet, Tuner, ended_status

log = logging.getLogger("autolab.manager")
METRICS_EVERY_TURN_UP_TO = 32
METRIC_LOOKS_PER_SECOND = 2000
MAX_STARTS_PER_TURN = 32  # however many slots are free, the loop turns on (stop requests, results)


class Manager:
    def __init__(
        self,
        directory: Path,
        store: Store,
        service: TrainingService,
        tuner: Tuner,
        assessor: Assessor | None,
        config: ExperimentConfig,
        exp_id: str,
    ) -> None:
        self.directory = directory
        self.store = store
        self.service = service
        self.tuner = tuner
        self.config = config  # the limits in it change with update()
        self.exp_id = exp_id
        self.trials = Trials(store, directory)
        # the mirror's parts, by the names the loop, resume, listeners and the API read
        self.history, self.by_id, self.active = self.trials.history, self.trials.by_id, self.trials.active
        self.unstarted, self.kill_reason = self.trials.unstarted, self.trials.kill_reason
        self.trial_dir, self.read_metrics = self.trials.trial_dir, self.trials.read_metrics
        self.phase = Phase.CREATING
        self.error: str | None = None  # why it failed, as the store's meta says (not a state)
        # seconds the web UI keeps serving once the experiment has ended: a stop asked from the web
        # page sets it, so that the page's next poll reads the trials' final statuses (launcher.py)
        self.linger = 0.0
        self.clock = RunClock(float(store.get_meta("elapsed", 0.0)))
        self.assessing = AssessorRunner(assessor)
        # objects with optional trial_created(manager, trial) / trial_finished(manager, trial)
        # methods (e.g. the job tree of task configs); their errors are logged, never fatal
        self.listeners: list[Any] = []
        self._next_metrics_look = 0.0  # monotonic time of the next look at >32 trials' results
        self.fail_fast = FailFast(self.history)  # a trial command that cannot work stops it early
        self.not_yet_at: int | None = None  # trials ended when the tuner last said NotYet
        self.notes: list[str] = []  # the service's notes on its health, as the store's meta has them

    @property
    def status(self) -> str:
        return lifecycle.STATUS[self.phase]

    @property
    def finished(self) -> bool:
        return self.status != ExperimentStatus.RUNNING

    @property
    def stopping(self) -> bool:
        """A stop was asked for (the user, fail fast or a failing loop): no trial starts again."""
        return self.phase in lifecycle.STOP_REQUESTED

    def elapsed(self) -> float:
        """Seconds spent RUNNING, over every run of the experiment (time spent DONE does not count)."""
        return self.clock.elapsed()

    def start(self) -> None:
        """Adopt or settle the trials an earlier manager left (resume.py), then mark RUNNING."""
        resume.settle_left_trials(self)
        self.store.set_meta(status=ExperimentStatus.RUNNING, error=None, no_more_trials=None, notes=None)

    # -- the loop ------------------------------------------------------------------------------
    def step(self) -> None:
        """One turn: events, metrics, assessor, limits, new trials. Never raises for a trial's fault."""
        for event in self.service.poll():
            trial = self.by_id.get(event.trial_id)
            if trial is None or not trial.running:
                continue
            try:
                if event.kind == EventKind.QUEUED:  # why it waits, where status and the web UI show it
                    self.trials.waits(trial, event.message)
                elif event.kind == EventKind.NOTE:  # it runs on: its message says what happened
                    self.store.update_trial(trial.trial_id, message=event.message)
                elif event.kind == EventKind.STARTED:
                    self.trials.started(trial, event.handle, event.time)
                else:
                    self.read_metrics(trial)
                    self.finish(trial, event)
            except Exception as exc:
                if lifecycle.disk_full(exc):  # nothing more can be recorded: the loop stops (resume
                    raise  # settles these trials from their exit status)
                # one trial's bad event must not lose the others' (they are not delivered twice)
                log.exception("handling %s of trial %s failed", event.kind.value, trial.trial_id)
        self._keep_notes()
        if self._metrics_due():
            for trial in list(self.active.values()):
                # a trial whose final result is in has done its work: a verdict on an earlier result
                # of the same burst (a fast trial's results read at once) comes too late to save anything
                judge = (
                    self.read_metrics(trial)
                    and trial.trial_id not in self.kill_reason
                    and trial.value is None
                )
                if judge and self.assessing.on_results(trial, self.history):
                    self.kill_trial(trial.trial_id, TrialStatus.EARLY_STOPPED)
        for trial_id in self.assessing.collect(self.active, self.history):
            self.kill_trial(trial_id, TrialStatus.EARLY_STOPPED)
        if self.clock.save_due():
            self.store.set_meta(elapsed=self.elapsed())
        if self.finished:
            return
        deadline = self.config.max_experiment_duration
        if (
            self.phase in (Phase.CREATING, Phase.DRAINING)
            and deadline is not None
            and self.elapsed() >= deadline
        ):
            log.info("maxExperimentDuration reached; cancelling %d running trial(s)", len(self.active))
            self.phase = Phase.EXPIRED
            self._cancel_unstarted("maxExperimentDuration reached before it started")
            for trial in list(self.active.values()):
                self.kill_trial(trial.trial_id, TrialStatus.USER_CANCELED)
        if not self.stopping:
            started = self._start_unstarted()
            if self.phase is Phase.CREATING:
                self._create_trials(MAX_STARTS_PER_TURN - started)
        if not self.active and self.phase in lifecycle.ENDS:
            self._set_phase(lifecycle.ENDS[self.phase])

    def _keep_notes(self) -> None:
        """The service's notes (a machine unreachable...) in the store's meta when they change."""
        notes = self.service.notes()
        if notes != self.notes:
            self.notes = notes
            self.store.set_meta(notes=notes or None)

    def _metrics_due(self) -> bool:
        """Whether this turn looks for new results (one stat() per active trial). Up to
        METRICS_EVERY_TURN_UP_TO active trials, every turn; beyond, at most about
        METRIC_LOOKS_PER_SECOND looks a second, so a look at 128 trials does not cost every turn
        (a trial's results at its exit are read then, whatever this says)."""
        active = len(self.active)
        if active <= METRICS_EVERY_TURN_UP_TO:
            return True
        now = time.monotonic()
        if now < self._next_metrics_look:
            return False
        self._next_metrics_look = now + active / METRIC_LOOKS_PER_SECOND
        return True

    def _end_creation(self) -> None:
        if self.phase is Phase.CREATING:
            self.phase = Phase.DRAINING

    def _check_fail_fast(self, trial: Trial, event: Event) -> None:
        problem = self.fail_fast.observe(trial, event, self.trial_dir(trial.trial_id))
        if problem is None or self.stopping:
            return
        log.error("%s", problem)
        self.error = problem
        self.store.set_meta(error=problem)
        self._stop(Phase.FAILING)

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
            self.finish(trial, Event(trial.trial_id, EventKind.EXITED, None, why, killed=True))

    def _create_trials(self, limit: int) -> None:
        max_trials = self.config.max_trial_number
        if self.not_yet_at == self.trials.ended_count:
            return  # the tuner waits for a trial to end (NotYet): asking every turn would only cost
        for _ in range(limit):
            if self.service.free_slots() <= 0:
                return
            if max_trials is not None and self.trials.counted() >= max_trials:
                return self._end_creation()
            try:
                params = self.tuner.suggest(self.history)
            except NotYet:
                self.not_yet_at = self.trials.ended_count  # asked again once a trial has ended
                return
            except NoMoreTrials as exc:
                log.info("tuner has no more trials: %s", exc)
                self.store.set_meta(no_more_trials=str(exc))  # why it ends early: CLI, status, page
                return self._end_creation()
            except Exception as exc:  # a tuner bug must not lose what is recorded
                log.exception("tuner failed")
                self.error = f"tuner failed: {type(exc).__name__}: {exc}"
                self.store.set_meta(error=self.error)
                return self._end_creation()
            self.add_trial(params, fidelity=getattr(params, "fidelity", None))

    def add_trial(
        self,
        params: dict[str, Any],
        source: str = "tuner",
        trial_id: str | None = None,
        start: bool = True,
        fidelity: dict[str, Any] | None = None,
    ) -> Trial:
        """Record a new trial and write its parameters; start it now, or when a slot frees.
        fidelity: a multi-fidelity tuner's budget, bracket, rung and config (autolab.fidelity)."""
        trial = self.trials.record(params, source, trial_id, fidelity)
        self._notify("trial_created", trial)
        if start:
            self._start_trial(trial)
        else:
            self.unstarted.append(trial)
        return trial

    def _start_trial(self, trial: Trial) -> None:
        try:
            self.service.start(self.launch(trial))
        except OSError as exc:
            if lifecycle.disk_full(exc):  # not the trial's fault: it starts once there is space
                self.unstarted.insert(0, trial)
                raise
            return self._not_started(trial, exc)
        except Exception as exc:
            return self._not_started(trial, exc)
        self.trials.in_service.add(trial.trial_id)
        handle = self.service.handle(trial.trial_id)
        if handle:
            self.store.update_trial(trial.trial_id, handle=handle)

    def _not_started(self, trial: Trial, exc: Exception) -> None:
        """A trial the service could not start ends FAILED, saying why: it never stays active
        without a process (nothing would ever end it, and a stop would wait for it forever)."""
        log.error("trial %s could not start: %s: %s", trial.trial_id, type(exc).__name__, exc)
        why = f"could not start: {type(exc).__name__}: {exc}"
        self.finish(trial, Event(trial.trial_id, EventKind.EXITED, None, why))

    def _notify(self, method: str, trial: Trial) -> None:
        for listener in self.listeners:
            hook = getattr(listener, method, None)
            if hook is None:
                continue
            try:
                hook(self, trial)
            except Exception:
                log.exception("%s.%s failed for trial %s", type(listener).__name__, method, trial.trial_id)

    def launch(self, trial: Trial) -> Launch:
        """What the service needs to start (or adopt) the trial."""
        return trial_launch(self.config, self.exp_id, trial, self.trial_dir(trial.trial_id), self.directory)

    # -- ending trials -------------------------------------------------------------------------
    def kill_trial(self, trial_id: str, reason: TrialStatus = TrialStatus.USER_CANCELED) -> bool:
        """Stop a running trial (SIGTERM to its process group, SIGKILL after a grace period)."""
        trial = self.by_id.get(trial_id)
        if trial is None or not trial.running:
            return False
        self.kill_reason.setdefault(trial_id, reason)
        log.info("killing trial %s (%s)", trial_id, reason.value)
        if trial_id not in self.trials.in_service:  # no process (yet): it just ends
            if trial in self.unstarted:
                self.unstarted.remove(trial)
            self.finish(
                trial, Event(trial_id, EventKind.EXITED, None, "cancelled before it started", killed=True)
            )
            return True
        self.service.kill(trial_id)
        return True

    def finish(self, trial: Trial, event: Event) -> None:
        """Record how the trial ended, tell the listeners, and stop early if its command cannot work."""
        code = event.exit_code
        status, message = trial_outcome(trial, event, self.kill_reason.pop(trial.trial_id, None))
        status = ended_status(self.tuner, trial, status)  # PAUSED: ASHA continues it at its next rung
        trial.status = status
        # when it ended, if the service knows (a Slurm job's exit file), else now; never before its start
        trial.end_time = max(event.time or time.time(), trial.start_time or 0.0)
        self.trials.ended(trial)
        self.assessing.forget(trial.trial_id)
        self.store.update_trial(
            trial.trial_id, status=status, end_time=trial.end_time, exit_code=code, message=message
        )
        log.info("trial %s %s%s", trial.trial_id, status.value, f" ({message})" if message else "")
        self._notify("trial_finished", trial)
        self._check_fail_fast(trial, event)

    # -- control -------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop the experiment: cancel running trials; status STOPPED once they ended."""
        self._stop(Phase.STOPPING)

    def _stop(self, phase: Phase) -> None:
        if self.stopping:
            return
        if self.phase is Phase.DONE:  # nothing runs: the manager may exit, the experiment stays DONE
            self.phase = Phase.CLOSED
            return
        self.phase = phase
        self._cancel_unstarted("the experiment was stopped before it started")
        for trial in list(self.active.values()):
            self.kill_trial(trial.trial_id, TrialStatus.USER_CANCELED)

    def fail(self) -> None:
        """Stop as ERROR (the loop raised): cancel running trials; ERROR once they ended."""
        self._stop(Phase.FAILING)

    def abort(self) -> None:
        """End as ERROR now, trials or not (the loop fails on every turn)."""
        self._set_phase(Phase.ERROR)

    def update(self, **changes: Any) -> None:
        """Apply values from config.validate_update (trialConcurrency, maxTrialNumber,
        maxExperimentDuration, searchSpace) while running; kept in the store and config.yml, and a
        line of manager.log says what changed (nnictl's update leaves one too)."""
        for key, value in changes.items():
            if key == "searchSpace":
                names = list(getattr(value, "raw", value) or {})
                log.info(
                    "update: searchSpace, now %d parameter(s): %s", len(names), ", ".join(map(str, names))
                )
            else:
                log.info("update: %s %s -> %s", key, getattr(self.config, UPDATABLE[key]), value)
        if "searchSpace" in changes:
            self.tuner.update_search_space(changes["searchSpace"])
        self.not_yet_at = None  # more trials or a new space: ask the tuner again
        if "trialConcurrency" in changes:
            self.service.set_concurrency(changes["trialConcurrency"])
        for key, value in changes.items():
            apply_update(self.config, key, value)
        save_config(self.store, self.directory, self.config)
        if self.phase in lifecycle.UPDATABLE:
            # more trials, more time or a new space: ask the tuner again (even while the last
            # trials of a finished budget still run), and carry on if it was DONE
            self._set_phase(Phase.CREATING)

    def import_trials(self, records: list[dict[str, Any]]) -> int:
        """Add finished trials (NNI's export shape) for the tuner to learn from."""
        self.not_yet_at = None
        return self.trials.add_imported(records)

    def add_user_trial(
        self, params: dict[str, Any], source: str, fidelity: dict[str, Any] | None = None
    ) -> Trial:
        """Queue a trial the user asked for (reruns.py: a customized trial or a retry): recorded
        now (a crash before it starts leaves it WAITING, and resume starts it), started when a
        slot frees, before the tuner's next ones. It does not count toward maxTrialNumber, and
        the tuner sees its result in the history as it sees its own. A DONE experiment runs
        again until it has ended. BadRerun when the experiment is ending."""
        if self.stopping:
            raise BadRerun("the experiment is stopping: resume it to run more trials")
        if self.phase is Phase.EXPIRED:
            raise BadRerun("maxExperimentDuration is reached: raise it (autolab update duration) first")
        trial = self.add_trial(params, source=source, start=False, fidelity=fidelity)
        if self.phase is Phase.DONE:
            self._set_phase(Phase.DRAINING)
        return trial

    def _set_phase(self, phase: Phase) -> None:
        before, self.phase = self.status, phase
        if self.status == before:
            return
        if self.finished:
            self.clock.pause()
        else:
            self.clock.go_on()
        end_time = time.time() if self.finished else None
        self.store.set_meta(status=self.status, elapsed=self.elapsed(), end_time=end_time)
        log.info("experiment %s", self.status)

    def close(self) -> None:
        self.assessing.close()
        self.service.close()
        if self.notes:  # they told how the service was while it ran
            self.notes = []
            with contextlib.suppress(StoreError):  # e.g. the disk is full: a resume clears them
                self.store.set_meta(notes=None)
