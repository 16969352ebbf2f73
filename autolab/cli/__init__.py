"""The `autolab` command: parse arguments, dispatch, and turn user errors into one line + exit 2."""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..errors import AutolabError, UserError

EXIT_USER_ERROR = 2


# modules with add_commands(subparsers); later ones may add to the groups earlier ones made
COMMAND_MODULES = ["manage", "query", "admin", "rerun", "web", "tensorboard", "nni", "algo"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autolab", description="AutoML experiments that speak NNI's formats."
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    groups: dict[str, Any] = {}
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue
            raise
        module.add_commands(sub, groups) if _takes_groups(module) else module.add_commands(sub)
    return parser


def _takes_groups(module: Any) -> bool:
    return len(inspect.signature(module.add_commands).parameters) >= 2


def _version() -> str:
    return f"autolab {__version__}"


# nnictl commands autolab has no command for: what to use instead (argparse would only list choices)
NNICTL_ONLY = {
    (
        "platform",
    ): "autolab has no `platform clean`: `autolab experiment delete ID` removes an experiment's folder",
    ("config",): "autolab has no `config show`: `autolab experiment show ID` prints an experiment's config",
    ("experiment", "save"): "autolab has no `experiment save`: copy the experiment's folder; "
    "`autolab view PATH` or `autolab resume PATH` read the copy where it lies",
    ("experiment", "load"): "autolab has no `experiment load`: `autolab view PATH` or `autolab resume PATH` "
    "read a copied experiment folder where it lies",
    ("stop", "all"): "`autolab stop --all` stops every running experiment",
    (
        "package",
    ): "autolab has no packages: a custom tuner or assessor is named by className and codeDirectory",
    ("ss_gen",): "autolab has no `ss_gen`: write search_space.json (docs/nni-configs.md)",
}


def main(argv: list[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    for command, instead in NNICTL_ONLY.items():
        if tuple(words[: len(command)]) == command:
            print(f"autolab: error: {instead}", file=sys.stderr)
            return EXIT_USER_ERROR
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], Any] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        result = handler(args)
    except AutolabError as exc:
        # one line, even when the message quotes a library's multi-line text
        print(f"autolab: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("autolab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        # a path the system refuses (too long, no permission, a full disk) that no command checked
        # first: the path and the system's reason, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"autolab: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    return int(result or 0)


__all__ = ["EXIT_USER_ERROR", "UserError", "main"]

if __name__ == "__main__":
    sys.exit(main())
