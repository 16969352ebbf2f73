"""Experiment config (NNI v2 keys): every bad value, missing key and unreadable file is one error
naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab.config import (
    ConfigError,
    config_from_dict,
    load_config,
)
from tests.config.build_helpers import MINIMAL, write


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path / "home"))


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
    ('experimentName: "\\e]0;TITLE\\a\\e[31mred"', "experimentName", "must not contain control characters"),
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
