"""Where experiments live: ids, directories, and the registry of every experiment created.

The registry (autolab.store.registry) is in AUTOLAB_HOME (default ~/autolab-experiments). Each
experiment's own state is in its directory's store; the registry only maps ids to directories.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import AutolabError
from .protocol import process_alive, read_pid_file
from .store import DB_FILE, Store, StoreError, registry

ID_ALPHABET = string.ascii_lowercase + string.digits
MANAGER_PID_FILE = "manager.pid"  # written by the launcher: the one record of the running manager
LOCK_FILE = "manager.lock"  # flock'ed by whoever runs or serves the experiment; says who and pid


class ExperimentNotFound(AutolabError, LookupError):
    """No experiment matches the id given (or none exists at all)."""


class ExperimentBusy(AutolabError):
    """Another process (a manager, `autolab view`, a starting `resume`) holds the experiment's lock."""


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
    """The experiment with this id (a unique prefix is enough), or the latest one when id is None.
    A path to an experiment's directory works too (one copied from another machine, as NNI's
    `nnictl view --experiment_dir`), registered or not."""
    if exp_id is not None and (os.sep in exp_id or exp_id in (".", "..")):
        return from_directory(Path(exp_id))
    experiments = all_experiments()
    if exp_id is None:
        if not experiments:
            raise ExperimentNotFound(
                "no experiment found (create one with: autolab create --config config.yml)"
            )
        running = [e for e in experiments if manager_alive(e.directory)]
        return (running or experiments)[-1]
    matches = (
        [e for e in experiments if e.id == exp_id]
        or [e for e in experiments if e.id.startswith(exp_id)]
        or [e for e in experiments if e.name == exp_id]  # a study's (or experiment's) name, when unique
    )
    if len(matches) == 1:
        return matches[0]
    if not matches and _is_file(Path(exp_id) / DB_FILE):  # a folder in the working directory
        return from_directory(Path(exp_id))
    if not experiments:
        raise ExperimentNotFound(
            f"experiment {exp_id!r} not found: {home()} has no experiment (AUTOLAB_HOME; an experiment's "
            "directory can be given as a path)"
        )
    known = ", ".join(e.id for e in experiments[-10:])
    why = "is ambiguous" if matches else "not found"
    raise ExperimentNotFound(f"experiment {exp_id!r} {why} (known: {known})")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long to be a path here: no such experiment
        return False


def from_directory(directory: Path) -> ExperimentRef:
    """The experiment whose directory this is (its id and name read from its store)."""
    if not _is_file(directory / DB_FILE):
        raise ExperimentNotFound(f"{directory}: not an experiment's directory (it has no {DB_FILE})")
    try:
        with Store(directory, readonly=True) as store:
            meta = store.meta()
    except StoreError as exc:
        raise ExperimentNotFound(str(exc)) from None
    exp_id = meta.get("id") or directory.name
    return ExperimentRef(
        str(exp_id), str(meta.get("name") or ""), directory.resolve(), float(meta.get("created") or 0)
    )


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


def lock(directory: Path, exp_id: str, holder: str) -> int:
    """Take the experiment's lock: one manager (or read-only view, or settling `stop`) per
    experiment. An flock, so the OS releases it when its holder dies, however it dies. Returns the
    lock's file descriptor: held while any process keeps it open (a manager started in the
    background inherits it). ExperimentBusy, naming the holder and its pid, when it is taken."""
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held_by = _holder(fd)
        os.close(fd)
        raise ExperimentBusy(f"experiment {exp_id} is in use by {held_by}") from None
    except BaseException:
        os.close(fd)
        raise
    mark_lock(fd, holder)
    return fd


def mark_lock(fd: int, holder: str) -> None:
    """Say in the lock file who holds it now (e.g. the manager a `resume` handed it to). Written
    before the old text is cut, so a reader never finds the file empty."""
    text = f"{holder} (pid {os.getpid()})\n".encode()
    os.pwrite(fd, text, 0)
    os.ftruncate(fd, len(text))


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it; a holder that has just taken it writes its name
    a moment later, so an empty file is read again for up to a second."""
    deadline = time.monotonic() + 1.0
    while True:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if text or time.monotonic() > deadline:
            return text or "another process"
        time.sleep(0.01)


@contextmanager
def held(directory: Path, exp_id: str, holder: str) -> Iterator[int | None]:
    """`with held(...) as fd:` the experiment's lock (see lock()), for a reader (`view`): a directory
    where no lock file can be made (another user's, a read-only mount) cannot be written by a
    manager started from here either, so there is nothing to guard and no lock is taken (None)."""
    try:
        fd: int | None = lock(directory, exp_id, holder)
    except OSError:
        fd = None
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


VIEW_HOLDER = "autolab view at "


def view_url(directory: Path) -> str | None:
    """The address of a read-only `autolab view` serving the experiment now, from what it wrote in
    the lock file (VIEW_HOLDER + its URL); None when no view holds it. Read without taking the lock:
    a manager starting this moment must not find it taken."""
    try:
        text = (directory / LOCK_FILE).read_text(errors="replace").strip()
    except OSError:
        return None
    match = re.fullmatch(re.escape(VIEW_HOLDER) + r"(\S+) \(pid (\d+)\)", text)
    if match is None or not process_alive(int(match.group(2)), 0.0):
        return None
    return match.group(1)
