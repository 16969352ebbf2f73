"""ASHA (stopping mode): rungs at grace_period * eta^k, the best 1/eta of those at a rung go on."""

from __future__ import annotations

from typing import Any

import pytest

from autolab.assessors import AssessorError, create_assessor
from autolab.assessors.asha import AshaAssessor
from autolab.history import History
from autolab.statuses import TrialStatus

from .helpers import completed, history_of, running


def make(**args: Any) -> AshaAssessor:
    assessor = create_assessor("ASHA", args)
    assert isinstance(assessor, AshaAssessor)
    return assessor


def judge(assessor: AshaAssessor, trial_id: str, results: list[float], history: History) -> int | None:
    """Feed the results one by one as the manager does; the step it was stopped at, or None."""
    trial = running(trial_id, [])
    history.trials.append(trial)
    for value in results:
        trial.intermediate.append(value)
        if assessor.should_stop(trial, history):
            trial.status = TrialStatus.EARLY_STOPPED
            return len(trial.intermediate)
    return None


def test_rung_levels() -> None:
    assert [make().rung_level(k) for k in range(4)] == [1, 3, 9, 27]
    assert [make(grace_period=2, eta=2).rung_level(k) for k in range(3)] == [2, 4, 8]
    assert [make(min_early_stopping_rate=1, reduction_factor=4).rung_level(k) for k in range(2)] == [4, 16]
    assert make(max_t=9).rungs_reached(20) == 2  # rungs 1 and 3; none at 9, where trials end


def test_alone_at_its_rung_it_goes_on() -> None:
    assert judge(make(), "a", [0.1] * 30, History()) is None


def test_the_best_third_goes_on_at_each_rung() -> None:
    assessor, history = make(), History()
    # three trials reach rung 1 (one result): only the best of any three goes on
    assert judge(assessor, "a", [0.5, 0.5, 0.5], history) is None
    assert judge(assessor, "b", [0.2], history) == 1  # worse than a at rung 1 (1 // 3 -> the best only)
    assert judge(assessor, "c", [0.9, 0.1, 0.1], history) == 3  # best at rung 1, worst of a, c at rung 3
    # with six at rung 1 the best two go on
    for i, v in enumerate([0.8, 0.7, 0.05]):
        judge(assessor, f"d{i}", [v], history)
    assert judge(assessor, "e", [0.85, 0.6, 0.6], history) is None  # second best of 7 at rung 1; best at 3


def test_minimize_mirrors() -> None:
    assessor, history = make(optimize_mode="minimize"), History()
    judge(assessor, "a", [0.5], history)
    assert judge(assessor, "b", [0.6], history) == 1
    assert judge(assessor, "c", [0.4], history) is None


def test_each_rung_is_judged_once_and_a_fresh_assessor_judges_again() -> None:
    assessor = make()
    trial = running("t", [0.5])
    history = history_of(trial)
    assert assessor.should_stop(trial, history) is False  # alone at rung 1
    history.trials.append(completed("late", [0.9]))
    trial.intermediate.append(0.5)
    assert assessor.should_stop(trial, history) is False  # rung 1 passed already; rung 3 not reached
    assert make().should_stop(trial, history) is True  # a fresh one (resume) judges rung 1 again


def test_nan_results_are_the_worst() -> None:
    history = history_of(completed("a", [0.1]))
    assert make().should_stop(running("b", [float("nan")]), history) is True


@pytest.mark.parametrize(
    "args, key",
    [
        ({"grace_period": 0}, "grace_period"),
        ({"eta": 1}, "eta"),
        ({"reduction_factor": "x"}, "eta"),
        ({"eta": 2, "reduction_factor": 2}, "reduction_factor"),
        ({"max_t": 0}, "max_t"),
        ({"optimize_mode": "up"}, "optimize_mode"),
    ],
)
def test_bad_class_args_name_the_key(args: dict[str, Any], key: str) -> None:
    with pytest.raises(AssessorError, match=key):
        create_assessor("ASHA", args)
