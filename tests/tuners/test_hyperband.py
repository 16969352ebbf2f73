"""Hyperband: NNI's schedule and classArgs, ranking by the latest result, serial and parallelism
modes, and its state read back from the history (a fresh tuner continues the same bracket)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from autolab.fidelity import BUDGET_KEY
from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.base import NotYet
from autolab.tuners.hyperband import HyperbandTuner

SPACE = SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}})


def make(**args: Any) -> HyperbandTuner:
    tuner = create_tuner(SPACE, "Hyperband", {"seed": 0, **args})
    assert isinstance(tuner, HyperbandTuner)
    return tuner


def add(history: History, params: dict[str, Any], status: TrialStatus = TrialStatus.RUNNING) -> Trial:
    i = len(history)
    fid = dict(params.fidelity)  # type: ignore[attr-defined]
    fid["config"] = fid["config"] or f"T{i}"
    trial = Trial(f"T{i}", i, dict(params), status, fidelity=fid)
    history.trials.append(trial)
    return trial


def finish(trial: Trial, value: float | None, status: TrialStatus = TrialStatus.SUCCEEDED) -> None:
    trial.status, trial.value = status, value


def run_all(tuner: HyperbandTuner, n: int, value: Any = lambda p: p["x"]) -> History:
    """n suggestions, each finished at once with value(params)."""
    history = History()
    for _ in range(n):
        params = tuner.suggest(history)
        finish(add(history, params), value(params))
    return history


def test_the_schedule_is_nnis_and_the_papers_for_r81_eta3() -> None:
    tuner = make(R=81, eta=3)
    assert tuner.s_max == 4
    table = [
        [(tuner.rung_size(b, i), tuner.budget(b, i)) for i in range(tuner.last_rung(b) + 1)] for b in range(5)
    ]
    assert table == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert tuner.s_of(5) == 4  # then again from the most aggressive bracket


def test_a_whole_iteration_runs_each_rung_once_with_its_budget_in_the_parameters() -> None:
    tuner = make(R=9, eta=3)  # s_max 2: brackets (9 @1, 3 @3, 1 @9), (5 @3, 1 @9), (3 @9)
    history = run_all(tuner, 9 + 3 + 1 + 5 + 1 + 3)
    seen = Counter(
        (t.fidelity["bracket"], t.fidelity["rung"], t.parameters[BUDGET_KEY]) for t in history.trials
    )  # type: ignore[index]
    assert seen == {(0, 0, 1): 9, (0, 1, 3): 3, (0, 2, 9): 1, (1, 0, 3): 5, (1, 1, 9): 1, (2, 0, 9): 3}
    assert tuner.suggest(history).fidelity == {"budget": 1, "bracket": 3, "rung": 0, "config": None}  # type: ignore[attr-defined]


def test_promotion_takes_the_best_by_latest_result_and_keeps_the_parameters() -> None:
    tuner = make(R=9, eta=3, optimize_mode="minimize")
    history = History()
    first = [add(history, tuner.suggest(history)) for _ in range(9)]
    for i, trial in enumerate(first):
        finish(trial, float(i))
    # an early-stopped trial counts with its last intermediate result; a failed one without any is out
    finish(first[8], None, TrialStatus.EARLY_STOPPED)
    first[8].intermediate = [9.0, -1.0]
    finish(first[0], None, TrialStatus.FAILED)
    promoted = [tuner.suggest(history) for _ in range(1)]
    add(history, promoted[0])
    promoted += [tuner.suggest(history)]
    add(history, promoted[1])
    promoted += [tuner.suggest(history)]
    add(history, promoted[2])
    configs = [p.fidelity["config"] for p in promoted]  # type: ignore[attr-defined]
    assert configs == ["T8", "T1", "T2"]
    assert [p[BUDGET_KEY] for p in promoted] == [3, 3, 3]
    assert promoted[0]["x"] == first[8].parameters["x"]


def test_fewer_results_than_the_rung_wants_promote_those_there_are() -> None:
    tuner = make(R=9, eta=3, exec_mode="serial")
    history = History()
    first = [add(history, tuner.suggest(history)) for _ in range(9)]
    for trial in first:
        finish(trial, None, TrialStatus.FAILED)
    finish(first[4], 0.5)
    nxt = tuner.suggest(history)
    assert nxt.fidelity["config"] == "T4" and nxt.fidelity["rung"] == 1  # type: ignore[attr-defined]
    finish(add(history, nxt), None, TrialStatus.FAILED)
    # rung 1 ended without a result: the bracket ends, the next one starts
    assert tuner.suggest(history).fidelity["bracket"] == 1  # type: ignore[attr-defined]


def test_serial_waits_for_the_rung_and_parallelism_starts_the_next_bracket() -> None:
    for mode in ("serial", "parallelism"):
        tuner = make(R=9, eta=3, exec_mode=mode)
        history = History()
        for _ in range(9):
            add(history, tuner.suggest(history))
        if mode == "serial":
            with pytest.raises(NotYet):
                tuner.suggest(history)
        else:
            assert tuner.suggest(history).fidelity["bracket"] == 1  # type: ignore[attr-defined]


def test_serial_starts_the_next_bracket_once_the_last_rung_is_issued() -> None:
    tuner = make(R=9, eta=3, exec_mode="serial")
    history = History()
    for _ in range(9 + 3):
        params = tuner.suggest(history)
        finish(add(history, params), params["x"])
    last = add(history, tuner.suggest(history))
    assert last.fidelity["rung"] == 2  # type: ignore[index]
    assert tuner.suggest(history).fidelity["bracket"] == 1  # type: ignore[attr-defined]


def test_a_fresh_tuner_continues_the_same_bracket() -> None:
    old, history = make(R=27, eta=3), History()
    for i in range(40):
        trial = add(history, old.suggest(history))
        if i % 3:
            finish(trial, trial.parameters["x"])
    expected = [old.suggest(history) for _ in range(3)]
    fresh = make(R=27, eta=3)
    assert [fresh.suggest(history) for _ in range(3)] == expected
    assert [p.fidelity for p in expected] == [fresh.suggest(history).fidelity] * 3  # type: ignore[attr-defined]


def test_a_rerun_of_a_lost_trial_is_the_same_configuration_once() -> None:
    tuner = make(R=9, eta=3, exec_mode="serial")
    history = History()
    first = [add(history, tuner.suggest(history)) for _ in range(9)]
    for trial in first:
        finish(trial, trial.parameters["x"])
    finish(first[3], None, TrialStatus.FAILED)
    rerun = Trial("R3", 99, dict(first[3].parameters), TrialStatus.RUNNING, fidelity=first[3].fidelity)
    history.trials.append(rerun)
    with pytest.raises(NotYet):  # the rung waits for the re-run
        tuner.suggest(history)
    finish(rerun, 2.0)  # the best now
    assert tuner.suggest(history).fidelity["config"] == "T3"  # type: ignore[attr-defined]


def test_a_finite_space_is_not_repeated_within_a_bracket() -> None:
    space = SearchSpace({"a": {"_type": "choice", "_value": [1, 2, 3]}})
    tuner = create_tuner(space, "Hyperband", {"R": 9, "eta": 3, "exec_mode": "serial", "seed": 1})
    history = History()
    for _ in range(3):
        add(history, tuner.suggest(history))
    assert sorted(t.parameters["a"] for t in history.trials) == [1, 2, 3]
    with pytest.raises(NotYet):
        tuner.suggest(history)
    for trial in history.trials:
        finish(trial, float(trial.parameters["a"]))
    assert tuner.suggest(history)["a"] == 3  # promoted: rung 0 closed at the 3 points there are


def test_r1_runs_one_rung_per_bracket() -> None:
    space = SearchSpace({"a": {"_type": "choice", "_value": [1]}})
    tuner = create_tuner(space, "Hyperband", {"R": 1, "eta": 3})
    history = History()
    finish(add(history, tuner.suggest(history)), 1.0)
    assert tuner.s_max == 0
    # R=1: one rung per bracket; every bracket may run the one point again
    assert tuner.suggest(history).fidelity == {"budget": 1, "bracket": 1, "rung": 0, "config": None}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args, key",
    [
        ({"R": 0}, "R"),
        ({"R": "x"}, "R"),
        ({"R": float("inf")}, "R"),  # YAML's .inf and .nan: a one-line error, not an OverflowError
        ({"R": float("nan")}, "R"),
        ({"eta": 1}, "eta"),
        ({"eta": float("nan")}, "eta"),
        ({"exec_mode": "fast"}, "exec_mode"),
    ],
)
def test_bad_class_args_name_the_key(args: dict[str, Any], key: str) -> None:
    with pytest.raises(TunerError, match=f"^Hyperband classArgs.{key} must be"):
        create_tuner(SPACE, "Hyperband", args)


def test_nnis_defaults() -> None:
    tuner = make()
    assert (tuner.R, tuner.eta, tuner.exec_mode, tuner.optimize_mode) == (60, 3, "parallelism", "maximize")


@pytest.mark.parametrize(
    "name, args", [("Hyperband", {"R": 27, "eta": 3}), ("BOHB", {"min_budget": 1, "max_budget": 27})]
)
def test_a_trial_limit_inside_the_first_bracket_is_said_at_create(name: str, args: dict[str, Any]) -> None:
    tuner = create_tuner(SPACE, name, {"seed": 0, "exec_mode": "serial", **args})
    # the first trial at the full budget, in a run where every trial ends before the next starts
    history = History()
    while True:
        trial = add(history, tuner.suggest(history))
        finish(trial, trial.parameters["x"])
        if trial.parameters[BUDGET_KEY] == 27:
            break
    assert len(history) == 40
    assert tuner.limit_warning(40) == tuner.limit_warning(69) == ""
    assert tuner.limit_warning(39) == (
        f"{name}: maxTrialNumber 39 ends inside the first bracket (27 + 9 + 3 + 1 = 40 trials), so no "
        "configuration reaches the full budget 27; one bracket needs maxTrialNumber 40, all 4 need 69"
    )
