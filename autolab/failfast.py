"""Stop an experiment whose trial command cannot work, instead of failing its whole budget.

While no trial of the experiment has worked (succeeded, ended without a result, or was stopped
early after reporting), FAIL_FAST failed trials in a row mean the command itself is broken (a typo,
a missing file, a bad environment): the manager stops with an error quoting the last trial's stderr.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import protocol
from .history import History, Trial
from .services.base import Event
from .statuses import TrialStatus
from .store import Store

FAIL_FAST = 5
TAIL_BYTES = 65536  # of a file (a trial's stderr), read for its last line
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
        last = last_line(stderr)
        said = f": {last}" if last else ""
        return (
            f"the first {self.limit} trials all failed (trial {trial.trial_id}: exit code {event.exit_code}"
            f"{said}; see {stderr}); fix trialCommand, then resume"
        )


def last_line(path: Path) -> str | None:
    """The last non-blank line of a file (a trial's stderr; at most 300 characters), None if none."""
    try:
        with open(path, "rb") as fh:  # its end only: it may be huge
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - TAIL_BYTES))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else None


def none_worked(store: Store, directory: Path) -> str | None:
    """When trials failed and none worked: why the last one failed, with the last line of its
    stderr and how to read the rest (the end of a run says it; a FAILED count alone does not)."""
    rows = store.trial_rows()
    if any(r.status in WORKED for r in rows):
        return None
    failed = [r for r in rows if r.status == TrialStatus.FAILED]
    if not failed:
        return None
    last = max(failed, key=lambda r: r.seq)
    said = last_line(directory / "trials" / last.id / protocol.STDERR_FILE)
    why = f"trial {last.id} failed ({last.message or 'no reason recorded'})" + (f": {said}" if said else "")
    where = f"; its stderr: autolab log trial {store.get_meta('id')} --trial_id {last.id} --stderr"
    return f"no trial worked ({len(failed)} FAILED); {why}{where if said else ''}"
