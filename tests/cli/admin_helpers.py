"""Helpers of the management-command tests (test_admin*.py): run a command in process, read its
output, check a one-line error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from autolab import experiments
from autolab.cli import main
from autolab.store import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def config(directory: Path) -> dict[str, Any]:
    with Store(directory, readonly=True) as store:
        return dict(store.get_meta("config"))


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


def fake_running(directory: Path) -> None:
    """Make the experiment look as if a manager ran it (this test process plays the manager)."""
    me = psutil.Process()
    (directory / "manager.pid").write_text(f"{me.pid} {me.create_time()}\n")


def table_ids(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#"))
    return [line.split()[1] for line in lines[start + 1 :]]


def stored_experiment(home: Path, exp_id: str, status: str = "DONE") -> Path:
    """An experiment made by hand in AUTOLAB_HOME, registered, with no trial yet: its folder (open
    its Store to add trials)."""
    directory = home / exp_id
    (directory / "trials").mkdir(parents=True)
    with Store(directory, create=True) as store:
        store.set_meta(id=exp_id, name="t", status=status, created=time.time(), elapsed=1.0, config={})
    experiments.register(exp_id, "t", directory)
    return directory
