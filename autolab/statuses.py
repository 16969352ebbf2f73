"""The one status vocabulary: a trial's status and an experiment's, as stored (plain strings)."""

from __future__ import annotations

import enum


class _Status(str, enum.Enum):
    """A str enum whose str() is its stored value (so formatting is the same on every Python)."""

    def __str__(self) -> str:
        return str(self.value)


class TrialStatus(_Status):
    WAITING = "WAITING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EARLY_STOPPED = "EARLY_STOPPED"
    USER_CANCELED = "USER_CANCELED"
    # exited 0 but never reported a final result: visibly not a success
    NO_RESULT = "NO_RESULT"
    # ended a rung with a result and waits to be continued from its checkpoint (ASHA's promotion
    # mode); SUCCEEDED once its configuration is promoted to the next rung
    PAUSED = "PAUSED"

    @property
    def finished(self) -> bool:
        return self not in ACTIVE


# the trial statuses of a trial that has not ended (queued or running)
ACTIVE = (TrialStatus.WAITING, TrialStatus.RUNNING)
# the trial statuses whose final result stands (a paused trial's is its rung's result)
COMPLETED = (TrialStatus.SUCCEEDED, TrialStatus.PAUSED)


class ExperimentStatus(_Status):
    INITIALIZED = "INITIALIZED"  # created, no manager started yet
    STARTING = "STARTING"  # a manager is being started (create, resume)
    RUNNING = "RUNNING"
    # stop requested, running trials being cancelled: reported by the API, never stored
    STOPPING = "STOPPING"
    DONE = "DONE"  # limits reached or the tuner has no more trials; every trial ended
    STOPPED = "STOPPED"  # stopped by the user (or the manager died: see experiments.manager_alive)
    ERROR = "ERROR"


# the experiment statuses of an experiment whose manager ended (what resume starts from)
ENDED = (ExperimentStatus.DONE, ExperimentStatus.STOPPED, ExperimentStatus.ERROR)
