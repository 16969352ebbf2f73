"""Helpers for trial scripts and NNI-style algorithms: NNI's `nni.utils`, same names and behaviour
(the exception: merge_parameter converts where nothing is lost, see its docstring). Standard
library only: trial scripts import this."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # argparse stays out of the trial start-up path
    import argparse

T = TypeVar("T", "argparse.Namespace", dict)


class MergeError(TypeError, ValueError):
    """A tuner's value does not fit the base parameter. A TypeError as NNI raises, and a
    ValueError as autolab raised before, so either `except` catches it."""


def merge_parameter(base_params: T, override_params: dict[str, Any] | None) -> T:
    """Update base_params (an argparse Namespace or a dict) in place with the tuner's parameters.

    As NNI: a key the base does not have raises ValueError; a base value of None takes any value;
    a value of the base value's type is taken as it is. Where NNI raises TypeError on any other
    type, autolab converts when nothing is lost and raises MergeError (a TypeError) otherwise:
    an integral float to int (quniform gives 64.0 for an int argument), an int to float, a numeric
    string to a number, "true"/"false" to bool, a number to str; and None is taken for any base
    (a choice of [null, 3, 5] for max_depth=5). So every merge NNI accepts gives
    the same result here, and a script that only works around NNI's strictness keeps working.
    """
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    current: dict[str, Any] = base_params if is_dict else vars(base_params)  # type: ignore[assignment]
    for key, value in override_params.items():
        if key not in current:
            raise ValueError(f"merge_parameter: key {key!r} is not in the base parameters")
        old = current[key]
        if old is not None and value is not None and type(old) is not type(value):
            value = _convert(key, value, type(old))
        current[key] = value
    return base_params


def _convert(key: str, value: Any, to: type) -> Any:
    """value as type `to` where the conversion loses nothing; MergeError otherwise."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:
        if to is bool and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if to is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if to is int and isinstance(value, str):
            return int(value)
        if to is float and (number or isinstance(value, str)):
            return float(value)
        if to is str and number:
            return str(value)
    except ValueError:
        pass
    raise MergeError(
        f"merge_parameter: {key}={value!r} ({type(value).__name__}) cannot become {to.__name__} "
        "without losing something"
    )


@enum.unique
class OptimizeMode(enum.Enum):
    """NNI's optimize_mode, as custom tuners and assessors take it: OptimizeMode('maximize')."""

    Minimize = "minimize"
    Maximize = "maximize"


class NodeType:
    """The keys of NNI's search space nodes."""

    ROOT = "root"
    TYPE = "_type"
    VALUE = "_value"
    INDEX = "_index"
    NAME = "_name"


class MetricType:
    """The kinds of metric a trial reports (the `type` of a metric line)."""

    FINAL = "FINAL"
    PERIODICAL = "PERIODICAL"
    REQUEST_PARAMETER = "REQUEST_PARAMETER"


class RewardError(RuntimeError, ValueError):
    """A result that is not a number nor a dict holding one: a RuntimeError as NNI raises, and a
    ValueError as autolab raised before."""


def extract_scalar_reward(value: Any, scalar_key: str = "default") -> float:
    """The number a reported metric stands for: the value itself, or its `default` key."""
    if isinstance(value, dict):
        if scalar_key not in value:
            raise RewardError(f"metric {value!r} has no {scalar_key!r} key")
        value = value[scalar_key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RewardError(f"metric {value!r} is not a number")
    return float(value)


def extract_scalar_history(trial_history: list[Any], scalar_key: str = "default") -> list[float]:
    """The number each of a trial's intermediate results stands for."""
    return [extract_scalar_reward(value, scalar_key) for value in trial_history]


def split_index(params: Any) -> Any:
    """params with NNI's {"_index": i, "_value": v} choice records replaced by v, at any depth."""
    if not isinstance(params, dict):
        return params
    if NodeType.INDEX in params:
        return split_index(params[NodeType.VALUE])
    return {key: split_index(value) for key, value in params.items()}


def convert_dict2tuple(value: Any) -> Any:
    """A dict (nested too) as a sorted tuple of items, so that it can be hashed. As NNI's, the
    dicts are converted in place on the way."""
    if not isinstance(value, dict):
        return value
    for key in value:
        value[key] = convert_dict2tuple(value[key])
    return tuple(sorted(value.items()))


def json2space(x: Any, oldy: Any = None, name: str = NodeType.ROOT) -> list[str]:
    """The names NNI's evolution-style tuners give the search space's nodes (`root[lr]-uniform`),
    innermost first; with oldy (a parameter set with choice indices) only the chosen branches."""
    names: list[str] = []
    if isinstance(x, dict) and NodeType.TYPE in x:
        name = f"{name}-{x[NodeType.TYPE]}"
        if x[NodeType.TYPE] == "choice":
            if oldy is not None:
                index = oldy[NodeType.INDEX]
                names += json2space(x[NodeType.VALUE][index], oldy[NodeType.VALUE], f"{name}[{index}]")
            else:
                names += json2space(x[NodeType.VALUE], None, name)
        names.append(name)
    elif isinstance(x, dict):
        for key, value in x.items():
            names += json2space(value, oldy[key] if oldy else None, f"{name}[{key}]")
    elif isinstance(x, list):
        for i, item in enumerate(x):
            if isinstance(item, dict) and NodeType.NAME not in item:
                raise RuntimeError("'_name' key is not found in this nested search space.")
            names += json2space(item, oldy[i] if oldy else None, f"{name}[{i}]")
    return names


class _Check:
    """One check of a classArgs value. Used as `schema` takes a validator (it calls .validate)
    and callable as a plain predicate, so it works with or without the schema package."""

    def __init__(self, test: Callable[[Any], bool], error: str) -> None:
        self.test = test
        self.error = error

    def validate(self, data: Any, **_: Any) -> Any:
        if not self.test(data):
            raise ValueError(self.error)
        return data

    def __call__(self, data: Any) -> bool:
        return self.test(data)


class ClassArgsValidator:
    """NNI's base for checking an algorithm's classArgs: override validate_class_args."""

    def validate_class_args(self, **kwargs: Any) -> None:
        """Raise when kwargs (the classArgs) are invalid; accepts everything unless overridden."""

    def choices(self, key: str, *args: Any) -> _Check:
        """A check that the value of `key` is one of args."""
        return _Check(lambda n: n in args, f"{key} should be in [{args}]!")

    def range(self, key: str, keyType: type, start: Any, end: Any) -> _Check:  # noqa: N803 (NNI's name)
        """A check that the value of `key` is a keyType in [start, end]."""
        return _Check(
            lambda n: isinstance(n, keyType) and start <= n <= end,
            f"{key} should be {keyType.__name__} in range of ({start}, {end})!",
        )
