from __future__ import annotations

import time

import numpy as np
import pytest

from autolab.assessors import AssessorError
from autolab.assessors.curvefitting import CurvefittingAssessor

from .helpers import completed, history_of, running

STEPS = np.arange(1, 21, dtype=float)
GOOD = list(0.95 - 0.8 * STEPS**-0.7)  # ends at about 0.85
WEAK = list(0.6 - 0.5 * STEPS**-0.7)  # ends at about 0.54


def judge(assessor: CurvefittingAssessor, results: list[float], *others) -> bool:
    trial = running("me", results)
    return assessor.should_stop(trial, history_of(*others, trial))


def test_stops_a_weak_curve_and_keeps_a_good_one() -> None:
    best = completed("best", GOOD)
    assessor = CurvefittingAssessor(epoch_num=20)
    assert judge(assessor, WEAK[:6], best) is True
    assert judge(assessor, GOOD[:6], best) is False
    # a curve still low at step 6 but on course to pass 0.95 x best goes on
    steep = list(0.97 - 0.97 * np.exp(-0.15 * STEPS))
    assert steep[5] < 0.95 * GOOD[-1] < steep[-1]
    assert judge(assessor, steep[:6], best) is False


def test_no_completed_trials_goes_on() -> None:
    assert judge(CurvefittingAssessor(epoch_num=20), WEAK[:8]) is False


def test_start_step_gap_and_epoch_num() -> None:
    best = completed("best", GOOD)
    assessor = CurvefittingAssessor(epoch_num=20, start_step=6, gap=3)
    decisions = {n: judge(assessor, WEAK[:n], best) for n in range(1, 21)}
    assert [n for n, stop in decisions.items() if stop] == [6, 9, 12, 15, 18]


def test_threshold() -> None:
    best = completed("best", GOOD)  # final 0.852; WEAK is predicted at about 0.53 = 0.63 x best
    assert judge(CurvefittingAssessor(epoch_num=20, threshold=0.55), WEAK[:8], best) is False
    assert judge(CurvefittingAssessor(epoch_num=20, threshold=0.7), WEAK[:8], best) is True


def test_minimize_mode() -> None:
    good_loss = [0.2 + 2.0 * np.exp(-0.3 * s) for s in STEPS]  # ends at 0.205
    weak_loss = [1.0 + 2.0 * np.exp(-0.3 * s) for s in STEPS]  # ends at 1.005
    best = completed("best", good_loss)
    assessor = CurvefittingAssessor(epoch_num=20, optimize_mode="minimize")
    assert judge(assessor, weak_loss[:7], best) is True
    assert judge(assessor, good_loss[:7], best) is False
    assert judge(CurvefittingAssessor(epoch_num=20), weak_loss[:7], best) is False  # maximize: higher is fine


def test_failed_fit_goes_on() -> None:
    assert judge(CurvefittingAssessor(epoch_num=20, start_step=2), [0.1, 0.2], completed("b", GOOD)) is False


def test_call_is_bounded_in_time() -> None:
    rng = np.random.default_rng(3)
    best = completed("best", GOOD)
    assessor = CurvefittingAssessor(epoch_num=100, start_step=6)
    noisy = list(np.asarray(WEAK * 5) + rng.normal(0, 0.05, 100))
    times = []
    for n in range(6, 99, 4):
        start = time.perf_counter()
        judge(assessor, noisy[:n], best)
        times.append(time.perf_counter() - start)
    assert assessor.slow is True
    assert float(np.median(times)) < 0.1
    assert max(times) < assessor.time_budget + 0.5


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({}, "epoch_num"),
        ({"epoch_num": 0}, "epoch_num"),
        ({"epoch_num": "20"}, "epoch_num"),
        ({"epoch_num": 20, "start_step": 0}, "start_step"),
        ({"epoch_num": 5, "start_step": 6}, "start_step"),
        ({"epoch_num": 20, "threshold": 1.5}, "threshold"),
        ({"epoch_num": 20, "threshold": 0}, "threshold"),
        ({"epoch_num": 20, "gap": 0}, "gap"),
        ({"epoch_num": 20, "time_budget": -1}, "time_budget"),
        ({"epoch_num": 20, "optimize_mode": "max"}, "optimize_mode"),
    ],
)
def test_bad_class_args(kwargs, key) -> None:
    with pytest.raises(AssessorError, match=key):
        CurvefittingAssessor(**kwargs)
