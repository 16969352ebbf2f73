"""The experiment's phases, its running clock and how a trial's end is read (autolab.lifecycle)."""

from __future__ import annotations

import pytest

from autolab import lifecycle
from autolab.history import Trial
from autolab.lifecycle import Phase, RunClock, trial_outcome
from autolab.services.base import Event, EventKind
from autolab.statuses import ExperimentStatus, TrialStatus


def test_every_phase_has_a_status_and_running_phases_end() -> None:
    assert set(lifecycle.STATUS) == set(Phase)
    running = {p for p in Phase if lifecycle.STATUS[p] == ExperimentStatus.RUNNING}
    assert running == {Phase.CREATING, Phase.DRAINING, Phase.EXPIRED, Phase.STOPPING, Phase.FAILING}
    # every running phase but CREATING ends by itself once no trial is active, in an ended phase
    assert set(lifecycle.ENDS) == running - {Phase.CREATING}
    assert all(lifecycle.STATUS[end] != ExperimentStatus.RUNNING for end in lifecycle.ENDS.values())
    assert lifecycle.STATUS[Phase.CLOSED] == ExperimentStatus.DONE


def exited(code: int | None, message: str = "", **flags: bool) -> Event:
    return Event("t", EventKind.EXITED, code, message, **flags)


@pytest.mark.parametrize(
    "value, event, killed_as, expected",
    [
        (1.0, exited(0), None, (TrialStatus.SUCCEEDED, "")),
        (None, exited(0), None, (TrialStatus.NO_RESULT, "exited 0 without reporting a final result")),
        (None, exited(3), None, (TrialStatus.FAILED, "exit code 3")),
        (None, exited(-9, "killed by signal 9"), None, (TrialStatus.FAILED, "killed by signal 9")),
        (None, exited(None, timed_out=True), None, (TrialStatus.FAILED, "")),
        (None, exited(-15, killed=True), TrialStatus.EARLY_STOPPED, (TrialStatus.EARLY_STOPPED, "")),
        # the assessor's stop came after the final result: it ended on its own, or was killed after it
        (1.0, exited(0), TrialStatus.EARLY_STOPPED, (TrialStatus.SUCCEEDED, "")),
        (
            1.0,
            exited(-15, killed=True),
            TrialStatus.EARLY_STOPPED,
            (TrialStatus.SUCCEEDED, lifecycle.LATE_STOP),
        ),
        (1.0, exited(-15, killed=True), TrialStatus.USER_CANCELED, (TrialStatus.USER_CANCELED, "")),
        # a stop (here fail-fast's) whose kill came after the trial had ended on its own: the service
        # did not kill it, so it ends as it ended (a Slurm job that had written exit status 1)
        (None, exited(1), TrialStatus.USER_CANCELED, (TrialStatus.FAILED, "exit code 1")),
        (0.5, exited(0), TrialStatus.USER_CANCELED, (TrialStatus.SUCCEEDED, "")),
        (None, Event("t", EventKind.LOST, None, "lost"), None, (TrialStatus.FAILED, "lost")),
    ],
)
def test_trial_outcome(
    value: float | None, event: Event, killed_as: TrialStatus | None, expected: tuple[TrialStatus, str]
) -> None:
    trial = Trial("t", 1, {}, TrialStatus.RUNNING, value=value)
    assert trial_outcome(trial, event, killed_as) == expected


def test_the_clock_counts_running_time_only(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(lifecycle.time, "time", lambda: now[0])
    clock = RunClock(before=5.0)
    now[0] += 10
    assert clock.elapsed() == 15.0
    clock.pause()
    now[0] += 100  # DONE for a while: not counted
    assert clock.elapsed() == 15.0 and not clock.save_due()
    clock.go_on()
    now[0] += 1
    assert clock.elapsed() == 16.0
    assert clock.save_due() and not clock.save_due()  # at most every SAVE_EVERY seconds
    now[0] += RunClock.SAVE_EVERY + 0.1
    assert clock.save_due()
