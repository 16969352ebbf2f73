"""Stop an experiment whose trial command cannot work, instead of failing its whole budget.

While no trial of the experiment has worked (succeeded, ended without a result, or was stopped
early after reporting), FAIL_FAST failed trials in a row mean the command itself is broken (a typo,
a missing file, a bad environment): the manager stops with an error quoting the last trial's stderr.
"""

from __future__ import annotations

from pathlib import Path

from . import protocol
from .history import History, Trial
from .services.base import Event
from .statuses import TrialStatus

FAIL_FAST = 5
WORKED = (TrialStatus.SUCCEEDED, TrialStatus.PAUSED, TrialStatus.NO_RESULT, TrialStatus.EARLY_STOPPED)


class FailFast:
    def __init__(self, history: History, limit: int = FAIL_FAST) -> None:
        self.limit = limit
        self.worked = any(t.status in WORKED for t in history.trials)
        self.failures = 0

    def observe(self, trial: Trial, event: Event, trial_dir: Path) -> str | None:
        """The reason to stop now, or None."""
        if trial.status in WORKED:
            self.worked = True
        if self.worked or trial.status != TrialStatus.FAILED or event.killed or event.timed_out:
            return None
        self.failures += 1
        if self.failures < self.limit:
            return None
        stderr = trial_dir / protocol.STDERR_FILE
        try:
            lines = [line.strip() for line in stderr.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            lines = []
        said = f": {lines[-1][:300]}" if lines else ""
        return (
            f"the first {self.limit} trials all failed (trial {trial.trial_id}: exit code {event.exit_code}"
            f"{said}; see {stderr}); fix trialCommand, then resume"
        )
