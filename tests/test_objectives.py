"""Objectives and constraints read from reported dicts; the Pareto set and hypervolume history."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autolab.history import Trial
from autolab.objectives import (
    ObjectiveError,
    Objectives,
    best_trials,
    from_config,
    hypervolume_history,
    optimize_mode,
)
from autolab.statuses import TrialStatus
from autolab.store import Store
from autolab.views import best_trial

OBJ = Objectives.parse({"accuracy": "maximize", "latency_ms": "minimize"}, {"latency_ms": {"max": 20}})


def test_default_maps_to_the_first_objective() -> None:
    assert OBJ.values({"default": 0.9, "latency_ms": 12}) == [0.9, 12.0]
    assert OBJ.values({"default": 0.9, "accuracy": 0.8, "latency_ms": 12}) == [0.8, 12.0]
    assert OBJ.losses({"default": 0.9, "latency_ms": 12}) == [-0.9, 12.0]
    assert OBJ.values({"default": 0.9}) is None  # latency missing
    assert OBJ.values({"default": 0.9, "latency_ms": None}) is None  # non-finite stored as null
    assert OBJ.values(0.9) is None


def test_violation() -> None:
    assert OBJ.violation({"default": 1, "latency_ms": 20}) == 0
    assert OBJ.violation({"default": 1, "latency_ms": 25.5}) == 5.5
    assert OBJ.violation({"default": 1}) == math.inf
    two = Objectives.parse(["default"], {"a": {"min": 1, "max": 2}, "b": {"min": 0}})
    assert two.violation({"default": 0, "a": 0, "b": -2}) == 3
    assert two.directions == ("maximize",)


@pytest.mark.parametrize(
    ("objectives", "constraints", "match"),
    [
        ({}, None, "objectives must map"),
        ({"a": "max"}, None, "objectives.a must be 'maximize' or 'minimize'"),
        ("a", None, "objectives must map"),
        ({"a": "minimize"}, {"a": 20}, r"constraints.a must be \{min: x\}"),
        ({"a": "minimize"}, {"a": {"max": "x"}}, "constraints.a.max must be a number"),
        ({"a": "minimize"}, {"a": {"min": 3, "max": 1}}, "min 3 is above max 1"),
        ({"a": "minimize"}, {"a": {"below": 1}}, r"constraints.a must be"),
    ],
)
def test_bad_specs_name_the_key(objectives: object, constraints: object, match: str) -> None:
    with pytest.raises(ObjectiveError, match=match):
        Objectives.parse(objectives, constraints)


def test_from_config() -> None:
    assert from_config({"tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}}}) is None
    got = from_config({"tuner": {"classArgs": {"objectives": {"a": "minimize", "b": "maximize"}}}})
    assert got is not None and got.names == ("a", "b")


def trial(seq: int, raw: object, status: TrialStatus = TrialStatus.SUCCEEDED) -> Trial:
    return Trial(f"t{seq}", seq, {}, status, value=0.0, raw_value=raw, end_time=float(seq))


def test_best_trials_is_the_feasible_front() -> None:
    trials = [
        trial(0, {"default": 0.9, "latency_ms": 30}),  # infeasible (best accuracy)
        trial(1, {"default": 0.8, "latency_ms": 15}),
        trial(2, {"default": 0.7, "latency_ms": 10}),
        trial(3, {"default": 0.7, "latency_ms": 12}),  # dominated by 2
        trial(4, {"default": 0.95, "latency_ms": 5}, TrialStatus.FAILED),
        trial(5, {"default": 0.6}),  # no latency: not scored
    ]
    assert [t.trial_id for t in best_trials(OBJ, trials)] == ["t1", "t2"]


def test_hypervolume_history_grows_with_the_front() -> None:
    obj = Objectives.parse({"a": "minimize", "b": "minimize"})
    trials = [
        trial(0, {"default": 3, "a": 3, "b": 3}),
        trial(1, {"default": 1, "a": 1, "b": 3}),
        trial(2, {"default": 4, "a": 4, "b": 4}),  # dominated: no change
        trial(3, {"default": 3, "a": 3, "b": 1}),
    ]
    ref, hist = hypervolume_history(obj, trials, reference=[4, 4])
    assert ref == [4, 4]
    assert hist == [(0, 1.0), (1, 3.0), (2, 3.0), (3, 5.0)]
    # maximised objectives keep their own sign in the reference
    maxi = Objectives.parse({"a": "maximize", "b": "minimize"})
    ref, hist = hypervolume_history(maxi, [trial(0, {"default": 0, "a": 2, "b": 1})], reference=[0, 3])
    assert ref == [0, 3] and hist == [(0, 4.0)]


def test_a_constraint_on_the_first_objective_reads_default() -> None:
    """Regression: `constraints: {accuracy: {min: 0.8}}` with accuracy reported as `default` was
    read as missing, so every trial was infeasible."""
    obj = Objectives.parse({"accuracy": "maximize", "params": "minimize"}, {"accuracy": {"min": 0.8}})
    assert obj.violation({"default": 0.9, "params": 10}) == 0
    assert obj.violation({"default": 0.7, "params": 10}) == pytest.approx(0.1)


def test_optimize_mode_is_the_first_objectives_direction(tmp_path: Path) -> None:
    """The profile's `best` (and `top`, the export's head/tail) rank the `default` value, which
    stands for the first objective: its direction decides, not classArgs' optimize_mode."""

    def config(args: dict[str, object]) -> dict[str, object]:
        return {"tuner": {"name": "TPE", "classArgs": args}}

    assert optimize_mode(config({"objectives": {"loss": "minimize", "size": "minimize"}})) == "minimize"
    assert optimize_mode(config({"objectives": {"acc": "maximize", "ms": "minimize"}})) == "maximize"
    assert optimize_mode(config({"objectives": ["loss", "ms"], "optimize_mode": "minimize"})) == "minimize"
    assert optimize_mode(config({"optimize_mode": "minimize"})) == "minimize"
    assert optimize_mode(config({})) == optimize_mode(None) == "maximize"
    with Store(tmp_path, create=True) as store:
        store.set_meta(config=config({"objectives": {"loss": "minimize", "size": "minimize"}}))
        for tid, loss in (("a", 0.1), ("b", 0.5)):
            store.add_trial(tid, {"x": loss})
            store.update_trial(
                tid, status=TrialStatus.SUCCEEDED, value=loss, raw_value={"default": loss, "size": 3}
            )
        best = best_trial(store)
        assert best is not None and best["trialJobId"] == "a"
