"""Waiting on a condition with a deadline, and trials that run until the test lets them go.

A loaded machine then only makes a test slower, never wrong: nothing hopes a fixed sleep was long
enough for a trial to start, or short enough for it to still be running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

READY = "ready"  # the trial writes its pid here once it runs (and its signal handlers are set)
RELEASE = "release"  # the test writes this to let a held trial end


def wait_until(predicate: Callable[[], T], timeout: float = 30, what: str = "the condition") -> T:
    """The predicate's first true value; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)  # the polling interval
    return result


def held(trial_dir: Path, setup: str = "") -> str:
    """Python code (no single quote) for a trial that runs `setup`, says it is ready, then runs until released.

    It gives up after two minutes, so a failed test leaves no trial behind for long.
    """
    return f"""
import os, pathlib, time
{setup}
folder = pathlib.Path("{trial_dir}")
(folder / "{READY}.tmp").write_text(str(os.getpid()))
(folder / "{READY}.tmp").replace(folder / "{READY}")
end = time.time() + 120
while not (folder / "{RELEASE}").exists() and time.time() < end:
    time.sleep(0.02)
"""


def wait_ready(trial_dir: Path, timeout: float = 60) -> int:
    """The pid of a held trial once it runs."""
    ready = trial_dir / READY
    wait_until(ready.exists, timeout, f"{ready}")
    return int(ready.read_text())


def release(trial_dir: Path) -> None:
    (trial_dir / RELEASE).write_text("go")
