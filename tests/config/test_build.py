"""Experiment config (NNI v2 keys): values, defaults, key matching, paths, round trip (errors:
test_build_errors.py)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from autolab.config import (
    AlgorithmConfig,
    ConfigError,
    TrainingServiceConfig,
    config_from_dict,
    load_config,
)
from autolab.config import model as cfg
from tests.config.build_helpers import MINIMAL, SPACE, write


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path / "home"))


def test_every_v2_key(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    path = write(
        tmp_path,
        """\
        experimentName: digits
        searchSpaceFile: search_space.json
        trialCommand: python3 train.py --epochs 3
        trialCodeDirectory: code
        trialConcurrency: 4
        trialGpuNumber: 1
        maxExperimentDuration: 2h
        maxTrialNumber: 50
        maxTrialDuration: 10m
        experimentWorkingDirectory: runs
        tuner:
          name: Random
          classArgs: {optimize_mode: maximize, seed: 3}
        assessor:
          name: Medianstop
          classArgs: {start_step: 5}
        trainingService:
          platform: local
          useActiveGpu: true
          maxTrialNumberPerGpu: 2
          gpuIndices: [0, 2]
        logLevel: debug
        debug: true
        useAnnotation: false
        nniManagerIp: 10.0.0.1
        """,
    )
    c = load_config(path)
    assert c.source == path
    assert c.experiment_name == "digits"
    assert c.search_space.raw == SPACE
    assert c.search_space_file == tmp_path / "search_space.json"
    assert c.trial_command == "python3 train.py --epochs 3"
    assert c.trial_code_directory == tmp_path / "code"
    assert (c.trial_concurrency, c.trial_gpu_number, c.max_trial_number) == (4, 1, 50)
    assert (c.max_experiment_duration, c.max_trial_duration) == (7200.0, 600.0)
    assert c.experiment_working_directory == tmp_path / "runs"
    assert c.tuner == AlgorithmConfig("Random", None, None, {"optimize_mode": "maximize", "seed": 3})
    assert c.assessor == AlgorithmConfig("Medianstop", None, None, {"start_step": 5})
    assert c.training_service == TrainingServiceConfig(
        "local", use_active_gpu=True, max_trial_number_per_gpu=2, gpu_indices=[0, 2]
    )
    assert (c.log_level, c.debug, c.warnings, c.extra) == ("debug", True, [], {})


def test_defaults(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, MINIMAL))
    assert c.experiment_name is None
    assert c.trial_code_directory == tmp_path
    assert (c.trial_concurrency, c.trial_gpu_number) == (1, 0)
    assert (c.max_experiment_duration, c.max_trial_number, c.max_trial_duration) == (None, None, None)
    assert c.experiment_working_directory == tmp_path / "home"
    assert c.tuner == AlgorithmConfig("Random", None, None, {})
    assert c.assessor is None
    assert c.training_service == TrainingServiceConfig("local")
    assert c.training_service.use_active_gpu is False
    assert (c.log_level, c.debug) == ("info", False)


def test_working_directory_without_autolab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOLAB_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert (
        load_config(write(tmp_path, MINIMAL)).experiment_working_directory
        == tmp_path / "user/autolab-experiments"
    )


@pytest.mark.parametrize(
    "text",
    [
        "trial_command: run\ntrial_concurrency: 3\ntraining_service: {PLATFORM: local, gpu_indices: [1]}\n",
        "TrialCommand: run\nTRIALCONCURRENCY: 3\nTrainingService: {Platform: Local, GpuIndices: [1]}\n",
        "trialcommand: run\ntrialConcurrency: 3\ntrainingService: {platform: local, gpuIndices: '1'}\n",
    ],
)
def test_keys_match_without_case_and_underscores(tmp_path: Path, text: str) -> None:
    c = load_config(write(tmp_path, "search_space_file: search_space.json\n" + text))
    assert (c.trial_command, c.trial_concurrency, c.training_service.gpu_indices) == ("run", 3, [1])
    assert c.training_service.platform == "local"


def test_class_args_keys_are_kept_as_written(tmp_path: Path) -> None:
    c = load_config(
        write(tmp_path, MINIMAL + "tuner: {name: random, class_args: {optimize_mode: min, Seed_X: 1}}\n")
    )
    assert c.tuner.class_args == {"optimize_mode": "min", "Seed_X": 1}
    assert c.tuner.name == "random"


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.chdir("/")
    folder = tmp_path / "exp"
    (folder / "spaces").mkdir(parents=True)
    (folder / "spaces/ss.json").write_text(json.dumps(SPACE))
    path = write(
        folder,
        """\
        searchSpaceFile: spaces/ss.json
        trialCommand: run
        trialCodeDirectory: ../code
        experimentWorkingDirectory: ~/exps
        tuner: {className: my_tuner.MyTuner, codeDirectory: ./tuners}
        assessor: {className: my_assessor.Stop}
        """,
        space=False,
    )
    c = load_config(path)
    assert c.search_space_file == folder / "spaces/ss.json" and c.search_space.raw == SPACE
    assert c.trial_code_directory == tmp_path / "code"
    assert c.experiment_working_directory == tmp_path / "user/exps"
    assert c.tuner == AlgorithmConfig(None, "my_tuner.MyTuner", folder / "tuners", {})
    assert (
        c.assessor is not None and c.assessor.code_directory == folder
    )  # a custom class defaults to the folder


def test_relative_config_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, MINIMAL)
    monkeypatch.chdir(tmp_path)
    c = load_config("config.yml")
    assert c.source == tmp_path / "config.yml" and c.source.is_absolute()
    assert c.trial_code_directory == tmp_path


def test_inline_search_space_and_custom_tuner_without_space(tmp_path: Path) -> None:
    c = load_config(
        write(tmp_path, "trialCommand: run\nsearchSpace: " + json.dumps(SPACE) + "\n", space=False)
    )
    assert c.search_space.raw == SPACE and c.search_space_file is None
    c = load_config(write(tmp_path, "trialCommand: run\ntuner: {className: mine.Tuner}\n", space=False))
    assert c.search_space.raw == {} and c.search_space_file is None


def test_both_space_keys_are_refused_naming_both(tmp_path: Path) -> None:
    # was: the inline space used, a warning when they differed; NNI has one space, so which was meant?
    for inline in (SPACE, {"x": {"_type": "choice", "_value": [1, 2]}}):
        path = write(tmp_path, MINIMAL + "searchSpace: " + json.dumps(inline) + "\n")
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert str(err.value) == f"{path}: searchSpace: give searchSpace or searchSpaceFile, not both"


def test_slurm_service(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            MINIMAL
            + textwrap.dedent("""\
        trainingService:
          platform: slurm
          partition: gpu
          gres: "gpu:1"
          time: 1:30:00
          sbatchArgs: [--mem=8G, --qos=low]
          pollInterval: 10s
        """),
        )
    )
    assert c.training_service == TrainingServiceConfig(
        "slurm",
        partition="gpu",
        gres="gpu:1",
        time="1:30:00",
        sbatch_args=["--mem=8G", "--qos=low"],
        poll_interval=10.0,
    )
    for time, kept in (("2-00:00:00", "2-00:00:00"), ("90", "90"), ("'45'", "45")):
        c = load_config(write(tmp_path, MINIMAL + f"trainingService: {{platform: slurm, time: {time}}}\n"))
        assert c.training_service.time == kept
    c = load_config(write(tmp_path, MINIMAL + "trainingService: {platform: slurm}\n"))
    assert c.training_service == TrainingServiceConfig("slurm", poll_interval=5.0)


@pytest.mark.parametrize(
    "value, indices", [('"0,1"', [0, 1]), ("[0, 1]", [0, 1]), ("3", [3]), ('" 2 , 0 "', [2, 0])]
)
def test_gpu_indices_forms(tmp_path: Path, value: str, indices: list[int]) -> None:
    c = load_config(write(tmp_path, MINIMAL + f"trainingService: {{platform: local, gpuIndices: {value}}}\n"))
    assert c.training_service.gpu_indices == indices


def test_service_as_one_item_list_and_advisor_and_log_level(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            MINIMAL
            + textwrap.dedent("""\
        trainingService: [{platform: local, maxTrialNumberPerGpu: 3}]
        advisor: {name: GridSearch}
        logLevel: WARNING
        """),
        )
    )
    assert c.training_service.max_trial_number_per_gpu == 3
    assert c.tuner.name == "GridSearch"
    assert c.log_level == "warning"


def test_json_config(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        // NNI accepts JSON configs too
        {
          "searchSpaceFile": "search_space.json",
          "trialCommand": "python train.py",
          "trialConcurrency": 2,
          "maxTrialDuration": "1h",
          "trainingService": {"platform": "local"},
        }
        """,
        name="config.json",
    )
    c = load_config(path)
    assert (c.trial_command, c.trial_concurrency, c.max_trial_duration) == ("python train.py", 2, 3600.0)
    assert c.search_space.raw == SPACE


def _round_trip(c: cfg.ExperimentConfig) -> None:
    again = config_from_dict(c.to_dict(), c.source)
    assert again == c
    text = yaml.safe_dump(c.to_dict())  # as written into the experiment directory
    assert config_from_dict(yaml.safe_load(text), c.source) == c
    assert config_from_dict(json.loads(json.dumps(c.to_dict())), c.source) == c


def test_round_trip(tmp_path: Path) -> None:
    full = write(
        tmp_path,
        """\
        experimentName: rt
        searchSpaceFile: search_space.json
        trialCommand: run
        trialGpuNumber: 1
        maxExperimentDuration: 1.5h
        maxTrialNumber: 7
        tuner: {name: GridSearch}
        assessor: {className: stop.Early, classArgs: {patience: 3}}
        trainingService: {platform: local, gpuIndices: "0,1", useActiveGpu: true}
        """,
    )
    _round_trip(load_config(full))
    _round_trip(load_config(write(tmp_path, MINIMAL)))
    _round_trip(
        load_config(write(tmp_path, "trialCommand: run\ntuner: {className: t.T, classArgs: {a: 1}}\n"))
    )
    slurm = load_config(
        write(tmp_path, MINIMAL + "trainingService: {platform: slurm, time: '1:00:00', gres: g}\n")
    )
    _round_trip(slurm)
    assert slurm.to_dict()["trainingService"] == {
        "platform": "slurm",
        "gres": "g",
        "time": "1:00:00",
        "sbatchArgs": [],
        "pollInterval": 5.0,
    }


def test_round_trip_keeps_the_space_as_run(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, MINIMAL))
    (tmp_path / "search_space.json").write_text(json.dumps({"x": {"_type": "choice", "_value": [1]}}))
    again = config_from_dict(c.to_dict(), c.source)
    assert again == c and again.search_space.raw == SPACE


def test_extra_section_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fake_task.py").write_text(
        "def section(value, config):\n    return {'seen': value, 'command': config.trial_command}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cfg.EXTRA_SECTIONS, "task", "fake_task:section")
    c = load_config(write(tmp_path, MINIMAL + "task: {steps: 3}\n"))
    assert c.extra == {"task": {"seen": {"steps": 3}, "command": "python train.py"}}
    assert c.to_dict()["task"] == {"seen": {"steps": 3}, "command": "python train.py"}
    sys.modules.pop("fake_task", None)


def test_task_section_without_its_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cfg.EXTRA_SECTIONS, "task", "autolab._no_such_module:section")
    for text in (MINIMAL + "task: {steps: 3}\n", "task: {steps: 3}\n"):  # checked before the other keys
        with pytest.raises(
            ConfigError, match=r"config\.yml: task: task configs are handled by autolab\._no_such"
        ):
            load_config(write(tmp_path, text))
    monkeypatch.setitem(cfg.EXTRA_SECTIONS, "task", "autolab.config:no_such_function")
    with pytest.raises(ConfigError, match="task configs are handled by autolab.config"):
        load_config(write(tmp_path, MINIMAL + "task: {}\n"))
