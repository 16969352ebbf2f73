"""Resume of trials recorded but never started whose directory is missing or unusable."""

from __future__ import annotations

from pathlib import Path

from autolab.history import TrialStatus
from autolab.store import Store
from tests.helpers_experiment import make_experiment, run_manager, trial_rows

TRIAL = 'autolab.report_final_result(p["x"])\n'


def test_a_recorded_trial_without_directory_is_recreated_with_its_parameters(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1)
    with Store(directory) as store:  # a crash right after storing the row: no directory at all
        store.add_trial("ghost", {"x": 0.5, "k": 1}, status=TrialStatus.WAITING)
    manager = run_manager(directory, timeout=60)
    assert manager.status == "DONE"
    assert [(r.id, r.status, r.value) for r in trial_rows(directory)] == [("ghost", "SUCCEEDED", 0.5)]


def test_a_trial_whose_directory_cannot_be_recreated_fails_saying_why(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1)
    with Store(directory) as store:
        store.add_trial("ghost", {"x": 0.5, "k": 1}, status=TrialStatus.WAITING)
    (directory / "trials" / "ghost").write_text("not a directory")  # mkdir cannot make it
    manager = run_manager(directory, timeout=60)
    assert manager.status == "DONE"
    rows = {r.id: r for r in trial_rows(directory)}
    assert rows["ghost"].status == "FAILED"
    assert "parameter file could not be re-created" in (rows["ghost"].message or "")
    assert str(directory / "trials" / "ghost") in (rows["ghost"].message or "")
    assert (directory / "trials" / "ghost").read_text() == "not a directory"  # never started
