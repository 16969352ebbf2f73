"""Multi-fidelity trials: the budget a trial is given, and where it stands in a schedule.

A multi-fidelity tuner (Hyperband, BOHB) returns a `Suggestion`: the trial's parameters (with NNI's
`TRIAL_BUDGET` key in them, as NNI's advisors hand it to trial scripts) carrying its `fidelity`:
budget, bracket, rung and the configuration it runs (the id of the configuration's first trial).
The manager stores the fidelity with the trial's row, so the tuner rebuilds its brackets and rungs
from the store alone (resume), and the CLI and the API show them. Standard library and statuses
only: the CLI and the store import this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .statuses import TrialStatus

#: the parameter NNI's Hyperband and BOHB give the trial its budget under
BUDGET_KEY = "TRIAL_BUDGET"
#: the keys of a stored fidelity, in the order they are shown
FIELDS = ("budget", "bracket", "rung", "config")


def fidelity(budget: float | None, bracket: int | None, rung: int, config: str | None) -> dict[str, Any]:
    """A fidelity record (plain JSON): config None means "the trial's own id" (a new configuration).
    PBT stores its generation as the rung and its member as the config, with no budget or bracket."""
    return {"budget": budget, "bracket": bracket, "rung": rung, "config": config}


class Suggestion(dict[str, Any]):
    """Parameters with the fidelity they run at (a dict, so it goes wherever parameters go)."""

    def __init__(self, parameters: dict[str, Any], fidelity: dict[str, Any]) -> None:
        super().__init__(parameters)
        self.fidelity = fidelity


def of_trial(fidelity: dict[str, Any] | None, trial_id: str) -> dict[str, Any] | None:
    """The fidelity a new trial is recorded with: a new configuration is named by its first trial."""
    if fidelity is not None and fidelity.get("config") is None:
        return {**fidelity, "config": trial_id}
    return fidelity


def continued(trial: Any, others: Iterable[Any]) -> bool:
    """Whether a PAUSED trial's configuration has a trial at the next rung (of the same bracket)
    among others (history.Trial objects)."""
    fid = trial.fidelity
    if trial.status != TrialStatus.PAUSED or not fid:
        return False
    after = (fid.get("bracket"), fid.get("config"), int(fid["rung"]) + 1)
    return any(
        o.fidelity and (o.fidelity.get("bracket"), o.fidelity.get("config"), o.fidelity.get("rung")) == after
        for o in others
    )


def promoted_from(trial: Any, trials: Iterable[Any]) -> list[Any]:
    """The PAUSED trials that a new trial continues (it runs their configuration at the next rung):
    they become SUCCEEDED, their result standing."""
    if not (trial.fidelity and trial.fidelity.get("rung")):
        return []
    return [t for t in trials if continued(t, [trial])]


def without_budget(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the search space knows them (NNI's budget key removed)."""
    return {k: v for k, v in parameters.items() if k != BUDGET_KEY}
