"""How an experiment and its trials move through their states: the experiment's phase (what the
manager's loop does next), the clock of its running time, and how a trial's end is read.

One phase at a time; STATUS maps each to the status the store holds (RUNNING, DONE, STOPPED,
ERROR), ENDS says what a running phase becomes once no trial is active. The moves:

    CREATING -> DRAINING            maxTrialNumber reached, the tuner ran out or failed
    CREATING, DRAINING -> EXPIRED   maxExperimentDuration reached (the running trials are cancelled)
    DRAINING, EXPIRED -> DONE       no trial active
    running -> STOPPING -> STOPPED  request_stop(); STOPPED once no trial is active
    running -> FAILING -> ERROR     fail fast, or a loop turn that raised (loop_failed); ERROR once no trial is active
    DONE -> CLOSED                  request_stop(): the manager exits, the store keeps DONE
    CREATING, DRAINING, EXPIRED, DONE -> CREATING    update() (more trials, time or a new space)
    any -> ERROR                    abort(): the loop failed on every turn
"""

from __future__ import annotations

import errno
import logging
import time
from enum import Enum
from typing import TYPE_CHECKING

from .errors import AutolabError
from .history import Trial
from .services.base import Event
from .statuses import ExperimentStatus, TrialStatus
from .store import StoreError

if TYPE_CHECKING:
    from .manager import Manager

log = logging.getLogger("autolab.manager")


class Phase(Enum):
    CREATING = "creating"  # asking the tuner for trials as slots free up
    DRAINING = "draining"  # no new trials (maxTrialNumber, the tuner ran out or failed); the last finish
    EXPIRED = "expired"  # maxExperimentDuration reached: the running trials were cancelled
    STOPPING = "stopping"  # stopped by the user (or a failing loop): the trials are being cancelled
    FAILING = "failing"  # fail fast: the trial command cannot work; the trials are being cancelled
    DONE = "done"
    CLOSED = "closed"  # stopped once DONE: nothing to cancel; the manager exits (the store keeps DONE)
    STOPPED = "stopped"
    ERROR = "error"


STATUS = {
    Phase.CREATING: ExperimentStatus.RUNNING,
    Phase.DRAINING: ExperimentStatus.RUNNING,
    Phase.EXPIRED: ExperimentStatus.RUNNING,
    Phase.STOPPING: ExperimentStatus.RUNNING,
    Phase.FAILING: ExperimentStatus.RUNNING,
    Phase.DONE: ExperimentStatus.DONE,
    Phase.CLOSED: ExperimentStatus.DONE,
    Phase.STOPPED: ExperimentStatus.STOPPED,
    Phase.ERROR: ExperimentStatus.ERROR,
}
ENDS = {
    Phase.DRAINING: Phase.DONE,
    Phase.EXPIRED: Phase.DONE,
    Phase.STOPPING: Phase.STOPPED,
    Phase.FAILING: Phase.ERROR,
}
UPDATABLE = (Phase.CREATING, Phase.DRAINING, Phase.EXPIRED, Phase.DONE)  # update() resumes these
STOP_REQUESTED = (Phase.STOPPING, Phase.FAILING, Phase.CLOSED, Phase.STOPPED, Phase.ERROR)


class RunClock:
    """Seconds spent RUNNING over every run of the experiment (time spent DONE does not count)."""

    SAVE_EVERY = 2.0  # seconds between saves of the running total into the store

    def __init__(self, before: float) -> None:
        self.before = before  # the total of the runs before this one, or until the last pause
        self.since: float | None = time.time()  # start of the current run; None while paused
        self.saved = 0.0

    def elapsed(self) -> float:
        return self.before + (time.time() - self.since if self.since is not None else 0.0)

    def pause(self) -> None:
        self.before, self.since = self.elapsed(), None

    def go_on(self) -> None:
        self.since = time.time()

    def save_due(self) -> bool:
        """Whether the running total is due to be saved (at most every SAVE_EVERY seconds)."""
        now = time.time()
        if self.since is None or now - self.saved <= self.SAVE_EVERY:
            return False
        self.saved = now
        return True


LATE_STOP = "the assessor's stop came after its final result"


def trial_outcome(
    trial: Trial, event: Event, killed_as: TrialStatus | None
) -> tuple[TrialStatus, str | None]:
    """(status, message) of a trial that ended as event says; killed_as: why the manager killed it.
    An unknown exit status is a failure (the event's message says why). A trial the assessor
    stopped that had reported its final result by then (a fast trial: the verdict was on an earlier
    result) SUCCEEDED: its result is complete, and the tuners rank early-stopped trials last."""
    message = event.message
    if killed_as == TrialStatus.EARLY_STOPPED and trial.value is not None:
        return TrialStatus.SUCCEEDED, (message if event.exit_code == 0 else LATE_STOP)
    if killed_as is not None and event.killed:
        return killed_as, message
    # a kill that came after the trial had ended on its own (the service says it did not kill it: it
    # was gone, e.g. its end was in the same batch of events as the stop): it ends as it ended
    if event.timed_out:
        return TrialStatus.FAILED, message
    if event.exit_code == 0:
        if trial.value is None:
            return TrialStatus.NO_RESULT, message or "exited 0 without reporting a final result"
        return TrialStatus.SUCCEEDED, message
    return TrialStatus.FAILED, message or f"exit code {event.exit_code}"


def disk_full(exc: BaseException) -> bool:
    """Whether a failed write failed for want of space (a file's write, or the store's)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "disk is full" in str(exc)  # SQLite's words, kept in the StoreError's message


def loop_failed(manager: Manager, exc: Exception) -> bool:
    """A loop turn raised: record why, and stop the experiment. A full disk is not the trials'
    fault and nothing more can be recorded: the manager leaves the loop at once (True) and its
    running trials run on (a stop would cancel them and lose their results); `autolab resume`
    adopts them once there is space. The error names the file."""
    # a user's problem (a service that cannot run trials) says itself; a bug is named by its class
    manager.error = str(exc) if isinstance(exc, AutolabError) else f"{type(exc).__name__}: {exc}"
    if disk_full(exc):
        manager.error = (
            f"the disk is full ({exc}); the manager stopped, leaving {len(manager.active)} running "
            "trial(s) running: free some space, then `autolab resume` adopts them"
        )
    log.error("%s", manager.error)
    try:
        manager.store.set_meta(error=manager.error)
    except StoreError:  # e.g. the disk is full: the log has it
        pass
    if disk_full(exc):
        return True
    manager.fail()
    return False
