"""NNI's MetisTuner and DNGOTuner run as autolab's GP with one warning; NNI's NAS tuners are refused."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from autolab.config import ConfigError, load_config
from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.gp import GPTuner

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "k": {"_type": "choice", "_value": [1, 2, 3]}}
CONFIG = """\
searchSpaceFile: space.json
trialCommand: python3 trial.py
trialConcurrency: 1
maxTrialNumber: 10
tuner:
  name: {name}
  classArgs:
    optimize_mode: maximize
{args}trainingService:
  platform: local
"""


def load(tmp_path: Path, name: str, args: str = "") -> object:
    (tmp_path / "space.json").write_text(json.dumps(SPACE))
    path = tmp_path / "config.yml"
    path.write_text(CONFIG.format(name=name, args=args))
    return load_config(path)


@pytest.mark.parametrize(
    "name, args, said",
    [
        (
            "MetisTuner",
            "    cold_start_num: 3\n    no_resampling: false\n",
            "MetisTuner runs as autolab's GP",
        ),
        ("DNGOTuner", "    sample_size: 500\n    trials_per_update: 5\n", "DNGOTuner runs as autolab's GP"),
    ],
)
def test_stand_ins_load_with_one_warning_and_run_as_gp(
    tmp_path: Path, name: str, args: str, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = load(tmp_path, name, args)
    warnings = [w for w in config.warnings if "GP" in w]  # type: ignore[attr-defined]
    assert len(warnings) == 1 and warnings[0].startswith(f"tuner.name: {said}")
    with caplog.at_level(logging.WARNING, logger="autolab.manager"):
        tuner = create_tuner(SearchSpace(SPACE), name, config.tuner.class_args)  # type: ignore[attr-defined]
    assert isinstance(tuner, GPTuner) and said in caplog.text
    history = History()
    for i in range(12):
        p = tuner.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, -((p["x"] - 0.4) ** 2)))
    assert len({json.dumps(t.parameters, sort_keys=True) for t in history.trials}) == 12


def test_class_args_are_passed_on() -> None:
    metis = create_tuner(SearchSpace(SPACE), "MetisTuner", {"cold_start_num": 3})
    dngo = create_tuner(SearchSpace(SPACE), "DNGOTuner", {"sample_size": 500})
    assert metis.cold_start_num == 3 and dngo.warm_up == 500  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name, args, key",
    [
        ("MetisTuner", {"exploration_probability": 2}, "exploration_probability"),
        ("MetisTuner", {"no_resampling": "no"}, "no_resampling"),
        ("DNGOTuner", {"sample_size": 0}, "sample_size"),
        ("DNGOTuner", {"num_epochs_per_training": 1.5}, "num_epochs_per_training"),
    ],
)
def test_bad_class_args_name_the_key(name: str, args: dict[str, object], key: str) -> None:
    with pytest.raises(TunerError, match=key):
        create_tuner(SearchSpace(SPACE), name, args)


@pytest.mark.parametrize("name", ["PPOTuner", "NetworkMorphism"])
def test_nas_tuners_point_at_autolab_nas(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, name)
    message = str(err.value)
    assert "\n" not in message and f"{name} is an NNI builtin autolab does not have" in message
    assert "autolab.nas" in message
