"""wait_started: when the CLI takes a detached manager for started. Real child processes stand in
for the manager (its pid file names them); the store's meta is written as the manager writes it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from autolab import protocol
from autolab.experiments import MANAGER_PID_FILE
from autolab.launcher import wait_started
from autolab.statuses import ExperimentStatus
from autolab.store import Store


@pytest.fixture
def proc() -> Iterator[subprocess.Popen[bytes]]:
    """A live process standing in for the manager; killed at the end."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield child
    child.kill()
    child.wait()


def experiment(tmp_path: Path, **meta: object) -> Path:
    with Store(tmp_path, create=True) as store:
        store.set_meta(**meta)
    return tmp_path


def write_pid(directory: Path, pid: int) -> None:
    protocol.write_pid_file(directory / MANAGER_PID_FILE, pid, psutil.Process(pid).create_time())


def test_a_manager_that_ended_its_experiment_before_the_first_look_has_started(
    tmp_path: Path, proc: subprocess.Popen[bytes]
) -> None:
    # a resumed experiment with nothing left to run: RUNNING for one loop turn, then DONE, serving
    directory = experiment(tmp_path, status=ExperimentStatus.DONE, url="http://127.0.0.1:5")
    write_pid(directory, proc.pid)
    assert wait_started(directory, proc, timeout=5) is None


def test_a_running_manager_with_its_url_has_started(tmp_path: Path, proc: subprocess.Popen[bytes]) -> None:
    directory = experiment(tmp_path, status=ExperimentStatus.RUNNING, url="http://127.0.0.1:5")
    write_pid(directory, proc.pid)
    assert wait_started(directory, proc, timeout=5) is None


def test_the_last_runs_url_is_not_taken_for_this_one(tmp_path: Path, proc: subprocess.Popen[bytes]) -> None:
    # this manager has not written its pid file yet; the url and pid file are the last run's
    directory = experiment(tmp_path, status=ExperimentStatus.STARTING, url="http://127.0.0.1:5")
    write_pid(directory, psutil.Process().pid)
    problem = wait_started(directory, proc, timeout=0.3)
    assert problem is not None and "did not start within 0.3 s" in problem


def test_a_manager_that_has_not_served_yet_has_not_started(
    tmp_path: Path, proc: subprocess.Popen[bytes]
) -> None:
    directory = experiment(tmp_path, status=ExperimentStatus.RUNNING, url=None)
    write_pid(directory, proc.pid)
    problem = wait_started(directory, proc, timeout=0.3)
    assert problem is not None and "did not start within 0.3 s" in problem


def test_an_error_the_manager_recorded_is_the_reason(tmp_path: Path, proc: subprocess.Popen[bytes]) -> None:
    directory = experiment(tmp_path, status=ExperimentStatus.ERROR, error="TunerError: no such tuner")
    assert wait_started(directory, proc, timeout=5) == "TunerError: no such tuner"


def test_a_manager_that_exited_is_noticed_at_once(tmp_path: Path) -> None:
    directory = experiment(tmp_path, status=ExperimentStatus.STARTING)
    (directory / "manager.out").write_text("Traceback ...\nImportError: no module\n")
    gone = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    gone.wait()
    problem = wait_started(directory, gone, timeout=30)
    assert problem is not None and problem.startswith("the manager exited at start (exit code 3)")
    assert "ImportError: no module" in problem
