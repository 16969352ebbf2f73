"""experiment status shows the training service's notes (a remote machine unreachable...) while its
manager runs, in text and --json; a dead manager's notes are not shown."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from autolab import protocol
from autolab.experiments import MANAGER_PID_FILE
from autolab.store import Store
from tests.cli.admin_helpers import run

NOTE = "machine bob@gpu2 unreachable since 2026-01-02 03:04:05: Connection refused"


def test_status_shows_the_notes_of_a_running_manager(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(exp) as store:
        store.set_meta(notes=[NOTE])
    code, out, err = run(capsys, "experiment", "status", "exp1", "--json")
    assert code == 0 and json.loads(out)["notes"] == []  # no manager runs: nothing is noted now
    me = psutil.Process()  # this process stands for the running manager
    protocol.write_pid_file(exp / MANAGER_PID_FILE, me.pid, me.create_time())
    code, out, err = run(capsys, "experiment", "status", "exp1")
    assert code == 0, err
    assert f"  note:    {NOTE}" in out.splitlines()
    code, out, err = run(capsys, "experiment", "status", "exp1", "--json")
    assert json.loads(out)["notes"] == [NOTE]
