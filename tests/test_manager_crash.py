"""The manager when things break: a trial with no process, a start that fails, a full disk."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest

from autolab import lifecycle
from autolab.launcher import build_manager
from autolab.services.base import Launch
from autolab.store import Store
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


def test_a_full_disk_stops_the_manager_and_leaves_the_running_trial_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC is simulated (a monkeypatched write: mounting a small tmpfs needs privileges a test
    run may not have). The real loop (launcher.run) meets it while recording the 2nd trial."""
    import os
    import signal

    from autolab import launcher, protocol
    from autolab.protocol import process_alive, read_pid_file

    directory = make_experiment(tmp_path, "time.sleep(60)\n", maxTrialNumber=2, trialConcurrency=2)
    real = protocol.write_parameters
    calls: list[Path] = []

    def first_only(trial_dir: Path, parameters: dict[str, object]) -> None:
        calls.append(trial_dir)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(trial_dir, parameters)

    monkeypatch.setattr(protocol, "write_parameters", first_only)
    pid_file = None
    try:
        code = launcher.run(directory, port=0, foreground=True)
        assert code == 1
        (row,) = trial_rows(directory)
        assert row.status in ("WAITING", "RUNNING")  # not cancelled: it runs on
        pid_file = directory / "trials" / row.id / "trial.pid"
        deadline = time.time() + 30
        while read_pid_file(pid_file) is None:
            assert time.time() < deadline, "the trial never started"
            time.sleep(0.05)
        pid = read_pid_file(pid_file)
        assert pid is not None and process_alive(pid[0], 0.0)
        with Store(directory, readonly=True) as store:
            error = store.get_meta("error")
        assert "the disk is full" in error and str(calls[1] / "parameter.json") in error
        assert "autolab resume" in error
    finally:
        recorded = read_pid_file(pid_file) if pid_file is not None else None
        if recorded is not None:
            try:
                os.killpg(recorded[0], signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_full_disk_while_recording_a_trials_end_stops_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trial's end that cannot be stored is not swallowed as that trial's fault: the loop turn
    fails (and the manager stops, launcher.run), so the store never says DONE over a RUNNING row."""
    from autolab.store import StoreError

    directory = make_experiment(tmp_path, "autolab.report_final_result(1)\n", maxTrialNumber=1)
    manager = build_manager(directory)
    try:
        manager.start()
        manager.step()
        real = manager.store.update_trial

        def full(trial_id: str, **fields: object) -> None:
            if "end_time" in fields:
                raise StoreError(f"{directory / 'autolab.db'}: cannot write: database or disk is full")
            real(trial_id, **fields)

        monkeypatch.setattr(manager.store, "update_trial", full)
        with pytest.raises(StoreError, match="disk is full"):
            step_until(manager, lambda: manager.finished, timeout=30)
        assert lifecycle.loop_failed(manager, StoreError("x: database or disk is full")) is True
    finally:
        manager.close()
        manager.store.close()
