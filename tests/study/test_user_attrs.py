"""A trial's user attributes: kept in memory, persisted with a named study, as Optuna's."""

from __future__ import annotations

from pathlib import Path

import pytest

import autolab
from autolab.errors import UserError
from autolab.study import create_study, load_study

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def noted(trial: autolab.study.StudyTrial) -> float:
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("note", f"trial {trial.number}")
    trial.set_user_attr("twice", 2 * x)
    assert trial.user_attrs["note"] == f"trial {trial.number}"
    return x


def test_user_attrs_are_kept_in_memory() -> None:
    study = create_study(tuner="Random", seed=0)
    study.optimize(noted, n_trials=2)
    trials = study.trials
    assert [t.user_attrs["note"] for t in trials] == ["trial 0", "trial 1"]
    assert all(t.user_attrs["twice"] == 2 * t.params["x"] for t in trials)
    assert study.best_trial.user_attrs["note"] == f"trial {study.best_trial.number}"
    trial = study.ask()
    trial.set_user_attr("anything", object)  # in memory any value is kept, as Optuna's
    assert study.tell(trial, 0.5).user_attrs == {"anything": object}


def test_user_attrs_are_persisted_with_a_named_study(autolab_home: Path) -> None:
    study = create_study(SPACE, tuner="Random", name="attrs", seed=0)
    study.optimize(noted, n_trials=2)  # inside optimize (rows deferred)
    trial = study.ask()  # by hand
    trial.set_user_attr("by", "hand")
    trial.set_user_attr("by", "ask")  # the last value wins
    assert study.tell(trial, 0.5).user_attrs == {"by": "ask"}
    with pytest.raises(UserError, match="set_user_attr\\('bad'\\): a named study keeps JSON values"):
        study.ask().set_user_attr("bad", object())
    study.close()
    with load_study("attrs") as again:
        attrs = [t.user_attrs for t in again.trials]
    assert [a.get("note") for a in attrs[:2]] == ["trial 0", "trial 1"]
    assert attrs[2] == {"by": "ask"} and attrs[3] == {}


def test_a_finished_trial_takes_no_more_attributes() -> None:
    study = create_study(SPACE, tuner="Random")
    trial = study.ask()
    trial.set_user_attr("early", 1)
    study.tell(trial, 0.1)
    with pytest.raises(
        UserError, match="trial 0 has ended \\(SUCCEEDED\\): set_user_attr\\('late'\\) comes before tell"
    ):
        trial.set_user_attr("late", 1)
    assert study.trials[0].user_attrs == {"early": 1}
