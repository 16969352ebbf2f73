"""AssessorRunner without a manager: each new result judged once, slow assessors off the caller's thread."""

from __future__ import annotations

import concurrent.futures
import logging
import threading

import pytest

from autolab.assessing import AssessorRunner
from autolab.assessors.base import Assessor
from autolab.history import History, Trial
from autolab.statuses import TrialStatus

WAIT = 30  # seconds a test waits for the worker thread before it counts as hung


class Recorder(Assessor):
    """Records what each call saw; stops a trial whose last result is below `stop_below`."""

    def __init__(self, stop_below: float | None = None, fail: bool = False) -> None:
        super().__init__()
        self.stop_below = stop_below
        self.fail = fail
        self.gate = threading.Event()  # a call waits here until the test opens it
        self.gate.set()
        self.entered = threading.Event()  # set once a call has begun
        self.calls: list[tuple[str, list[float], str, int]] = []

    def should_stop(self, trial: Trial, history: History) -> bool:
        self.entered.set()
        assert self.gate.wait(WAIT), "the test never opened the gate"
        seen = (trial.trial_id, list(trial.intermediate), threading.current_thread().name, len(history))
        self.calls.append(seen)
        if self.fail:
            raise RuntimeError("the assessor broke")
        return self.stop_below is not None and trial.intermediate[-1] < self.stop_below

    def results_seen(self) -> list[list[float]]:
        return [call[1] for call in self.calls]


class SlowRecorder(Recorder):
    slow = True


def running(trial_id: str, *results: float) -> Trial:
    return Trial(trial_id, int(trial_id[1:]), {}, TrialStatus.RUNNING, intermediate=list(results))


def settle(runner: AssessorRunner, trial_id: str) -> None:
    """Wait until the worker's call for the trial has returned."""
    done, _ = concurrent.futures.wait([runner.pending[trial_id]], timeout=WAIT)
    assert done, "the slow assessor's call never returned"


def test_each_new_result_is_judged_once_in_report_order() -> None:
    assessor = Recorder()
    runner = AssessorRunner(assessor)
    trial = running("t1", 0.1)
    history = History([trial])
    assert runner.on_results(trial, history) is False
    assert runner.on_results(trial, history) is False  # nothing new: no call
    trial.intermediate += [0.2, 0.3]  # a burst read at once is judged result by result
    assert runner.on_results(trial, history) is False
    assert assessor.results_seen() == [[0.1], [0.1, 0.2], [0.1, 0.2, 0.3]]
    assert {call[2] for call in assessor.calls} == {threading.current_thread().name}


def test_the_assessor_is_shown_one_growing_list_per_trial_never_a_copy() -> None:
    # issue 14: a burst of n results was judged on n prefix copies (O(n^2)); one list that grows
    # lets an assessor keep running statistics of it, and costs the loop O(1) a result
    lists: list[tuple[int, int]] = []

    class Watcher(Assessor):
        def should_stop(self, trial: Trial, history: History) -> bool:
            lists.append((id(trial.intermediate), len(trial.intermediate)))
            return False

    runner = AssessorRunner(Watcher())
    trial = running("t1", 0.1)
    history = History([trial])
    runner.on_results(trial, history)
    trial.intermediate += [0.2, 0.3, 0.4]
    runner.on_results(trial, history)
    assert [length for _, length in lists] == [1, 2, 3, 4]
    assert len({ident for ident, _ in lists}) == 1


def test_forget_tells_the_assessor_the_trial_ended() -> None:
    ended: list[str] = []

    class Ender(Recorder):
        def trial_ended(self, trial_id: str) -> None:
            ended.append(trial_id)

    runner = AssessorRunner(Ender())
    runner.forget("t1")
    assert ended == ["t1"]


def test_the_first_result_the_assessor_rejects_stops_the_trial() -> None:
    assessor = Recorder(stop_below=0.5)
    runner = AssessorRunner(assessor)
    trial = running("t1", 0.9, 0.4, 0.8)
    assert runner.on_results(trial, History([trial])) is True
    assert assessor.results_seen() == [[0.9], [0.9, 0.4]]  # 0.8 is not judged after the verdict


def test_trials_are_counted_apart_and_forget_starts_a_trial_over() -> None:
    assessor = Recorder()
    runner = AssessorRunner(assessor)
    first, second = running("t1", 1.0), running("t2", 2.0)
    history = History([first, second])
    runner.on_results(first, history)
    runner.on_results(second, history)
    runner.forget("t1")
    runner.on_results(first, history)
    runner.on_results(second, history)
    assert [(call[0], call[1]) for call in assessor.calls] == [("t1", [1.0]), ("t2", [2.0]), ("t1", [1.0])]


def test_an_assessor_error_is_logged_and_the_next_result_is_still_judged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assessor = Recorder(fail=True)
    runner = AssessorRunner(assessor)
    trial = running("t7", 0.1)
    with caplog.at_level(logging.ERROR, logger="autolab.manager"):
        assert runner.on_results(trial, History([trial])) is False
        trial.intermediate.append(0.2)
        assert runner.on_results(trial, History([trial])) is False
    assert assessor.results_seen() == [[0.1], [0.1, 0.2]]
    assert [r.getMessage() for r in caplog.records] == ["assessor failed on trial t7; the trial goes on"] * 2


def test_a_slow_assessor_runs_in_a_worker_on_a_snapshot_and_its_stop_is_collected() -> None:
    assessor = SlowRecorder(stop_below=0.5)
    assessor.gate.clear()
    runner = AssessorRunner(assessor)
    trial = running("t1", 0.9, 0.4)
    history = History([trial])
    try:
        # returns at once although the assessor is still blocked: the verdict comes later
        assert runner.on_results(trial, history) is False
        assert assessor.calls == [] and not runner.pending["t1"].done()
        assert runner.collect({"t1": trial}, history) == []  # not done yet: nothing to stop
        trial.intermediate.append(0.8)
        history.trials.append(running("t2"))
        assert runner.on_results(trial, history) is False  # one call per trial at a time
        assessor.gate.set()
        settle(runner, "t1")
        # the call saw the results and trials as they were when it was submitted, in the worker
        assert [(c[1], c[3]) for c in assessor.calls] == [([0.9, 0.4], 1)]
        assert assessor.calls[0][2].startswith("assessor")
        assert runner.collect({"t1": trial}, history) == ["t1"]
        assert runner.pending == {}
    finally:
        assessor.gate.set()
        runner.close()


def test_a_slow_keep_going_verdict_submits_the_results_that_came_meanwhile() -> None:
    assessor = SlowRecorder(stop_below=0.5)
    assessor.gate.clear()
    runner = AssessorRunner(assessor)
    trial = running("t1", 0.9)
    history = History([trial])
    try:
        runner.on_results(trial, history)
        trial.intermediate += [0.8, 0.7]
        assessor.gate.set()
        settle(runner, "t1")
        assert runner.collect({"t1": trial}, history) == []
        settle(runner, "t1")  # the newer results went to the worker as one call
        assert assessor.results_seen() == [[0.9], [0.9, 0.8, 0.7]]
        assert runner.collect({"t1": trial}, history) == []
        assert runner.pending == {}
    finally:
        assessor.gate.set()
        runner.close()


def test_a_slow_verdict_for_a_trial_that_ended_meanwhile_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    assessor = SlowRecorder(stop_below=0.5)
    runner = AssessorRunner(assessor)
    ended, gone, broken = running("t1", 0.1), running("t2", 0.1), running("t3", 0.1)
    history = History([ended, gone, broken])
    try:
        for trial in (ended, gone):
            runner.on_results(trial, history)
            settle(runner, trial.trial_id)
        ended.status = TrialStatus.SUCCEEDED
        assert runner.collect({"t1": ended}, history) == []  # t1 finished, t2 is no longer known
        assert runner.pending == {}
        assessor.fail = True
        runner.on_results(broken, history)
        settle(runner, "t3")
        with caplog.at_level(logging.ERROR, logger="autolab.manager"):
            assert runner.collect({"t3": broken}, history) == []  # an error is a keep-going verdict
        assert [r.getMessage() for r in caplog.records] == ["assessor failed on trial t3; the trial goes on"]
    finally:
        runner.close()


def test_close_cancels_the_calls_still_queued() -> None:
    assessor = SlowRecorder()
    assessor.gate.clear()
    runner = AssessorRunner(assessor)
    first, second = running("t1", 0.1), running("t2", 0.1)
    history = History([first, second])
    runner.on_results(first, history)
    assert assessor.entered.wait(WAIT)  # t1 runs (and waits at the gate): close cannot cancel it
    runner.on_results(second, history)  # queued behind t1: the worker is one thread
    queued = runner.pending["t2"]
    runner.close()
    assessor.gate.set()
    settle(runner, "t1")
    assert queued.cancelled()
    assert [call[0] for call in assessor.calls] == ["t1"]
