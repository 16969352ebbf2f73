"""The training service contract: start trial processes, report what happened to them, kill them."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AutolabError


class ServiceError(AutolabError, RuntimeError):
    """The service cannot run trials at all (no GPU for trialGpuNumber, no sbatch...)."""


@dataclass
class Launch:
    """Everything a service needs to start one trial."""

    trial_id: str
    sequence: int
    trial_dir: Path  # parameter.json is already written there
    command: str  # the user's trialCommand, run through the shell as written
    code_dir: Path
    env: dict[str, str] = field(default_factory=dict)  # protocol variables to add
    gpu_number: int = 0
    max_duration: float | None = None  # seconds; None = no limit


class EventKind(str, enum.Enum):
    STARTED = "STARTED"  # left the queue and runs (WAITING -> RUNNING)
    EXITED = "EXITED"  # ended; exit_code set (None when unknown), message says why
    LOST = "LOST"  # cannot be found and left no exit status (resume re-runs it)
    QUEUED = "QUEUED"  # still waiting in a scheduler's queue; message says why (Slurm's reason)
    NOTE = "NOTE"  # a running trial's situation changed (its machine stopped answering...): message says it


@dataclass
class Event:
    trial_id: str
    kind: EventKind
    exit_code: int | None = None
    message: str = ""
    killed: bool = False  # ended because kill() was called
    timed_out: bool = False  # ended because max_duration passed
    handle: dict[str, Any] = field(default_factory=dict)  # STARTED: what handle() returns, if known
    time: float | None = None  # when it happened (epoch seconds) if the service knows; None: now


class TrainingService(ABC):
    """Base class of the local and cluster services.

    The manager calls start() only when free_slots() > 0, poll() every loop turn, kill() to stop a
    trial (early stop, user cancel). handle() returns what to store to find a trial again after a
    manager restart; adopt() takes such a trial back.
    """

    @abstractmethod
    def free_slots(self) -> int:
        """How many more trials may start now."""

    @abstractmethod
    def start(self, launch: Launch) -> None: ...

    @abstractmethod
    def poll(self) -> list[Event]:
        """What happened since the last call."""

    @abstractmethod
    def kill(self, trial_id: str) -> None:
        """Stop a trial (its whole process group / job); its EXITED event follows with killed=True."""

    @abstractmethod
    def handle(self, trial_id: str) -> dict[str, Any]:
        """JSON-serialisable data (pid, job id...) to find the trial again after a restart."""

    @abstractmethod
    def adopt(self, launch: Launch, handle: dict[str, Any]) -> bool:
        """Take back a trial started by an earlier manager; False if it cannot be found alive."""

    def started_at(self, trial_dir: Path) -> float | None:
        """When the trial's process began (epoch seconds), as this service's own files in its
        directory say; None when they say nothing (resume then reads the wrapper's pid file)."""
        return None

    concurrency: int = 1

    def set_concurrency(self, concurrency: int) -> None:
        """Change how many trials may run at once (trials already running go on)."""
        self.concurrency = concurrency

    def notes(self) -> list[str]:
        """Short lines on the service's health for the user (machines unreachable, set aside...):
        the manager keeps them in the store's meta, where status, the REST API and --foreground
        show them. None by default."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release resources; running trials are left alone (they keep running)."""
