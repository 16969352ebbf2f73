"""A study's trials: the one being run (`StudyTrial`, what ask() gives and the objective receives)
and a finished one as read back (`FrozenTrial`, Optuna's name and fields, NNI's values)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from ..fidelity import BUDGET_KEY
from ..history import Trial
from ..objectives import Objectives
from ..statuses import TrialStatus

if TYPE_CHECKING:
    from .study import Study


class TrialPruned(Exception):
    """Raise it in the objective to end the trial early (EARLY_STOPPED), as Optuna's TrialPruned."""


@dataclass(frozen=True)
class FrozenTrial:
    """A trial as recorded. state is autolab's (and NNI's) status: SUCCEEDED, FAILED, EARLY_STOPPED
    (Optuna's COMPLETE, FAIL, PRUNED), RUNNING, USER_CANCELED."""

    number: int
    trial_id: str
    params: dict[str, Any]
    state: TrialStatus
    value: float | None
    raw_value: Any
    intermediate_values: dict[int, float]
    datetime_start: datetime | None
    datetime_complete: datetime | None
    message: str = ""
    source: str = "tuner"
    user_attrs: dict[str, Any] = field(default_factory=dict)
    objective_values: list[float] | None = None  # a study of several objectives: each one's value

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (None while it runs)."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return (self.datetime_complete - self.datetime_start).total_seconds()

    @property
    def values(self) -> list[float] | None:
        if self.objective_values is not None:
            return self.objective_values
        return None if self.value is None else [self.value]

    @classmethod
    def of(
        cls,
        trial: Trial,
        message: str = "",
        objectives: Objectives | None = None,
        user_attrs: dict[str, Any] | None = None,
    ) -> FrozenTrial:
        told = None if objectives is None or trial.raw_value is None else objectives.values(trial.raw_value)
        return cls(
            number=trial.sequence,
            trial_id=trial.trial_id,
            params=dict(trial.parameters),
            state=trial.status,
            value=trial.value,
            raw_value=trial.raw_value,
            intermediate_values=dict(enumerate(trial.intermediate)),
            datetime_start=_when(trial.start_time),
            datetime_complete=_when(trial.end_time),
            message=message,
            source=trial.source,
            user_attrs=dict(user_attrs or {}),
            objective_values=told,
        )


def _when(stamp: float | None) -> datetime | None:
    return None if stamp is None else datetime.fromtimestamp(stamp)


class StudyTrial:
    """The trial being run: its parameters (`params`, or the `suggest_*` calls of define-by-run),
    `report(value, step)` for intermediate results and `should_prune()` from the study's assessor."""

    def __init__(self, study: Study, trial: Trial) -> None:
        self.study = study
        self.trial = trial
        self.pruned = False  # the assessor's answer to the last report

    @property
    def number(self) -> int:
        return self.trial.sequence

    @property
    def trial_id(self) -> str:
        return self.trial.trial_id

    @property
    def params(self) -> dict[str, Any]:
        return self.trial.parameters

    @property
    def budget(self) -> float | None:
        """The budget a multi-fidelity tuner (Hyperband, BOHB, ASHA) gave this trial (NNI's
        `TRIAL_BUDGET` parameter, as autolab.get_budget() in a trial script); None without one."""
        budget = self.trial.parameters.get(BUDGET_KEY)
        return budget if isinstance(budget, (int, float)) and not isinstance(budget, bool) else None

    def __repr__(self) -> str:
        return f"StudyTrial(number={self.number}, id={self.trial_id!r}, params={self.params!r})"

    # -- results -------------------------------------------------------------------------------
    def report(self, value: Any, step: int | None = None) -> None:
        """An intermediate result (a number or NNI's dict with 'default'). Results are kept in
        report order, as NNI's are (step is accepted for Optuna's signature)."""
        self.pruned = self.study._report(self, value)

    def should_prune(self) -> bool:
        """Whether the study's assessor says to stop this trial after its last report (always
        False without an assessor); then raise TrialPruned."""
        return self.pruned

    @property
    def user_attrs(self) -> dict[str, Any]:
        """What set_user_attr kept (a copy), as Optuna's Trial.user_attrs."""
        return dict(self.study.records.user_attrs_of(self.trial))

    def set_user_attr(self, key: str, value: Any) -> None:
        """Keep value with the trial (FrozenTrial.user_attrs; in the store for a named study, so
        JSON values there), as Optuna's; a trial that has ended takes none."""
        self.study._set_user_attr(self, key, value)

    # -- define-by-run -------------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        if not low <= high:
            raise UserError(f"suggest_float({name!r}): low {low} is above high {high}")
        if log and (low <= 0 or step is not None):
            raise UserError(f"suggest_float({name!r}): log=True needs low > 0 and no step")
        if step is not None:
            spec = {"_type": "quniform", "_value": [low, high, step]}
        else:
            spec = {"_type": "loguniform" if log else "uniform", "_value": [low, high]}
        return float(self.study._suggest(self, name, spec))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        if not low <= high:
            raise UserError(f"suggest_int({name!r}): low {low} is above high {high}")
        if log and (low <= 0 or step != 1):
            raise UserError(f"suggest_int({name!r}): log=True needs low > 0 and step 1")
        if log:
            spec = {"_type": "qloguniform", "_value": [low, high, 1]}
        elif step == 1:
            spec = {"_type": "randint", "_value": [low, high + 1]}  # NNI's upper bound is exclusive
        else:
            spec = {"_type": "quniform", "_value": [low, high, step]}
        value = self.study._suggest(self, name, spec)
        return int(round(value)) if isinstance(value, float) and math.isfinite(value) else int(value)

    def suggest_categorical(self, name: str, choices: list[Any] | tuple[Any, ...]) -> Any:
        if not choices:
            raise UserError(f"suggest_categorical({name!r}): no choices given")
        return self.study._suggest(self, name, {"_type": "choice", "_value": list(choices)})

    # Optuna's older names
    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        return self.suggest_float(name, low, high, step=q)
