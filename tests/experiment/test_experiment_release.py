"""What the Python API starts in the caller's process ends with it: the web UI's port is released
when a blocking run() returns, so that the next run can take it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from autolab.experiment import Experiment

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "model.py").write_text(
        "import nni\np = nni.get_next_parameter()\nnni.report_final_result(p['x'])\n"
    )
    return folder


def configured(code: Path) -> Experiment:
    experiment = Experiment("local")
    experiment.config.trial_command = f"{sys.executable} model.py"
    experiment.config.trial_code_directory = code
    experiment.config.search_space = SPACE
    experiment.config.max_trial_number = 1
    return experiment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_blocking_run_releases_its_port(code: Path, autolab_home: Path) -> None:
    port = free_port()
    first = configured(code)
    try:
        assert first.run(port) is True
        assert not listening(port)  # nothing answers there any more, and nothing holds it
        first.stop()
        second = configured(code)
        assert second.run(port) is True  # the same port again, in the same process
        assert not listening(port)
    finally:
        first.stop()


VIEW_SCRIPT = """\
from autolab.experiment import Experiment
viewed = Experiment.view({id!r}, port={port}, non_blocking=True)
print("VIEWER", viewed._viewer.pid, flush=True)
raise RuntimeError("the user's script fails after view()")
"""


def test_a_non_blocking_view_ends_with_the_python_process(
    code: Path, autolab_home: Path, subprocess_env: dict[str, str]
) -> None:
    experiment = configured(code)
    assert experiment.run(0) is True
    port = free_port()
    env = {**subprocess_env, "AUTOLAB_HOME": str(autolab_home)}
    script = VIEW_SCRIPT.format(id=experiment.id, port=port)
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    pids = [int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("VIEWER ")]
    try:
        assert proc.returncode == 1 and "RuntimeError" in proc.stderr and len(pids) == 1
        assert not alive(pids[0]) and not listening(port)
    finally:
        for pid in pids:  # the view server, should it have outlived its Python
            if alive(pid) and "autolab.cli" in " ".join(psutil.Process(pid).cmdline()):
                psutil.Process(pid).kill()


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
