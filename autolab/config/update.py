"""Changes to a created experiment's config (`autolab update`, PUT /api/v1/experiment/params), and
where the config is kept: the store's meta (what resume reads) and <dir>/config.yml (for people).

One validate_update for the CLI and the REST API, so both accept the same values: integers for the
counts (a JSON number: "2" and true are not), a duration as seconds or as text ("90m"), a search
space as a mapping. The CLI turns --value text that reads as an integer into one first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..searchspace import SearchSpace, SearchSpaceError
from .compat import space_for
from .model import AlgorithmConfig, ExperimentConfig
from .reader import MAX_CONCURRENCY, ConfigError, parse_duration
from .remote import holds_secrets

if TYPE_CHECKING:
    from ..store import Store

CONFIG_FILE = "config.yml"
# key as NNI and the API name it -> ExperimentConfig field
UPDATABLE = {
    "trialConcurrency": "trial_concurrency",
    "maxTrialNumber": "max_trial_number",
    "maxExperimentDuration": "max_experiment_duration",
    "searchSpace": "search_space",
}


def validate_update(key: str, value: Any, tuner: AlgorithmConfig | None = None) -> int | float | SearchSpace:
    """The typed value of one change; ConfigError with a one-line message naming the key. tuner:
    the experiment's, so that a custom tuner's space passes unchecked, as it does at create."""
    if key in ("trialConcurrency", "maxTrialNumber"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{key} must be an integer >= 1, got {value!r}")
        if key == "trialConcurrency" and value > MAX_CONCURRENCY:
            raise ConfigError(f"trialConcurrency must be at most {MAX_CONCURRENCY}, got {value}")
        return value
    if key == "maxExperimentDuration":
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ConfigError(f"maxExperimentDuration: {exc}") from None
    if key == "searchSpace":
        if isinstance(value, SearchSpace):  # already parsed (the CLI loads a file)
            return value
        if not isinstance(value, dict):
            raise ConfigError("searchSpace must be a JSON object")
        try:
            return space_for(value, "searchSpace", tuner or AlgorithmConfig(None, None, None, {}))
        except SearchSpaceError as exc:
            raise ConfigError(str(exc)) from None
        except RecursionError:  # nested choices hundreds deep (a file is refused so when read)
            raise ConfigError("searchSpace: nested too deeply") from None
    raise ConfigError(f"cannot update {key!r}; updatable: {', '.join(UPDATABLE)}")


def apply_update(config: ExperimentConfig, key: str, value: int | float | SearchSpace) -> None:
    """Set a value validate_update returned."""
    setattr(config, UPDATABLE[key], value)


def save_config(store: Store, directory: Path, config: ExperimentConfig) -> None:
    """Keep config as the experiment's: in the store's meta, then <dir>/config.yml (atomically:
    a reader never sees half a file, and the file never says other than the store). A config with a
    machine's password or key passphrase makes the folder private (0700), before they are written."""
    settings = config.to_dict()
    if holds_secrets(settings):  # a machine's password is kept for resume: the folder is the owner's only
        os.chmod(directory, 0o700)
    store.set_meta(config=settings)
    tmp = directory / (CONFIG_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        yaml.safe_dump(settings, fh, sort_keys=False)
    os.replace(tmp, directory / CONFIG_FILE)
