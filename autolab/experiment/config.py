"""NNI 3.0's experiment config objects (`experiment.config.trial_command = ...`), validated by the
same reader as config.yml.

The objects only hold what was set, under the names it was set with (NNI's snake_case, or camelCase
keyword arguments); `to_dict()` hands them to `config_from_dict` as they are (the reader matches keys
case- and underscore-insensitively), so a wrong field name or a bad value gets the CLI's one-line
error naming it, e.g. `experiment config: trial_concurency: unknown key (did you mean
trialConcurrency?)`. Nothing here validates on its own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import ExperimentConfig as TypedConfig
from ..config import config_from_dict, normalize_key
from ..config.reader import read_config_file

__all__ = [  # NNI's names (nni.experiment.config serves these)
    "AlgorithmConfig",
    "CustomAlgorithmConfig",
    "ExperimentConfig",
    "LocalConfig",
    "RemoteConfig",
    "RemoteMachineConfig",
    "SlurmConfig",
    "TrainingServiceConfig",
]

#: how a config built in Python is named in error messages (relative paths resolve against the cwd)
SHOWN = "experiment config"


class _ConfigObject:
    """Attributes in set order; an unset known field reads as its default."""

    _defaults: dict[str, Any] = {}

    def __init__(self, **fields: Any) -> None:
        object.__setattr__(self, "_values", {})
        for key, value in fields.items():
            setattr(self, key, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        for written in list(self._values):  # trialCommand and trial_command are one field
            if normalize_key(written) == normalize_key(name) and written != name:
                del self._values[written]
        self._values[name] = self._coerce(name, value)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("_values", {})
        for written, value in values.items():
            if normalize_key(written) == normalize_key(name):
                return value
        for field, default in type(self)._defaults.items():
            if normalize_key(field) == normalize_key(name):
                value = default() if callable(default) else default
                if isinstance(value, (_ConfigObject, dict, list)):  # NNI: config.tuner.class_args[...] = ...
                    self._values[field] = value
                return value
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def _coerce(self, name: str, value: Any) -> Any:
        return value

    def is_set(self) -> bool:
        return any(v is not None and v != {} for v in self._values.values())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self._values.items():
            if isinstance(value, _ConfigObject):
                if not value.is_set():
                    continue  # NNI's placeholder tuner/assessor, never filled in
                value = value.to_dict()
            elif isinstance(value, os.PathLike):
                value = os.fspath(value)
            elif isinstance(value, (list, tuple)):  # machine_list = [RemoteMachineConfig(...), ...]
                value = [v.to_dict() if isinstance(v, _ConfigObject) else v for v in value]
            elif value is None:
                continue
            out[key] = value
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()!r})"


class AlgorithmConfig(_ConfigObject):
    """A tuner, assessor or advisor: name (a builtin) or class_name + code_directory, class_args."""

    _defaults = {"name": None, "class_name": None, "code_directory": None, "class_args": dict}

    def is_set(self) -> bool:
        return any(self._values.get(k) is not None for k in ("name", "class_name", "className"))


CustomAlgorithmConfig = AlgorithmConfig


class TrainingServiceConfig(_ConfigObject):
    """platform ('local', 'slurm' or 'remote') and its keys (use_active_gpu, gpu_indices, partition,
    machine_list...)."""

    _defaults = {"platform": "local"}

    def __new__(cls, platform: str = "local", **fields: Any) -> TrainingServiceConfig:
        # TrainingServiceConfig("remote"), as ExperimentConfig("remote") makes it, is a RemoteConfig:
        # NNI scripts then fill in config.training_service.machine_list
        if cls is TrainingServiceConfig and platform == "remote":
            return super().__new__(RemoteConfig)
        return super().__new__(cls)

    def __init__(self, platform: str = "local", **fields: Any) -> None:
        super().__init__(platform=platform, **fields)


def LocalConfig(**fields: Any) -> TrainingServiceConfig:  # noqa: N802 (NNI's class name)
    return TrainingServiceConfig("local", **fields)


def SlurmConfig(**fields: Any) -> TrainingServiceConfig:  # noqa: N802
    return TrainingServiceConfig("slurm", **fields)


class RemoteMachineConfig(_ConfigObject):
    """One machine of platform remote, as NNI's: host, port, user, password or ssh_key_file (and
    ssh_passphrase), use_active_gpu, max_trial_number_per_gpu, gpu_indices, python_path."""

    _defaults = {
        "host": None,
        "port": 22,
        "user": None,
        "password": None,
        "ssh_key_file": None,
        "ssh_passphrase": None,
        "use_active_gpu": False,
        "max_trial_number_per_gpu": 1,
        "gpu_indices": None,
        "python_path": None,
    }


class RemoteConfig(TrainingServiceConfig):
    """NNI's RemoteConfig: platform remote, machine_list (RemoteMachineConfig objects or dicts)."""

    _defaults = {"platform": "remote", "machine_list": list, "reuse_mode": None}

    def __init__(self, platform: str = "remote", **fields: Any) -> None:
        super().__init__(platform, **fields)


class ExperimentConfig(_ConfigObject):
    """NNI's ExperimentConfig: ExperimentConfig('local'), ExperimentConfig(trial_command=...), or
    ExperimentConfig.load('config.yml')."""

    _defaults = {
        "experiment_name": None,
        "search_space_file": None,
        "search_space": None,
        "trial_command": None,
        "trial_code_directory": ".",
        "trial_concurrency": 1,
        "trial_gpu_number": None,
        "max_experiment_duration": None,
        "max_trial_number": None,
        "max_trial_duration": None,
        "experiment_working_directory": None,
        "log_level": None,
        "debug": False,
        "tuner": AlgorithmConfig,
        "assessor": AlgorithmConfig,
        "advisor": AlgorithmConfig,
        "training_service": TrainingServiceConfig,
    }

    def __init__(self, training_service_platform: str | None = None, **fields: Any) -> None:
        object.__setattr__(self, "_source", None)
        super().__init__(**fields)
        if training_service_platform is not None:
            self.training_service = TrainingServiceConfig(training_service_platform)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ExperimentConfig:
        """A config.yml (NNI v2 or v1 keys) as an object to change before running; relative
        paths in it resolve against its folder. A file that cannot be read: the CLI's error."""
        raw, source, shown = read_config_file(os.fspath(path))
        config = cls(**raw) if isinstance(raw, dict) else cls()
        object.__setattr__(config, "_source", (source, shown, raw))
        return config

    def _coerce(self, name: str, value: Any) -> Any:
        key = normalize_key(name)
        if key in ("tuner", "assessor", "advisor") and isinstance(value, dict):
            return AlgorithmConfig(**value)
        if key == "trainingservice" and isinstance(value, str):
            return TrainingServiceConfig(value)
        if key == "trainingservice" and isinstance(value, dict):
            return TrainingServiceConfig(**value)
        return value

    @property
    def shown(self) -> str:
        """How errors name this config: its file as given, else "experiment config"."""
        return SHOWN if self._source is None else str(self._source[1])

    def validate(self) -> TypedConfig:
        """The typed config the manager runs (ConfigError: the CLI's one-line message)."""
        raw = self.to_dict()
        if self._source is not None:
            source, shown, original = self._source
            if not isinstance(original, dict):  # an empty file, a list: the reader's own error
                raw = original
            return config_from_dict(raw, Path(shown), stored=False)
        return config_from_dict(raw, SHOWN, stored=False)
