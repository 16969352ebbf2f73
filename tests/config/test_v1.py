"""Legacy NNI v1 configs: each key's v2 meaning, ignored keys, errors in v1 spelling."""

from __future__ import annotations

import dataclasses
import json
import logging
import textwrap
from pathlib import Path

import pytest

from autolab.config import AlgorithmConfig, ConfigError, config_from_dict, load_config

SPACE = {"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}}

V1 = """\
authorName: someone
experimentName: digits
trialConcurrency: 3
maxExecDuration: 1.5h
maxTrialNum: 20
trainingServicePlatform: local
searchSpacePath: search_space.json
useAnnotation: false
logDir: runs
logLevel: debug
debug: true
nniManagerIp: 127.0.0.1
tuner:
  builtinTunerName: Random
  classArgs:
    optimize_mode: maximize
assessor:
  builtinAssessorName: Medianstop
  classArgs:
    start_step: 5
trial:
  command: python3 train.py
  codeDir: code
  gpuNum: 1
localConfig:
  gpuIndices: "0,1"
  maxTrialNumPerGpu: 2
  useActiveGpu: true
"""

V2_TWIN = """\
experimentName: digits
trialConcurrency: 3
maxExperimentDuration: 1.5h
maxTrialNumber: 20
searchSpaceFile: search_space.json
useAnnotation: false
experimentWorkingDirectory: runs
logLevel: debug
debug: true
nniManagerIp: 127.0.0.1
tuner:
  name: Random
  classArgs:
    optimize_mode: maximize
assessor:
  name: Medianstop
  classArgs:
    start_step: 5
trialCommand: python3 train.py
trialCodeDirectory: code
trialGpuNumber: 1
trainingService:
  platform: local
  gpuIndices: [0, 1]
  maxTrialNumberPerGpu: 2
  useActiveGpu: true
"""

MINIMAL = """\
trainingServicePlatform: local
searchSpacePath: search_space.json
trial: {command: run}
"""


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path / "home"))


def write(folder: Path, text: str, name: str = "config.yml") -> Path:
    (folder / "search_space.json").write_text(json.dumps(SPACE))
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_full_v1_equals_its_v2_twin(tmp_path: Path) -> None:
    v1 = load_config(write(tmp_path, V1, "v1.yml"))
    v2 = load_config(write(tmp_path, V2_TWIN, "v2.yml"))
    assert v1.to_dict() == v2.to_dict()
    assert dataclasses.replace(v1, source=v2.source) == v2
    assert v1.trial_code_directory == tmp_path / "code"
    assert v1.experiment_working_directory == tmp_path / "runs"
    assert v1.max_experiment_duration == 5400.0
    assert v2.warnings == []


def test_a_v1_config_round_trips_as_v2(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, V1))
    again = config_from_dict(c.to_dict(), c.source)
    assert again == c and again.warnings == []


@pytest.mark.parametrize(
    "lines, attribute, expected",
    [
        ("experimentName: e", "experiment_name", "e"),
        ("trialConcurrency: 4", "trial_concurrency", 4),
        ("maxExecDuration: 2d", "max_experiment_duration", 172800.0),
        ("maxExecDuration: 90", "max_experiment_duration", 90.0),
        ("maxTrialNum: 5", "max_trial_number", 5),
        ("logLevel: ERROR", "log_level", "error"),
        ("debug: true", "debug", True),
        ("useAnnotation: false", "debug", False),
        ("logDir: /abs/logs", "experiment_working_directory", Path("/abs/logs")),
    ],
)
def test_each_top_level_v1_key(tmp_path: Path, lines: str, attribute: str, expected: object) -> None:
    assert getattr(load_config(write(tmp_path, MINIMAL + lines + "\n")), attribute) == expected


def test_trial_and_local_config_sections(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            """\
        trainingServicePlatform: local
        searchSpacePath: search_space.json
        trial: {command: "python t.py", codeDir: ../src, gpuNum: 2}
        localConfig: {gpuIndices: "1,3", maxTrialNumPerGpu: 4, useActiveGpu: false}
        """,
        )
    )
    assert (c.trial_command, c.trial_code_directory, c.trial_gpu_number) == (
        "python t.py",
        tmp_path.parent / "src",
        2,
    )
    ts = c.training_service
    assert (ts.platform, ts.gpu_indices, ts.max_trial_number_per_gpu, ts.use_active_gpu) == (
        "local",
        [1, 3],
        4,
        False,
    )


def test_v1_keys_match_without_case_and_underscores(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            """\
        training_service_platform: local
        SearchSpacePath: search_space.json
        max_exec_duration: 10m
        Trial: {Command: run, code_dir: .}
        local_config: {GPU_INDICES: "0"}
        tuner: {builtin_tuner_name: GridSearch}
        """,
        )
    )
    assert (c.trial_command, c.max_experiment_duration, c.training_service.gpu_indices) == ("run", 600.0, [0])
    assert c.tuner.name == "GridSearch"


def test_custom_classes(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            MINIMAL
            + textwrap.dedent("""\
        tuner: {codeDir: tuners, classFileName: my_tuner.py, className: MyTuner, classArgs: {a: 1}}
        assessor: {className: stop.Early}
        """),
        )
    )
    assert c.tuner == AlgorithmConfig(None, "my_tuner.MyTuner", tmp_path / "tuners", {"a": 1})
    assert c.assessor == AlgorithmConfig(None, "stop.Early", tmp_path, {})


def test_v1_advisor_becomes_the_tuner(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, MINIMAL + "advisor: {builtinAdvisorName: GridSearch}\n"))
    assert c.tuner.name == "GridSearch"


def test_ignored_keys_warn_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    extra = "authorName: me\ndescription: d\nmultiThread: true\nversionCheck: false\nlogCollection: none\n"
    with caplog.at_level(logging.DEBUG):
        c = load_config(write(tmp_path, MINIMAL + extra))
    assert [w.split(":")[0] for w in c.warnings] == [
        "authorName",
        "description",
        "multiThread",
        "versionCheck",
        "logCollection",
    ]
    assert all("ignored" in w for w in c.warnings)
    # in config.warnings only (the CLI prints them): logged too, a terminal showed each twice
    assert "(a v1 key autolab does not use)" not in caplog.text


def test_a_single_ignored_key_makes_the_file_v1(tmp_path: Path) -> None:
    c = load_config(
        write(tmp_path, "authorName: me\nsearchSpacePath: search_space.json\ntrial: {command: run}\n")
    )
    assert c.trial_command == "run" and c.training_service.platform == "local"


BAD = [
    ("maxTrialNumm: 3", "maxTrialNumm", "unknown key (did you mean maxTrialNum?)"),
    ("maxExecDuration: 10x", "maxExecDuration", "bad duration"),
    ("maxTrialNum: 0", "maxTrialNum", ">= 1"),
    ("logDir: 5", "logDir", "must be a path"),
    ("useAnnotation: true", "useAnnotation", "annotations are not supported"),
    (
        "trialCommand: x",
        "trialCommand",
        "is a v2 key, but this file also has v1 keys: trainingServicePlatform",
    ),
    ("localConfig: {gpuIndices: '0,a'}", "localConfig.gpuIndices", "integers >= 0"),
    ("localConfig: {gpuIndex: 0}", "localConfig.gpuIndex", "(did you mean gpuIndices?)"),
    ("localConfig: {maxTrialNumPerGpu: 0}", "localConfig.maxTrialNumPerGpu", ">= 1"),
    ("localConfig: [0]", "localConfig", "must be a mapping"),
    ("tuner: {builtinTunerName: TPEE}", "tuner.builtinTunerName", "unknown builtin 'TPEE'"),
    ("tuner: {name: Random}", "tuner.name", "unknown key"),
    ("tuner: {classFileName: t.py}", "tuner.classFileName", "needs className"),
    ("tuner: {className: T}", "tuner.className", "must be module.Class"),
    ("tuner: {builtinTunerName: Random, className: a.B}", "tuner", "exactly one of name"),
    ("tuner: {builtinTunerName: Random, classArgs: 3}", "tuner.classArgs", "mapping"),
    ("assessor: {builtinAssessorName: Nope}", "assessor.builtinAssessorName", "unknown builtin"),
    ("assessor: {builtinTunerName: Random}", "assessor.builtinTunerName", "unknown key"),
    (
        "trial_concurrency: 1\ntrialConcurrency: 2",
        "trialConcurrency",
        "given twice (also as trial_concurrency)",
    ),
]


@pytest.mark.parametrize("lines, key, problem", BAD)
def test_errors_name_the_v1_key(tmp_path: Path, lines: str, key: str, problem: str) -> None:
    path = write(tmp_path, MINIMAL + lines + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: ") and problem in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text, key, problem",
    [
        (
            "trainingServicePlatform: remote\nsearchSpacePath: search_space.json\ntrial: {command: run}\n",
            "machineList",
            "must be a non-empty list of machines",
        ),
        (
            "trainingServicePlatform: local\nsearchSpacePath: nope.json\ntrial: {command: run}\n",
            "searchSpacePath",
            "is not a file",
        ),
        ("trainingServicePlatform: local\ntrial: {command: run}\n", "searchSpacePath", "is required"),
        (
            "trainingServicePlatform: local\nsearchSpacePath: search_space.json\ntrial: {codeDir: .}\n",
            "trial.command",
            "is required",
        ),
        (
            "trainingServicePlatform: local\nsearchSpacePath: search_space.json\ntrial: {comand: run}\n",
            "trial.comand",
            "(did you mean command?)",
        ),
        (
            "trainingServicePlatform: local\nsearchSpacePath: search_space.json\ntrial: {command: run, gpuNum: -1}\n",
            "trial.gpuNum",
            ">= 0",
        ),
        (
            "trainingServicePlatform: slurm\nsearchSpacePath: search_space.json\ntrial: {command: run}\n"
            "localConfig: {gpuIndices: '0'}\n",
            "localConfig.gpuIndices",
            "not a key of platform slurm",
        ),
    ],
)
def test_v1_required_values(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {key}: ") and problem in str(info.value), str(info.value)


def test_local_config_without_platform_means_local(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            "searchSpacePath: search_space.json\ntrial: {command: run}\nlocalConfig: {useActiveGpu: true}\n",
        )
    )
    assert c.training_service.platform == "local" and c.training_service.use_active_gpu


def test_v1_slurm_platform(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            "trainingServicePlatform: slurm\nsearchSpacePath: search_space.json\ntrial: {command: run}\n",
        )
    )
    assert c.training_service.platform == "slurm" and c.training_service.poll_interval == 5.0


def test_v1_algorithm_placement_keys_are_ignored_with_a_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from autolab.config import config_from_dict

    (tmp_path / "space.json").write_text('{"x": {"_type": "uniform", "_value": [0, 1]}}')
    raw = {
        "trial": {"command": "python3 t.py", "codeDir": "."},
        "searchSpacePath": "space.json",
        "trainingServicePlatform": "local",
        "tuner": {"builtinTunerName": "TPE", "gpuIndices": "0", "includeIntermediateResults": True},
    }
    config = config_from_dict(raw, tmp_path / "config.yml")
    assert config.tuner.name == "TPE"
    assert any("gpuIndices" in w for w in config.warnings)
    # true is what autolab does (tests/config/test_v1_warnings.py): no warning
    assert not any("includeIntermediateResults" in w for w in config.warnings)
