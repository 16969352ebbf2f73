"""Names -> classes for tuners and assessors: NNI's builtin names, or a user's className.

A builtin's module is imported only when asked for (numpy, scipy are not free); a user's class is
imported from its codeDirectory.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import inspect
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from ._nni_shim import SHIM_PATH
from .errors import AutolabError

log = logging.getLogger("autolab.manager")  # the manager builds tuners: manager.log has the traceback
_keep = [False]  # keep_imports() was called: this process runs one manager, the user's path stays


def keep_imports() -> None:
    """This process is one experiment's manager (python -m autolab.launcher): a user's
    codeDirectory stays on sys.path once its class is imported, so that what the class imports
    later (a helper module beside it, `import nni` in a method) is found, as under NNI."""
    _keep[0] = True


def user_init_failed(what: str, label: str | None, exc: Exception) -> str:
    """The one line for a user's class whose __init__ raised (its traceback goes to the log)."""
    log.info("%s %s: __init__ failed", what, label, exc_info=exc)
    return f"{what} {label}: __init__ raised {type(exc).__name__}: {exc}"


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
        """The user's class, imported afresh from code_directory (another experiment's module of
        the same name, or the caller's own, is never reused); sys.path and sys.modules are as
        they were afterwards, unless keep_imports() said this process runs one manager only.
        Any error importing it is one line naming the file and line (the traceback: the log)."""
        module_name, _, cls = class_name.rpartition(".")
        if not module_name:
            raise self.error(f"{self.what} className {class_name!r} must be module.Class")
        if code_directory and not os.path.isdir(code_directory):
            raise self.error(f"{self.what} codeDirectory {code_directory} does not exist")
        try:
            with _importing_from(code_directory, module_name):
                module = importlib.import_module(module_name)
        except Exception as exc:
            log.info("importing %s className %s failed", self.what, class_name, exc_info=True)
            problem = _import_problem(exc, module_name, code_directory)
            raise self.error(f"{self.what} className {class_name!r}: {problem}") from None
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
        except AutolabError:
            raise
        except Exception as exc:
            if cls.__module__.split(".")[0] == "autolab":  # a builtin's bug: its traceback
                raise
            raise self.error(user_init_failed(self.what, label, exc)) from None


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


@contextlib.contextmanager
def _importing_from(code_directory: str | None, module_name: str) -> Iterator[None]:
    """Import with code_directory first on sys.path and autolab's `nni` module last (a custom
    algorithm file written for NNI, `from nni.tuner import Tuner`, imports as it is; a real NNI
    installed here still wins). The module and its packages are imported afresh; afterwards the
    caller's sys.path and sys.modules are restored: the modules imported from code_directory and
    autolab's `nni` are dropped (another experiment's file of the same name loads its own)."""
    names = module_name.split(".")
    # a module found in code_directory is imported from there afresh; another (an installed
    # package named as className) is imported as usual
    finder = importlib.machinery.PathFinder
    ours = bool(code_directory) and finder.find_spec(names[0], [code_directory or ""]) is not None
    cached = [".".join(names[: i + 1]) for i in range(len(names))] if ours else []
    if _keep[0] and code_directory:  # one manager: its tuner and assessor share their module, as under NNI
        home = [os.path.realpath(code_directory)]
        cached = [name for name in cached if not _inside(sys.modules.get(name), home)]
    saved_path = list(sys.path)
    saved = {name: sys.modules.pop(name) for name in cached if name in sys.modules}
    before = set(sys.modules)
    if code_directory:
        sys.path.insert(0, code_directory)
    if SHIM_PATH not in sys.path:
        sys.path.append(SHIM_PATH)
    try:
        yield
    finally:
        if not _keep[0]:
            sys.path[:] = saved_path
            roots = [os.path.realpath(p) for p in (code_directory, SHIM_PATH) if p]
            for name in set(sys.modules) - before:
                if name in cached or _inside(sys.modules[name], roots):
                    del sys.modules[name]
            sys.modules.update(saved)


def _inside(module: Any, roots: list[str]) -> bool:
    where = getattr(module, "__file__", None)
    if not where:
        return False
    real = os.path.realpath(where)
    return any(real.startswith(root + os.sep) for root in roots)


def _import_problem(exc: Exception, module_name: str, code_directory: str | None) -> str:
    """Why the module did not import, in one line: the file and line of a syntax error or of the
    exception its code raised, or where the module was looked for."""

    def shown(path: str) -> str:
        if code_directory and os.path.realpath(path).startswith(os.path.realpath(code_directory) + os.sep):
            return os.path.relpath(os.path.realpath(path), os.path.realpath(code_directory))
        return path

    if (
        isinstance(exc, ModuleNotFoundError)
        and exc.name
        and module_name.split(".")[0] == exc.name.split(".")[0]
    ):
        where = f" in codeDirectory {code_directory}" if code_directory else ""
        return f"cannot import {module_name!r} (no module {exc.name!r}{where})"
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{shown(exc.filename)} line {exc.lineno}: {type(exc).__name__}: {exc.msg}"
    roots = [os.path.realpath(code_directory)] if code_directory else []
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if roots and os.path.realpath(f.filename).startswith(roots[0] + os.sep)
    ]
    if frames:
        return f"{shown(frames[-1].filename)} line {frames[-1].lineno}: {type(exc).__name__}: {exc}"
    return f"cannot import {module_name!r} ({type(exc).__name__}: {exc})"
