"""Where experiments live: ids, directories, and the registry of every experiment created.

The registry (autolab.store.registry) is in AUTOLAB_HOME (default ~/autolab-experiments). Each
experiment's own state is in its directory's store; the registry only maps ids to directories.
"""

from __future__ import annotations

import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from .errors import AutolabError
from .protocol import process_alive, read_pid_file
from .store import DB_FILE, Store, StoreError, registry

ID_ALPHABET = string.ascii_lowercase + string.digits
MANAGER_PID_FILE = "manager.pid"  # written by the launcher: the one record of the running manager


class ExperimentNotFound(AutolabError, LookupError):
    """No experiment matches the id given (or none exists at all)."""


def home() -> Path:
    return Path(os.environ.get("AUTOLAB_HOME", "~/autolab-experiments")).expanduser()


def new_id(length: int = 8) -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


# No vowels (nor y), no digits read as vowels (0 1 3 4): an id cannot spell a word. Lower case only,
# so two ids never name the same folder on a case-insensitive file system. 26**5 = 11.9 million
# ids; the callers draw again on a collision.
TRIAL_ID_ALPHABET = "bcdfghjklmnpqrstvwxz256789"


def new_trial_id() -> str:
    return "".join(secrets.choice(TRIAL_ID_ALPHABET) for _ in range(5))


@dataclass
class ExperimentRef:
    id: str
    name: str
    directory: Path
    created: float


def register(exp_id: str, name: str, directory: Path) -> None:
    registry.add(home(), exp_id, name, directory)


def unregister(exp_id: str) -> None:
    registry.remove(home(), exp_id)


def all_experiments() -> list[ExperimentRef]:
    """Every registered experiment whose directory still holds a store, oldest first."""
    return [ExperimentRef(*entry) for entry in registry.entries(home()) if (entry[2] / DB_FILE).exists()]


def find(exp_id: str | None) -> ExperimentRef:
    """The experiment with this id (a unique prefix is enough), or the latest one when id is None."""
    experiments = all_experiments()
    if not experiments:
        raise ExperimentNotFound("no experiment found (create one with: autolab create --config config.yml)")
    if exp_id is None:
        running = [e for e in experiments if manager_alive(e.directory)]
        return (running or experiments)[-1]
    matches = [e for e in experiments if e.id == exp_id] or [
        e for e in experiments if e.id.startswith(exp_id)
    ]
    if len(matches) != 1:
        known = ", ".join(e.id for e in experiments[-10:])
        why = "is ambiguous" if matches else "not found"
        raise ExperimentNotFound(f"experiment {exp_id!r} {why} (known: {known})")
    return matches[0]


def open_store(ref: ExperimentRef, readonly: bool = True) -> Store:
    """The experiment's store (`with open_store(ref) as store:`); ExperimentNotFound when unreadable."""
    try:
        return Store(ref.directory, readonly=readonly)
    except StoreError as exc:
        raise ExperimentNotFound(str(exc)) from None


def manager_pid(directory: Path) -> int | None:
    """The pid of the manager running this experiment, or None when none runs. MANAGER_PID_FILE is
    the one record of it (the store keeps no pid): pid and create time, removed when it exits."""
    recorded = read_pid_file(directory / MANAGER_PID_FILE)
    if recorded is None or not recorded[1] or not process_alive(*recorded):
        return None
    return recorded[0]


def manager_alive(directory: Path) -> bool:
    return manager_pid(directory) is not None
