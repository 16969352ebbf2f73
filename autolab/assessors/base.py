"""The assessor contract: decide from the history whether a running trial should stop early."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from ..errors import AutolabError
from ..history import History, Trial


class AssessorError(AutolabError, ValueError):
    """Bad classArgs; the message names the key."""


class Assessor(ABC):
    """Base class of every assessor.

    should_stop is called each time a running trial reports a new intermediate result; trial holds
    its results so far, history every trial of the experiment. An exception raised here is logged by
    the manager and the trial goes on.
    """

    #: True when should_stop may take long (curve fitting): the manager then calls it off its loop
    slow: ClassVar[bool] = False

    def __init__(self, optimize_mode: str = "maximize") -> None:
        if optimize_mode not in ("maximize", "minimize"):
            raise AssessorError(f"optimize_mode must be 'maximize' or 'minimize', got {optimize_mode!r}")
        self.optimize_mode = optimize_mode

    @abstractmethod
    def should_stop(self, trial: Trial, history: History) -> bool:
        """True to stop the trial now (it ends EARLY_STOPPED)."""

    def trial_ended(self, trial_id: str) -> None:  # noqa: B027 (optional hook, nothing by default)
        """The trial has ended: an assessor that keeps a cache about it may drop it. Anything kept
        must be derivable from the history alone (resume builds a fresh assessor)."""
