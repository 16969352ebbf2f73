"""The config's logLevel and debug set the manager's log level (manager.log); --debug wins; the
caller's `autolab` logger is as it was once run() returns."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from autolab.config import config_from_dict
from autolab.experiment import Experiment
from autolab.launcher import manager_log_level

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


@pytest.mark.parametrize(
    ("fields", "present", "absent"),
    [
        ({"log_level": "warning"}, [], [" INFO ", " DEBUG "]),
        ({"log_level": "debug"}, [" DEBUG ", " INFO "], []),
        ({"debug": True}, [" DEBUG ", " INFO "], []),
        ({}, [" INFO "], [" DEBUG "]),
    ],
)
def test_log_level_sets_what_manager_log_has(
    tmp_path: Path, autolab_home: Path, fields: dict[str, object], present: list[str], absent: list[str]
) -> None:
    (tmp_path / "model.py").write_text("import nni\nnni.report_final_result(nni.get_next_parameter()['x'])\n")
    experiment = Experiment("local")
    experiment.config.trial_command = f"{sys.executable} model.py"
    experiment.config.trial_code_directory = tmp_path
    experiment.config.search_space = SPACE
    experiment.config.max_trial_number = 1
    for key, value in fields.items():
        setattr(experiment.config, key, value)
    logger = logging.getLogger("autolab")
    level = logger.level
    assert experiment.run(0) is True
    assert logger.level == level
    text = (Path(experiment.get_experiment_profile()["directory"]) / "manager.log").read_text()
    assert all(word in text for word in present) and not any(word in text for word in absent), text


def test_the_debug_flag_wins_and_v1_keys_count(tmp_path: Path) -> None:
    assert manager_log_level({"logLevel": "error"}, debug=True) == logging.DEBUG
    assert manager_log_level({"logLevel": "fatal"}, debug=False) == logging.CRITICAL
    assert manager_log_level(None, debug=False) == logging.INFO
    (tmp_path / "space.json").write_text('{"x": {"_type": "uniform", "_value": [0, 1]}}')
    v1 = {
        "authorName": "me",
        "searchSpacePath": str(tmp_path / "space.json"),
        "trial": {"command": "python3 model.py", "codeDir": "."},
        "trainingServicePlatform": "local",
    }
    stored = config_from_dict({**v1, "logLevel": "warning"}, tmp_path / "config.yml", stored=False).to_dict()
    assert manager_log_level(stored, debug=False) == logging.WARNING
    stored = config_from_dict({**v1, "debug": True}, tmp_path / "config.yml", stored=False).to_dict()
    assert manager_log_level(stored, debug=False) == logging.DEBUG
