"""enqueue_trial: checked against the space, completed by sampling, a WAITING trial kept in a named
study's store until ask() runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

import autolab
from autolab.errors import UserError
from autolab.statuses import TrialStatus
from autolab.store import Store
from autolab.study import create_study, load_study

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "k": {"_type": "choice", "_value": [1, 2, 3]}}


def plain(trial: autolab.study.StudyTrial) -> float:
    return float(trial.params["x"])


def test_enqueued_parameters_are_checked_against_the_space() -> None:
    study = create_study(SPACE, tuner="Random", seed=0)
    with pytest.raises(UserError, match="enqueue_trial: parameter 'x': 5.0 is outside \\[0, 1\\]"):
        study.enqueue_trial({"x": 5.0})
    with pytest.raises(
        UserError, match="enqueue_trial: 7 is not an option of 'k' \\(options: \\[1, 2, 3\\]\\)"
    ):
        study.enqueue_trial({"k": 7})
    with pytest.raises(
        UserError, match="enqueue_trial: parameter 'zz' is not in the search space \\('x', 'k'\\)"
    ):
        study.enqueue_trial({"zz": 1})
    with pytest.raises(UserError, match="parameters must be a dict"):
        study.enqueue_trial([("x", 0.5)])  # type: ignore[arg-type]
    assert study.trials == []
    study.enqueue_trial({"k": 3})  # a subset: x is sampled
    study.enqueue_trial({"x": 0.25, "k": 2}, user_attrs={"why": "a guess"})
    assert [(t.number, t.state) for t in study.trials] == [(0, TrialStatus.WAITING), (1, TrialStatus.WAITING)]
    study.optimize(plain, n_trials=3)
    first, second, third = study.trials
    assert first.params["k"] == 3 and 0 <= first.params["x"] <= 1 and first.source == "enqueued"
    assert second.params == {"x": 0.25, "k": 2} and second.user_attrs == {"why": "a guess"}
    assert third.source == "tuner" and all(t.state is TrialStatus.SUCCEEDED for t in study.trials)


def test_define_by_run_checks_an_enqueued_value_when_it_is_suggested() -> None:
    study = create_study(tuner="Random", seed=0)  # no space yet: any name is taken

    def objective(trial: autolab.study.StudyTrial) -> float:
        return trial.suggest_float("lr", 0, 1)

    study.enqueue_trial({"lr": 0.5})
    study.enqueue_trial({"lr": 5.0})
    study.optimize(objective, n_trials=3)
    ok, bad, sampled = study.trials
    assert ok.state is TrialStatus.SUCCEEDED and ok.value == 0.5
    assert bad.state is TrialStatus.FAILED and "trial 1: parameter 'lr': 5.0 is outside [0, 1]" in bad.message
    assert sampled.state is TrialStatus.SUCCEEDED and set(study.space.raw) == {"lr"}
    with pytest.raises(UserError, match="'zz' is not in the search space \\('lr'\\)"):
        study.enqueue_trial({"zz": 1})


def test_an_enqueued_trial_of_a_named_study_outlives_the_process(autolab_home: Path) -> None:
    study = create_study(SPACE, tuner="Random", name="queued", seed=0)
    study.optimize(plain, n_trials=1)
    study.enqueue_trial({"x": 0.125, "k": 2})
    with Store(Path(str(study.directory)), readonly=True) as store:  # written when enqueued
        rows = store.trial_rows()
        assert [(r.seq, r.status, r.source) for r in rows][-1] == (1, TrialStatus.WAITING, "enqueued")
    study.close()
    with create_study(SPACE, name="queued") as again:  # reopening leaves it waiting (not FAILED)
        assert [t.state for t in again.trials] == [TrialStatus.SUCCEEDED, TrialStatus.WAITING]
        trial = again.ask()
        assert trial.number == 1 and trial.params == {"x": 0.125, "k": 2}
        again.tell(trial, 0.125)
        again.optimize(plain, n_trials=1)
    with load_study("queued") as last:
        assert [(t.number, t.state, t.source) for t in last.trials] == [
            (0, TrialStatus.SUCCEEDED, "tuner"),
            (1, TrialStatus.SUCCEEDED, "enqueued"),
            (2, TrialStatus.SUCCEEDED, "tuner"),
        ]
        assert last.trials[1].value == 0.125


def test_enqueue_with_bad_user_attrs_enqueues_nothing(autolab_home: Path) -> None:
    with create_study(SPACE, name="attrs-q") as study:
        with pytest.raises(UserError, match="enqueue_trial: user_attrs: a named study keeps JSON values"):
            study.enqueue_trial({"x": 0.5}, user_attrs={"f": object()})
        with pytest.raises(UserError, match="user_attrs must be a dict, got list"):
            study.enqueue_trial({"x": 0.5}, user_attrs=[1])  # type: ignore[arg-type]
        assert study.trials == []
