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


def test_a_waiting_trial_that_ran_and_ended_while_down_gets_its_start_and_end(tmp_path: Path) -> None:
    # recorded WAITING, then its wrapper started (pid file), it reported and exited, all while no
    # manager ran: settled SUCCEEDED with the times its files say, not without a start
    import os

    from autolab import protocol

    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1)
    trial_dir = directory / "trials" / "ended"
    trial_dir.mkdir(parents=True)
    with Store(directory) as store:
        store.add_trial("ended", {"x": 0.25, "k": 1}, status=TrialStatus.WAITING)
    (trial_dir / protocol.PID_FILE).write_text("999999 1.0\n")
    (trial_dir / protocol.METRICS_FILE).write_text(protocol.metric_line(protocol.FINAL, 0.25))
    (trial_dir / protocol.EXIT_FILE).write_text("0\n")
    os.utime(trial_dir / protocol.PID_FILE, (1000.0, 1000.0))
    os.utime(trial_dir / protocol.EXIT_FILE, (1007.5, 1007.5))
    run_manager(directory, timeout=60)
    with Store(directory, readonly=True) as store:
        row = store.trial_row("ended")
    assert row is not None and (row.status, row.value) == (TrialStatus.SUCCEEDED, 0.25)
    assert (row.start_time, row.end_time) == (1000.0, 1007.5)
