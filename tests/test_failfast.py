"""FailFast without a manager: it stops only an experiment none of whose first trials worked."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab import protocol
from autolab.failfast import FAIL_FAST, FailFast
from autolab.history import History, Trial
from autolab.services.base import Event, EventKind
from autolab.statuses import TrialStatus


def ended(n: int, status: TrialStatus = TrialStatus.FAILED) -> Trial:
    return Trial(f"t{n}", n, {}, status)


def exited(trial: Trial, code: int = 1, killed: bool = False, timed_out: bool = False) -> Event:
    return Event(trial.trial_id, EventKind.EXITED, code, killed=killed, timed_out=timed_out)


def fail(guard: FailFast, n: int, trial_dir: Path, **event: bool) -> str | None:
    trial = ended(n)
    return guard.observe(trial, exited(trial, **event), trial_dir)


@pytest.fixture
def trial_dir(tmp_path: Path) -> Path:
    (tmp_path / protocol.STDERR_FILE).write_text(
        "Traceback (most recent call last):\n  ...\nNo such file: x\n\n"
    )
    return tmp_path


def test_the_fifth_failure_in_a_row_stops_and_quotes_the_last_stderr_line(trial_dir: Path) -> None:
    guard = FailFast(History())
    assert FAIL_FAST == 5
    assert [fail(guard, n, trial_dir) for n in range(1, 5)] == [None] * 4
    trial = ended(5)
    reason = guard.observe(trial, exited(trial, code=127), trial_dir)
    stderr = trial_dir / protocol.STDERR_FILE
    assert reason == (
        f"the first 5 trials all failed (trial t5: exit code 127: No such file: x; see {stderr}); "
        "fix trialCommand, then resume"
    )


def test_a_long_stderr_line_is_cut_and_a_missing_stderr_is_not_quoted(tmp_path: Path) -> None:
    (tmp_path / protocol.STDERR_FILE).write_text("E" * 1000 + "\n")
    guard = FailFast(History(), limit=1)
    reason = fail(guard, 1, tmp_path)
    assert reason is not None and f": {'E' * 300}; see " in reason and "E" * 301 not in reason
    missing = tmp_path / "never-ran"
    reason = FailFast(History(), limit=1).observe(ended(2), exited(ended(2)), missing)
    assert reason == (
        f"the first 1 trials all failed (trial t2: exit code 1; see {missing / protocol.STDERR_FILE}); "
        "fix trialCommand, then resume"
    )


@pytest.mark.parametrize("worked", [TrialStatus.SUCCEEDED, TrialStatus.NO_RESULT, TrialStatus.EARLY_STOPPED])
def test_failures_after_a_trial_worked_never_stop(worked: TrialStatus, trial_dir: Path) -> None:
    guard = FailFast(History())
    assert [fail(guard, n, trial_dir) for n in range(1, 5)] == [None] * 4
    trial = ended(5, worked)
    assert guard.observe(trial, exited(trial, code=0), trial_dir) is None
    assert [fail(guard, n, trial_dir) for n in range(6, 20)] == [None] * 14


@pytest.mark.parametrize("worked", [TrialStatus.SUCCEEDED, TrialStatus.NO_RESULT, TrialStatus.EARLY_STOPPED])
def test_a_resumed_experiment_that_already_worked_never_stops(worked: TrialStatus, trial_dir: Path) -> None:
    guard = FailFast(History([ended(1), ended(2, worked)]))
    assert [fail(guard, n, trial_dir) for n in range(3, 20)] == [None] * 17


def test_a_resumed_experiment_whose_trials_only_failed_counts_from_zero(trial_dir: Path) -> None:
    guard = FailFast(History([ended(n) for n in range(1, 10)]))
    assert [fail(guard, n, trial_dir) is None for n in range(10, 15)] == [True] * 4 + [False]


def test_killed_timed_out_and_canceled_trials_are_not_failures_of_the_command(trial_dir: Path) -> None:
    guard = FailFast(History())
    assert fail(guard, 1, trial_dir, killed=True) is None
    assert fail(guard, 2, trial_dir, timed_out=True) is None
    canceled = ended(3, TrialStatus.USER_CANCELED)
    assert guard.observe(canceled, exited(canceled, code=-15), trial_dir) is None
    assert [fail(guard, n, trial_dir) is None for n in range(4, 9)] == [True] * 4 + [False]


def test_the_limit_is_a_parameter(trial_dir: Path) -> None:
    guard = FailFast(History(), limit=2)
    assert fail(guard, 1, trial_dir) is None
    reason = fail(guard, 2, trial_dir)
    assert reason is not None and reason.startswith("the first 2 trials all failed (trial t2: exit code 1")


def test_none_worked_names_the_last_failure_until_one_works(tmp_path: Path) -> None:
    from autolab.failfast import none_worked
    from autolab.store import Store

    with Store(tmp_path, create=True) as store:
        store.set_meta(id="e1")
        assert none_worked(store, tmp_path) is None  # no trial yet
        for n, message in ((0, "exit code 2"), (1, "sbatch failed: no such partition")):
            store.add_trial(f"t{n}", {"x": n})
            store.update_trial(f"t{n}", status=TrialStatus.FAILED, message=message)
        assert none_worked(store, tmp_path) == (
            "no trial worked (2 FAILED); trial t1 failed (sbatch failed: no such partition)"
        )
        (tmp_path / "trials" / "t1").mkdir(parents=True)
        (tmp_path / "trials" / "t1" / protocol.STDERR_FILE).write_text("a\nValueError: bad x\n\n")
        assert none_worked(store, tmp_path) == (
            "no trial worked (2 FAILED); trial t1 failed (sbatch failed: no such partition): "
            "ValueError: bad x; its stderr: autolab log trial e1 --trial_id t1 --stderr"
        )
        store.add_trial("t2", {"x": 2})
        store.update_trial("t2", status=TrialStatus.SUCCEEDED, value=1.0, raw_value=1.0)
        assert none_worked(store, tmp_path) is None  # one worked: failures are the trials' own
