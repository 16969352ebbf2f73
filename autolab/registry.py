"""Names -> classes for tuners and assessors: NNI's builtin names, or a user's className.

A builtin's module is imported only when asked for (numpy, scipy are not free); a user's class is
imported from its codeDirectory.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any

from ._nni_shim import SHIM_PATH
from .errors import AutolabError


class Registry:
    """The builtin classes of one kind (tuner, assessor), each "module:Class" in `package`."""

    def __init__(
        self,
        what: str,
        package: str,
        builtin: dict[str, str],
        error: type[AutolabError],
        aliases: dict[str, str] | None = None,
    ) -> None:
        """aliases: other (normalized) names of builtins, e.g. NNI's "gptuner" for "gp"."""
        self.what = what
        self.package = package
        self.builtin = builtin
        self.error = error
        self.aliases = aliases or {}

    def find(
        self, name: str | None, class_name: str | None = None, code_directory: str | None = None
    ) -> type:
        """The class for a builtin name (case and underscores ignored), or a user's `module.Class`
        found in code_directory."""
        if class_name:
            return self.user_class(class_name, code_directory)
        if not name:
            raise self.error(f"{self.what} needs a name or a className")
        key = name.lower().replace("_", "")
        key = self.aliases.get(key, key)
        if key not in self.builtin:
            raise self.error(f"unknown {self.what} {name!r} (builtin: {', '.join(sorted(self.builtin))})")
        module, cls = self.builtin[key].split(":")
        return getattr(importlib.import_module(f"{self.package}.{module}"), cls)

    def user_class(self, class_name: str, code_directory: str | None) -> type:
        module_name, _, cls = class_name.rpartition(".")
        if not module_name:
            raise self.error(f"{self.what} className {class_name!r} must be module.Class")
        if code_directory and code_directory not in sys.path:
            sys.path.insert(0, code_directory)
        # a custom algorithm file written for NNI (`from nni.tuner import Tuner`) imports as it is:
        # autolab's `nni` module comes last on the path, so a real NNI installed here still wins
        if SHIM_PATH not in sys.path:
            sys.path.append(SHIM_PATH)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise self.error(
                f"{self.what} className {class_name!r}: cannot import {module_name!r} ({exc})"
            ) from None
        if not hasattr(module, cls):
            raise self.error(f"{self.what} className {class_name!r}: module {module_name!r} has no {cls!r}")
        return getattr(module, cls)

    def build(self, cls: type, label: str | None, class_args: dict[str, Any], *positional: Any) -> Any:
        """cls(*positional, **class_args); an argument cls does not take is the user's error, named
        with the classArgs cls does take."""
        taken = _keywords(cls, len(positional))
        unknown = sorted(set(class_args) - set(taken)) if taken is not None else []
        if unknown:
            raise self.error(
                f"{self.what} {label}: unknown classArgs {unknown} ({label} takes: {', '.join(taken or [])})"
            )
        try:
            return cls(*positional, **class_args)
        except TypeError as exc:
            raise self.error(f"{self.what} {label}: bad classArgs {sorted(class_args)}: {exc}") from None


def _keywords(cls: type, positional: int) -> list[str] | None:
    """The keyword arguments cls(...) takes after `positional` positional ones; None when it takes
    any (**kwargs) or its signature cannot be read (then calling it is the check)."""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return [p.name for p in named[positional:]]
