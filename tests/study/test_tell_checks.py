"""What tell() and a finished trial refuse, as Optuna does; TrialStatus from autolab."""

from __future__ import annotations

import pytest

import autolab
from autolab.errors import UserError
from autolab.statuses import TrialStatus
from autolab.study import create_study

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def test_tell_refuses_a_value_with_state_fail_or_pruned() -> None:
    study = create_study(SPACE, tuner="Random")
    trial = study.ask()
    for state in ("fail", "pruned", TrialStatus.FAILED):
        with pytest.raises(UserError, match=r"a value \(0.3\) cannot be told with state="):
            study.tell(trial, 0.3, state=state)
    assert study.trials[0].state is TrialStatus.RUNNING  # refused: the trial still runs
    assert study.tell(trial, state="pruned").state is TrialStatus.EARLY_STOPPED
    assert study.tell(study.ask(), 0.4, state="complete").value == 0.4


def test_trial_status_comes_from_autolab_as_the_docs_say() -> None:
    study = create_study(SPACE, tuner="Random")
    assert autolab.TrialStatus is TrialStatus
    assert study.tell(study.ask(), state=autolab.TrialStatus.FAILED).state is TrialStatus.FAILED


def test_a_finished_trial_takes_no_more_parameters() -> None:
    study = create_study(SPACE, tuner="Random")
    trial = study.ask()
    study.tell(trial, 0.1)
    with pytest.raises(UserError, match="trial 0 has ended \\(SUCCEEDED\\): suggest 'y' comes before tell"):
        trial.suggest_float("y", 0, 1)
    with pytest.raises(UserError, match="has ended"):
        trial.suggest_categorical("x", [1, 2])
    with pytest.raises(UserError, match="trial 0 has ended \\(SUCCEEDED\\): report\\(\\) comes before tell"):
        trial.report(0.5)
    assert set(study.space.raw) == {"x"} and study.trials[0].intermediate_values == {}
