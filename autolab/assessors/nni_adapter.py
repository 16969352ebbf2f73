"""Runs a user's NNI-style assessor (assess_trial / trial_end) behind the autolab Assessor interface."""

from __future__ import annotations

from typing import Any

from ..history import History, Trial
from ..registry import user_init_failed
from ..statuses import TrialStatus
from .base import Assessor, AssessorError


def is_nni_style(cls: type) -> bool:
    return not (isinstance(cls, type) and issubclass(cls, Assessor)) and callable(
        getattr(cls, "assess_trial", None)
    )


class NniAssessorAdapter(Assessor):
    def __init__(self, user_class: type, class_args: dict[str, Any] | None = None) -> None:
        args = dict(class_args or {})
        self.name = f"{user_class.__module__}.{user_class.__qualname__}"
        try:
            self.inner = user_class(**args)
        except TypeError as exc:
            raise AssessorError(f"assessor {self.name}: bad classArgs {sorted(args)}: {exc}") from None
        except Exception as exc:  # the user's bug: one line (the traceback goes to the log)
            raise AssessorError(user_init_failed("assessor", self.name, exc)) from None
        self.ended: set[str] = set()
        super().__init__(args.get("optimize_mode", "maximize"))

    def trial_finished(self, manager: Any, trial: Trial) -> None:
        """The manager's listener hook (launcher.build_manager adds the adapter): a trial has
        ended, and the user's trial_end hears of it now, as under NNI (the last trial's too)."""
        self._ends(manager.history)

    def _ends(self, history: History) -> None:
        """trial_end once for every ended trial it has not been told of (the history says which:
        after a resume, those an earlier manager saw end too)."""
        if callable(getattr(self.inner, "trial_end", None)):
            for other in history.trials:
                if not other.running and other.trial_id not in self.ended:
                    self.ended.add(other.trial_id)
                    self.inner.trial_end(other.trial_id, other.status == TrialStatus.SUCCEEDED)

    def should_stop(self, trial: Trial, history: History) -> bool:
        self._ends(history)
        verdict = self.inner.assess_trial(trial.trial_id, list(trial.intermediate))
        # AssessResult.Bad (value False) or a plain False means stop
        return getattr(verdict, "value", verdict) is False
