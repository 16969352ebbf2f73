"""Runs a user's NNI-style tuner class (generate_parameters / receive_trial_result /
update_search_space) behind the autolab Tuner interface, so a custom NNI tuner file runs unchanged.

The wrapped object keeps its own state, as NNI tuners do; the adapter feeds it what the history
says when a trial ends (the manager's listener hook, trial_finished: launcher.build_manager adds
the adapter) and each time it is asked for a point: every newly finished trial once (receive_trial_result for
points it generated, import_data, when it has one, for trials it never saw, e.g. after a resume
or an import; trial_end for every finished trial when it has that method). A resumed experiment
thus rebuilds the tuner by replaying the history into a fresh object.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..history import History, Trial
from ..registry import user_init_failed
from ..searchspace import SearchSpace
from ..statuses import TrialStatus
from .base import NoMoreTrials, Tuner, TunerError

REQUIRED = ("generate_parameters", "receive_trial_result", "update_search_space")


def is_nni_style(cls: type) -> bool:
    """A class with NNI's tuner methods that is not an autolab Tuner."""
    return not (isinstance(cls, type) and issubclass(cls, Tuner)) and all(
        callable(getattr(cls, m, None)) for m in REQUIRED
    )


class NniTunerAdapter(Tuner):
    def __init__(
        self, space: SearchSpace, user_class: type, class_args: dict[str, Any] | None = None
    ) -> None:
        args = dict(class_args or {})
        self.name = f"{user_class.__module__}.{user_class.__qualname__}"
        try:
            self.inner = user_class(**args)
        except TypeError as exc:
            raise TunerError(f"tuner {self.name}: bad classArgs {sorted(args)}: {exc}") from None
        except Exception as exc:  # the user's bug: one line (the traceback goes to the log)
            raise TunerError(user_init_failed("tuner", self.name, exc)) from None
        self.generated: dict[int, dict[str, Any]] = {}
        self.fed: set[str] = set()
        self.failed: TunerError | None = None  # the user's method failed at a trial's end
        seed = args.get("seed")  # the user's class judges its own seed; ours only takes a plain one
        seed = seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else None
        super().__init__(space, optimize_mode=args.get("optimize_mode", "maximize"), seed=seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._call("update_search_space", space.raw)

    def trial_finished(self, manager: Any, trial: Trial) -> None:
        """The manager's listener hook: a trial has ended. Its result reaches the user's tuner
        now (receive_trial_result, trial_end), as under NNI, not when the next point is asked:
        the last trial's too. A failure there ends creation at the next suggest, as it did."""
        try:
            self._feed(manager.history)
        except TunerError as exc:
            self.failed = self.failed or exc
            raise

    def suggest(self, history: History) -> dict[str, Any]:
        if self.failed is not None:
            raise self.failed
        self._feed(history)
        parameter_id = max((t.sequence for t in history.trials), default=-1) + 1
        try:
            params = self.inner.generate_parameters(parameter_id)
        except NoMoreTrials:
            raise
        except Exception as exc:
            if type(exc).__name__ in ("NoMoreTrialError", "NoMoreTrials", "StopIteration"):
                raise NoMoreTrials(f"tuner {self.name}: {exc}") from None
            raise TunerError(
                f"tuner {self.name}.generate_parameters failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(params, dict):
            raise TunerError(
                f"tuner {self.name}.generate_parameters returned {type(params).__name__}, not a dict"
            )
        self.generated[parameter_id] = params
        return params

    def _feed(self, history: History) -> None:
        imports: list[dict[str, Any]] = []
        for trial in history.trials:
            if trial.running or trial.trial_id in self.fed:
                continue
            self.fed.add(trial.trial_id)
            mine = self.generated.get(trial.sequence) == trial.parameters
            value = _value(trial)
            if value is not None:
                if mine or not hasattr(self.inner, "import_data"):
                    self._call(
                        "receive_trial_result",
                        trial.sequence,
                        trial.parameters,
                        value,
                        optional={"customized": not mine, "trial_job_id": trial.trial_id},
                    )
                else:
                    imports.append({"parameter": trial.parameters, "value": value})
            if hasattr(self.inner, "trial_end") and mine:
                self._call("trial_end", trial.sequence, trial.status == TrialStatus.SUCCEEDED)
        if imports:
            self._call("import_data", imports)

    def _call(self, method: str, *args: Any, optional: dict[str, Any] | None = None) -> Any:
        fn = getattr(self.inner, method)
        kwargs: dict[str, Any] = {}
        if optional and any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values()):
            kwargs = optional
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise TunerError(f"tuner {self.name}.{method} failed: {type(exc).__name__}: {exc}") from exc


def _value(trial: Trial) -> Any:
    """What NNI would pass: the final metric as reported (a number or a dict with 'default');
    an early-stopped trial gives its last intermediate number; failed trials give nothing."""
    if trial.status == TrialStatus.SUCCEEDED and trial.value is not None:
        return trial.raw_value if trial.raw_value is not None else trial.value
    if trial.status == TrialStatus.EARLY_STOPPED:
        return trial.last_value
    return None
