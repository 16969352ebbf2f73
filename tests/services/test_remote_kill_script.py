"""The KILL script that runs on a machine: a trial's process group is signalled, unless its pid file
predates the machine's last boot (an owed kill carried out after a reboot must not hit whatever
process group has that number now)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psutil

from autolab.services.remote_scripts import KILL


def group_leader(trial_dir: Path) -> subprocess.Popen[bytes]:
    trial_dir.mkdir(parents=True)
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    (trial_dir / "trial.pid").write_text(str(proc.pid))
    return proc


def test_kill_spares_a_pid_recorded_before_the_last_boot(tmp_path: Path) -> None:
    boot = psutil.boot_time()
    old, new = group_leader(tmp_path / "trials" / "old"), group_leader(tmp_path / "trials" / "new")
    try:
        os.utime(tmp_path / "trials" / "old" / "trial.pid", (boot - 3600, boot - 3600))
        subprocess.run(
            ["sh", "-c", KILL, "kill", str(tmp_path), "KILL", "0", "old", "new"], check=True, timeout=30
        )
        assert new.wait(timeout=30) == -9
        # "old" came first in the script's loop: had it been signalled, it would have died first
        assert old.poll() is None
    finally:
        for proc in (old, new):
            proc.kill()
            proc.wait()
