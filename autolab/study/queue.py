"""enqueue_trial's parameters: checked against the study's search space when enqueued, completed
by sampling when asked (Optuna's enqueue_trial: the parameters given are fixed, the rest sampled)."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

from ..errors import UserError
from ..searchspace import SearchSpace, SearchSpaceError


def checked(space: SearchSpace, params: Any) -> dict[str, Any]:
    """params as enqueue_trial keeps them; UserError (one line, naming the parameter) for a name
    the space lacks or a value outside its range. A space with no parameter yet (define-by-run
    before any suggest_*) takes any name: the suggest_* call checks the value."""
    if not isinstance(params, Mapping):
        raise UserError(f"enqueue_trial: parameters must be a dict, got {type(params).__name__}")
    raw = space.raw
    for name, value in params.items():
        if name not in raw:
            if raw:
                known = ", ".join(repr(k) for k in raw)
                raise UserError(f"enqueue_trial: parameter {name!r} is not in the search space ({known})")
            continue
        fits(name, raw[name], value, "enqueue_trial")
    try:
        json.dumps(dict(params), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise UserError(f"enqueue_trial: parameters must be JSON values: {exc}") from None
    return dict(params)


def attributes(user_attrs: Any, persisted: bool) -> dict[str, Any]:
    """enqueue_trial's user_attrs, checked before anything is enqueued (JSON in a named study)."""
    if user_attrs is None:
        return {}
    if not isinstance(user_attrs, Mapping):
        raise UserError(f"enqueue_trial: user_attrs must be a dict, got {type(user_attrs).__name__}")
    if persisted:
        try:
            json.dumps(dict(user_attrs), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UserError(f"enqueue_trial: user_attrs: a named study keeps JSON values: {exc}") from None
    return dict(user_attrs)


def fits(name: str, spec: dict[str, Any], value: Any, where: str) -> None:
    """UserError unless value is one of spec's: '<where>: parameter 'x': 5.0 is outside [0, 1]'."""
    try:
        SearchSpace({name: spec}, where).to_flat({name: value})
    except SearchSpaceError as exc:
        message = str(exc)
        if spec.get("_type") == "choice" and message.endswith(f"is not an option of {name!r}"):
            message += f" (options: {spec['_value']})"
        raise UserError(message) from None


def completed(space: SearchSpace, params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Enqueued parameters with the space's other parameters sampled (in the space's order)."""
    missing = {name: spec for name, spec in space.raw.items() if name not in params}
    if not missing:
        return dict(params)
    sampled = SearchSpace(missing).sample(rng)
    out = {name: params[name] if name in params else sampled[name] for name in space.raw}
    out.update((name, value) for name, value in params.items() if name not in out)
    return out
