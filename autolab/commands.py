"""What a trial runs and where: the trialCommand with its `{name}` placeholders filled in, and the
Launch a training service starts (command, code directory, the trial protocol's environment).

A placeholder is `{name}` where name starts with a letter or underscore and goes on with letters,
digits, `_`, `-` or `.`; each one naming a trial's parameter becomes its shell-quoted value.
`${name}` is the shell's and is left alone, as are braces that do not form a placeholder
(`awk '{print $1}'`, `{a,b}`). Light (no third-party import): the task runner imports it in
every trial.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Container
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import protocol
from ._nni_shim import trial_pythonpath
from .services.base import Launch

if TYPE_CHECKING:
    from .config.model import ExperimentConfig
    from .history import Trial

PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


def placeholders(template: str) -> list[str]:
    """The placeholder names in order of first appearance, each once."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(template)))


def format_value(value: Any) -> str:
    """The text a value stands for on a command line (before quoting)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def quote(value: Any) -> str:
    """One shell word for value, whatever spaces or quotes it holds."""
    return shlex.quote(format_value(value))


def render(template: str, values: dict[str, Any], names: Container[str] | None = None) -> str:
    """template with each placeholder that names a key of values (and, given names, is one of
    them) replaced by its shell-quoted value; other placeholders stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values and (names is None or name in names):
            return quote(values[name])
        return match.group(0)

    return PLACEHOLDER.sub(replace, template)


def job_command_and_code(
    config: ExperimentConfig, parameters: dict[str, Any], trial_dir: Path, experiment_dir: Path
) -> tuple[str, Path]:
    """(command, code directory) of a trial. A config section (config.extra) with a method
    job_command_and_code(config, trial_dir, experiment_dir) decides for its configs (a task
    config's runner renders its template itself); otherwise the trialCommand is rendered here."""
    for section in config.extra.values():
        decide = getattr(section, "job_command_and_code", None)
        if decide is not None:
            result: tuple[str, Path] = decide(config, trial_dir, experiment_dir)
            return result
    return render(config.trial_command, parameters), config.trial_code_directory


def trial_launch(
    config: ExperimentConfig, exp_id: str, trial: Trial, trial_dir: Path, experiment_dir: Path
) -> Launch:
    """What a training service needs to start (or adopt) the trial."""
    env = protocol.trial_env(exp_id, trial.trial_id, trial.sequence, trial_dir)
    if config.nni_module:  # `import nni` in the trial gets autolab's SDK (autolab/_nni_shim)
        env["PYTHONPATH"] = trial_pythonpath(os.environ.get("PYTHONPATH"))
    command, code_dir = job_command_and_code(config, trial.parameters, trial_dir, experiment_dir)
    return Launch(
        trial.trial_id,
        trial.sequence,
        trial_dir,
        command,
        code_dir,
        env,
        config.trial_gpu_number,
        config.max_trial_duration,
    )
