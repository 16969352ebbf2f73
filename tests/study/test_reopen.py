"""A named study reopens as stored: another space, tuner or assessor is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

import autolab
from autolab.errors import UserError
from autolab.statuses import TrialStatus
from autolab.study import create_study, load_study

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "k": {"_type": "choice", "_value": [1, 2, 3]}}


def plain(trial: autolab.study.StudyTrial) -> float:
    return float(trial.params["x"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"space": {"y": {"_type": "uniform", "_value": [0, 1]}}}, "parameter 'y' is not in it"),
        (
            {"space": {"x": {"_type": "uniform", "_value": [0, 2]}}},
            "parameter 'x' is {'_type': 'uniform', '_value': [0, 1]} there",
        ),
        ({"tuner": "Random"}, "study s1 has tuner 'TPE'; got tuner='Random'"),
        ({"tuner_args": {"n_startup_jobs": 3}}, "has tuner classArg n_startup_jobs None; got 3"),
        ({"assessor": "Curvefitting"}, "has assessor 'Medianstop'; got assessor='Curvefitting'"),
        ({"assessor_args": {"start_step": 9}}, "has assessor classArg start_step 2; got 9"),
        ({"direction": "maximize"}, "study s1 is 'minimize'; got direction='maximize'"),
    ],
)
def test_reopening_with_another_space_tuner_or_assessor_is_refused(
    autolab_home: Path, kwargs: dict, match: str
) -> None:
    args = {"tuner": "TPE", "assessor": "Medianstop", "assessor_args": {"start_step": 2}, "seed": 0}
    with create_study(SPACE, name="s1", **args) as study:  # type: ignore[arg-type]
        study.optimize(plain, n_trials=2)
    space = kwargs.pop("space", None)
    with pytest.raises(UserError, match=match.replace("(", "\\(").replace("[", "\\[")):
        create_study(space, name="s1", **kwargs)
    with load_study("s1") as again:  # nothing was replaced
        assert again.space.raw == SPACE and type(again.tuner).__name__ == "TpeTuner"
        assert again.config["assessor"]["classArgs"]["start_step"] == 2
        again.optimize(plain, n_trials=1)
        assert [t.state for t in again.trials] == [TrialStatus.SUCCEEDED] * 3


def test_reopening_as_stored_or_with_the_same_settings_continues(autolab_home: Path) -> None:
    with create_study(SPACE, tuner="TPE", name="s2", assessor="Medianstop") as study:
        study.optimize(lambda t: plain(t) + t.suggest_float("extra", 0, 1), n_trials=2)  # grows the space
    same = {"tuner": "tpe", "assessor": "Medianstop", "direction": "minimize"}
    with create_study(SPACE, name="s2", **same) as again:  # the space given, without 'extra'
        assert set(again.space.raw) == {"x", "k", "extra"}
        again.optimize(plain, n_trials=1)
    with create_study(name="s2") as again:
        assert len(again.trials) == 3 and type(again.tuner).__name__ == "TpeTuner"
