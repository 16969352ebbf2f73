"""The root of every user-facing error: the CLI prints its message on one line and exits with 2.

Standard library only, and nothing imported: the trial SDK's MetricError derives from it too.
Each subclass keeps the builtin base it had (ValueError, RuntimeError, LookupError), so code that
catches those still catches it.
"""

from __future__ import annotations


class AutolabError(Exception):
    """A mistake in what the user asked or gave (argument, config, search space, state, metric);
    the message names the culprit."""


class UserError(AutolabError):
    """A mistake in what the user asked (bad argument, wrong state); message names the culprit."""


def named(what: str, error: Exception) -> str:
    """An algorithm's error with `what` (e.g. "tuner TPE") in front, once: the registry's errors
    begin with it already, a tuner's own check does not."""
    text = str(error)
    return text if text.lower().startswith(what.lower().split()[0] + " ") else f"{what}: {text}"
