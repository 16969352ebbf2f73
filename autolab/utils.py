"""Helpers for trial scripts (NNI's nni.utils)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # argparse stays out of the trial start-up path
    import argparse

T = TypeVar("T", "argparse.Namespace", dict)


def merge_parameter(base_params: T, override_params: dict[str, Any]) -> T:
    """Update base_params (an argparse Namespace or a dict) with the tuner's parameters.

    A key the base does not have raises ValueError, as a typo in the search space should not pass
    silently. Values are converted to the type of the base value where that value is not None.
    """
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    current: dict[str, Any] = base_params if is_dict else vars(base_params)  # type: ignore[assignment]
    for key, value in override_params.items():
        if key not in current:
            raise ValueError(f"merge_parameter: key {key!r} is not in the base parameters")
        old = current[key]
        if isinstance(old, bool) and isinstance(value, str):
            if value.lower() not in ("true", "false"):
                raise ValueError(f"merge_parameter: {key}={value!r} is not a boolean")
            value = value.lower() == "true"
        elif isinstance(old, int) and not isinstance(old, bool) and isinstance(value, float):
            if not value.is_integer():
                raise ValueError(
                    f"merge_parameter: {key}={value!r} would be truncated to the int default's type"
                )
            value = int(value)
        if old is not None and value is not None and type(old) is not type(value):
            try:
                value = type(old)(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"merge_parameter: {key}={value!r} cannot become {type(old).__name__}"
                ) from None
        current[key] = value
    return base_params


class OptimizeMode:
    """NNI's optimize_mode names, for custom tuners and assessors (nni.utils.OptimizeMode)."""

    Minimize = "minimize"
    Maximize = "maximize"


def extract_scalar_reward(value: Any, scalar_key: str = "default") -> float:
    """The number a reported metric stands for: the value itself, or its `default` key."""
    if isinstance(value, dict):
        if scalar_key not in value:
            raise ValueError(f"metric {value!r} has no {scalar_key!r} key")
        value = value[scalar_key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"metric {value!r} is not a number")
    return float(value)
