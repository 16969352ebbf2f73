"""Assessor registry: NNI's builtin names -> classes (imported lazily: scipy is not free)."""

from __future__ import annotations

import logging
from typing import Any

from ..registry import Registry
from .base import Assessor, AssessorError
from .nni_adapter import NniAssessorAdapter, is_nni_style

# lower-case name -> "module:Class" (relative to autolab.assessors)
BUILTIN: dict[str, str] = {
    "medianstop": "medianstop:MedianstopAssessor",
    "curvefitting": "curvefitting:CurvefittingAssessor",
    "asha": "asha:AshaAssessor",
}
REGISTRY = Registry("assessor", __name__, BUILTIN, AssessorError)
log = logging.getLogger("autolab.manager")  # the manager builds it: a line of manager.log

__all__ = ["BUILTIN", "Assessor", "AssessorError", "assessor_class", "create_assessor"]


def assessor_class(
    name: str | None, class_name: str | None = None, code_directory: str | None = None
) -> type:
    """The class for a builtin name (case-insensitive), or a user's `module.Class` in code_directory."""
    return REGISTRY.find(name, class_name, code_directory)


def create_assessor(
    name: str | None,
    class_args: dict[str, Any] | None = None,
    class_name: str | None = None,
    code_directory: str | None = None,
) -> Assessor:
    """Build an assessor from NNI's config keys; bad classArgs raise AssessorError naming the key."""
    cls = assessor_class(name, class_name, code_directory)
    args = dict(class_args or {})
    if is_nni_style(cls):
        adapter = NniAssessorAdapter(cls, args)
        log.info("assessor: %s (an NNI-style class) with classArgs %s", class_name, args)
        return adapter
    if not (isinstance(cls, type) and issubclass(cls, Assessor)):
        raise AssessorError(
            f"assessor {class_name}: neither an autolab Assessor nor an NNI-style one (assess_trial)"
        )
    assessor: Assessor = REGISTRY.build(cls, name or class_name, args)
    log.info("assessor: %s (%s.%s) with classArgs %s", name or class_name, cls.__module__, cls.__name__, args)
    return assessor
