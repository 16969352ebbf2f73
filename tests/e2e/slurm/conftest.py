"""A real Slurm for the cluster tests: they run when `sinfo` answers with a node that can take jobs,
and skip saying why otherwise. A plain `pytest` never starts one: .ci/slurm-setup.sh installs and
starts system daemons as root, so only .ci/run calls it (before the test command)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

SKIP_REASON = (
    "no Slurm cluster answers (sinfo); the cluster tests need one: .ci/run starts a single-node "
    "Slurm with .ci/slurm-setup.sh (as root) before running the tests"
)


def slurm_answers() -> bool:
    """Whether sinfo answers and shows a node that can run jobs."""
    if shutil.which("sinfo") is None:
        return False
    try:
        result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    states = result.stdout.split()
    return result.returncode == 0 and any(
        s.rstrip("*~#").startswith(("idle", "mix", "alloc")) for s in states
    )


def require_slurm() -> None:
    """Return when a cluster answers; skip (saying why) when none does. Never starts one."""
    if not slurm_answers():
        pytest.skip(SKIP_REASON)


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    require_slurm()
