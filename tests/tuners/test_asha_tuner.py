"""ASHA in promotion mode: asynchronous promotions, each configuration continuing from its own
checkpoint directory, read back from the history."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from autolab.fidelity import BUDGET_KEY
from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.asha import LOAD, SAVE, AshaTuner

SPACE = SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}})


def make(tmp_path: Path, **args: Any) -> AshaTuner:
    tuner = create_tuner(SPACE, "ASHA", {"all_checkpoint_dir": str(tmp_path), "seed": 0, "max_t": 9, **args})
    assert isinstance(tuner, AshaTuner)
    return tuner


def add(history: History, params: dict[str, Any], value: float | None = None) -> Trial:
    i = len(history)
    status = TrialStatus.RUNNING if value is None else TrialStatus.SUCCEEDED
    trial = Trial(f"T{i}", i, dict(params), status, value=value, fidelity=dict(params.fidelity))  # type: ignore[attr-defined]
    history.trials.append(trial)
    return trial


def test_rung_budgets_and_checkpoint_directories(tmp_path: Path) -> None:
    tuner, history = make(tmp_path), History()
    assert [tuner.budget(k) for k in range(3)] == [1, 3, 9]
    first = tuner.suggest(history)
    assert first[BUDGET_KEY] == 1 and first[LOAD] == "" and first[SAVE] == os.path.join(tmp_path, "c0", "0")
    assert first.fidelity == {"budget": 1, "bracket": None, "rung": 0, "config": "c0"}  # type: ignore[attr-defined]


def test_promotes_the_best_third_without_waiting(tmp_path: Path) -> None:
    tuner, history = make(tmp_path), History()
    for value in (0.5, 0.9):  # two results at rung 0: 2 // 3 = none promotable yet
        add(history, tuner.suggest(history), value)
    assert tuner.suggest(history).fidelity["rung"] == 0  # type: ignore[attr-defined]
    add(history, tuner.suggest(history), 0.1)  # three: the best (c1, 0.9) goes on
    promoted = tuner.suggest(history)
    assert promoted.fidelity == {"budget": 3, "bracket": None, "rung": 1, "config": "c1"}  # type: ignore[attr-defined]
    assert promoted[LOAD] == os.path.join(tmp_path, "c1", "0") and promoted[SAVE] == os.path.join(
        tmp_path, "c1", "1"
    )
    assert promoted["x"] == history.trials[1].parameters["x"]
    add(history, promoted)  # runs; nobody waits for it: a new configuration starts meanwhile
    assert tuner.suggest(history).fidelity == {"budget": 1, "bracket": None, "rung": 0, "config": "c3"}  # type: ignore[attr-defined]


def test_a_fresh_tuner_continues(tmp_path: Path) -> None:
    old, history = make(tmp_path), History()
    for i in range(20):
        params = old.suggest(history)
        add(history, params, params["x"] if i % 3 else None)
    expected = old.suggest(history)
    got = make(tmp_path).suggest(history)
    assert got == expected and got.fidelity == expected.fidelity  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args, key", [({"grace_period": 0}, "grace_period"), ({"eta": 1}, "eta"), ({"max_t": 0}, "max_t")]
)
def test_bad_class_args_name_the_key(tmp_path: Path, args: dict[str, Any], key: str) -> None:
    with pytest.raises(TunerError, match=key):
        make(tmp_path, **args)


def test_a_configuration_the_updated_space_lacks_is_not_promoted(tmp_path: Path) -> None:
    """The tuner keeps each configuration's fit between suggestions: an update must reset it."""
    tuner, history = make(tmp_path), History()
    for _ in range(3):
        params = tuner.suggest(history)
        add(history, params, params["x"])
    best = max(history.trials, key=lambda t: t.parameters["x"])
    assert tuner.suggest(history).fidelity["config"] == best.fidelity["config"]  # type: ignore[attr-defined]
    low = sorted(t.parameters["x"] for t in history.trials)[0]
    tuner.update_search_space(SearchSpace({"x": {"_type": "uniform", "_value": [0, low]}}))
    assert tuner.suggest(history).fidelity["rung"] == 0  # type: ignore[attr-defined]
