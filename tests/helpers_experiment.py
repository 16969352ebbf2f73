"""Build experiments for tests: a directory with a store and a normalized config, and a driver."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from autolab.config import config_from_dict
from autolab.launcher import build_manager
from autolab.manager import Manager
from autolab.store import Store, TrialRow

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "k": {"_type": "choice", "_value": [1, 2, 3]}}


def write_trial(code_dir: Path, body: str, name: str = "trial.py") -> str:
    """Write a trial script (body runs after `import autolab`, params in `p`); returns its command."""
    code_dir.mkdir(parents=True, exist_ok=True)
    script = "import autolab, os, sys, time\np = autolab.get_next_parameter()\n" + textwrap.dedent(body)
    (code_dir / name).write_text(script)
    return f"{sys.executable} {name}"


def make_experiment(tmp_path: Path, trial_body: str, **overrides: Any) -> Path:
    code = tmp_path / "code"
    raw: dict[str, Any] = {
        "searchSpace": SPACE,
        "trialCommand": write_trial(code, trial_body),
        "trialCodeDirectory": str(code),
        "trialConcurrency": 2,
        "maxTrialNumber": 4,
        "tuner": {"name": "Random", "classArgs": {"seed": 1}},
        "trainingService": {"platform": "local"},
    }
    raw.update(overrides)
    config = config_from_dict(raw, tmp_path / "config.yml")
    directory = tmp_path / "exp"
    (directory / "trials").mkdir(parents=True)
    store = Store(directory, create=True)
    store.set_meta(
        id="testexp1",
        name="t",
        config=config.to_dict(),
        status="INITIALIZED",
        created=time.time(),
        elapsed=0.0,
    )
    store.close()
    return directory


def trial_rows(directory: Path) -> list[TrialRow]:
    """The experiment's trial rows, read through a read-only store."""
    with Store(directory, readonly=True) as store:
        return store.trial_rows()


def run_manager(directory: Path, timeout: float = 60.0, on_step: Any = None) -> Manager:
    manager = build_manager(directory)
    manager.start()
    deadline = time.time() + timeout
    while not manager.finished:
        if time.time() > deadline:
            manager.request_stop()
            raise AssertionError("experiment did not finish in time")
        manager.step()
        if on_step is not None:
            on_step(manager)
        time.sleep(0.01)
    manager.close()
    return manager


def stop_manager(manager: Manager, timeout: float = 30.0) -> None:
    """Ask a stepped manager to stop (unless it has ended), step it until it has, and close it."""
    if not manager.finished:
        manager.request_stop()
    deadline = time.time() + timeout
    while not manager.finished and time.time() < deadline:
        manager.step()
        time.sleep(0.01)
    manager.close()
