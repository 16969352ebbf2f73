"""An in-process study: ask/tell over a tuner and an assessor, no process per trial.

The tuner is asked `suggest(history)` and the assessor `should_stop(trial, history)` exactly as the
manager asks them, over the same History, so every tuner and assessor autolab has works here. All
changes go through one lock (optimize with n_jobs > 1 runs objectives in threads).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from ..assessors.base import Assessor
from ..config import ConfigError, validate_update
from ..errors import UserError
from ..history import Trial
from ..objectives import Objectives, best_trials
from ..protocol import MetricError
from ..searchspace import SearchSpace, SearchSpaceError
from ..statuses import TrialStatus
from ..tuners.base import NoMoreTrials, NotYet, Tuner, ended_status
from . import queue
from .multi import feasible, told_value
from .records import MemoryRecords, final_metric, intermediate_metric
from .trial import FrozenTrial, StudyTrial, TrialPruned

log = logging.getLogger("autolab.study")
#: Optuna's state names -> autolab's trial statuses (tell(state=...) takes either)
STATES = {
    "complete": TrialStatus.SUCCEEDED,
    "fail": TrialStatus.FAILED,
    "pruned": TrialStatus.EARLY_STOPPED,
}


class Study:
    """Create one with autolab.create_study (or load_study); see docs/python_api.md."""

    def __init__(
        self,
        records: MemoryRecords,
        tuner: Tuner,
        assessor: Assessor | None,
        direction: str,
        config: dict[str, Any],
        exp_id: str | None = None,
        name: str | None = None,
        seed: int | None = None,
        objectives: Objectives | None = None,
    ) -> None:
        self.records = records
        self.objectives = objectives  # several objectives (directions=): see multi.py
        self.tuner = tuner
        self.assessor = assessor
        self.direction = direction
        self.config = config  # the stored config (searchSpace grows with define-by-run)
        self.id = exp_id
        self.study_name = name
        self.lock = threading.RLock()
        self.ended = threading.Condition(self.lock)  # a trial was told: a waiting tuner may go on
        self.running: dict[str, StudyTrial] = {}
        self.stop_requested = False  # stop(): optimize starts no more trials
        self.rng = random.Random(seed)  # a define-by-run value not yet in the tuner's space

    @property
    def history(self) -> Any:
        return self.records.history

    @property
    def space(self) -> SearchSpace:
        return self.tuner.space

    @property
    def directory(self) -> Any:
        """The study's experiment directory (None in memory)."""
        return self.records.directory

    def __repr__(self) -> str:
        where = self.id or "in memory"
        return f"Study(name={self.study_name!r}, {where}, {len(self.history)} trials)"

    # -- ask / tell ----------------------------------------------------------------------------
    def enqueue_trial(self, params: dict[str, Any], user_attrs: dict[str, Any] | None = None) -> None:
        """Run these parameters next (before the tuner is asked), as Optuna's enqueue_trial: a
        WAITING trial (kept in a named study's store), checked against the search space; the
        space's parameters not given are sampled when it is asked for."""
        with self.lock:
            attrs = queue.attributes(user_attrs, persisted=self.records.directory is not None)
            waiting = self.records.enqueue(queue.checked(self.space, params))
            for key, value in attrs.items():
                self.records.set_user_attr(waiting, key, value)

    enqueue = enqueue_trial

    def ask(self) -> StudyTrial:
        """A new running trial: enqueued parameters first, else the tuner's suggestion.
        NoMoreTrials when the tuner has none left (a finished grid); NotYet when it has none until
        a running trial is told (serial Hyperband between rungs)."""
        with self.lock:
            if self.records.waiting:
                waiting = self.records.waiting[0]
                params = queue.completed(self.space, waiting.parameters, self.rng)
                started = self.records.start(waiting, params)
            else:
                params = self.tuner.suggest(self.history)
                started = self.records.add(params, "tuner", getattr(params, "fidelity", None))
            trial = StudyTrial(self, started)
            self.running[trial.trial_id] = trial
            return trial

    def tell(
        self,
        trial: StudyTrial | int,
        value: Any = None,
        state: str | TrialStatus | None = None,
        message: str = "",
    ) -> FrozenTrial:
        """End a trial: a value (number or NNI's dict with 'default') makes it SUCCEEDED; state
        'fail' / 'pruned' (or a TrialStatus) ends it so; no value and no state is a FAILED trial."""
        if value is not None and state is not None and self._state(state, value) is not TrialStatus.SUCCEEDED:
            raise UserError(  # Optuna's ValueError: a value is told with state 'complete' only
                f"tell: a value ({value!r}) cannot be told with state={state!r}: give one or the other"
            )
        ended = self._end(trial, value, state, message)
        return self.frozen(ended)

    def frozen(self, trial: Trial) -> FrozenTrial:
        return FrozenTrial.of(
            trial, self.records.message(trial), self.objectives, self.records.user_attrs_of(trial)
        )

    def _end(
        self, trial: StudyTrial | int, value: Any, state: str | TrialStatus | None, message: str
    ) -> Trial:
        """tell() without the FrozenTrial (optimize builds one only for its callbacks)."""
        with self.lock:
            running = self._running(trial)
            status = self._state(state, value)
            metric = None
            if value is not None and status is TrialStatus.SUCCEEDED:
                try:
                    metric = final_metric(
                        value if self.objectives is None else told_value(self.objectives, value)
                    )
                except (MetricError, UserError) as exc:
                    status, message = TrialStatus.FAILED, f"the objective returned {value!r}: {exc}"
            elif status is TrialStatus.SUCCEEDED:
                status, message = TrialStatus.FAILED, message or "no value was told"
            status = ended_status(self.tuner, running.trial, status)  # PAUSED: ASHA continues it later
            self.records.finish(running.trial, status, metric, message)
            self.running.pop(running.trial_id, None)
            self.ended.notify_all()
            if self.assessor is not None:
                self._assessor_call(self.assessor.trial_ended, running.trial_id)
            return running.trial

    def _running(self, trial: StudyTrial | int) -> StudyTrial:
        if isinstance(trial, int) and not isinstance(trial, bool):
            found = [t for t in self.running.values() if t.number == trial]
            if not found:
                raise UserError(f"tell: trial number {trial} is not running in this study")
            return found[0]
        if not isinstance(trial, StudyTrial) or self.running.get(trial.trial_id) is not trial:
            raise UserError(f"tell: {trial!r} is not a running trial of this study (told twice?)")
        return trial

    @staticmethod
    def _state(state: str | TrialStatus | None, value: Any) -> TrialStatus:
        if state is None:
            return TrialStatus.SUCCEEDED
        if isinstance(state, TrialStatus):
            return state
        name = str(getattr(state, "name", state)).lower()  # Optuna's TrialState.PRUNED reads too
        if name in STATES:
            return STATES[name]
        try:
            return TrialStatus(name.upper())
        except ValueError:
            known = ", ".join([*STATES, *(s.value for s in TrialStatus if s.finished)])
            raise UserError(f"tell: state {state!r} is not one of {known}") from None

    def _report(self, trial: StudyTrial, value: Any) -> bool:
        """Record an intermediate result; the assessor's answer (True: prune)."""
        try:
            metric = intermediate_metric(value)
        except MetricError as exc:
            raise UserError(f"trial {trial.number}: report({value!r}): {exc}") from None
        with self.lock:
            self._live(trial, "report()")
            self.records.report(trial.trial, metric)
            if self.assessor is None:
                return False
            return bool(self._assessor_call(self.assessor.should_stop, trial.trial, self.history))

    def _assessor_call(self, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args)
        except Exception:  # as in the manager: a failing assessor is logged, the trial goes on
            log.exception("assessor %s failed", type(self.assessor).__name__)
            return False

    def _live(self, trial: StudyTrial, call: str) -> None:
        """UserError unless trial is running (Optuna refuses to change a finished trial)."""
        if self.running.get(trial.trial_id) is not trial:
            raise UserError(
                f"trial {trial.number} has ended ({trial.trial.status}): {call} comes before tell()"
            )

    def _set_user_attr(self, trial: StudyTrial, key: str, value: Any) -> None:
        with self.lock:
            self._live(trial, f"set_user_attr({key!r})")
            self.records.set_user_attr(trial.trial, key, value)

    def _suggest(self, trial: StudyTrial, name: str, spec: dict[str, Any]) -> Any:
        """Define-by-run: the trial's value of name, adding name to the search space (and so to
        the tuner, from the next trial on) when the space lacks it."""
        with self.lock:
            self._live(trial, f"suggest {name!r}")
            raw = self.space.raw
            if name in raw and raw[name] != spec:
                raise UserError(
                    f"trial {trial.number}: {name!r} is {spec} here but {raw[name]} in the search space"
                )
            if name not in raw:
                self._grow_space(name, spec)
            if name in trial.params:
                if trial.trial.source == "enqueued":  # a name the space lacked when enqueued
                    queue.fits(name, spec, trial.params[name], f"trial {trial.number}")
                return trial.params[name]
            value = SearchSpace({name: spec}).sample(self.rng)[name]
            trial.params[name] = value
            self.records.set_parameters(trial.trial)
            return value

    def _grow_space(self, name: str, spec: dict[str, Any]) -> None:
        try:
            space = SearchSpace({**self.space.raw, name: spec}, "search space")
        except SearchSpaceError as exc:
            raise UserError(str(exc)) from None
        self.update_search_space(space)

    def update_search_space(self, space: dict[str, Any] | SearchSpace) -> None:
        """A new search space for the trials asked from now on (kept with the study)."""
        try:
            parsed = validate_update("searchSpace", space)
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        assert isinstance(parsed, SearchSpace)
        with self.lock:
            self.tuner.update_search_space(parsed)
            self.config["searchSpace"] = parsed.raw
            self.records.set_meta(config=self.config)

    # -- reading -------------------------------------------------------------------------------
    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    def get_trials(self, states: tuple[str | TrialStatus, ...] | None = None) -> list[FrozenTrial]:
        wanted = None if states is None else {self._state(s, None) for s in states}
        with self.lock:
            return [self.frozen(t) for t in self.history.trials if wanted is None or t.status in wanted]

    def _best(self) -> Trial:
        if self.objectives is not None and len(self.objectives) > 1:
            raise RuntimeError("a study of several objectives has no single best trial: use best_trials")
        done = self.history.completed()
        if not done:
            raise ValueError("no trial of this study has completed yet")
        if self.objectives is not None:  # one objective with constraints: the best feasible trial
            done = feasible(self.objectives, done)
            if not done:
                raise ValueError("no completed trial of this study meets its constraints yet")
        pick = max if self.direction == "maximize" else min
        return pick(done, key=lambda t: t.value)

    @property
    def best_trial(self) -> FrozenTrial:
        """The best SUCCEEDED trial, among the feasible ones with constraints (ValueError when
        there is none, as Optuna)."""
        with self.lock:
            return self.frozen(self._best())

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto set: SUCCEEDED trials no other feasible one beats in every objective
        (one objective: the trials with the best value), in trial order."""
        with self.lock:
            if self.objectives is None:
                done = self.history.completed()
                best = self._best().value if done else None
                front = [t for t in done if t.value == best]
            else:
                front = best_trials(self.objectives, self.history.trials)
            return [self.frozen(t) for t in front]

    @property
    def directions(self) -> list[str]:
        return [self.direction] if self.objectives is None else list(self.objectives.directions)

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    def export_data(self) -> list[dict[str, Any]]:
        """NNI's export shape, as `autolab experiment export` writes it."""
        return [
            {"parameter": t.params, "value": t.raw_value, "trialJobId": t.trial_id, "status": t.state.value}
            for t in self.trials
        ]

    def optimize(
        self,
        func: Callable[[StudyTrial], Any],
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        callbacks: list[Callable[[Study, FrozenTrial], None]] | None = None,
        catch: Any = None,
        show_progress_bar: bool = False,
    ) -> None:
        """Run func(trial) -> value for n_trials more trials (or until timeout seconds, or until
        the tuner has no more points). An objective that raises ends its trial FAILED with the
        error kept, and the study goes on; TrialPruned ends it EARLY_STOPPED; Ctrl-C stops the
        study after cancelling its running trials. catch and show_progress_bar: accepted for
        Optuna's signature (every exception is caught; no bar)."""
        from .runner import run_optimize  # the loop's own module (signals, threads)

        run_optimize(self, func, n_trials, timeout, n_jobs, callbacks or [])

    def stop(self) -> None:
        """End optimize after the trials in progress (from a callback or an objective, as Optuna's)."""
        self.stop_requested = True

    def run_one(self, func: Callable[[StudyTrial], Any]) -> Trial | None:
        """Ask, run func, tell; the ended trial, or None when the tuner has no more trials."""
        try:
            trial = self._ask_when_ready()
        except NoMoreTrials as exc:
            log.info("the tuner has no more trials: %s", exc)
            return None
        try:
            value = func(trial)
        except TrialPruned as exc:
            steps = len(trial.trial.intermediate)
            why = str(exc) or f"pruned after {steps} reports"
            return self._end(trial, None, TrialStatus.EARLY_STOPPED, why)
        except Exception as exc:
            log.warning("trial %d failed: %s: %s", trial.number, type(exc).__name__, exc)
            return self._end(trial, None, TrialStatus.FAILED, f"{type(exc).__name__}: {exc}")
        except BaseException:  # Ctrl-C, SystemExit: the trial is cancelled, the caller stops
            self._end(trial, None, TrialStatus.USER_CANCELED, "interrupted")
            raise
        if value is None:
            return self._end(trial, None, TrialStatus.FAILED, "the objective returned None")
        return self._end(trial, value, None, "")

    def _ask_when_ready(self) -> StudyTrial:
        """ask(); while the tuner has nothing until a running trial ends (NotYet), wait for one to
        end (optimize with n_jobs > 1). NoMoreTrials when it waits and nothing runs."""
        with self.lock:
            while True:
                try:
                    return self.ask()
                except NotYet as exc:
                    if not self.running:
                        raise NoMoreTrials(f"the tuner waits and no trial is running: {exc}") from None
                    self.ended.wait()

    def close(self) -> None:
        """Close the study's store (a persisted study can be reopened by name)."""
        self.records.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
