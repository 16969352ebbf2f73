"""Safety net for end-to-end tests: no manager a test started outlives it, even when it fails."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def stop_left_managers(tmp_path: Path) -> Iterator[None]:
    yield
    from autolab.experiments import manager_pid

    # manager_pid checks the process start time too: never a recycled pid
    pids = [pid for f in tmp_path.rglob("manager.pid") if (pid := manager_pid(f.parent)) is not None]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.time() + 10
    for pid in pids:
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
