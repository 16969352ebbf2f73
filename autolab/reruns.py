"""Trials the user starts from an earlier one: a re-run with edited parameters (NNI's "customized
trial") and a retry of a trial that failed or was cancelled. Checked the same way by the CLI and
the REST API; the manager records and runs them like its own (Manager.add_user_trial).

A trial's `source` in the store says where it came from: "tuner", "import", "rerun:<id>" (a trial
lost while the manager was down, re-run once by resume), and, from here, "customized:<id>" and
"retry:<id>". Standard library and the search space only: the CLI imports this.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import AutolabError
from .fidelity import BUDGET_KEY, without_budget
from .searchspace import SearchSpace, SearchSpaceError
from .statuses import TrialStatus

#: the statuses a trial may be retried from (NNI's web UI offers the same)
RETRYABLE = (TrialStatus.FAILED, TrialStatus.USER_CANCELED)
CUSTOMIZED = "customized"
RETRY = "retry"


class BadRerun(AutolabError, ValueError):
    """A re-run's parameters do not fit the search space, or the trial cannot be retried."""


def source_of(kind: str, trial_id: str) -> str:
    return f"{kind}:{trial_id}"


def origin(source: str) -> tuple[str, str | None]:
    """('customized', 'abc') for 'customized:abc'; ('tuner', None) for 'tuner'."""
    kind, sep, trial_id = source.partition(":")
    return (kind, trial_id) if sep else (source, None)


def parse_set(items: list[str]) -> dict[str, Any]:
    """`--set name=value` arguments as a dict: each value read as JSON (0.1, 3, "relu", [1, 2],
    true), and as a plain string when it is not JSON (relu)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise BadRerun(f"--set {item!r}: expected name=value")
        try:
            out[name.strip()] = json.loads(text)
        except ValueError:
            out[name.strip()] = text
    return out


def edited_parameters(base: dict[str, Any], edits: Any, space: dict[str, Any] | None) -> dict[str, Any]:
    """base with edits (some or all parameters) applied, checked against the search space: every
    edited name must be a parameter of the space (or NNI's budget key when base has it) and the
    result must fit the space (each value one of its options or within its range). The message
    names the parameter and the value."""
    if not isinstance(edits, dict):
        raise BadRerun('parameters: expected a JSON object {"name": value, ...}')
    known = set(space or {}) | set(base)
    for name in edits:
        if name not in known:
            raise BadRerun(
                f"parameter {name!r} is not in the search space (known: {', '.join(sorted(known))})"
            )
    params = {**base, **edits}
    if space:
        try:
            checker = SearchSpace(space, source="search space")
        except SearchSpaceError:
            return params  # a custom tuner's own space format: autolab cannot check its values
        try:
            checker.to_flat(without_budget(params))
        except SearchSpaceError as exc:
            raise BadRerun(str(exc)) from None
    budget = params.get(BUDGET_KEY)
    if BUDGET_KEY in edits and (
        isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0
    ):
        raise BadRerun(f"parameter {BUDGET_KEY!r}: {budget!r} is not a positive number")
    return params


def check_retryable(trial_id: str, status: TrialStatus) -> None:
    if status not in RETRYABLE:
        allowed = " or ".join(s.value for s in RETRYABLE)
        raise BadRerun(f"trial {trial_id} is {status.value}: only a {allowed} trial can be retried")
