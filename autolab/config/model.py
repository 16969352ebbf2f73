"""The experiment config as one typed object: what every part after the reader is handed.

`ExperimentConfig` travels from the reader to the manager, the services and the server; `to_dict()`
(NNI's v2 camelCase keys, JSON-safe) is only for the edges: the stored config, export, the REST API.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..searchspace import SearchSpace
from .reader import resolve_path
from .remote import RemoteMachineConfig

LOG_LEVELS = ("trace", "debug", "info", "warning", "error", "fatal")
PLATFORMS = ("local", "slurm", "remote")
DEFAULT_TUNER = "Random"
TOP_KEYS = (
    "experimentName",
    "searchSpaceFile",
    "searchSpace",
    "trialCommand",
    "trialCodeDirectory",
    "trialConcurrency",
    "trialGpuNumber",
    "maxExperimentDuration",
    "maxTrialNumber",
    "maxTrialDuration",
    "experimentWorkingDirectory",
    "tuner",
    "assessor",
    "advisor",
    "trainingService",
    "logLevel",
    "debug",
    "useAnnotation",
    "nniManagerIp",
    "nniModule",
)
ALGORITHM_KEYS = ("name", "className", "codeDirectory", "classArgs")
SERVICE_KEYS = {
    "local": ("platform", "useActiveGpu", "maxTrialNumberPerGpu", "gpuIndices"),
    "slurm": ("platform", "partition", "gres", "time", "sbatchArgs", "pollInterval"),
    "remote": ("platform", "machineList"),
}
# Top-level sections owned by other features: normalized key -> "module:function". The function is
# called as function(value, config) once the rest is built, raises ConfigError on a bad value, and
# returns what goes into config.extra[key]; to_dict writes back its .to_dict() (or the value itself),
# which the function must accept again.
EXTRA_SECTIONS: dict[str, str] = {"task": "autolab.task:config_section"}


def default_working_directory() -> Path:
    """$AUTOLAB_HOME if set, else ~/autolab-experiments."""
    home = os.environ.get("AUTOLAB_HOME")
    return resolve_path(home, Path.cwd()) if home else Path(os.path.expanduser("~/autolab-experiments"))


@dataclass
class AlgorithmConfig:
    name: str | None  # builtin name as written (e.g. "TPE"), None for a custom class
    class_name: str | None  # "module.Class" for a user's class
    code_directory: Path | None
    class_args: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = (
            {"name": self.name} if self.class_name is None else {"className": self.class_name}
        )
        if self.code_directory is not None:
            out["codeDirectory"] = str(self.code_directory)
        out["classArgs"] = dict(self.class_args)
        return out


@dataclass
class TrainingServiceConfig:
    platform: str  # "local" | "slurm" | "remote"
    use_active_gpu: bool = False  # NNI's default for local
    max_trial_number_per_gpu: int = 1
    gpu_indices: list[int] | None = None
    # slurm
    partition: str | None = None
    gres: str | None = None
    time: str | None = None  # as slurm takes it, e.g. "HH:MM:SS"
    sbatch_args: list[str] = field(default_factory=list)
    poll_interval: float = 5.0
    machine_list: tuple[RemoteMachineConfig, ...] = ()  # remote

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"platform": self.platform}
        if self.platform == "local":
            out.update(useActiveGpu=self.use_active_gpu, maxTrialNumberPerGpu=self.max_trial_number_per_gpu)
            if self.gpu_indices is not None:
                out["gpuIndices"] = list(self.gpu_indices)
            return out
        if self.platform == "remote":
            return {**out, "machineList": [m.to_dict() for m in self.machine_list]}
        for key, value in (("partition", self.partition), ("gres", self.gres), ("time", self.time)):
            if value is not None:
                out[key] = value
        out.update(sbatchArgs=list(self.sbatch_args), pollInterval=self.poll_interval)
        return out


@dataclass
class ExperimentConfig:
    source: Path  # the config file (absolute)
    experiment_name: str | None
    search_space: SearchSpace  # parsed once, here: the tuner gets this object
    # where the space was read from; not written by to_dict (the space as run is, inline: a config
    # with both keys is refused, as NNI does), so not part of what a config is
    search_space_file: Path | None = field(compare=False)
    trial_command: str
    trial_code_directory: Path
    trial_concurrency: int
    trial_gpu_number: int
    max_experiment_duration: float | None  # seconds
    max_trial_number: int | None
    max_trial_duration: float | None  # seconds
    experiment_working_directory: Path
    tuner: AlgorithmConfig
    assessor: AlgorithmConfig | None
    training_service: TrainingServiceConfig
    log_level: str  # one of LOG_LEVELS
    debug: bool
    nni_module: bool = True  # autolab's `nni` module on trials' PYTHONPATH (autolab/_nni_shim)
    warnings: list[str] = field(default_factory=list, compare=False)
    # the key the tuner was written under: "advisor" for NNI's advisor: (errors name it as written)
    tuner_key: str = field(default="tuner", compare=False)
    extra: dict[str, Any] = field(default_factory=dict)  # sections of EXTRA_SECTIONS
    # the config as the user named it (the path as given, or "experiment config" from Python): errors say it
    shown: str = field(default="", compare=False)

    @property
    def named(self) -> str:
        """The config's name in an error message: as the user gave it."""
        return self.shown or str(self.source)

    def to_dict(self) -> dict[str, Any]:
        """The normalized v2 config (camelCase, JSON-safe); config_from_dict reads it back equal."""
        out: dict[str, Any] = {}
        if self.experiment_name is not None:
            out["experimentName"] = self.experiment_name
        out["searchSpace"] = self.search_space.raw
        out.update(
            trialCommand=self.trial_command,
            trialCodeDirectory=str(self.trial_code_directory),
            trialConcurrency=self.trial_concurrency,
            trialGpuNumber=self.trial_gpu_number,
        )
        for key, value in (
            ("maxExperimentDuration", self.max_experiment_duration),
            ("maxTrialNumber", self.max_trial_number),
            ("maxTrialDuration", self.max_trial_duration),
        ):
            if value is not None:
                out[key] = value
        out["experimentWorkingDirectory"] = str(self.experiment_working_directory)
        out["tuner"] = self.tuner.to_dict()
        if self.assessor is not None:
            out["assessor"] = self.assessor.to_dict()
        out.update(trainingService=self.training_service.to_dict(), logLevel=self.log_level, debug=self.debug)
        if not self.nni_module:
            out["nniModule"] = False
        for key, value in self.extra.items():
            out[key] = value.to_dict() if hasattr(value, "to_dict") else value
        return out
