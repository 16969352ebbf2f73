"""A real single-node Slurm for the cluster tests: used when `sinfo` answers, else started with
.ci/slurm-setup.sh (root, Debian); the tests skip with the reason when neither works."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SETUP = REPO / ".ci" / "slurm-setup.sh"


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


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    """Skip unless a Slurm cluster is up (starting the single-node one when this machine can)."""
    if slurm_answers():
        return
    if not SETUP.exists():
        pytest.skip(f"Slurm does not answer (sinfo) and {SETUP} is missing")
    try:
        result = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip(f"Slurm does not answer and {SETUP.name} did not finish within 600 s")
    except OSError as exc:
        pytest.skip(f"Slurm does not answer and {SETUP.name} cannot run: {exc}")
    if result.returncode != 0 or not slurm_answers():
        lines = (result.stderr or result.stdout).strip().splitlines()
        pytest.skip(f"Slurm could not be started: {lines[-1] if lines else f'exit code {result.returncode}'}")
