"""The jobs/ tree of a task experiment, run by the manager in-process with quick shell commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

from autolab.statuses import TrialStatus
from autolab.task.jobtree import JobTree
from tests.task.helpers import run_task

TASK = {
    "template": "echo {a} {b} {c}; echo Acc: {a}",
    "search_args": [
        {"type": "Categorical", "name": "a", "value": [1, 2]},
        {"type": "Nested", "value": [{"b": "x", "c": "p/q"}, {"b": "y y", "c": 3}]},
    ],
    "metric": {"pattern": r"Acc: ([0-9.]+)", "mode": "minimize"},
}


def test_tree_layout(tmp_path: Path) -> None:
    manager = run_task(tmp_path, TASK, trialConcurrency=2)
    trials = manager.history.trials
    assert len(trials) == 4 and all(t.status == TrialStatus.SUCCEEDED for t in trials)
    jobs = manager.directory / "jobs"
    assert sorted(p.name for p in (jobs / "all").iterdir()) == ["0", "1", "2", "3"]
    leaves = {
        ("1", "x", "p%2Fq"),
        ("1", "y y", "3"),
        ("2", "x", "p%2Fq"),
        ("2", "y y", "3"),
    }
    for a, b, c in leaves:
        leaf = jobs / "tree" / "a" / a / "b" / b / "c" / c
        assert leaf.is_symlink() and not os.path.isabs(os.readlink(leaf))  # relative: the folder can move
        job = leaf.resolve()
        assert job.parent == (jobs / "all").resolve()
        params = json.loads((job / "parameters.json").read_text())
        assert params == {"a": int(a), "b": b, "c": c.replace("%2F", "/") if c != "3" else 3}
        command = (job / "command").read_text()
        assert command.startswith(f"echo {a} ") and ("'y y'" in command) == (b == "y y")
        assert (job / "log").read_text().splitlines() == [f"{a} {b} {c.replace('%2F', '/')}", f"Acc: {a}"]
        results = json.loads((job / "results.json").read_text())
        assert (results["status"], results["final"], results["intermediate"]) == (
            "SUCCEEDED",
            float(a),
            [float(a)],
        )
        trial = manager.by_id[results["trial"]]
        assert trial.value == float(a)  # a normal result in the store: `autolab top` lists it
        assert (job / "trial").resolve() == manager.trial_dir(trial.trial_id).resolve()
    assert sorted(p.name for p in (jobs / "tree").iterdir()) == ["a"]
    assert sorted(p.name for p in (jobs / "tree" / "a").iterdir()) == ["1", "2"]


def test_a_failed_job_is_in_the_tree_with_its_status(tmp_path: Path) -> None:
    task = {
        "template": "echo Acc: {a}; exit {a}",
        "search_args": [{"type": "Categorical", "name": "a", "value": [0, 4]}],
        "metric": "Acc: ([0-9]+)",
    }
    manager = run_task(tmp_path, task)
    statuses = {
        json.loads((p / "results.json").read_text())["status"]
        for p in (manager.directory / "jobs" / "all").iterdir()
    }
    assert statuses == {"SUCCEEDED", "FAILED"}
    assert (manager.directory / "jobs" / "tree" / "a" / "4").is_symlink()


def test_same_settings_twice_get_their_own_leaf(tmp_path: Path) -> None:
    class FakeTrial:
        def __init__(self, seq: int) -> None:
            self.trial_id, self.sequence, self.parameters = f"t{seq}", seq, {"a": 1}

    class FakeManager:
        directory = tmp_path

        def trial_dir(self, trial_id: str) -> Path:
            return tmp_path / "trials" / trial_id

    tree = JobTree({"template": "x {a}", "searchArgs": [{"type": "Categorical", "name": "a", "value": [1]}]})
    for seq in (0, 1, 1):  # the third call (same job again) changes nothing
        tree.trial_created(FakeManager(), FakeTrial(seq))
    folder = tmp_path / "jobs" / "tree" / "a"
    assert sorted(p.name for p in folder.iterdir()) == ["1", "1~1"]
    assert (folder / "1~1").resolve() == (tmp_path / "jobs" / "all" / "1").resolve()


def test_normal_configs_have_no_job_tree(tmp_path: Path) -> None:
    from tests.helpers_experiment import make_experiment, run_manager

    directory = make_experiment(tmp_path, "autolab.report_final_result(p['x'])\n", maxTrialNumber=1)
    run_manager(directory)
    assert not (directory / "jobs").exists()
