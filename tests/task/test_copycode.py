"""Jobs in their own copy of the code directory (copy_code), large files linked (symlinks)."""

from __future__ import annotations

import os
from pathlib import Path

from autolab.statuses import TrialStatus
from autolab.task.copycode import LINK_SIZE, job_code_dir
from tests.task.helpers import run_task


def make_code(code: Path) -> None:
    code.mkdir(parents=True, exist_ok=True)
    (code / "small.txt").write_text("small")
    (code / "big.bin").write_bytes(b"\0" * LINK_SIZE)
    (code / "sub").mkdir()
    (code / "sub" / "a.py").write_text("x = 1\n")
    (code / ".git").mkdir()
    (code / ".git" / "HEAD").write_text("ref")


def test_copy_and_links(tmp_path: Path) -> None:
    code = tmp_path / "code"
    make_code(code)
    trial = tmp_path / "exp" / "trials" / "t1"
    trial.mkdir(parents=True)
    dest = job_code_dir(code, trial, symlinks=True, experiment_dir=tmp_path / "exp")
    assert dest == trial / "code"
    assert (dest / "small.txt").read_text() == "small" and not (dest / "small.txt").is_symlink()
    assert (dest / "big.bin").is_symlink() and (dest / "big.bin").resolve() == (code / "big.bin").resolve()
    assert (dest / "sub" / "a.py").read_text() == "x = 1\n"
    assert not (dest / ".git").exists()
    (dest / "small.txt").write_text("changed")  # a second call (resume) keeps the copy
    assert job_code_dir(code, trial, symlinks=True) == dest and (dest / "small.txt").read_text() == "changed"
    plain = tmp_path / "exp" / "trials" / "t2"
    plain.mkdir()
    assert not (job_code_dir(code, plain, symlinks=False) / "big.bin").is_symlink()


def test_an_experiment_inside_the_code_is_not_copied(tmp_path: Path) -> None:
    code = tmp_path / "code"
    make_code(code)
    trial = code / "exps" / "e1" / "trials" / "t1"
    trial.mkdir(parents=True)
    dest = job_code_dir(code, trial, symlinks=False, experiment_dir=code / "exps" / "e1")
    assert (dest / "exps").is_dir() and not (dest / "exps" / "e1").exists()


def test_parallel_jobs_write_relative_outputs_apart(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "big.bin").write_bytes(b"\1" * LINK_SIZE)
    task = {
        "template": "mkdir -p out && echo {a} > out/result.txt && echo Acc: {a}",
        "search_args": [{"type": "Categorical", "name": "a", "value": [1, 2, 3]}],
        "metric": {"pattern": "Acc: ([0-9]+)"},
        "copy_code": True,
        "symlinks": True,
    }
    manager = run_task(tmp_path, task, trialConcurrency=3)
    assert all(t.status == TrialStatus.SUCCEEDED for t in manager.history.trials)
    for trial in manager.history.trials:
        copy = manager.trial_dir(trial.trial_id) / "code"
        assert (copy / "out" / "result.txt").read_text().strip() == str(trial.parameters["a"])
        assert os.path.islink(copy / "big.bin")
    assert not (code / "out").exists()
