"""trial ls shows how long a running trial has run so far (the web UI counts it so too); a trial
not started yet shows '-'."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autolab.cli import main
from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.cli.admin_helpers import stored_experiment


def test_a_running_trial_shows_its_time_so_far(
    autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    with Store(stored_experiment(autolab_home, "exp1", status="RUNNING")) as store:
        store.add_trial("done", {"x": 0.5})
        store.update_trial(
            "done",
            status=TrialStatus.SUCCEEDED,
            value=0.5,
            raw_value=0.5,
            start_time=now - 100,
            end_time=now - 10,
        )
        store.add_trial("runs", {"x": 0.1})
        store.update_trial("runs", status=TrialStatus.RUNNING, start_time=now - 3725)
        store.add_trial("waits", {"x": 0.2})
    assert main(["trial", "ls", "exp1"]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["done"][4] == "1m30s"
    assert lines["runs"][4] in ("1h02m05s", "1h02m06s", "1h02m07s")  # the test's own seconds
    assert lines["waits"][4] == "-"
