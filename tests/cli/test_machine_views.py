"""Trials of platform remote seen by users: trial ls, the export and the REST API's trial pages say
which machine each ran on (its files are there); other experiments show no such column."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab.api.queries import trial_page
from autolab.cli import main
from autolab.statuses import TrialStatus
from autolab.store import Store
from autolab.views import export_csv, export_rows
from tests.cli.admin_helpers import stored_experiment


@pytest.fixture
def exp(autolab_home: Path) -> Path:
    directory = stored_experiment(autolab_home, "exp1")
    with Store(directory) as store:
        for trial_id, machine in (("a", "bob@10.0.0.1:22"), ("b", "amy@10.0.0.2:2222")):
            store.add_trial(trial_id, {"x": 0.5})
            handle = {"machine": machine, "pid": 42, "gpus": [], "started": 1.0}
            store.update_trial(
                trial_id, status=TrialStatus.SUCCEEDED, value=0.5, raw_value=0.5, handle=handle
            )
        store.add_trial("c", {"x": 0.1})  # not started yet: no machine
    return directory


def test_trial_ls_export_and_api_name_the_machine(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trial", "ls", "exp1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["TRIAL", "SEQ", "STATUS", "VALUE", "MACHINE"]
    assert lines[2].split()[:5] == ["b", "1", "SUCCEEDED", "0.5", "amy@10.0.0.2:2222"]
    assert lines[3].split()[:5] == ["c", "2", "WAITING", "-", "-"]
    with Store(exp, readonly=True) as store:
        rows = export_rows(store)
        page = trial_page(store)
    assert [r.get("machine") for r in rows] == ["bob@10.0.0.1:22", "amy@10.0.0.2:2222", None]
    assert "bob@10.0.0.1:22" in export_csv(rows)
    assert [t["machine"] for t in page["trials"]] == ["bob@10.0.0.1:22", "amy@10.0.0.2:2222", None]


def test_a_local_experiment_has_no_machine_column(
    autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = stored_experiment(autolab_home, "exp2")
    with Store(directory) as store:
        store.add_trial("a", {"x": 0.5})
        store.update_trial("a", status=TrialStatus.SUCCEEDED, value=0.5, raw_value=0.5, handle={"pid": 7})
    assert main(["trial", "ls", "exp2"]) == 0
    assert "MACHINE" not in capsys.readouterr().out
    with Store(directory, readonly=True) as store:
        assert "machine" not in export_rows(store)[0]
