"""Tuner registry: NNI's builtin names -> classes (imported lazily: numpy is not free)."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from ..searchspace import SearchSpace
from .base import NoMoreTrials, Tuner, TunerError

# lower-case name -> "module:Class" (relative to autolab.tuners)
BUILTIN: dict[str, str] = {
    "random": "random_tuner:RandomTuner",
    "gridsearch": "grid:GridSearchTuner",
    "batchtuner": "batch:BatchTuner",
    "tpe": "tpe:TpeTuner",
    "evolution": "evolution:EvolutionTuner",
    "gp": "gp:GPTuner",
    "anneal": "anneal:AnnealTuner",
}

__all__ = ["BUILTIN", "NoMoreTrials", "Tuner", "TunerError", "create_tuner", "tuner_class"]


def tuner_class(name: str | None, class_name: str | None = None, code_directory: str | None = None) -> type:
    """The class for a builtin name, or a user's `module.Class` found in code_directory."""
    if class_name:
        return load_user_class(class_name, code_directory, "tuner")
    assert name is not None
    key = name.lower().replace("_", "")
    if key not in BUILTIN:
        raise TunerError(f"unknown tuner {name!r} (builtin: {', '.join(sorted(BUILTIN))})")
    module, cls = BUILTIN[key].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)


def load_user_class(class_name: str, code_directory: str | None, what: str) -> type:
    module_name, _, cls = class_name.rpartition(".")
    if not module_name:
        raise TunerError(f"{what} className {class_name!r} must be module.Class")
    if code_directory and code_directory not in sys.path:
        sys.path.insert(0, code_directory)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TunerError(f"{what} className {class_name!r}: cannot import {module_name!r} ({exc})") from None
    if not hasattr(module, cls):
        raise TunerError(f"{what} className {class_name!r}: module {module_name!r} has no {cls!r}")
    return getattr(module, cls)


def create_tuner(
    space: SearchSpace,
    name: str | None,
    class_args: dict[str, Any] | None = None,
    class_name: str | None = None,
    code_directory: str | None = None,
) -> Tuner:
    """Build a tuner from NNI's config keys; bad classArgs raise TunerError naming the key."""
    cls = tuner_class(name, class_name, code_directory)
    args = dict(class_args or {})
    if class_name and not (isinstance(cls, type) and issubclass(cls, Tuner)):
        from .nni_adapter import NniTunerAdapter, is_nni_style

        if not is_nni_style(cls):
            raise TunerError(
                f"tuner className {class_name!r} is neither an autolab Tuner nor an NNI-style tuner "
                "(generate_parameters, receive_trial_result, update_search_space)"
            )
        return NniTunerAdapter(space, cls, args)
    try:
        return cls(space, **args)
    except TypeError as exc:
        raise TunerError(f"tuner {name or class_name}: bad classArgs {sorted(args)}: {exc}") from None
