"""A trial's whole process tree, including what escaped its process group (setsid, double fork).

How it is tracked: the manager makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER,
Linux >= 3.4, no privilege needed), so a process whose parent ends re-parents to the manager
instead of init, where it can be found, ended and reaped. Every trial runs with
AUTOLAB_TRIAL_DIR in its environment, which its descendants inherit; that is how a process that
re-parented to the manager (a "stray") is tied to its trial. A cgroup v2 would be the firmer fence
but needs root or a systemd delegation that a user's shell usually lacks (and this development
machine has a hybrid v1/v2 layout); the subreaper works for any user on Linux. Where prctl is not
available (macOS), or for a trial adopted from an earlier manager (its strays went to init), the
fallback scans every process of the machine for the trial's marker when the trial ends.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import psutil

from .. import protocol

PR_SET_CHILD_SUBREAPER = 36  # from <linux/prctl.h>
MARK = protocol.ENV_TRIAL_DIR


def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans; False where the OS cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def descendants(pid: int) -> list[psutil.Process]:
    """pid's processes below it (a full process scan: called on kill, not on every loop turn)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def signal_all(procs: Iterable[psutil.Process], sig: int) -> None:
    """Signal each process that is still the one recorded (psutil checks the pid was not reused)."""
    for proc in procs:
        try:
            proc.send_signal(sig)
        except psutil.Error:
            pass


def _child_pids() -> Iterator[int]:
    """This process's direct children, cheaply (a few small files, not a scan of every process)."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        yield from (p.pid for p in psutil.Process().children())
        return
    for tid in tasks:
        try:
            text = Path(f"/proc/self/task/{tid}/children").read_text()
        except OSError:  # a thread that just ended, or a kernel without CONFIG_PROC_CHILDREN
            continue
        yield from (int(pid) for pid in text.split())


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, process group) of pid, from /proc/<pid>/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()  # the name in parentheses may hold spaces
    return fields[0], int(fields[2])


def _mark(proc: psutil.Process) -> str | None:
    try:
        return proc.environ().get(MARK)
    except (psutil.Error, OSError):
        return None


def strays(skip: set[int], running_dirs: set[str]) -> list[tuple[str | None, psutil.Process]]:
    """Processes that re-parented to this (subreaper) process and whose trial is not running,
    with their trial directory (None when their environment cannot tell), zombies reaped on the way.

    `skip` holds the pids of the trial wrappers this process started (their Popen reaps them).
    The manager's own short commands (nvidia-smi) run in its process group and are left alone;
    trial processes never are in it (each trial starts a new session).
    """
    own_group = os.getpgid(0)
    found: list[tuple[str | None, psutil.Process]] = []
    for pid in _child_pids():
        stat = None if pid in skip else _stat(pid)
        if stat is None or stat[1] == own_group:
            continue
        if stat[0] == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            continue
        try:
            proc = psutil.Process(pid)
        except psutil.Error:
            continue
        # the command line is read before the environment: a wrapper that finishes its exec
        # between the two reads showed the launcher's (unmarked) environment and then its own
        # command line, and was ended as a stray (about once in 800 starts at concurrency 128)
        unexeced = _unexeced(proc)
        mark = _mark(proc)
        if mark not in running_dirs and not (mark is None and unexeced):
            found.append((mark, proc))
    return found


def _unexeced(proc: psutil.Process) -> bool:
    """Whether proc is a wrapper the launcher thread is starting: between fork and exec it is a copy
    of this process (its environment has no marker yet), and in the middle of exec its command
    line and environment read empty for an instant (it was once taken for a stray and killed)."""
    try:
        command = proc.cmdline()
        return not command or command == psutil.Process().cmdline()
    except psutil.Error:
        return True  # it changed meanwhile: the next sweep looks again


def marked(trial_dirs: set[str]) -> list[psutil.Process]:
    """Every process of the machine that carries one of these trials' marker (the slow fallback)."""
    me = os.getpid()
    found = []
    for proc in psutil.process_iter():
        if proc.pid != me and _mark(proc) in trial_dirs:
            found.append(proc)
    return found
