"""The manager with platform slurm, against the fake Slurm: results, kills, sbatch failing, resume."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autolab import lifecycle
from autolab.launcher import build_manager
from autolab.manager import Manager
from autolab.services.base import ServiceError
from autolab.statuses import TrialStatus
from tests.helpers_experiment import make_experiment
from tests.helpers_experiment import trial_rows as rows

from .slurm_fake import FakeSlurm, installed

SLURM = {"platform": "slurm", "pollInterval": 0.1}


@pytest.fixture
def fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlurm]:
    yield from installed(tmp_path, monkeypatch)


def drive(manager: Manager, timeout: float = 60.0, on_step: Any = None) -> list[str]:
    """Step the manager as the launcher does (a ServiceError ends it in error); returns the errors seen."""
    errors = []
    deadline = time.time() + timeout
    while not manager.finished:
        assert time.time() < deadline, "experiment did not finish in time"
        try:
            manager.step()
        except ServiceError as exc:
            errors.append(str(exc))
            lifecycle.loop_failed(manager, exc)  # as the launcher's loop does
        if on_step is not None:
            on_step(manager)
        time.sleep(0.01)
    return errors


def test_experiment_runs_through_sbatch(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    directory = make_experiment(
        tmp_path,
        """
        autolab.report_intermediate_result(p["x"])
        autolab.report_final_result(p["x"] + p["k"])
    """,
        trainingService=SLURM,
        maxTrialNumber=4,
        trialConcurrency=2,
    )
    manager = build_manager(directory)
    manager.start()
    peak: list[int] = []
    assert drive(manager, on_step=lambda m: peak.append(len(m.service.jobs))) == []
    manager.close()
    assert manager.status == "DONE" and max(peak) == 2
    trials = rows(directory)
    assert len(trials) == 4
    for row in trials:
        params = row.parameters
        assert row.status == "SUCCEEDED" and row.value == pytest.approx(params["x"] + params["k"])
        assert row.handle["job_id"].isdigit()
    assert len(fake_slurm.calls("sbatch")) == 4


def test_kill_through_the_manager_cancels_the_job(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    directory = make_experiment(
        tmp_path,
        """
        autolab.report_intermediate_result(1.0)
        time.sleep(60)
    """,
        trainingService=SLURM,
        maxTrialNumber=1,
        trialConcurrency=1,
    )
    manager = build_manager(directory)
    manager.start()

    def kill_when_reported(m: Manager) -> None:
        for trial in list(m.active.values()):
            if trial.intermediate:
                m.kill_trial(trial.trial_id, TrialStatus.EARLY_STOPPED)

    assert drive(manager, on_step=kill_when_reported) == []
    (row,) = rows(directory)
    assert row.status == "EARLY_STOPPED" and row.n_intermediate == 1
    assert len(fake_slurm.calls("scancel")) == 1


def test_every_submission_failing_stops_the_experiment(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    fake_slurm.fail_sbatch("sbatch: error: Batch job submission failed: Invalid partition name specified")
    directory = make_experiment(
        tmp_path,
        "autolab.report_final_result(1.0)\n",
        trainingService=SLURM,
        maxTrialNumber=20,
        trialConcurrency=2,
    )
    manager = build_manager(directory)
    manager.start()
    errors = drive(manager, timeout=30)
    assert len(errors) == 1 and "Invalid partition name" in errors[0] and "none was accepted" in errors[0]
    # an experiment that cannot run trials ends in error, said as Slurm said it (no exception class)
    assert manager.status == "ERROR" and manager.error.startswith("platform slurm cannot run trials")
    trials = rows(directory)
    assert len(trials) == 3
    assert all(r.status == "FAILED" and "Invalid partition name" in r.message for r in trials)


def test_resume_adopts_running_jobs(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    directory = make_experiment(
        tmp_path,
        """
        while not os.path.exists(os.path.join(os.environ["AUTOLAB_TRIAL_DIR"], "go")):
            time.sleep(0.05)
        autolab.report_final_result(p["x"])
    """,
        trainingService=SLURM,
        maxTrialNumber=2,
        trialConcurrency=2,
    )
    first = build_manager(directory)
    first.start()
    deadline = time.time() + 30
    while sum(t.status == TrialStatus.RUNNING for t in first.active.values()) < 2:
        assert time.time() < deadline
        first.step()
        time.sleep(0.01)
    first.close()  # the manager goes away; the jobs keep running
    first.store.close()
    second = build_manager(directory)
    second.start()
    assert len(second.service.jobs) == 2  # type: ignore[attr-defined]
    assert all(t.status == TrialStatus.RUNNING for t in second.active.values())
    for trial_dir in (directory / "trials").iterdir():
        (trial_dir / "go").touch()
    assert drive(second) == []
    assert [r.status for r in rows(directory)] == ["SUCCEEDED", "SUCCEEDED"]
    assert len(fake_slurm.calls("sbatch")) == 2  # nothing re-run


def test_resume_keeps_queued_jobs_waiting(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    fake_slurm.hold()
    directory = make_experiment(
        tmp_path,
        "autolab.report_final_result(1.0)\n",
        trainingService=SLURM,
        maxTrialNumber=1,
        trialConcurrency=1,
    )
    first = build_manager(directory)
    first.start()
    first.step()
    first.close()
    first.store.close()
    second = build_manager(directory)
    second.start()
    (trial,) = second.active.values()
    assert len(second.service.jobs) == 1  # type: ignore[attr-defined]
    assert trial.status == TrialStatus.WAITING
    fake_slurm.release()
    assert drive(second) == []
    assert [r.status for r in rows(directory)] == ["SUCCEEDED"]


def test_a_queued_job_that_ran_while_no_manager_ran_gets_its_start(
    tmp_path: Path, fake_slurm: FakeSlurm
) -> None:
    # queued when the manager went away, then it ran and ended: its start is the job script's
    # (it had none: the duration showed "-")
    fake_slurm.hold()
    directory = make_experiment(
        tmp_path, "autolab.report_final_result(1.0)\n", trainingService=SLURM, maxTrialNumber=1
    )
    first = build_manager(directory)
    first.start()
    first.step()
    first.close()
    first.store.close()
    fake_slurm.release()
    (trial_dir,) = (directory / "trials").iterdir()
    deadline = time.time() + 30
    while not (trial_dir / "exit_status").is_file():
        assert time.time() < deadline, "the job did not end"
        time.sleep(0.05)
    began = float((trial_dir / "slurm_started").read_text())
    second = build_manager(directory)
    second.start()
    assert drive(second) == []
    (row,) = rows(directory)
    assert row.status == "SUCCEEDED" and row.start_time == began
    assert row.end_time is not None and row.end_time >= began


def test_a_queued_trial_says_why_it_waits_until_it_starts(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    directory = make_experiment(
        tmp_path,
        "import time\ntime.sleep(1.5)\nautolab.report_final_result(p['x'])\n",
        trainingService=SLURM,
        maxTrialNumber=1,
    )
    fake_slurm.hold()
    manager = build_manager(directory)
    manager.start()
    seen: list[tuple[str, str | None]] = []

    def look(m: Manager) -> None:
        row = rows(directory)[0] if rows(directory) else None
        if row is not None and (row.status, row.message) not in seen:
            seen.append((row.status, row.message))
        if ("WAITING", "queued in Slurm: Priority") in seen and (fake_slurm.root / "hold").exists():
            fake_slurm.release()

    assert drive(manager, on_step=look) == []
    manager.close()
    assert ("WAITING", "queued in Slurm: Priority") in seen  # where status and the web UI read it
    final = rows(directory)[0]
    assert ("RUNNING", "") in seen  # once it runs, the queue's reason is gone
    assert final.status == "SUCCEEDED" and final.message == ""
