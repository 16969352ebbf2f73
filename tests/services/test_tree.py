"""A trial's whole process tree ends with it: children that setsid, double-fork or outlive the trial.

Each trial below starts a `sleep 300` that escapes in its own way and writes the sleep's pid to
`child` in its trial directory; the test then ends the trial one way or another and asserts, by
that pid, that the process is gone and reaped (no zombie left either). Whatever happens, the
`finally` kills every process a test started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from autolab.services import tree
from autolab.services.base import EventKind, Launch
from autolab.services.local import LocalService
from autolab.statuses import TrialStatus
from tests.helpers_experiment import make_experiment, run_manager

from .waiting import wait_until

# how the sleeping child escapes the trial's process group or outlives it
SPAWN = {
    # a child in a new session: killpg of the trial's group misses it
    "setsid": 'child = subprocess.Popen(["setsid", "sleep", "300"]).pid',
    # a plain background child, still in the trial's group, that outlives the trial
    "background": 'child = subprocess.Popen(["sleep", "300"]).pid',
}

# the daemon's double fork: a grandchild in a new session whose parent is gone at once; it writes
# its pid itself (nothing hands it back)
DOUBLE_FORK = """
first = os.fork()
if first == 0:
    os.setsid()
    if os.fork() == 0:
        write_pid(os.getpid())
        os.execvp("sleep", ["sleep", "300"])
    os._exit(0)
os.waitpid(first, 0)
while not (folder / "child").exists():  # the grandchild writes it on its own time
    time.sleep(0.01)
"""

TRIAL = """
import os, pathlib, subprocess, sys, time
folder = pathlib.Path(os.environ["AUTOLAB_TRIAL_DIR"])

def write_pid(pid):
    (folder / "child.tmp").write_text(str(pid))
    (folder / "child.tmp").replace(folder / "child")

{spawn}
(folder / "spawned").write_text("yes")
if {stay}:
    time.sleep(300)
"""


def trial_code(kind: str, stay: bool) -> str:
    spawn = DOUBLE_FORK if kind == "double_fork" else SPAWN[kind] + "\nwrite_pid(child)"
    return TRIAL.format(spawn=spawn, stay=stay)


def child_pids(root: Path) -> list[int]:
    return [int(f.read_text()) for f in root.rglob("child") if f.read_text().strip()]


def gone(pid: int) -> bool:
    """Not running and not a zombie either (reaped)."""
    return not psutil.pid_exists(pid)


@pytest.fixture
def cleanup(tmp_path: Path) -> Iterator[list[int]]:
    """Pids (process groups) to kill at the end, plus every escaped child recorded under tmp_path."""
    groups: list[int] = []
    try:
        yield groups
    finally:
        for pid in child_pids(tmp_path):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pgid in (pgid for pgid in groups if pgid > 0):  # killpg(0) is pytest's own group
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass


KINDS = ["setsid", "double_fork", "background"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("end", ["kill", "timeout", "exit"])
def test_the_service_ends_every_descendant(tmp_path: Path, kind: str, end: str, cleanup: list[int]) -> None:
    service = LocalService(concurrency=1, kill_grace=0.5)
    trial_dir = tmp_path / "t"
    trial_dir.mkdir()
    (trial_dir / "trial.py").write_text(trial_code(kind, stay=end != "exit"))
    command = f"{sys.executable} {trial_dir / 'trial.py'}"
    env = {"AUTOLAB_TRIAL_DIR": str(trial_dir)}
    limit = 60.0 if end == "timeout" else None
    try:
        service.start(Launch("t", 0, trial_dir, command, tmp_path, env, max_duration=limit))
        wait_until(lambda: [e for e in service.poll() if e.kind == EventKind.STARTED], 30, "start")
        cleanup.append(int(service.handle("t")["pid"]))
        wait_until((trial_dir / "spawned").exists, 30, "the trial to spawn its child")
        (child,) = child_pids(trial_dir)
        assert psutil.pid_exists(child)
        if end == "kill":
            service.kill("t")
        elif end == "timeout":
            service.running["t"].launch.max_duration = 0.0
        ended = wait_until(
            lambda: [e for e in service.poll() if e.kind == EventKind.EXITED], 30, "the trial to end"
        )
        assert ended[0].killed == (end == "kill") and ended[0].timed_out == (end == "timeout")

        def child_gone() -> bool:
            service.poll()  # the manager's loop turns on: strays are ended and reaped there
            return gone(child)

        wait_until(child_gone, 30, f"the {kind} child {child} to be ended and reaped")
    finally:
        service.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("end", ["stop", "early_stop", "timeout", "exit"])
def test_the_manager_ends_every_descendant(tmp_path: Path, kind: str, end: str, cleanup: list[int]) -> None:
    overrides: dict[str, object] = {"maxTrialNumber": 1, "trialConcurrency": 1}
    if end == "timeout":
        overrides["maxTrialDuration"] = "3s"
    directory = make_experiment(tmp_path, trial_code(kind, stay=end != "exit"), **overrides)
    spawned = False

    def end_it(manager):  # type: ignore[no-untyped-def]
        nonlocal spawned
        if spawned or not any((tmp_path / "exp" / "trials").rglob("spawned")):
            return
        if not all(manager.service.handle(t).get("pid") for t in manager.active):
            return  # its STARTED event (and pid) comes on a later turn
        spawned = True
        for trial in manager.active.values():
            cleanup.append(int(manager.service.handle(trial.trial_id).get("pid", 0)))
        if end == "stop":
            manager.request_stop()
        elif end == "early_stop":
            for trial_id in list(manager.active):
                manager.kill_trial(trial_id, TrialStatus.EARLY_STOPPED)

    run_manager(directory, timeout=60, on_step=end_it)
    (child,) = child_pids(tmp_path / "exp")
    # run_manager closed the manager: nothing of the trial may be left, not even a zombie
    wait_until(lambda: gone(child), 10, f"the {kind} child {child} to be ended and reaped")


def test_a_process_caught_in_the_middle_of_exec_is_not_a_stray(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a wrapper execs, its command line and environment read empty: without its marker it
    looked like a stray of an ended trial and got SIGTERM (seen once in bench/manager_load.py)."""
    child = subprocess.Popen(["sleep", "30"])
    try:
        proc = psutil.Process(child.pid)
        # Popen returns once exec has begun, not ended: wait until its command line is sleep's
        wait_until(lambda: proc.cmdline() == ["sleep", "30"], 30, "sleep's exec to end")
        assert not tree._unexeced(proc)  # an exec'd process without a marker is a stray
        monkeypatch.setattr(proc, "cmdline", lambda: [])  # as it reads in the middle of exec
        assert tree._unexeced(proc)
    finally:
        child.kill()
        child.wait()


class _Execing:
    """A process the first read of which sees it before exec (the launcher's copy: its command
    line, no marker) and every later read after (the wrapper: its own command line, its marker)."""

    def __init__(self, mark: str) -> None:
        self.pid = 4242
        self.mark = mark
        self.execed = False

    def _read(self) -> bool:
        before, self.execed = self.execed, True
        return before

    def cmdline(self) -> list[str]:
        return ["/bin/sh", "-c", "wrapper"] if self._read() else psutil.Process().cmdline()

    def environ(self) -> dict[str, str]:
        return {tree.MARK: self.mark} if self._read() else {}


def test_a_wrapper_that_ends_its_exec_between_two_reads_is_not_a_stray(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in bench/manager_load.py at concurrency 128: a starting trial SIGTERMed as a stray."""
    proc = _Execing("/exp/trials/abcde")
    real = psutil.Process
    monkeypatch.setattr(tree, "_child_pids", lambda: iter([proc.pid]))
    monkeypatch.setattr(tree, "_stat", lambda pid: ("S", pid))  # its own session, not a zombie
    monkeypatch.setattr(tree.psutil, "Process", lambda *pid: proc if pid else real())
    assert tree.strays(set(), {"/exp/trials/abcde"}) == []
