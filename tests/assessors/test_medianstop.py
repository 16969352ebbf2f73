from __future__ import annotations

import math
import random

import pytest

from autolab.assessors.medianstop import MedianstopAssessor
from autolab.history import History, Trial
from autolab.statuses import TrialStatus

from .helpers import completed, history_of, running


def judge(assessor: MedianstopAssessor, results: list[float], *others) -> bool:
    trial = running("me", results)
    return assessor.should_stop(trial, history_of(*others, trial))


def test_no_completed_trials_goes_on() -> None:
    assert judge(MedianstopAssessor(), [0.0, 0.0, 0.0]) is False
    failed = completed("f", [0.9, 0.9, 0.9])
    failed.status = TrialStatus.FAILED
    stopped = running("s", [0.9, 0.9, 0.9])
    stopped.status = TrialStatus.EARLY_STOPPED
    assert judge(MedianstopAssessor(), [0.0, 0.0, 0.0], failed, stopped) is False


def test_stops_below_median_of_running_averages() -> None:
    others = [
        completed("a", [0.2, 0.4, 0.6]),
        completed("b", [0.5, 0.7, 0.9]),
        completed("c", [0.8, 0.9, 1.0]),
    ]
    # running averages at step 2: a 0.3, b 0.6, c 0.85 -> median 0.6
    assert judge(MedianstopAssessor(), [0.1, 0.55], *others) is True
    assert judge(MedianstopAssessor(), [0.1, 0.6], *others) is False  # equal is not worse
    # the best result so far counts, not the last one
    assert judge(MedianstopAssessor(), [0.65, 0.1], *others) is False


def test_running_average_not_final_value() -> None:
    # at step 2 the completed trial's running average is 0.5, although it ended at 0.9
    other = completed("a", [0.1, 0.9])
    assert judge(MedianstopAssessor(), [0.3, 0.6], other) is False
    assert judge(MedianstopAssessor(), [0.3, 0.45], other) is True


def test_even_count_takes_lenient_middle() -> None:
    others = [completed(str(v), [v]) for v in (0.2, 0.4, 0.6, 0.8)]
    # the arithmetic median would be 0.5; NNI's rule compares with 0.4 when maximizing
    assert judge(MedianstopAssessor(), [0.45], *others) is False
    assert judge(MedianstopAssessor(), [0.39], *others) is True
    # and with 0.6 when minimizing
    assert judge(MedianstopAssessor("minimize"), [0.55], *others) is False
    assert judge(MedianstopAssessor("minimize"), [0.61], *others) is True


def test_start_step() -> None:
    others = [completed("a", [0.9] * 5)]
    assessor = MedianstopAssessor(start_step=3)
    assert judge(assessor, [0.1]) is False
    assert judge(assessor, [0.1], *others) is False
    assert judge(assessor, [0.1, 0.1], *others) is False
    assert judge(assessor, [0.1, 0.1, 0.1], *others) is True
    assert judge(MedianstopAssessor(start_step=0), [0.1], *others) is True


def test_minimize_mode() -> None:
    others = [
        completed("a", [1.0, 0.8, 0.6]),
        completed("b", [2.0, 1.6, 1.2]),
        completed("c", [3.0, 2.5, 2.0]),
    ]
    # running averages at step 3: a 0.8, b 1.6, c 2.5 -> median 1.6; best (lowest) result counts
    assessor = MedianstopAssessor(optimize_mode="minimize")
    assert judge(assessor, [3.0, 2.0, 1.7], *others) is True
    assert judge(assessor, [3.0, 1.5, 1.9], *others) is False
    assert judge(MedianstopAssessor(), [3.0, 2.0, 1.7], *others) is False  # maximize: far above


def test_completed_trials_shorter_than_step_are_ignored() -> None:
    short = completed("short", [0.9, 0.9])
    assert judge(MedianstopAssessor(), [0.1, 0.1, 0.1], short) is False
    assert judge(MedianstopAssessor(), [0.1, 0.1], short) is True


def test_the_trial_itself_and_non_finite_values() -> None:
    trial = completed("me", [0.1, 0.1])  # a stale SUCCEEDED copy of itself must not count
    assert MedianstopAssessor().should_stop(trial, history_of(trial)) is False
    assert judge(MedianstopAssessor(), [float("nan")], completed("a", [0.5])) is False
    assert judge(MedianstopAssessor(), [float("nan"), 0.1], completed("a", [0.5, 0.5])) is True
    assert judge(MedianstopAssessor(), [0.1], completed("a", [float("inf")]), completed("b", [0.05])) is False


@pytest.mark.parametrize("bad", [-1, "3", 1.5, True, None])
def test_bad_start_step(bad) -> None:
    from autolab.assessors import AssessorError

    with pytest.raises(AssessorError, match="start_step"):
        MedianstopAssessor(start_step=bad)


def test_running_averages_round_like_nni() -> None:
    # summed left to right: (0.1 + 0.2 + 0.3) / 3 is 0.20000000000000004, so 0.2 is (just) worse
    assert judge(MedianstopAssessor(), [0.0, 0.0, 0.2], completed("a", [0.1, 0.2, 0.3])) is True


class CountingList(list):
    """A list of results that counts the elements read from it."""

    def __init__(self, values=()) -> None:
        super().__init__(values)
        self.reads = 0

    def __getitem__(self, index):
        got = super().__getitem__(index)
        self.reads += len(got) if isinstance(index, slice) else 1
        return got

    def __iter__(self):
        self.reads += len(self)
        return super().__iter__()


def test_a_result_costs_the_same_however_many_came_before() -> None:
    # issue 14: each call re-read both trials' results (O(n^2) for a trial's n results); the
    # running sums and the best so far are kept, so n results read each value about once
    n = 5_000
    other = completed("a", [0.5] * n)
    other.intermediate = CountingList(other.intermediate)
    trial = running("me", [])
    trial.intermediate = CountingList()
    history = history_of(other, trial)
    assessor = MedianstopAssessor()
    for _ in range(n):
        trial.intermediate.append(0.6)
        assert assessor.should_stop(trial, history) is False
    assert other.intermediate.reads <= 2 * n
    assert trial.intermediate.reads <= 2 * n


def naive(maximize: bool, start_step: int, trial: Trial, history: History) -> bool:
    """The rule as NNI states it, recomputed from scratch."""
    step = len(trial.intermediate)
    finite = [v for v in trial.intermediate if math.isfinite(v)]
    if step == 0 or step < start_step or not finite:
        return False
    averages = []
    for t in history.completed():
        if t.trial_id != trial.trial_id and len(t.intermediate) >= step:
            total = 0.0
            for v in t.intermediate[:step]:
                total += v
            if math.isfinite(total / step):
                averages.append(total / step)
    if not averages:
        return False
    averages.sort()
    if maximize:
        return max(finite) < averages[(len(averages) - 1) // 2]
    return min(finite) > averages[len(averages) // 2]


@pytest.mark.parametrize("seed", range(20))
def test_a_kept_assessor_decides_as_a_fresh_one_and_as_the_rule(seed: int) -> None:
    rng = random.Random(seed)
    mode = rng.choice(["maximize", "minimize"])
    start_step = rng.choice([0, 0, 3])

    first = rng.uniform(0.35, 0.65)  # the judged trial's best: near the medians, verdicts go each way

    def value(mine: bool = False) -> float:
        if rng.random() < 0.03:
            return rng.choice([float("nan"), float("inf"), -float("inf")])
        if not mine:
            return rng.random()
        return first - rng.random() * 0.3 if mode == "maximize" else first + rng.random() * 0.3

    others = [
        completed(f"c{i}", [value() for _ in range(rng.randint(1, 60))]) for i in range(rng.randint(0, 6))
    ]
    trial = running("me", [first])
    history = history_of(*others, trial)
    kept = MedianstopAssessor(mode, start_step)
    for step in range(40):
        trial.intermediate.append(value(mine=True))
        if step == 8:  # the same trial ids with other results (a different history): rebuilt
            for t in others:
                t.intermediate = [value() for _ in range(rng.randint(1, 60))]
        if step == 12 and others:  # a trial's results grow after it was read
            others[0].intermediate.extend(value() for _ in range(10))
        if step == 15:  # a stale SUCCEEDED copy of the judged trial appears, and goes
            history.trials.append(completed("me", list(trial.intermediate)))
        if step == 17:
            history.trials.pop()
        if step == 20 and len(others) > 1:  # a trial leaves the completed ones
            others[1].status = TrialStatus.FAILED
        if step in (23, 25) and others:  # the same results under another id: the judged trial's
            others[0].trial_id = "me" if step == 23 else "c0"
        if step == 27:  # the judged trial's results are a new list
            trial.intermediate = list(trial.intermediate)
        expected = naive(mode == "maximize", start_step, trial, history)
        assert kept.should_stop(trial, history) is expected
        assert MedianstopAssessor(mode, start_step).should_stop(trial, history) is expected


def test_a_kept_assessor_follows_the_completed_trials_as_they_change() -> None:
    a, b, c = completed("a", [0.2] * 3), completed("b", [0.8] * 3), completed("c", [0.9] * 3)
    trial = running("me", [0.5])
    history = history_of(a, b, c, trial)
    kept = MedianstopAssessor()
    assert kept.should_stop(trial, history) is True  # median of 0.2, 0.8, 0.9
    c.status = TrialStatus.FAILED  # c leaves the completed ones: the lenient middle of 0.2, 0.8
    assert kept.should_stop(trial, history) is False
    c.status = TrialStatus.SUCCEEDED
    assert kept.should_stop(trial, history) is True
    c.trial_id = "me"  # the same results, now a stale copy of the judged trial: not counted
    assert kept.should_stop(trial, history) is False
