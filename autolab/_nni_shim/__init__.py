"""autolab's `nni` module: the folder that holds it, and how a trial's PYTHONPATH gets it.

A trial script written for NNI (`import nni`, `from nni.utils import merge_parameter`) runs with
no edit: unless the config says `nniModule: false`, every trial's PYTHONPATH ends with this folder,
whose `nni` package re-exports autolab's trial SDK. It comes after the user's own PYTHONPATH
entries (an `nni` put there on purpose wins) and, as every PYTHONPATH entry does, before
site-packages: inside a trial it shadows a real NNI installed in the trial's Python, because a real
NNI's SDK cannot reach autolab's manager (it would run standalone: no parameters, results only
printed). Outside trials nothing changes, unless the user runs `autolab nni install`.
Standard library only: the trial launcher imports it.
"""

from __future__ import annotations

import importlib.machinery
import os

# the folder with the `nni` package: what goes on a trial's PYTHONPATH or into a .pth file
SHIM_PATH = os.path.dirname(os.path.abspath(__file__))
_REAL_SHIM_PATH = os.path.realpath(SHIM_PATH)


def trial_pythonpath(current: str | None) -> str:
    """A trial's PYTHONPATH: the user's entries as they are, then autolab's `nni` module."""
    entries = (current or "").split(os.pathsep)
    if SHIM_PATH in entries:
        return current or SHIM_PATH
    return f"{current}{os.pathsep}{SHIM_PATH}" if current else SHIM_PATH


def find_real_nni(paths: list[str]) -> str | None:
    """The folder of an `nni` package importable from paths that is not autolab's (a real NNI,
    or another module of that name), or None."""
    others = [p for p in paths if os.path.realpath(p or os.curdir) != _REAL_SHIM_PATH]
    spec = importlib.machinery.PathFinder.find_spec("nni", others)
    if spec is None:
        return None
    where = spec.origin if spec.origin and spec.origin != "namespace" else None
    locations = list(spec.submodule_search_locations or [])
    return os.path.dirname(where) if where else (locations[0] if locations else None)
