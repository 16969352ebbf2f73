"""The manager runs a customized trial (re-run with an edited parameter) and a retry like its own:
recorded with their source, started when a slot frees, run again after DONE, not counted toward
maxTrialNumber, seen by the tuner, and started by resume when a crash came before they started."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from autolab.launcher import build_manager
from autolab.manager import Manager
from autolab.reruns import BadRerun
from autolab.statuses import TrialStatus
from tests.helpers_experiment import make_experiment, trial_rows

pytestmark = pytest.mark.e2e

# fails while the file FAIL exists in its code directory; its result is x + k
TRIAL = """
if os.path.exists("FAIL"):
    sys.exit(3)
autolab.report_final_result(p["x"] + p["k"])
"""


def drive(manager: Manager, until: object, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while not until():  # type: ignore[operator]
        assert time.time() < deadline, "timed out"
        manager.step()
        time.sleep(0.01)


def test_a_customized_trial_runs_with_the_edited_parameter_after_done(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=2)
    manager = build_manager(directory)
    manager.start()
    try:
        drive(manager, lambda: manager.status == "DONE")
        first = trial_rows(directory)[0]
        trial = manager.add_user_trial({**first.parameters, "x": 0.125}, f"customized:{first.id}")
        assert manager.status == "RUNNING"  # a DONE experiment runs it
        drive(manager, lambda: manager.status == "DONE")
        rows = {r.id: r for r in trial_rows(directory)}
        new = rows[trial.trial_id]
        assert new.status == TrialStatus.SUCCEEDED and new.source == f"customized:{first.id}"
        assert new.parameters == {**first.parameters, "x": 0.125}
        assert new.value == pytest.approx(0.125 + first.parameters["k"])
        written = json.loads((directory / "trials" / new.id / "parameter.json").read_text())
        assert written == new.parameters
        assert len(rows) == 3 and manager.trials.counted() == 2  # not part of maxTrialNumber
        assert trial in manager.history.trials  # the tuner sees its result as it sees its own
    finally:
        manager.close()


def test_retry_of_a_failed_trial_runs_its_parameters_again(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1)
    (tmp_path / "code" / "FAIL").write_text("")
    manager = build_manager(directory)
    manager.start()
    try:
        drive(manager, lambda: manager.status == "DONE")
        (failed,) = trial_rows(directory)
        assert failed.status == TrialStatus.FAILED
        (tmp_path / "code" / "FAIL").unlink()
        retry = manager.add_user_trial(dict(failed.parameters), f"retry:{failed.id}", failed.fidelity)
        drive(manager, lambda: manager.status == "DONE")
        row = {r.id: r for r in trial_rows(directory)}[retry.trial_id]
        assert row.status == TrialStatus.SUCCEEDED and row.source == f"retry:{failed.id}"
        assert row.parameters == failed.parameters
    finally:
        manager.close()


def test_a_stopping_experiment_refuses(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1)
    manager = build_manager(directory)
    manager.start()
    try:
        manager.request_stop()
        with pytest.raises(BadRerun, match="stopping"):
            manager.add_user_trial({"x": 0.5, "k": 1}, "customized:x")
    finally:
        manager.close()


def test_a_crash_before_it_started_leaves_it_for_resume(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1)
    manager = build_manager(directory)
    manager.start()
    drive(manager, lambda: manager.status == "DONE")
    (first,) = trial_rows(directory)
    # recorded (row WAITING, parameter.json written), then the manager dies before any turn
    queued = manager.add_user_trial({**first.parameters, "x": 0.75}, f"customized:{first.id}")
    manager.close()
    row = {r.id: r for r in trial_rows(directory)}[queued.trial_id]
    assert row.status == TrialStatus.WAITING

    again = build_manager(directory)
    again.start()
    try:
        drive(again, lambda: again.status == "DONE")
        row = {r.id: r for r in trial_rows(directory)}[queued.trial_id]
        assert row.status == TrialStatus.SUCCEEDED and row.value == pytest.approx(
            0.75 + first.parameters["k"]
        )
        assert len(trial_rows(directory)) == 2  # started as itself, not re-run as another
    finally:
        again.close()
