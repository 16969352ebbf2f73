"""The issue's example end to end: examples/templates/task.yml with the real train.py (SGD on digits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.task.helpers import run_task

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "templates"


@pytest.mark.slow
def test_issue_example_runs_end_to_end(tmp_path: Path) -> None:
    task = yaml.safe_load((EXAMPLE / "task.yml").read_text())["task"]
    manager = run_task(tmp_path, task, timeout=300, trialCodeDirectory=str(EXAMPLE), trialConcurrency=2)
    trials = manager.history.trials
    assert len(trials) == 8 and all(t.status == TrialStatus.SUCCEEDED for t in trials)
    seen = set()
    for t in trials:
        nested = t.parameters["lr+batch-size"]
        assert (nested["lr"], nested["batch-size"]) in ((0.5, 512), (1, 1024))  # only together
        seen.add((t.parameters["epochs"], t.parameters["gamma"], nested["lr"]))
        assert len(t.intermediate) == t.parameters["epochs"]  # one "Test Acc" line per epoch
        assert t.value == t.intermediate[-1] and 0.8 < t.value <= 1.0
    assert len(seen) == 8  # grid: every combination once
    job = (
        manager.directory
        / "jobs"
        / "tree"
        / "epochs"
        / "5"
        / "gamma"
        / "0.8"
        / "lr"
        / "1"
        / "batch-size"
        / "1024"
    )
    assert (
        job / "command"
    ).read_text() == "python train.py --lr 1 --batch-size 1024 --epochs 5 --gamma 0.8\n"
    assert (job / "log").read_text().count("Test Acc: ") == 5
    assert json.loads((job / "results.json").read_text())["status"] == "SUCCEEDED"
    store = Store(manager.directory, readonly=True)  # normal results in the store (`autolab top` reads these)
    assert sum(1 for row in store.trial_rows() if row.value is not None) == 8
    store.close()


@pytest.mark.slow
def test_autolab_create_runs_a_task_config(tmp_path: Path) -> None:
    (tmp_path / "task.yml").write_text(
        "task:\n"
        "  template: \"echo 'Acc: {x}' {word}\"\n"
        "  search_args:\n"
        "    - {type: Categorical, name: x, value: [1, 2]}\n"
        '    - {type: Categorical, name: word, value: ["it\'s here"]}\n'
        "  metric: {pattern: 'Acc: ([0-9]+)'}\n"
        "trialConcurrency: 2\n"
    )
    env = {**os.environ, "AUTOLAB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "autolab.cli",
            "create",
            "--config",
            str(tmp_path / "task.yml"),
            "--foreground",
            "--port",
            "0",
            "--copy-code",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (directory,) = [p for p in (tmp_path / "home").iterdir() if (p / "autolab.db").exists()]
    leaves = sorted(p.name for p in (directory / "jobs" / "tree" / "x").iterdir())
    assert leaves == ["1", "2"]
    log = (directory / "jobs" / "tree" / "x" / "2" / "word" / "it's here" / "log").read_text()
    assert log == "Acc: 2 it's here\n"
    saved = yaml.safe_load((directory / "config.yml").read_text())
    assert saved["tuner"]["name"] == "GridSearch" and saved["task"]["template"].startswith("echo")
    assert saved["task"]["copyCode"] is True and saved["task"]["symlinks"] is False
    assert len(list(directory.glob("trials/*/code/task.yml"))) == 2  # each job ran in its own copy


def test_copy_code_flag_needs_a_task_config(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text(
        "trialCommand: echo\nsearchSpace: {x: {_type: choice, _value: [1]}}\n"
    )
    env = {**os.environ, "AUTOLAB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "autolab.cli",
            "create",
            "--config",
            str(tmp_path / "config.yml"),
            "--symlinks",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "config.yml: --symlinks works with task configs (a config with task:) only" in result.stderr
