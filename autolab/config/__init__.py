"""Experiment config (config.yml): NNI v2 or legacy v1 keys, read, validated, defaults filled in.

Keys match case- and underscore-insensitively, as in NNI (trialCommand = trial_command). Every
mistake raises ConfigError with one line "<file>: <key>: <problem>". `reader` reads files and
values, `v1` turns legacy keys into v2 ones, `model` is the typed ExperimentConfig, `build` makes
one from a file or a dict, `update` checks and keeps changes to a created experiment's config.
"""

from .build import config_from_dict, load_config
from .model import AlgorithmConfig, ExperimentConfig, TrainingServiceConfig, default_working_directory
from .reader import (
    MAX_CONCURRENCY,
    ConfigError,
    Context,
    Section,
    normalize_key,
    parse_duration,
    resolve_path,
)
from .update import CONFIG_FILE, UPDATABLE, apply_update, save_config, validate_update

__all__ = [
    "CONFIG_FILE",
    "UPDATABLE",
    "MAX_CONCURRENCY",
    "AlgorithmConfig",
    "ConfigError",
    "Context",
    "ExperimentConfig",
    "Section",
    "TrainingServiceConfig",
    "config_from_dict",
    "default_working_directory",
    "load_config",
    "normalize_key",
    "parse_duration",
    "resolve_path",
    "apply_update",
    "save_config",
    "validate_update",
]
