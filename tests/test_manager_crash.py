"""The manager when things break: a trial with no process, a start that fails, a full disk."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest

from autolab.launcher import build_manager
from autolab.services.base import Launch
from tests.helpers_experiment import make_experiment, trial_rows

pytestmark = pytest.mark.e2e


def step_until(manager, done, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not done():
        assert time.time() < deadline, "timed out"
        manager.step()
        time.sleep(0.01)


def test_a_recorded_trial_without_a_process_does_not_block_stop(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, "time.sleep(60)\n", maxTrialNumber=1)
    manager = build_manager(directory)
    try:
        manager.start()
        # recorded, then the loop failed before starting it (e.g. a full disk): active, no process
        trial = manager.trials.record({"x": 0.5, "k": 1}, "tuner")
        manager.request_stop()
        step_until(manager, lambda: manager.finished, timeout=10)
        assert manager.status == "STOPPED"
        assert [(r.id, r.status) for r in trial_rows(directory)] == [(trial.trial_id, "USER_CANCELED")]
    finally:
        manager.close()
        manager.store.close()


def test_a_trial_the_service_cannot_start_fails_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = make_experiment(tmp_path, "autolab.report_final_result(1)\n", maxTrialNumber=1)
    manager = build_manager(directory)
    try:

        def broken(launch: Launch) -> None:
            raise RuntimeError("the cluster refused the job")

        monkeypatch.setattr(manager.service, "start", broken)
        manager.start()
        step_until(manager, lambda: manager.finished, timeout=10)
        (row,) = trial_rows(directory)
        assert row.status == "FAILED"
        assert row.message == "could not start: RuntimeError: the cluster refused the job"
    finally:
        manager.close()
        manager.store.close()


def test_a_full_disk_at_a_trial_start_leaves_it_to_start_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = make_experiment(tmp_path, "autolab.report_final_result(1)\n", maxTrialNumber=1)
    manager = build_manager(directory)
    try:
        real = manager.service.start

        def full(launch: Launch) -> None:
            raise OSError(errno.ENOSPC, "No space left on device", str(launch.trial_dir / "stdout"))

        monkeypatch.setattr(manager.service, "start", full)
        manager.start()
        with pytest.raises(OSError, match="stdout"):
            manager.step()
        (row,) = trial_rows(directory)
        assert row.status == "WAITING" and manager.unstarted  # not failed: the disk was at fault
        monkeypatch.setattr(manager.service, "start", real)  # space is back
        step_until(manager, lambda: manager.finished)
        assert [r.status for r in trial_rows(directory)] == ["SUCCEEDED"]
    finally:
        manager.close()
        manager.store.close()
