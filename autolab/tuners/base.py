"""The tuner contract: suggest parameters from the history alone.

A tuner is built with the search space and NNI's classArgs, and asked `suggest(history)` each time a
trial slot is free. The history holds every trial (finished and running) with its parameters and
results; a tuner keeps no state it could not rebuild from it, so resume is reopening the store.
Running trials are in the history, so parallel suggestions can avoid each other.
"""

from __future__ import annotations

import json
import os
import random
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from ..errors import AutolabError
from ..history import History, Trial
from ..searchspace import TYPES, SearchSpace, SearchSpaceError
from ..statuses import TrialStatus


class NoMoreTrials(Exception):
    """The tuner has nothing left to suggest (e.g. the grid is exhausted)."""


def ended_status(tuner: Any, trial: Trial, status: TrialStatus) -> TrialStatus:
    """A trial's status as it ends: a SUCCEEDED one the tuner will continue at its next rung
    (ASHA's promotion mode) is PAUSED. The manager and an in-process study both end trials so."""
    pauses = getattr(tuner, "pauses", None)  # a duck-typed tuner without it never pauses
    if status == TrialStatus.SUCCEEDED and pauses is not None and pauses(trial):
        return TrialStatus.PAUSED
    return status


class NotYet(Exception):  # noqa: N818 (NNI-style name, like NoMoreTrials)
    """Nothing to suggest until running trials end (e.g. Hyperband's serial mode waits for its
    bracket): the manager asks again on a later turn, and creation goes on."""


class TunerError(AutolabError, ValueError):
    """Bad classArgs or a search space the tuner cannot handle; the message names the key."""


class Tuner(ABC):
    """Base class of every tuner."""

    #: the search space _types this tuner handles; others fail at construction
    supported_types: ClassVar[frozenset[str]] = frozenset(TYPES)
    #: whether nested choice is handled
    supports_nested: ClassVar[bool] = True

    def __init__(self, space: SearchSpace, optimize_mode: str = "maximize", seed: int | None = None) -> None:
        if optimize_mode not in ("maximize", "minimize"):
            raise TunerError(f"optimize_mode must be 'maximize' or 'minimize', got {optimize_mode!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise TunerError(f"seed must be an integer >= 0, got {seed!r}")
        self.optimize_mode = optimize_mode
        self.seed = seed
        self.rng = random.Random(seed)
        self.space = space
        self.update_search_space(space)

    def update_search_space(self, space: SearchSpace) -> None:
        """Adopt a new search space (also called while the experiment runs)."""
        for dim in space.dims:
            if dim.type not in self.supported_types:
                raise TunerError(
                    f"{type(self).__name__} does not support _type {dim.type!r} (parameter '{dim.key}')"
                )
            if dim.parent is not None and not self.supports_nested:
                raise TunerError(
                    f"{type(self).__name__} does not support nested choice (parameter '{dim.key}')"
                )
        self.space = space

    @abstractmethod
    def suggest(self, history: History) -> dict[str, Any]:
        """NNI-shaped parameters for the next trial; raise NoMoreTrials when done."""

    def pauses(self, trial: Trial) -> bool:
        """Whether a trial that ended with its result waits to be continued from its checkpoint
        (it ends PAUSED, and SUCCEEDED once a trial of its configuration goes on): ASHA's
        promotion mode says so below its top rung."""
        return False

    def limit_warning(self, max_trial_number: int) -> str:
        """What the experiment's trial limit costs this tuner, said once at create ('' when
        nothing): Hyperband and BOHB say when it ends before any configuration reaches the full budget."""
        return ""

    # -- helpers for subclasses --------------------------------------------------------------
    def loss(self, value: float) -> float:
        """The value as a loss: lower is better, whatever optimize_mode says."""
        return -value if self.optimize_mode == "maximize" else value

    def flat_or_none(self, trial: Trial) -> dict[str, Any] | None:
        """The trial's flat assignment in the current space, or None if it does not fit it."""
        try:
            return self.space.to_flat(trial.parameters)
        except SearchSpaceError:
            return None

    def seen(self, history: History) -> set[str]:
        """Canonical forms of every parameter set already tried or running (to avoid repeats).

        Kept between calls and extended by the trials added since (the history only grows): built
        afresh on every suggest, it cost O(n) per trial and held a busy manager's loop. Read only.
        """
        known: tuple[History, int, set[str]] | None = getattr(self, "_seen", None)
        if known is None or known[0] is not history or known[1] > len(history.trials):
            known = (history, 0, set())
        forms = known[2]
        forms.update(canonical(t.parameters) for t in history.trials[known[1] :])
        self._seen = (history, len(history.trials), forms)
        return forms


MAX_REDRAWS = 200
MAX_ENUMERATE = 200_000


def unseen_points(space: SearchSpace, seen: set[str]) -> list[dict[str, Any]] | None:
    """Every point of a finite space not in seen; None when the space is not (reasonably) finite."""
    if space.grid_bound() > MAX_ENUMERATE:
        return None
    return [p for p in map(space.to_parameters, space.grid()) if canonical(p) not in seen]


def random_unseen(space: SearchSpace, rng: random.Random, seen: set[str]) -> dict[str, Any]:
    """A random point not in seen; NoMoreTrials when the space is finite and every point was seen."""
    params = space.sample(rng)
    for _ in range(MAX_REDRAWS):
        if canonical(params) not in seen:
            return params
        params = space.sample(rng)
    left = unseen_points(space, seen)
    if left is None:
        return params  # infinite (or huge) space: a repeat is unlikely to matter
    if not left:
        raise NoMoreTrials("every point of the search space was tried")
    return left[rng.randrange(len(left))]


def canonical(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def checkpoint_directory(owner: str, given: Any, base: str | None = None) -> str:
    """A checkpointing tuner's (PBT, ASHA) absolute all_checkpoint_dir: the classArg, else
    NNI_CHECKPOINT_DIRECTORY, else `checkpoint`; a relative one is taken from `base` (the
    experiment's directory, which create_tuner passes) or else the working directory."""
    directory = given or os.environ.get("NNI_CHECKPOINT_DIRECTORY") or "checkpoint"
    if not isinstance(directory, str):
        raise TunerError(f"{owner} classArgs.all_checkpoint_dir must be a path, got {directory!r}")
    return os.path.abspath(os.path.join(base or "", os.path.expanduser(directory)))
