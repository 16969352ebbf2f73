"""Assessor registry: NNI's builtin names -> classes (imported lazily: scipy is not free)."""

from __future__ import annotations

import importlib
from typing import Any

from ..tuners import TunerError, load_user_class
from .base import Assessor, AssessorError

# lower-case name -> "module:Class" (relative to autolab.assessors)
BUILTIN: dict[str, str] = {
    "medianstop": "medianstop:MedianstopAssessor",
    "curvefitting": "curvefitting:CurvefittingAssessor",
}

__all__ = ["BUILTIN", "Assessor", "AssessorError", "assessor_class", "create_assessor"]


def assessor_class(
    name: str | None, class_name: str | None = None, code_directory: str | None = None
) -> type:
    """The class for a builtin name (case-insensitive), or a user's `module.Class` in code_directory."""
    if class_name:
        try:
            return load_user_class(class_name, code_directory, "assessor")
        except TunerError as exc:
            raise AssessorError(str(exc)) from None
    if not name:
        raise AssessorError("assessor needs a name or a className")
    key = name.lower().replace("_", "")
    if key not in BUILTIN:
        raise AssessorError(f"unknown assessor {name!r} (builtin: {', '.join(sorted(BUILTIN))})")
    module, cls = BUILTIN[key].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)


def create_assessor(
    name: str | None,
    class_args: dict[str, Any] | None = None,
    class_name: str | None = None,
    code_directory: str | None = None,
) -> Assessor:
    """Build an assessor from NNI's config keys; bad classArgs raise AssessorError naming the key."""
    cls = assessor_class(name, class_name, code_directory)
    args = dict(class_args or {})
    from .nni_adapter import NniAssessorAdapter, is_nni_style

    if is_nni_style(cls):
        return NniAssessorAdapter(cls, args)
    if not (isinstance(cls, type) and issubclass(cls, Assessor)):
        raise AssessorError(
            f"assessor {class_name}: neither an autolab Assessor nor an NNI-style one (assess_trial)"
        )
    try:
        return cls(**args)
    except TypeError as exc:
        raise AssessorError(f"assessor {name or class_name}: bad classArgs {sorted(args)}: {exc}") from None
