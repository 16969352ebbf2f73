"""A study with several objectives (Optuna's `directions=`): names, told values, the Pareto set.

`directions=["maximize", "minimize"]` names the objectives `default`, `value_1`, ... (the first is
the `default` number every NNI metric has); `directions={"accuracy": "maximize", "params":
"minimize"}` names them. The objective returns a list (one value per objective, in order) or NNI's
dict; either is recorded as the dict, so the CLI, the export and the REST API see every objective.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import UserError
from ..objectives import DIRECTIONS, Objectives


def objectives_of(directions: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """directions= as the tuner's `objectives` classArg (name -> direction)."""
    if isinstance(directions, Mapping):
        named = {str(k): v for k, v in directions.items()}
    elif isinstance(directions, (list, tuple)):
        named = {("default" if i == 0 else f"value_{i}"): d for i, d in enumerate(directions)}
    else:
        raise UserError(f"directions must be a list or a dict of 'minimize'/'maximize', got {directions!r}")
    if not named:
        raise UserError("directions is empty: give one direction per objective")
    for name, direction in named.items():
        if direction not in DIRECTIONS:
            raise UserError(f"directions: {name!r} must be 'minimize' or 'maximize', got {direction!r}")
    return named


def told_value(objectives: Objectives, value: Any) -> Any:
    """What a multi-objective study records for a told value: a list becomes NNI's dict ('default'
    being the first value); a dict gets 'default' from its first objective when it lacks one.
    UserError (the trial FAILS with it) when the count or a key does not fit."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(objectives):
            raise UserError(
                f"{len(value)} values told for {len(objectives)} objectives {list(objectives.names)}"
            )
        told = dict(zip(objectives.names, value, strict=True))
        told.setdefault("default", value[0])
        return {"default": told.pop("default"), **told}
    if isinstance(value, Mapping):
        if "default" not in value and objectives.names[0] in value:
            value = {"default": value[objectives.names[0]], **value}
        if objectives.values(value) is None:
            raise UserError(f"told {value!r}: it lacks one of the objectives {list(objectives.names)}")
        return value
    raise UserError(f"a number was told to a study of {len(objectives)} objectives {list(objectives.names)}")
