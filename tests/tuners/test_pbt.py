"""PBT: NNI's checkpoint parameters, generations, exploit and explore, read back from the history."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.base import NotYet
from autolab.tuners.pbt import LOAD, SAVE, PbtTuner

SPACE = SearchSpace(
    {
        "lr": {"_type": "uniform", "_value": [0, 1]},
        "bs": {"_type": "choice", "_value": [16, 32, 64]},
        "n": {"_type": "randint", "_value": [1, 10]},
        "q": {"_type": "quniform", "_value": [0, 100, 10]},
    }
)


def make(tmp_path: Path, **args: Any) -> PbtTuner:
    tuner = create_tuner(
        SPACE, "PBTTuner", {"all_checkpoint_dir": str(tmp_path), "population_size": 5, "seed": 0, **args}
    )
    assert isinstance(tuner, PbtTuner)
    return tuner


def add(history: History, params: dict[str, Any]) -> Trial:
    i = len(history)
    trial = Trial(f"T{i}", i, dict(params), TrialStatus.RUNNING, fidelity=dict(params.fidelity))  # type: ignore[attr-defined]
    history.trials.append(trial)
    return trial


def generation(tuner: PbtTuner, history: History, score: Any) -> list[Trial]:
    trials = [add(history, tuner.suggest(history)) for _ in range(tuner.population_size)]
    for trial in trials:
        trial.status, trial.value = TrialStatus.SUCCEEDED, score(trial)
    return trials


def test_generation_0_gives_each_member_its_checkpoint_directories(tmp_path: Path) -> None:
    tuner, history = make(tmp_path), History()
    first = [add(history, tuner.suggest(history)) for _ in range(5)]
    for member, trial in enumerate(first):
        assert trial.parameters[LOAD] == trial.parameters[SAVE] == os.path.join(tmp_path, str(member), "0")
        assert trial.fidelity == {"budget": None, "bracket": None, "rung": 0, "config": str(member)}
    with pytest.raises(NotYet):  # the generation runs
        tuner.suggest(history)


def test_the_bottom_fraction_exploits_the_top_and_explores(tmp_path: Path) -> None:
    tuner, history = make(tmp_path, fraction=0.4, resample_probability=0.0), History()
    first = generation(tuner, history, lambda t: t.parameters["lr"])
    ranked = sorted(range(5), key=lambda m: -first[m].parameters["lr"])
    top, bottom = ranked[:2], ranked[-2:]
    second = [add(history, tuner.suggest(history)) for _ in range(5)]
    for member, trial in enumerate(second):
        p = trial.parameters
        assert p[SAVE] == os.path.join(tmp_path, str(member), "1") and trial.fidelity["rung"] == 1  # type: ignore[index]
        if member in bottom:  # loads a top member's checkpoint, its parameters moved one step
            source = next(m for m in top if p[LOAD] == first[m].parameters[SAVE])
            was = first[source].parameters
            assert abs(p["lr"] - was["lr"]) == pytest.approx(0.2) or p["lr"] in (0, 1)
            assert abs(p["n"] - was["n"]) <= 1 and abs(p["q"] - was["q"]) <= 10
            assert abs([16, 32, 64].index(p["bs"]) - [16, 32, 64].index(was["bs"])) <= 1
        else:  # goes on from its own checkpoint with its own parameters
            assert p[LOAD] == first[member].parameters[SAVE]
            assert {k: p[k] for k in ("lr", "bs", "n", "q")} == {
                k: first[member].parameters[k] for k in ("lr", "bs", "n", "q")
            }


def test_factors_multiply_and_a_failed_member_is_the_worst(tmp_path: Path) -> None:
    tuner, history = make(tmp_path, factors=[2.0], fraction=0.2, resample_probability=0.0), History()
    first = generation(tuner, history, lambda t: 1.0 + t.sequence)
    first[0].status, first[0].value = TrialStatus.FAILED, None  # the worst now, member 1 is not
    second = [add(history, tuner.suggest(history)) for _ in range(5)]
    assert second[0].parameters[LOAD] == first[4].parameters[SAVE]  # member 4 is the best
    assert second[0].parameters["lr"] == min(1.0, 2 * first[4].parameters["lr"])
    assert second[1].parameters[LOAD] == first[1].parameters[SAVE]


def test_a_fresh_tuner_continues_the_generation(tmp_path: Path) -> None:
    old, history = make(tmp_path), History()
    generation(old, history, lambda t: t.parameters["lr"])
    add(history, old.suggest(history))
    expected = old.suggest(history)
    got = make(tmp_path).suggest(history)
    assert got == expected and got.fidelity == expected.fidelity == {
        "budget": None,
        "bracket": None,
        "rung": 1,
        "config": "1",
    }  # type: ignore[attr-defined]


def test_the_default_directory_is_nnis_variable_else_checkpoint_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NNI_CHECKPOINT_DIRECTORY", str(tmp_path / "nni"))
    assert create_tuner(SPACE, "PBT", {}).all_checkpoint_dir == str(tmp_path / "nni")  # type: ignore[attr-defined]
    monkeypatch.delenv("NNI_CHECKPOINT_DIRECTORY")
    monkeypatch.chdir(tmp_path)
    assert create_tuner(SPACE, "PBTTuner", {}).all_checkpoint_dir == str(tmp_path / "checkpoint")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args, key",
    [
        ({"population_size": 0}, "population_size"),
        ({"fraction": 0}, "fraction"),
        ({"resample_probability": 2}, "resample_probability"),
        ({"factor": 0.2, "factors": [1.2]}, "factors"),
        ({"factors": [1.2, -1]}, "factors"),
        ({"factor": "x"}, "factor"),
        ({"all_checkpoint_dir": 3}, "all_checkpoint_dir"),
    ],
)
def test_bad_class_args_name_the_key(args: dict[str, Any], key: str) -> None:
    with pytest.raises(TunerError, match=key):
        create_tuner(SPACE, "PBTTuner", args)
