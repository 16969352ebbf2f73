"""What algorithms see of an experiment: trial records with their parameters and metrics.

Tuners and assessors are handed these and decide from them alone (they keep no state the store
does not have), so resume is just reopening the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .statuses import COMPLETED, TrialStatus


@dataclass
class Trial:
    """One trial as the algorithms see it."""

    trial_id: str
    sequence: int
    parameters: dict[str, Any]
    status: TrialStatus = TrialStatus.WAITING
    # final result (the 'default' number) and the whole reported value
    value: float | None = None
    raw_value: Any = None
    # intermediate results, in report order: the 'default' numbers
    intermediate: list[float] = field(default_factory=list)
    start_time: float | None = None
    end_time: float | None = None
    # where it came from: "tuner", "import", "resume-rerun", ...
    source: str = "tuner"
    # a multi-fidelity trial's budget, bracket, rung and config (autolab.fidelity); None for others
    fidelity: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return not self.status.finished

    @property
    def last_value(self) -> float | None:
        """The final result, else the last intermediate one (for early-stopped trials)."""
        if self.value is not None:
            return self.value
        return self.intermediate[-1] if self.intermediate else None


@dataclass
class History:
    """All trials of an experiment, in sequence order."""

    trials: list[Trial] = field(default_factory=list)

    def completed(self) -> list[Trial]:
        return [t for t in self.trials if t.status in COMPLETED and t.value is not None]

    def running(self) -> list[Trial]:
        return [t for t in self.trials if t.running]

    def finished(self) -> list[Trial]:
        return [t for t in self.trials if not t.running]

    def get(self, trial_id: str) -> Trial | None:
        for t in self.trials:
            if t.trial_id == trial_id:
                return t
        return None

    def __len__(self) -> int:
        return len(self.trials)
