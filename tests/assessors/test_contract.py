"""The Assessor contract, checked on every builtin assessor."""

from __future__ import annotations

import copy

import pytest

from autolab.assessors import BUILTIN, Assessor, create_assessor
from autolab.statuses import TrialStatus

from .helpers import completed, history_of, running

MINIMAL_ARGS = {
    "curvefitting": {"epoch_num": 10, "start_step": 3},
    "asha:min_correlation": {"min_correlation": 0.3},
    "asha:correlation_confidence": {"min_correlation": 0.3, "correlation_confidence": 0.8},
    "asha:correlation_chain": {
        "min_correlation": 0.3,
        "correlation_confidence": 0.8,
        "correlation_chain": True,
        "max_t": 9,
    },
    "asha:rung_value": {"min_correlation": 0.3, "correlation_chain": True, "max_t": 9, "rung_value": "auto"},
}
GATED = (
    "asha:min_correlation",
    "asha:correlation_confidence",
    "asha:correlation_chain",
    "asha:rung_value",
)  # ASHA with rungs switched on by measure


@pytest.fixture(params=[*sorted(BUILTIN), *GATED])  # name[:variant]
def make(request):
    def build(**extra) -> Assessor:
        name = request.param.split(":")[0]
        return create_assessor(name, {**MINIMAL_ARGS.get(request.param, {}), **extra})

    return build


def test_answers_a_plain_bool_and_changes_nothing(make) -> None:
    others = [completed(f"c{i}", [0.5 + 0.04 * s + 0.01 * i for s in range(10)]) for i in range(3)]
    for results in ([], [0.1], [0.1, 0.2, 0.25, 0.27], [0.9, 0.95, 0.97, 0.98], [float("nan")] * 4):
        trial = running("me", results)
        history = history_of(*others, trial)
        before = copy.deepcopy(history)
        answer = make().should_stop(trial, history)
        assert type(answer) is bool
        assert history == before


# Assessors that compare a trial with every trial that reached the same step, stopped ones too
# (ASHA, as Optuna's SuccessiveHalvingPruner): they need no completed trial to judge; alone at
# their step, they go on (tests/assessors/test_asha.py).
RUNG_ASSESSORS = {"asha", *GATED}


def test_goes_on_without_completed_trials(make, request) -> None:
    if request.node.callspec.params["make"] in RUNG_ASSESSORS:
        pytest.skip("judges against every trial at the rung, completed or not")
    weak = [0.01 * s for s in range(1, 10)]
    stopped = running("s", [0.9] * 10)
    stopped.status = TrialStatus.EARLY_STOPPED
    assert make().should_stop(running("me", weak), history_of(stopped, running("me", weak))) is False


def test_stops_a_hopeless_trial_and_mirrors_for_minimize(make, request) -> None:
    if request.node.callspec.params["make"] in GATED:
        pytest.skip("stops nobody until min_pairs completed trials measured its rungs (test_asha.py)")
    good = [0.5 + 0.04 * s for s in range(10)]
    weak = [0.01 + 0.001 * s for s in range(5)]
    trial = running("me", weak)
    assert make().should_stop(trial, history_of(completed("g", good), trial)) is True
    assert make(optimize_mode="minimize").should_stop(trial, history_of(completed("g", good), trial)) is False
    loss = running("me", [-v for v in weak])
    assert (
        make(optimize_mode="minimize").should_stop(loss, history_of(completed("g", [-v for v in good]), loss))
        is True
    )


def test_slow_flag_is_declared(make) -> None:
    assert isinstance(type(make()).slow, bool)
