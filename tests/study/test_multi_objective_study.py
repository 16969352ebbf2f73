"""Studies of several objectives: directions=, told lists and dicts, best_trials, reopening."""

from __future__ import annotations

from pathlib import Path

import pytest

import autolab
from autolab.errors import UserError
from autolab.statuses import TrialStatus

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "y": {"_type": "uniform", "_value": [0, 1]}}


def objective(trial: autolab.study.StudyTrial) -> list[float]:
    x, y = trial.params["x"], trial.params["y"]
    return [x, (1 + y) * (1 - x**0.5)]  # maximise x, minimise the second: a convex front


def test_directions_list_runs_motpe_and_keeps_every_objective() -> None:
    study = autolab.create_study(SPACE, directions=["maximize", "minimize"], seed=0, storage="memory")
    assert type(study.tuner).__name__ == "MotpeTuner"
    assert study.directions == ["maximize", "minimize"]
    study.optimize(objective, n_trials=30)
    trials = study.trials
    assert len(trials) == 30 and all(t.state == TrialStatus.SUCCEEDED for t in trials)
    first = trials[0]
    assert set(first.raw_value) == {"default", "value_1"}
    assert first.values == [first.raw_value["default"], first.raw_value["value_1"]]
    front = study.best_trials
    assert front and all(len(t.values or []) == 2 for t in front)
    for t in front:  # nothing in the study beats a front trial in both objectives
        assert not any(
            o.values[0] >= t.values[0] and o.values[1] <= t.values[1] and o.values != t.values  # type: ignore[index]
            for o in trials
        )
    with pytest.raises(RuntimeError, match="best_trials"):
        _ = study.best_trial


def test_named_directions_constraints_and_bad_tells() -> None:
    study = autolab.create_study(
        SPACE,
        tuner="Evolution",
        directions={"accuracy": "maximize", "latency_ms": "minimize"},
        constraints={"latency_ms": {"max": 0.5}},
        storage="memory",
    )
    assert type(study.tuner).__name__ == "Nsga2Tuner"
    t = study.ask()
    done = study.tell(t, [0.9, 0.7])
    assert done.state == TrialStatus.SUCCEEDED
    assert done.raw_value == {"default": 0.9, "accuracy": 0.9, "latency_ms": 0.7}
    t = study.ask()
    assert study.tell(t, {"default": 0.8, "latency_ms": 0.3}).values == [0.8, 0.3]
    assert [x.values for x in study.best_trials] == [[0.8, 0.3]]  # the first is infeasible
    bad = study.tell(study.ask(), [0.5])
    assert bad.state == TrialStatus.FAILED and "1 values told for 2 objectives" in bad.message
    bad = study.tell(study.ask(), 0.5)
    assert bad.state == TrialStatus.FAILED and "a number was told" in bad.message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"direction": "minimize", "directions": ["minimize"]}, "not both"),
        ({"directions": ["up", "minimize"]}, "'up'"),
        ({"directions": []}, "directions is empty"),
        ({"directions": ["minimize", "minimize"], "tuner": "Anneal"}, "Anneal optimises one objective"),
    ],
)
def test_bad_directions_are_one_line_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(UserError, match=match):
        autolab.create_study(SPACE, storage="memory", **kwargs)


def test_a_named_study_reopens_with_its_objectives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path))
    with autolab.create_study(SPACE, directions=["maximize", "minimize"], name="mo", seed=1) as study:
        study.optimize(objective, n_trials=12)
        front = [t.number for t in study.best_trials]
    with autolab.load_study("mo") as again:
        assert again.directions == ["maximize", "minimize"]
        assert [t.number for t in again.best_trials] == front
        again.optimize(objective, n_trials=3)
        assert len(again.trials) == 15
    with pytest.raises(UserError, match="has objectives"):
        autolab.create_study(SPACE, directions=["minimize", "minimize"], name="mo")


def test_an_assessor_stops_on_the_first_objective() -> None:
    """Medianstop gets the first direction and the intermediate numbers (the first objective)."""
    study = autolab.create_study(
        SPACE, directions=["maximize", "minimize"], assessor="Medianstop", storage="memory", seed=0
    )
    assert study.assessor is not None
    assert study.config["assessor"]["classArgs"]["optimize_mode"] == "maximize"

    def curve(trial: autolab.study.StudyTrial) -> list[float]:
        level = trial.params["x"]
        for step in range(4):
            trial.report(level * (step + 1))
            if trial.should_prune():
                raise autolab.TrialPruned()
        return [level, 1 - level]

    study.optimize(curve, n_trials=20)
    states = {t.state for t in study.trials}
    assert TrialStatus.SUCCEEDED in states and TrialStatus.EARLY_STOPPED in states
    pruned = [t for t in study.trials if t.state == TrialStatus.EARLY_STOPPED]
    best_done = max(t.values[0] for t in study.trials if t.state == TrialStatus.SUCCEEDED)  # type: ignore[index]
    assert all(t.params["x"] < best_done for t in pruned)  # low first objective was stopped


def test_gp_study_runs_mogp_with_constraints_and_reopens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tuner="GP" with directions is MOGP; an experiment reopened continues from its store."""
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path))
    kwargs = {"tuner": "GP", "seed": 0, "constraints": {"value_1": {"max": 0.8}}}
    with autolab.create_study(SPACE, directions=["maximize", "minimize"], name="gp", **kwargs) as study:
        assert type(study.tuner).__name__ == "MoGpTuner"
        study.optimize(objective, n_trials=14)
    with autolab.load_study("gp") as again:
        assert type(again.tuner).__name__ == "MoGpTuner"
        again.optimize(objective, n_trials=4)
        trials = again.trials
    assert len(trials) == 18 and all(t.state == TrialStatus.SUCCEEDED for t in trials)
    front = again.best_trials
    assert front and all(t.values[1] <= 0.8 for t in front)  # type: ignore[index]


NAN = float("nan")


@pytest.mark.parametrize(
    ("told", "match"),
    [
        ([0.7, NAN], "objective 'value_1' is nan, not a finite number"),
        ([0.7, None], "objective 'value_1' is None, not a finite number"),
        ([NAN, 0.7], "objective 'default' is nan, not a finite number"),
        ([0.7, float("inf")], "objective 'value_1' is inf"),
        ({"default": 0.7, "value_1": NAN}, "objective 'value_1' is nan"),
        ({"default": 0.7}, "objective 'value_1' is missing"),
        ([0.7], "1 values told for 2 objectives"),
        ([0.7, 0.1, 0.2], "3 values told for 2 objectives"),
        (0.7, "a number was told to a study of 2 objectives"),
    ],
)
def test_a_non_finite_missing_or_miscounted_objective_fails_the_trial(told: object, match: str) -> None:
    """As Optuna: NaN or None in any objective is a FAILED trial naming it, never a short values list."""
    study = autolab.create_study(SPACE, tuner="Random", directions=["minimize", "minimize"], storage="memory")
    study.optimize(lambda t: told, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialStatus.FAILED and trial.values is None
    assert match in trial.message
    asked = study.ask()
    assert study.tell(asked, told).state == TrialStatus.FAILED  # tell gives the same
    assert study.best_trials == []


def test_one_objective_with_constraints_has_the_best_feasible_trial() -> None:
    study = autolab.create_study(
        SPACE, tuner="Random", direction="minimize", constraints={"c": {"min": 0.5}}, storage="memory", seed=3
    )
    assert study.directions == ["minimize"]
    with pytest.raises(ValueError, match="no trial"):
        _ = study.best_trial
    study.tell(study.ask(), {"default": 0.1, "c": 0.2})  # the smallest value, infeasible
    with pytest.raises(ValueError, match="meets its constraints"):
        _ = study.best_value
    study.optimize(lambda t: {"default": t.params["x"], "c": t.params["y"]}, n_trials=20)
    feasible = [t for t in study.trials if t.raw_value["c"] >= 0.5]
    best = min(feasible, key=lambda t: t.value)  # type: ignore[arg-type,return-value]
    assert study.best_trial.number == best.number and study.best_value == best.value
    assert study.best_params == best.params and study.best_trial.values == [best.value]
    assert [t.number for t in study.best_trials] == [best.number]
    maximizing = autolab.create_study(SPACE, direction="maximize", constraints={"default": {"max": 0.5}})
    for told in (0.9, 0.4, 0.2):  # a number is the one objective's value
        maximizing.tell(maximizing.ask(), told)
    assert maximizing.best_value == 0.4
