r"""What a trial runs and where: the trialCommand with its `{name}` placeholders filled in, and the
Launch a training service starts (command, code directory, the trial protocol's environment).

A placeholder is `{name}` where name starts with a letter or underscore and goes on with letters,
digits, `_`, `-` or `.`; each one naming a trial's parameter becomes its value, written so that the
shell takes it literally in the quoting it stands in: bare (`--x {x}`, `--x={x}`) a single-quoted
word; inside '...' (`'{x}'`) the value with each ' as '\''; inside "..." the value with \ $ ` "
backslashed. So no value is ever run, whatever quotes surround it. Where that cannot be done
(inside backticks, $'...', ${...}, arithmetic, or after a here-document) the template is refused,
naming the placeholder (shellwords.py finds each placeholder's quoting). A placeholder in a comment
stays as written. `${name}` is the shell's and is left alone, as are braces that do not form a
placeholder (`awk '{print $1}'`, `{a,b}`). A command that hands text to another shell (`bash -c`,
`eval`, `ssh`) evaluates it again: that is the command's own doing. Light (no third-party import):
the task runner imports it in every trial.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Container
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import protocol, shellwords
from ._nni_shim import trial_pythonpath
from .errors import AutolabError
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


def literal(value: Any, context: str) -> str:
    """value's text written so that the shell reads it back exactly in this quoting context."""
    text = format_value(value)
    if context == shellwords.SINGLE:  # close, an escaped quote, reopen
        return text.replace("'", "'\\''")
    if context == shellwords.DOUBLE:
        return DOUBLE_SPECIAL.sub(r"\\\g<0>", text)
    return shlex.quote(text)


DOUBLE_SPECIAL = re.compile(r'[\\$`"]')  # what stays special inside "..."


class TemplateError(AutolabError, ValueError):
    """A placeholder stands where no value can be made literal; the message names it."""


def unsafe_placeholders(template: str, names: Container[str] | None = None) -> str | None:
    """Why the template cannot take the values of these placeholder names (all when None) safely,
    naming the first such placeholder, or None."""
    for match, context in shellwords.contexts(template, PLACEHOLDER):
        if context in shellwords.UNSAFE and (names is None or match.group(1) in names):
            return (
                f"placeholder {match.group(0)} stands {shellwords.UNSAFE[context]}, where its value "
                "could run as a command; put it outside (as a bare word or in quotes)"
            )
    return None


def render(template: str, values: dict[str, Any], names: Container[str] | None = None) -> str:
    """template with each placeholder that names a key of values (and, given names, is one of
    them) replaced by its value, literal in its quoting context (see the module's doc); other
    placeholders stay as written. TemplateError when one stands where that cannot be done."""
    out: list[str] = []
    end = 0
    for match, context in shellwords.contexts(template, PLACEHOLDER):
        name = match.group(1)
        if name not in values or (names is not None and name not in names) or context == shellwords.COMMENT:
            continue
        if context in shellwords.UNSAFE:
            raise TemplateError(unsafe_placeholders(template, {name}))
        out.append(template[end : match.start()])
        out.append(literal(values[name], context))
        end = match.end()
    out.append(template[end:])
    return "".join(out)


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
