"""`autolab algo list` / `autolab algo show NAME` (nnictl's `algo` commands): the builtin tuners and
assessors a config can name, and the classArgs each takes with its default."""

from __future__ import annotations

import argparse
import inspect
import re
from typing import Any

from ..errors import UserError
from .common import table

# the config's spelling of each builtin (the registries key them lower-case)
TUNERS = {
    "tpe": "TPE",
    "random": "Random",
    "gridsearch": "GridSearch",
    "batchtuner": "BatchTuner",
    "evolution": "Evolution",
    "anneal": "Anneal",
    "gp": "GP",
    "smac": "SMAC",
    "cmaes": "CMAES",
    "hyperband": "Hyperband",
    "bohb": "BOHB",
    "asha": "ASHA",
    "pbttuner": "PBTTuner",
    "motpe": "MOTPE",
    "nsga2": "NSGA2",
    "mogp": "MOGP",
    "metistuner": "MetisTuner",
    "dngotuner": "DNGOTuner",
}
ASSESSORS = {"medianstop": "Medianstop", "curvefitting": "Curvefitting", "asha": "ASHA"}


def add_commands(sub: Any) -> None:
    group = sub.add_parser("algo", help="the builtin tuners and assessors (nnictl algo)")
    actions = group.add_subparsers(dest="algo_command", metavar="ACTION")
    actions.required = True
    actions.add_parser("list", help="every builtin tuner and assessor").set_defaults(handler=cmd_list)
    show = actions.add_parser("show", help="one builtin's classArgs and their defaults")
    show.add_argument("name", help="a tuner or assessor name as a config writes it (TPE, Medianstop...)")
    show.set_defaults(handler=cmd_show)


def _registries() -> tuple[Any, Any]:
    # not at the top: every CLI command imports this module, and the registries load the tuners' base
    from ..assessors import REGISTRY as ASSESSOR_REGISTRY
    from ..tuners import REGISTRY as TUNER_REGISTRY

    return TUNER_REGISTRY, ASSESSOR_REGISTRY


def cmd_list(args: argparse.Namespace) -> int:
    TUNER_REGISTRY, ASSESSOR_REGISTRY = _registries()
    rows = [["tuner", name, _summary(TUNER_REGISTRY.find(key))] for key, name in TUNERS.items()]
    rows += [["assessor", name, _summary(ASSESSOR_REGISTRY.find(key))] for key, name in ASSESSORS.items()]
    print(table(["KIND", "NAME", "WHAT"], rows))
    print("Hyperband, BOHB and PBTTuner are NNI's advisors: name them under tuner: or advisor:.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    TUNER_REGISTRY, ASSESSOR_REGISTRY = _registries()
    key = args.name.lower().replace("_", "")
    found = [
        (kind, names[k], registry)
        for kind, names, registry in (
            ("tuner", TUNERS, TUNER_REGISTRY),
            ("assessor", ASSESSORS, ASSESSOR_REGISTRY),
        )
        for k in [registry.aliases.get(key, key)]
        if k in names
    ]
    if not found:
        known = ", ".join([*TUNERS.values(), *ASSESSORS.values()])
        raise UserError(f"no builtin tuner or assessor {args.name!r} (builtin: {known})")
    for kind, name, registry in found:
        cls = registry.find(name)
        print(f"{kind} {name} ({cls.__module__}.{cls.__name__})")
        print(f"  {_summary(cls)}")
        args_ = _class_args(cls, kind)
        print("  classArgs: " + (", ".join(f"{k}={v}" for k, v in args_) if args_ else "none"))
    return 0


def _summary(cls: type) -> str:
    """The first sentence of the module's docstring (each builtin has a module of its own)."""
    doc = " ".join((inspect.getdoc(inspect.getmodule(cls)) or "").split("\n\n")[0].split())
    sentence = re.split(r"(?<! al)\.\s", doc)[0].rstrip(".")  # "Li et al. 2020" goes on
    return sentence if len(sentence) <= 110 else sentence[:107].rsplit(" ", 1)[0] + "..."


def _class_args(cls: type, kind: str) -> list[tuple[str, str]]:
    """The keyword arguments a config's classArgs may give (the search space and seed a tuner is
    built with are not classArgs)."""
    skip = {"space", "search_space"} if kind == "tuner" else set()
    out = []
    for p in inspect.signature(cls).parameters.values():
        if p.name in skip or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out.append((p.name, "required" if p.default is p.empty else repr(p.default)))
    return out
