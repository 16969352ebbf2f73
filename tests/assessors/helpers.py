"""Synthetic histories for assessor tests."""

from __future__ import annotations

from autolab.history import History, Trial
from autolab.statuses import TrialStatus


def completed(trial_id: str, intermediate: list[float], value: float | None = None) -> Trial:
    final = intermediate[-1] if value is None else value
    return Trial(
        trial_id=trial_id,
        sequence=0,
        parameters={},
        status=TrialStatus.SUCCEEDED,
        value=final,
        intermediate=list(intermediate),
    )


def running(trial_id: str, intermediate: list[float]) -> Trial:
    return Trial(
        trial_id=trial_id,
        sequence=0,
        parameters={},
        status=TrialStatus.RUNNING,
        intermediate=list(intermediate),
    )


def history_of(*trials: Trial) -> History:
    for i, t in enumerate(trials):
        t.sequence = i
    return History(list(trials))
