"""A corpus of configs shaped like NNI's own examples (v1 and v2): each shape gets what NNI gives it,
or one honest line where autolab does not have the feature (never "unknown key" for a key NNI has)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from autolab.config import ConfigError, config_from_dict, load_config
from autolab.tuners import BUILTIN, create_tuner, tuner_class

SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "bs": {"_type": "choice", "_value": [16, 32]},
}
SUPPORTED = "(supported: local, slurm, remote)"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path / "home"))


def write(folder: Path, text: str, space: dict[str, object] | None = None) -> Path:
    (folder / "search_space.json").write_text(json.dumps(space or SPACE))
    path = folder / "config.yml"
    path.write_text(textwrap.dedent(text))
    return path


def refused(path: Path) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    assert "unknown key" not in message and "did you mean" not in message, message
    return message.removeprefix(f"{path}: ")


V1_LOCAL = """\
authorName: default
experimentName: example_mnist
trialConcurrency: 1
maxExecDuration: 1h
maxTrialNum: 10
trainingServicePlatform: local
searchSpacePath: search_space.json
useAnnotation: false
tuner:
  builtinTunerName: TPE
  classArgs:
    optimize_mode: maximize
trial:
  command: python3 mnist.py
  codeDir: .
  gpuNum: 0
"""


def test_v1_multi_phase_true_is_one_warning_false_is_silent(tmp_path: Path) -> None:
    on = load_config(write(tmp_path, V1_LOCAL + "multiPhase: true\n"))
    multi = [w for w in on.warnings if w.startswith("multiPhase")]
    assert len(multi) == 1 and "ignored" in multi[0] and "one parameter set" in multi[0]
    off = load_config(write(tmp_path, V1_LOCAL + "multiPhase: false\n"))
    assert not [w for w in off.warnings if "multiPhase" in w] and off.tuner.name == "TPE"


def test_v1_remote_with_machine_list_reads_as_v2(tmp_path: Path) -> None:
    text = V1_LOCAL.replace("Platform: local", "Platform: remote") + textwrap.dedent(
        """\
        remoteConfig:
          reuse: false
        machineList:
          - ip: 10.1.1.1
            username: bob
            passwd: bob123
            port: 22
          - ip: 10.1.1.2
            username: ann
            gpuIndices: "0,1"
            maxTrialNumPerGpu: 2
            useActiveGpu: true
            pythonPath: /opt/py/bin
        """
    )
    service = load_config(write(tmp_path, text)).training_service
    assert service.platform == "remote"
    assert [m.to_dict() for m in service.machine_list] == [
        {"host": "10.1.1.1", "port": 22, "user": "bob", "password": "bob123"}
        | {"useActiveGpu": False, "maxTrialNumberPerGpu": 1},
        {
            "host": "10.1.1.2",
            "user": "ann",
            "pythonPath": "/opt/py/bin",
        }  # no port given: ssh's config decides
        | {"useActiveGpu": True, "maxTrialNumberPerGpu": 2, "gpuIndices": [0, 1]},
    ]
    assert [m.name for m in service.machine_list] == ["bob@10.1.1.1:22", "ann@10.1.1.2"]


def test_v1_machine_list_errors_name_the_v1_keys(tmp_path: Path) -> None:
    base = V1_LOCAL.replace("Platform: local", "Platform: remote")
    path = write(tmp_path, base + "machineList:\n  - ip: h\n    pasword: x\n")
    with pytest.raises(
        ConfigError, match=r"machineList\[0\]\.pasword: unknown key \(did you mean passwd\?\)"
    ):
        load_config(path)
    assert refused(write(tmp_path, base + "machineList:\n  - ip: h\n    port: 0\n")).startswith(
        "machineList[0].port: must be an integer >= 1"
    )
    assert refused(write(tmp_path, base)).startswith("machineList: must be a non-empty list of machines")


def test_v1_pai_with_pai_config_and_pai_trial_keys_fails_on_its_platform(tmp_path: Path) -> None:
    text = (
        V1_LOCAL.replace("Platform: local", "Platform: pai").replace(
            "  gpuNum: 0\n", "  gpuNum: 0\n  cpuNum: 1\n  memoryMB: 8196\n  image: msranni/nni:latest\n"
        )
        + "paiConfig:\n  userName: u\n  token: t\n  host: 10.1.1.1\n"
    )
    assert (
        refused(write(tmp_path, text))
        == f"trainingServicePlatform: platform pai is not supported {SUPPORTED}"
    )


def test_v1_platform_section_without_platform_names_its_platform(tmp_path: Path) -> None:
    text = (
        V1_LOCAL.replace("trainingServicePlatform: local\n", "")
        + "kubeflowConfig:\n  operator: tf-operator\n"
    )
    assert refused(write(tmp_path, text)) == (
        f"kubeflowConfig: a key of platform kubeflow, which is not supported {SUPPORTED}"
    )


V2_LOCAL = """\
experimentName: mnist
searchSpaceFile: search_space.json
trialCommand: python3 mnist.py
trialCodeDirectory: .
trialConcurrency: 2
maxTrialNumber: 10
tuner:
  name: TPE
  classArgs:
    optimize_mode: maximize
"""

OTHER_PLATFORMS = {
    "openpai": "  host: https://pai\n  username: u\n  token: t\n  trialCpuNumber: 1\n  trialMemorySize: 8GB\n",
    "pai": "  host: https://pai\n  username: u\n",
    "paiYarn": "  host: https://pai\n",
    "kubeflow": "  operator: tf-operator\n  apiVersion: v1\n  storage: {storageType: nfs}\n",
    "frameworkcontroller": "  serviceAccountName: frameworkcontroller\n  taskRoles: []\n",
    "aml": "  subscriptionId: x\n  resourceGroup: y\n  workspaceName: z\n  computeTarget: c\n",
    "adl": "  namespace: default\n",
    "dlc": "  type: Worker\n  image: nni\n  podCount: 1\n",
    "dlts": "  dashboard: http://dlts\n",
    "hybrid": "",
}


@pytest.mark.parametrize("platform", sorted(OTHER_PLATFORMS))
def test_v2_platforms_autolab_lacks_fail_on_the_platform_first(tmp_path: Path, platform: str) -> None:
    text = V2_LOCAL + f"trainingService:\n  platform: {platform}\n" + OTHER_PLATFORMS[platform]
    assert (
        refused(write(tmp_path, text))
        == f"trainingService.platform: platform {platform} is not supported {SUPPORTED}"
    )


def test_v2_hybrid_as_a_list_of_services(tmp_path: Path) -> None:
    text = V2_LOCAL + "trainingService:\n  - platform: local\n  - platform: remote\n    machineList: []\n"
    message = refused(write(tmp_path, text))
    assert message.startswith(
        "trainingService: platform hybrid (a list of 2 training services) is not supported"
    )
    assert SUPPORTED in message


def test_custom_tuner_with_its_own_types_gets_the_space_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the registry adds the codeDirectory
    request.addfinalizer(lambda: sys.modules.pop("corpus_factor_tuner", None))  # and imports it
    space = {
        "feature": {"_type": "factor", "_value": [[1, 2, 3], [4, 5]]},
        "order": {"_type": "perm", "_value": [0, 1, 2]},
    }
    (tmp_path / "corpus_factor_tuner.py").write_text(
        textwrap.dedent(
            """\
            class FactorTuner:
                def __init__(self, optimize_mode="maximize"):
                    self.space = None
                def update_search_space(self, space):
                    self.space = space
                def generate_parameters(self, parameter_id, **kwargs):
                    return {"order": self.space["order"]["_value"][::-1]}
                def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
                    pass
            """
        )
    )
    text = V2_LOCAL.replace(
        "  name: TPE\n", "  codeDirectory: .\n  className: corpus_factor_tuner.FactorTuner\n"
    )
    config = load_config(write(tmp_path, text, space))
    assert config.search_space.raw == space and config.warnings == []
    # the stored config reads back (resume), and the user's tuner sees the space as written
    again = config_from_dict(config.to_dict(), tmp_path / "config.yml")
    assert again == config
    from autolab.history import History

    tuner = create_tuner(config.search_space, None, {}, "corpus_factor_tuner.FactorTuner", str(tmp_path))
    assert tuner.suggest(History([])) == {"order": [2, 1, 0]}


def test_v1_custom_tuner_with_class_file_name_and_factor_type(tmp_path: Path) -> None:
    text = V1_LOCAL.replace(
        "  builtinTunerName: TPE\n",
        "  codeDir: .\n  classFileName: corpus_factor_tuner.py\n  className: FactorTuner\n",
    )
    space = {"x": {"_type": "factor", "_value": [2, 3]}}
    assert load_config(write(tmp_path, text, space)).search_space.raw == space


def test_a_builtin_tuner_still_checks_the_space(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="factor"):
        load_config(write(tmp_path, V2_LOCAL, {"x": {"_type": "factor", "_value": [2, 3]}}))


@pytest.mark.parametrize(
    "alias, target", [("GPTuner", "GPTuner"), ("Batch", "BatchTuner"), ("gp_tuner", "GPTuner")]
)
def test_nni_aliases_of_builtin_tuners(tmp_path: Path, alias: str, target: str) -> None:
    config = load_config(write(tmp_path, V2_LOCAL.replace("name: TPE", f"name: {alias}")))
    assert config.tuner.name == alias
    assert tuner_class(alias).__name__ == target


def test_v1_gp_tuner_alias(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, V1_LOCAL.replace("builtinTunerName: TPE", "builtinTunerName: GPTuner"))
    )
    assert tuner_class(config.tuner.name).__name__ == "GPTuner"


@pytest.mark.parametrize(
    "name, instead",
    [
        ("PPOTuner", "use autolab.nas (one-shot NAS"),
        ("NetworkMorphism", "use autolab.nas (one-shot NAS"),
    ],
)
def test_nni_builtins_autolab_lacks_say_what_exists_and_what_to_use(
    tmp_path: Path, name: str, instead: str | None
) -> None:
    message = refused(write(tmp_path, V2_LOCAL.replace("name: TPE", f"name: {name}")))
    assert message.startswith(f"tuner.name: {name} is an NNI builtin autolab does not have")
    assert f"builtin: {', '.join(sorted(BUILTIN))}" in message
    assert (instead in message) if instead else "instead" not in message


def test_v1_advisor_hyperband_is_the_hyperband_tuner(tmp_path: Path) -> None:
    text = V1_LOCAL.replace("tuner:\n  builtinTunerName: TPE", "advisor:\n  builtinAdvisorName: Hyperband")
    config = load_config(write(tmp_path, text))
    assert tuner_class(config.tuner.name).__name__ == "HyperbandTuner"


def test_v2_keys_nni_has_are_accepted_with_one_warning_where_they_do_not_apply(tmp_path: Path) -> None:
    text = V2_LOCAL.replace("trialCommand: python3 mnist.py\n", "") + textwrap.dedent(
        """\
            experimentType: hpo
            tunerGpuIndices: [0]
            sharedStorage:
              storageType: NFS
              localMountPoint: /mnt/nfs
              remoteMountPoint: /mnt/nfs
              nfsServer: 10.1.1.1
              exportedDirectory: /exports
            trainingService:
              platform: local
              reuseMode: true
              trialCommand: python3 main.py --fast
            """
    )
    config = load_config(write(tmp_path, text))
    assert config.trial_command == "python3 main.py --fast"  # NNI: the service's own value
    assert [w.split(":")[0] for w in config.warnings] == [
        "tunerGpuIndices",
        "sharedStorage",
        "trainingService.reuseMode",
    ]
    assert all("ignored" in w for w in config.warnings)
    quiet = load_config(
        write(
            tmp_path, V2_LOCAL + "experimentType: HPO\ntrainingService: {platform: local, reuseMode: false}\n"
        )
    )
    assert quiet.warnings == []


def test_the_service_trial_command_wins_over_the_top_level_one(tmp_path: Path) -> None:
    text = (
        V2_LOCAL
        + "trialGpuNumber: 0\ntrainingService:\n  platform: local\n  trialCommand: python3 other.py\n"
    )
    assert load_config(write(tmp_path, text)).trial_command == "python3 other.py"


def test_experiment_type_nas_is_one_line(tmp_path: Path) -> None:
    assert refused(write(tmp_path, V2_LOCAL + "experimentType: nas\n")).startswith(
        "experimentType: nas configs"
    )


def test_unrelated_names_get_no_did_you_mean(tmp_path: Path) -> None:
    message = str(pytest.raises(ConfigError, load_config, write(tmp_path, V2_LOCAL + "AGPruner: {}\n")).value)
    assert message.endswith("AGPruner: unknown key")
    message = str(
        pytest.raises(
            ConfigError, load_config, write(tmp_path, V2_LOCAL.replace("name: TPE", "name: Metis"))
        ).value
    )
    assert "did you mean" not in message


def test_a_stored_config_with_both_space_keys_still_reads(tmp_path: Path) -> None:
    # experiments created before the keys were exclusive stored both: resume must read them
    stored = {
        "searchSpace": SPACE,
        "searchSpaceFile": str(tmp_path / "gone.json"),
        "trialCommand": "python3 t.py",
        "trialCodeDirectory": str(tmp_path),
    }
    config = config_from_dict(stored, tmp_path / "config.yml")
    assert config.search_space.raw == SPACE and "searchSpaceFile" not in config.to_dict()
