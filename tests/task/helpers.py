"""Task experiments for tests: a config from a task section, an experiment directory, a run in-process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from autolab.config import config_from_dict
from autolab.manager import Manager
from autolab.store import Store
from tests.helpers_experiment import run_manager


def make_task_experiment(tmp_path: Path, task: dict[str, Any], **top: Any) -> Path:
    """An experiment directory for {"task": task, **top}, as `autolab create` prepares it."""
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    config = config_from_dict({"task": task, "trialCodeDirectory": str(code), **top}, tmp_path / "task.yml")
    directory = tmp_path / "exp"
    (directory / "trials").mkdir(parents=True)
    store = Store(directory, create=True)
    store.set_meta(
        id="tasktest",
        name="t",
        config=config.to_dict(),
        status="INITIALIZED",
        created=time.time(),
        elapsed=0.0,
    )
    store.close()
    return directory


def run_task(tmp_path: Path, task: dict[str, Any], timeout: float = 120.0, **top: Any) -> Manager:
    return run_manager(make_task_experiment(tmp_path, task, **top), timeout=timeout)
