"""BatchTuner: run exactly the listed parameter sets, once each, in order (NNI's BatchTuner)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import NoMoreTrials, TunerError, create_tuner
from autolab.tuners.batch import BatchTuner

SETS: list[dict[str, Any]] = [
    {"lr": 0.1, "optimizer": "sgd", "layers": [64, 64]},
    {"lr": 0.01, "optimizer": "adam", "layers": [128]},
    {"lr": 0.001, "optimizer": "adam", "layers": []},
]


def batch_space(sets: list[Any] | None = None) -> SearchSpace:
    return SearchSpace({"combine_params": {"_type": "choice", "_value": copy.deepcopy(sets or SETS)}})


def test_runs_each_set_once_in_order_then_no_more_trials() -> None:
    tuner = BatchTuner(batch_space())
    history = History()
    for i, expected in enumerate(SETS):
        params = tuner.suggest(history)
        assert params == expected
        history.trials.append(Trial(f"t{i}", i, params, TrialStatus.SUCCEEDED, 0.5))
    with pytest.raises(NoMoreTrials):
        tuner.suggest(history)


def test_running_trials_are_not_repeated() -> None:
    tuner = BatchTuner(batch_space())
    history = History([Trial("t0", 0, copy.deepcopy(SETS[0]), TrialStatus.RUNNING)])
    assert tuner.suggest(history) == SETS[1]


def test_resume_skips_sets_already_run_even_failed_ones() -> None:
    history = History(
        [
            Trial("t0", 0, copy.deepcopy(SETS[1]), TrialStatus.FAILED),
            Trial("t1", 1, copy.deepcopy(SETS[0]), TrialStatus.SUCCEEDED, 1.0),
        ]
    )
    assert BatchTuner(batch_space()).suggest(history) == SETS[2]


def test_created_by_nni_name() -> None:
    assert isinstance(create_tuner(batch_space(), "BatchTuner"), BatchTuner)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (
            {
                "combine_params": {"_type": "choice", "_value": SETS},
                "other": {"_type": "choice", "_value": [1]},
            },
            "exactly one",
        ),
        ({"combine_params": {"_type": "choice", "_value": [{"lr": 0.1}, 0.2]}}, "combine_params"),
        ({"combine_params": {"_type": "uniform", "_value": [0, 1]}}, "uniform"),
        (
            {
                "combine_params": {
                    "_type": "choice",
                    "_value": [{"_name": "a", "x": {"_type": "choice", "_value": [1]}}],
                }
            },
            "nested",
        ),
    ],
)
def test_bad_spaces_are_tuner_errors(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(TunerError, match=fragment):
        BatchTuner(SearchSpace(raw))


def test_suggestion_is_not_the_tuners_own_object() -> None:
    tuner = BatchTuner(batch_space())
    history = History()
    params = tuner.suggest(history)
    history.trials.append(Trial("t0", 0, copy.deepcopy(params), TrialStatus.RUNNING))
    params["lr"] = 99.0
    params["layers"].append(1)
    history.trials.append(Trial("t1", 1, tuner.suggest(history), TrialStatus.RUNNING))
    history.trials.append(Trial("t2", 2, tuner.suggest(history), TrialStatus.RUNNING))
    with pytest.raises(NoMoreTrials):
        tuner.suggest(history)
    assert [t.parameters for t in history.trials] == SETS
