"""A study with several objectives (Optuna's `directions=`): names, told values, the Pareto set.

`directions=["maximize", "minimize"]` names the objectives `default`, `value_1`, ... (the first is
the `default` number every NNI metric has); `directions={"accuracy": "maximize", "params":
"minimize"}` names them. The objective returns a list (one value per objective, in order) or NNI's
dict; either is recorded as the dict, so the CLI, the export and the REST API see every objective.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import UserError
from ..history import Trial
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
        return _each_finite(objectives, {"default": told.pop("default"), **told})
    if isinstance(value, Mapping):
        if "default" not in value and objectives.names[0] in value:
            value = {"default": value[objectives.names[0]], **value}
        return _each_finite(objectives, value)
    if len(objectives) == 1:  # one objective with constraints: a number is its value
        return value
    raise UserError(f"a number was told to a study of {len(objectives)} objectives {list(objectives.names)}")


def _each_finite(objectives: Objectives, told: Mapping[str, Any]) -> Mapping[str, Any]:
    """told, when every objective in it is a finite number; else UserError naming the first that
    is not (Optuna fails a trial with a NaN or missing value in any objective)."""
    for name in objectives.names:
        value = objectives.lookup(told, name)
        if _not_finite(value):
            what = "missing" if value is None and name not in told else f"{value!r}, not a finite number"
            raise UserError(f"objective {name!r} is {what} (objectives {list(objectives.names)})")
    return told


def _not_finite(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    return not math.isfinite(value)


def feasible(objectives: Objectives, trials: list[Trial]) -> list[Trial]:
    """The trials whose result meets every constraint."""
    return [
        t for t in trials if objectives.violation(t.raw_value if t.raw_value is not None else t.value) == 0
    ]
