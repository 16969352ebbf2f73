"""Command templates: `python train.py --lr {lr}` with each placeholder replaced by a shell-quoted value.

Standard library only: the manager renders normal configs' trialCommand with it, and the task
runner imports it inside every trial. A placeholder is `{name}` where name starts with a letter
or underscore and goes on with letters, digits, `_`, `-` or `.`; `${name}` is the shell's and is
left alone, as are braces that do not form a placeholder (`awk '{print $1}'`, `{a,b}`).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Container
from typing import Any

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


def flat_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """Template values from a trial's parameters: a Nested search arg's value (a mapping of names to
    values that only go together) contributes its names; every other parameter is itself."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, dict) and "_name" not in value:
            out.update(value)
        else:
            out[name] = value
    return out


def render(template: str, values: dict[str, Any], names: Container[str] | None = None) -> str:
    """template with each placeholder that names a key of values (and, given names, is one of
    them) replaced by its shell-quoted value; other placeholders stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values and (names is None or name in names):
            return quote(values[name])
        return match.group(0)

    return PLACEHOLDER.sub(replace, template)
