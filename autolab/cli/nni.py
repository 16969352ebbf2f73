"""`autolab nni install` / `autolab nni uninstall`: autolab's `nni` module (the one trials get) in a
Python environment, so that driver scripts and notebooks that `import nni` work without NNI.

It is one .pth file in site-packages naming autolab/_nni_shim: nothing is copied, it follows
autolab's upgrades, and removing the file undoes it. Refused where a real NNI is importable: that
NNI stays the environment's `nni`.
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any

from .._nni_shim import SHIM_PATH, find_real_nni
from ..errors import UserError

PTH_FILE = "autolab_nni.pth"


def add_commands(sub: Any) -> None:
    group = sub.add_parser("nni", help="autolab's `nni` module in this Python environment")
    actions = group.add_subparsers(dest="nni_command", metavar="ACTION")
    actions.required = True
    for name, handler, text in (
        (
            "install",
            cmd_install,
            "make `import nni` give autolab's trial API here (refused if NNI is installed)",
        ),
        ("uninstall", cmd_uninstall, "undo `autolab nni install`"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument(
            "--site-dir",
            type=Path,
            default=None,
            help="the site-packages folder to change (default: this Python's, where pip installs)",
        )
        p.set_defaults(handler=handler)


def _site_dir(args: argparse.Namespace) -> Path:
    site_dir: Path = args.site_dir or Path(sysconfig.get_paths()["purelib"])
    if not site_dir.is_dir():
        raise UserError(f"--site-dir {site_dir}: not a folder")
    return site_dir


def cmd_install(args: argparse.Namespace) -> int:
    site_dir = _site_dir(args)
    real = find_real_nni([*sys.path, str(site_dir)])
    if real is not None:
        raise UserError(
            f"an nni module is already installed at {real}: it stays this environment's `nni` "
            "(trials still get autolab's unless the config says nniModule: false)"
        )
    pth = site_dir / PTH_FILE
    try:
        pth.write_text(SHIM_PATH + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot write {pth}: {exc.strerror}; use a virtual environment, or "
            '--site-dir "$(python3 -m site --user-site)"'
        ) from None
    print(f"installed {pth}: `import nni` in a Python that reads {site_dir} gives autolab's trial API")
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    pth = _site_dir(args) / PTH_FILE
    try:
        os.remove(pth)
    except FileNotFoundError:
        print(f"autolab's nni module is not installed there ({pth} does not exist)")
        return 0
    except OSError as exc:
        raise UserError(f"cannot remove {pth}: {exc.strerror}") from None
    print(f"removed {pth}: `import nni` no longer gives autolab's trial API there")
    return 0
