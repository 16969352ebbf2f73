"""Template values of a task's parameters (the placeholders themselves are autolab.commands').

Standard library only: the task runner imports it inside every trial.
"""

from __future__ import annotations

from typing import Any


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
