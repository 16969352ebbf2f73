"""classArgs checks shared by the builtin assessors: one clear line naming the key."""

from __future__ import annotations

from typing import Any

from .base import AssessorError


def int_arg(owner: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AssessorError(f"{owner} classArgs.{key} must be an integer >= {minimum}, got {value!r}")
    return value


def fraction_arg(owner: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise AssessorError(f"{owner} classArgs.{key} must be a number in (0, 1], got {value!r}")
    return float(value)
