"""Where PBT and ASHA (promotion) keep checkpoints: the experiment's directory, wherever the manager
runs. A detached manager runs in that directory; one in the foreground (`autolab create
--foreground`, the Python API) runs in the user's, where the default `checkpoint` used to land."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autolab.launcher import build_manager
from autolab.searchspace import parse
from autolab.tuners import create_tuner
from tests.helpers_experiment import SPACE, make_experiment

TUNERS = {"PBTTuner": {"population_size": 2, "seed": 0}, "ASHA": {"max_t": 3, "seed": 0}}


@pytest.mark.parametrize("name", sorted(TUNERS))
def test_the_default_is_the_experiment_directory_not_the_working_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv("NNI_CHECKPOINT_DIRECTORY", raising=False)
    directory = make_experiment(tmp_path, "", tuner={"name": name, "classArgs": TUNERS[name]})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    manager = build_manager(directory)
    try:
        assert manager.tuner.all_checkpoint_dir == str(directory.resolve() / "checkpoint")  # type: ignore[attr-defined]
    finally:
        manager.close()


def test_a_relative_directory_is_taken_from_the_experiment_an_absolute_one_and_nnis_variable_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = parse(SPACE)
    exp = str(tmp_path / "exp")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NNI_CHECKPOINT_DIRECTORY", raising=False)
    relative = create_tuner(space, "ASHA", {"all_checkpoint_dir": "ck"}, experiment_directory=exp)
    assert relative.all_checkpoint_dir == os.path.join(exp, "ck")  # type: ignore[attr-defined]
    absolute = create_tuner(space, "PBT", {"all_checkpoint_dir": "/data/ck"}, experiment_directory=exp)
    assert absolute.all_checkpoint_dir == "/data/ck"  # type: ignore[attr-defined]
    monkeypatch.setenv("NNI_CHECKPOINT_DIRECTORY", str(tmp_path / "nni"))
    nni = create_tuner(space, "PBTTuner", {}, experiment_directory=exp)
    assert nni.all_checkpoint_dir == str(tmp_path / "nni")  # type: ignore[attr-defined]
    assert create_tuner(space, "TPE", {}, experiment_directory=exp) is not None  # no such classArg: untouched
