"""Stop a trial that a dead manager left running, from its stored handle (local pid or Slurm job)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from typing import Any

from ..protocol import process_alive


def kill_orphan(handle: dict[str, Any], grace: float = 5.0) -> bool:
    """SIGTERM a local trial's process group (if the pid is still that process), then SIGKILL what
    is left after `grace` seconds; or scancel its Slurm job. True when something was signalled."""
    job_id = handle.get("job_id")
    if job_id:
        scancel = shutil.which("scancel")
        if scancel is None:
            return False
        return subprocess.run([scancel, str(job_id)], capture_output=True, timeout=30).returncode == 0
    pid = int(handle.get("pid") or 0)
    create_time = float(handle.get("create_time") or 0.0)
    if not pid or not create_time or not process_alive(pid, create_time):
        return False  # without both, the pid may be another program's now
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.time() + grace
    while time.time() < deadline:
        try:
            os.killpg(pid, 0)
        except (ProcessLookupError, PermissionError):
            return True
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return True
