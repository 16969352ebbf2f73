"""Experiment config (NNI v2 keys): values, defaults, key matching, paths, errors, round trip."""

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

SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "bs": {"_type": "choice", "_value": [16, 32]},
}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path / "home"))


def write(folder: Path, text: str, name: str = "config.yml", space: bool = True) -> Path:
    if space:
        (folder / "search_space.json").write_text(json.dumps(SPACE))
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


MINIMAL = """\
searchSpaceFile: search_space.json
trialCommand: python train.py
"""


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


BAD = [
    # (config lines after MINIMAL, key named in the message, words of the problem)
    ("trialConcurency: 2", "trialConcurency", "unknown key (did you mean trialConcurrency?)"),
    ("trialConcurrency: 0", "trialConcurrency", "integer >= 1"),
    ("trialConcurrency: -2", "trialConcurrency", "integer >= 1"),
    ("trialConcurrency: '2'", "trialConcurrency", "integer >= 1"),
    ("trialConcurrency: true", "trialConcurrency", "integer >= 1"),
    ("trialConcurrency: 1.5", "trialConcurrency", "integer >= 1"),
    ("trialConcurrency: 100000000000000000000000", "trialConcurrency", "must be at most 10000"),
    ("trialGpuNumber: -1", "trialGpuNumber", "integer >= 0"),
    ("experimentName: " + "x" * 10_000, "experimentName", "at most 1000 characters, got 10000"),
    ("maxTrialNumber: 0", "maxTrialNumber", "integer >= 1"),
    ("maxExperimentDuration: 10x", "maxExperimentDuration", "bad duration '10x'"),
    ("maxTrialDuration: -5", "maxTrialDuration", "> 0"),
    ("maxTrialDuration: 1:30:00", "maxTrialDuration", "bad duration"),
    ("debug: 'yes'", "debug", "true or false"),
    ("logLevel: verbose", "logLevel", "must be one of trace, debug"),
    ("experimentName: [a]", "experimentName", "string"),
    ("useAnnotation: true", "useAnnotation", "annotations are not supported"),
    ("use_annotation: yes", "use_annotation", "annotations are not supported"),
    ("experimentWorkingDirectory: 3", "experimentWorkingDirectory", "must be a path"),
    ("trial_command: again", "trial_command", "given twice (also as trialCommand)"),
    (
        "trainingService: {platform: remote}",
        "trainingService.machineList",
        "must be a non-empty list of machines",
    ),
    (
        "trainingService: {platform: kubeflow}",
        "trainingService.platform",
        "not supported (supported: local, slurm, remote)",
    ),
    ("trainingService: {useActiveGpu: true}", "trainingService.platform", "is required"),
    ("trainingService: local", "trainingService", "must be a mapping"),
    ("trainingService: [{platform: local}, {platform: slurm}]", "trainingService", "platform hybrid"),
    ("trainingService: []", "trainingService", "platform hybrid"),
    (
        "trainingService: {platform: local, gpu_indice: [0]}",
        "trainingService.gpu_indice",
        "(did you mean gpuIndices?)",
    ),
    (
        "trainingService: {platform: local, partition: gpu}",
        "trainingService.partition",
        "not a key of platform local",
    ),
    (
        "trainingService: {platform: slurm, gpuIndices: [0]}",
        "trainingService.gpuIndices",
        "not a key of platform slurm",
    ),
    ("trainingService: {platform: local, gpuIndices: [0, a]}", "trainingService.gpuIndices", "integers >= 0"),
    ("trainingService: {platform: local, gpuIndices: '0,x'}", "trainingService.gpuIndices", "integers >= 0"),
    ("trainingService: {platform: local, gpuIndices: -1}", "trainingService.gpuIndices", "integers >= 0"),
    ("trainingService: {platform: local, gpuIndices: [true]}", "trainingService.gpuIndices", "integers >= 0"),
    ("trainingService: {platform: local, gpuIndices: [0, 0]}", "trainingService.gpuIndices", "distinct"),
    ("trainingService: {platform: local, gpuIndices: []}", "trainingService.gpuIndices", "lists no GPU"),
    (
        "trainingService: {platform: local, maxTrialNumberPerGpu: 0}",
        "trainingService.maxTrialNumberPerGpu",
        ">= 1",
    ),
    ("trainingService: {platform: local, useActiveGpu: 1}", "trainingService.useActiveGpu", "true or false"),
    ("trialGpuNumber: 2\ntrainingService: {platform: local, gpuIndices: [0]}", "trialGpuNumber", "lists 1"),
    ("trainingService: {platform: slurm, time: soon}", "trainingService.time", "slurm time"),
    (
        "trainingService: {platform: slurm, sbatchArgs: --mem=1G}",
        "trainingService.sbatchArgs",
        "list of strings",
    ),
    ("trainingService: {platform: slurm, pollInterval: 0}", "trainingService.pollInterval", "> 0"),
    ("training_service: {platform: slurm, Partition: 3}", "training_service.Partition", "string"),
    ("tuner: {name: Random, className: a.B}", "tuner", "exactly one of name"),
    ("tuner: {classArgs: {}}", "tuner", "exactly one of name"),
    ("tuner: {name: Randomm}", "tuner.name", "unknown builtin 'Randomm' (did you mean random?)"),
    ("tuner: {className: NoModule}", "tuner.className", "module.Class"),
    ("tuner: {name: Random, classArgs: [1]}", "tuner.classArgs", "mapping"),
    ("tuner: {name: Random, builtinTunerName: TPE}", "tuner.builtinTunerName", "unknown key"),
    ("tuner: Random", "tuner", "must be a mapping"),
    ("tuner: {name: Random}\nadvisor: {name: GridSearch}", "advisor", "not both"),
    ("assessor: {name: Nope}", "assessor.name", "unknown builtin"),
]


@pytest.mark.parametrize("lines, key, problem", BAD)
def test_errors_name_the_file_and_the_key(tmp_path: Path, lines: str, key: str, problem: str) -> None:
    path = write(tmp_path, MINIMAL + lines + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in message, message
    assert "\n" not in message


def test_unknown_key_message_is_exact(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict({"trialCommand": "x", "trialConcurency": 2}, "config.yml")
    assert str(info.value) == "config.yml: trialConcurency: unknown key (did you mean trialConcurrency?)"


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("trialConcurrency: 2\n", "searchSpaceFile", "is required"),
        ("searchSpaceFile: search_space.json\n", "trialCommand", "is required"),
        ("searchSpaceFile: search_space.json\ntrialCommand: '  '\n", "trialCommand", "non-empty string"),
        (
            "searchSpaceFile: missing.json\ntrialCommand: run\n",
            "searchSpaceFile",
            "missing.json is not a file",
        ),
        ("searchSpace: {lr: {_type: uniformm, _value: [0, 1]}}\ntrialCommand: run\n", "searchSpace", "lr"),
        ("searchSpace: [1]\ntrialCommand: run\n", "searchSpace", "must be"),
    ],
)
def test_missing_or_bad_required_values(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {key}: ") and problem in str(info.value), str(info.value)


def test_bad_search_space_file_names_config_key_and_parameter(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"lr": {"_type": "uniform", "_value": [1]}}')
    path = write(tmp_path, "searchSpaceFile: bad.json\ntrialCommand: run\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: searchSpaceFile: ") and "bad.json" in message and "lr" in message
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(path)
    (tmp_path / "bad.json").write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError, match="bad.json: not valid JSON: lists or objects nested too deeply"):
        load_config(path)


@pytest.mark.parametrize(
    "name, text, problem",
    [
        (
            "config.yml",
            "trialCommand: run\ntrialCommand: again\n",
            "line 2: not valid YAML: key 'trialCommand' given twice",
        ),
        ("config.yml", "trialCommand: [run\n", "not valid YAML"),
        ("config.yml", "- a\n- b\n", "the config must be a mapping of keys to values, got list"),
        ("config.yml", "# nothing\n", "the config is empty"),
        ("config.json", '{"trialCommand": "a", "trialCommand": "b"}', "not valid JSON"),
        ("config.json", '{"trialCommand": ', "not valid JSON"),
        (
            "config.yml",
            "a: " + "[" * 5000 + "]" * 5000 + "\n",
            "not valid YAML: lists or mappings nested too deeply",
        ),
        ("config.json", "[" * 5000 + "]" * 5000, "not valid JSON: lists or mappings nested too deeply"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = write(tmp_path, text, name=name)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") and problem in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yml: cannot read the config"):
        load_config(tmp_path / "nope.yml")


def test_yaml_exponent_without_a_dot_is_a_number(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from autolab.config import load_config

    path = tmp_path / "config.yml"
    path.write_text("trialCommand: x\nsearchSpace: {lr: {_type: loguniform, _value: [1e-5, 1e-1]}}\n")
    assert load_config(path).search_space.raw["lr"]["_value"] == [1e-5, 0.1]


def test_code_directory_of_a_builtin_is_ignored_with_a_warning(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, MINIMAL + "tuner: {name: TPE, codeDirectory: nowhere}\n"))
    assert c.tuner is not None and c.tuner.code_directory is None
    assert c.warnings == ["tuner.codeDirectory: ignored (it is for className; TPE is a builtin)"]
