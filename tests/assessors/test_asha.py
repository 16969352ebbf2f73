"""ASHA (stopping mode): rungs at grace_period * eta^k, the best 1/eta of those at a rung go on."""

from __future__ import annotations

from typing import Any

import pytest

from autolab.assessors import AssessorError, create_assessor
from autolab.assessors.asha import AshaAssessor, chain_bound, lower_bound, rank_correlation
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
        ({"min_correlation": 2}, "min_correlation"),
        ({"min_correlation": "high"}, "min_correlation"),
        ({"min_pairs": 2}, "min_pairs"),
        ({"correlation_confidence": 1}, "correlation_confidence"),
        ({"correlation_confidence": "high"}, "correlation_confidence"),
        ({"correlation_confidence": True}, "correlation_confidence"),
        ({"correlation_confidence": 0.8}, "set min_correlation"),
    ],
)
def test_bad_class_args_name_the_key(args: dict[str, Any], key: str) -> None:
    with pytest.raises(AssessorError, match=key):
        create_assessor("ASHA", args)


def _finished(n: int, correlated: bool) -> list:
    """n completed trials of 4 results: at step 1 ranked as their finals (or reversed)."""
    return [
        completed(f"f{i}", [(i if correlated else -i) / 10, 0.0, 0.0, 0.0], value=i / 10) for i in range(n)
    ]


def test_min_correlation_stops_only_at_rungs_that_rank_the_final_results() -> None:
    # a trial worst at rung 1 (one result): plain ASHA stops it whatever the finals say
    for correlated in (True, False):
        history = history_of(*_finished(6, correlated))
        assert judge(make(), "t", [-5.0, 0.0], history) == 1
    # rung 1 reverses the finals' order (Spearman -1): with min_correlation it stops nobody there
    history = history_of(*_finished(6, correlated=False))
    assessor = make(min_correlation=0.3)
    assert assessor.informs(history, 1) is False
    assert judge(assessor, "t", [-5.0, 0.0], history) is None
    # the same rung ranking the finals as they end (Spearman 1) stops as plain ASHA
    history = history_of(*_finished(6, correlated=True))
    assert make(min_correlation=0.3).informs(history, 1) is True
    assert judge(make(min_correlation=0.3), "t", [-5.0, 0.0], history) == 1


def test_min_correlation_stops_nobody_until_min_pairs_completed_trials() -> None:
    history = history_of(*_finished(4, correlated=True))
    assert make(min_correlation=0.3).informs(history, 1) is False  # 4 pairs < min_pairs 5
    assert judge(make(min_correlation=0.3), "t", [-5.0, 0.0], history) is None
    assert judge(make(), "u", [-5.0, 0.0], history) == 1  # plain ASHA stops it
    assert make(min_correlation=0.3, min_pairs=4).informs(history, 1) is True
    # a stopped or running trial is no pair: only completed trials have a final result
    history.trials.append(running("r", [9.0, 0.0, 0.0, 0.0]))
    assert make(min_correlation=0.3).informs(history, 1) is False
    # a fresh assessor (resume) given the same history decides alike: nothing but the history counts
    history.trials.append(completed("f4", [0.4, 0.0, 0.0, 0.0], value=0.4))
    assert make(min_correlation=0.3).informs(history, 1) is True
    assert judge(make(min_correlation=0.3), "v", [-5.0, 0.0], history) == 1


def _ranked(rungs: list[float]) -> History:
    """Completed trials whose finals are 0, 0.1, 0.2 ... and whose results at step 1 are `rungs`."""
    return history_of(*(completed(f"f{i}", [r, 0.0, 0.0, 0.0], value=i / 10) for i, r in enumerate(rungs)))


def test_correlation_confidence_needs_the_bound_not_the_estimate_to_reach_min_correlation() -> None:
    # 5 pairs at Spearman 0.7: the estimate clears 0.5, its 80% lower bound (0.25) does not
    few = [2.0, 0.0, 1.0, 3.0, 4.0]
    assert rank_correlation([(r, i / 10) for i, r in enumerate(few)]) == pytest.approx(0.7)
    assert make(min_correlation=0.5).informs(_ranked(few), 1) is True
    assert judge(make(min_correlation=0.5), "t", [-5.0, 0.0], _ranked(few)) == 1
    cautious = make(min_correlation=0.5, correlation_confidence=0.8)
    assert cautious.informs(_ranked(few), 1) is False
    assert judge(cautious, "t", [-5.0, 0.0], _ranked(few)) is None  # nobody stops on 5 pairs
    # 30 pairs at about the same correlation (0.69): the bound (0.59) clears 0.5, the rung stops
    many = [float(i + 8 * ((i * 7) % 4)) for i in range(30)]
    assert make(min_correlation=0.5, correlation_confidence=0.8).informs(_ranked(many), 1) is True
    assert judge(make(min_correlation=0.5, correlation_confidence=0.8), "t", [-5.0, 0.0], _ranked(many)) == 1


def test_lower_bound_is_fishers_z_with_spearmans_standard_error() -> None:
    # tanh(atanh(0.5) - 0.8416 sqrt(1.06 / 9)), worked by hand
    assert lower_bound(0.5, 12, 0.8) == pytest.approx(0.2548, abs=1e-4)
    assert lower_bound(0.5, 12, 0.9) < lower_bound(0.5, 12, 0.8) < 0.5  # more confidence, lower bound
    assert lower_bound(0.5, 12, 0.8) < lower_bound(0.5, 100, 0.8) < lower_bound(0.5, 10_000, 0.8) < 0.5
    assert lower_bound(1.0, 3, 0.8) == -1.0  # 3 pairs bound nothing
    assert lower_bound(1.0, 5, 0.8) > 0.9


def test_chain_bound_is_the_delta_method_on_the_products_log() -> None:
    # 0.9 * 0.8 exp(-0.8416 sqrt(0.19^2 1.06 / 9 / 0.81 + 0.36^2 1.06 / 6 / 0.64)), worked by hand
    assert chain_bound([(0.9, 12), (0.8, 9)], 0.8) == pytest.approx(0.6072, abs=1e-3)
    assert chain_bound([(0.9, 12), (0.8, 9)], 0.9) < chain_bound([(0.9, 12), (0.8, 9)], 0.8) < 0.72
    assert chain_bound([(0.9, 12), (0.8, 90)], 0.8) > chain_bound([(0.9, 12), (0.8, 9)], 0.8)
    assert chain_bound([(0.9, 12), (-0.2, 30)], 0.8) == -0.2  # a link at or below 0 bounds the chain
    assert chain_bound([(0.9, 12), (1.0, 3)], 0.8) == -1.0  # 3 pairs bound nothing


def _rung1_against_rung3(stopped_reversed: int) -> History:
    """6 completed trials of 10 results whose results at rungs 1 and 3 rank their finals, and
    trials stopped at rung 3 (3 results) whose rung-1 results reverse their rung-3 order."""
    done = [completed(f"f{i}", [i / 10, 0.0, *[i / 10] * 8], value=i / 10) for i in range(6)]
    stopped = []
    for i in range(stopped_reversed):
        trial = running(f"s{i}", [-i / 10, 0.0, i / 10])
        trial.status = TrialStatus.EARLY_STOPPED
        stopped.append(trial)
    return history_of(*done, *stopped)


def test_correlation_chain_reads_the_stopped_trials_between_rungs() -> None:
    chain = {"min_correlation": 0.5, "correlation_confidence": 0.8, "max_t": 10}  # rungs 1, 3, 9
    history = _rung1_against_rung3(stopped_reversed=0)
    assert make(**chain).informs(history, 1) is True  # completed trials only: rung 1 ranks them
    assert make(**chain, correlation_chain=True).informs(history, 1) is True  # every link agrees
    assert judge(make(**chain, correlation_chain=True), "t", [-5.0, 0.0], history) == 1
    # 20 trials stopped at rung 3 whose rung-1 order is the reverse of their rung-3 order: the
    # completed trials alone still switch rung 1 on; the chain's link 1 -> 3 (-0.5) switches it off
    history = _rung1_against_rung3(stopped_reversed=20)
    assert make(**chain).informs(history, 1) is True
    assert judge(make(**chain), "t", [-5.0, 0.0], history) == 1
    assert make(**chain, correlation_chain=True).chained(history, 1) < 0
    assert judge(make(**chain, correlation_chain=True), "t", [-5.0, 0.0], history) is None
    # rung 3's own chain (3 -> 9 -> final) is untouched by the stopped trials: it stays on
    assert make(**chain, correlation_chain=True).informs(history, 3) is True
    # each link needs min_pairs pairs: 4 completed trials switch nothing on
    assert make(**chain, correlation_chain=True).chained(history_of(*history.trials[:4]), 3) == -1.0


@pytest.mark.parametrize(
    "args",
    [{"min_correlation": 0.5, "correlation_chain": "yes"}, {"correlation_chain": True}],
)
def test_bad_correlation_chain_names_the_key(args: dict[str, Any]) -> None:
    with pytest.raises(AssessorError, match="correlation_chain"):
        create_assessor("ASHA", args)


def test_rung_value_best_compares_the_best_results_so_far() -> None:
    # rungs at 3 and 9 results; a fell back to 0.2 at step 3 after 0.9 at step 2
    history = history_of(completed("a", [0.1, 0.9, 0.2, 0.2]))
    assert judge(make(grace_period=3), "t", [0.1, 0.1, 0.5, 0.5], history) is None  # 0.5 > a's 0.2
    history = history_of(completed("a", [0.1, 0.9, 0.2, 0.2]))
    assert judge(make(grace_period=3, rung_value="best"), "t", [0.1, 0.1, 0.5, 0.5], history) == 3  # < 0.9
    # minimizing, the best so far is the lowest
    history = history_of(completed("a", [0.9, 0.1, 0.8, 0.8]))
    assert judge(make(grace_period=3, optimize_mode="minimize"), "t", [0.9, 0.9, 0.5], history) is None
    history = history_of(completed("a", [0.9, 0.1, 0.8, 0.8]))
    assessor = make(grace_period=3, optimize_mode="minimize", rung_value="best")
    assert judge(assessor, "t", [0.9, 0.9, 0.5], history) == 3


def test_rung_value_best_is_what_the_gate_measures() -> None:
    # at step 3 the last results reverse the finals' order, the best so far (step 1) ranks them
    history = history_of(*(completed(f"f{i}", [i / 10, 0.0, -i / 10, 0.0], value=i / 10) for i in range(8)))
    gate = {"min_correlation": 0.5, "correlation_confidence": 0.8}
    assert make(**gate).informs(history, 3) is False
    assert make(**gate, rung_value="best").informs(history, 3) is True
    chained = {**gate, "correlation_chain": True, "max_t": 4, "min_pairs": 4}  # rungs 1, 3
    assert make(**chained).informs(history, 3) is False
    assert make(**chained, rung_value="best").informs(history, 3) is True


def test_rung_value_best_skips_nan_and_follows_new_results() -> None:
    assessor, trial = make(rung_value="best"), running("t", [float("nan"), 0.5, float("nan"), 0.2])
    assert assessor.results(trial)[1:] == [0.5, 0.5, 0.5]
    trial.intermediate.append(0.7)  # cached, and extended as results arrive
    assert assessor.results(trial)[1:] == [0.5, 0.5, 0.5, 0.7]
    assert make().results(trial) is trial.intermediate  # "last": the results themselves


def _peaked(n: int) -> History:
    """n completed trials of 4 results, maximizing: step 1 reverses the finals' order (an early
    peak, 1 - i / 10), step 3 ranks them as they end (i / 10 - 1), so the best so far at step 3 is
    the peak and the last result is what ranks."""
    return history_of(
        *(completed(f"f{i}", [1 - i / 10, 0.0, i / 10 - 1, 0.0], value=i / 10) for i in range(n))
    )


def test_rung_value_auto_reads_whichever_ranks_the_finals() -> None:
    gate = {"min_correlation": 0.5, "correlation_confidence": 0.8}
    # the best so far ranks the finals, the last results reverse them: auto reads the best
    reversed_last = history_of(
        *(completed(f"f{i}", [i / 10, 0.0, -i / 10, 0.0], value=i / 10) for i in range(8))
    )
    assert make(**gate, rung_value="auto").reading(reversed_last, 3) == "best"
    # the other way round: auto reads the last results, and its cut does too
    assert make(**gate, rung_value="best").informs(_peaked(8), 3) is False
    auto = make(**gate, rung_value="auto")
    assert auto.reading(_peaked(8), 3) == "last"
    assert judge(auto, "t", [5.0, 0.0, -0.95, 0.0], _peaked(8)) == 3  # its last -0.95: bottom third
    assert judge(make(**gate, rung_value="best"), "t", [5.0, 0.0, -0.95, 0.0], _peaked(8)) is None
    # neither measure reaches min_correlation: nobody stops
    assert make(**gate, rung_value="auto").reading(_peaked(8), 1) is None


@pytest.mark.parametrize("args", [{"rung_value": "max"}, {"rung_value": "auto"}, {"rung_value": None}])
def test_bad_rung_value_names_the_key(args: dict[str, Any]) -> None:
    with pytest.raises(AssessorError, match="rung_value"):
        create_assessor("ASHA", args)
