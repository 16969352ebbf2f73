"""Each job in its own copy of the code directory, so that relative output paths never collide.

The copy is <trial dir>/code. With symlinks, files of LINK_SIZE bytes or more are linked to the
original instead of copied (datasets, checkpoints). Version-control folders, __pycache__ and the
experiment's own directory (when it lies inside the code) are left out. Making the copy is
idempotent: a job that already has one (a resumed experiment) keeps it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

LINK_SIZE = 1 << 20  # 1 MiB
SKIPPED = frozenset({".git", ".hg", ".svn", "__pycache__"})
CODE = "code"


def job_code_dir(source: Path, trial_dir: Path, symlinks: bool, experiment_dir: Path | None = None) -> Path:
    """The job's copy of source (made now if missing)."""
    dest = trial_dir / CODE
    if dest.is_dir():
        return dest
    tmp = trial_dir / (CODE + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    skip = {os.path.realpath(p) for p in (experiment_dir, trial_dir) if p is not None}

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIPPED or os.path.realpath(os.path.join(folder, n)) in skip}

    def copy(src: str, dst: str) -> object:
        if symlinks and os.path.getsize(src) >= LINK_SIZE:
            os.symlink(os.path.abspath(src), dst)
            return dst
        return shutil.copy2(src, dst)

    shutil.copytree(source, tmp, symlinks=True, ignore=ignore, copy_function=copy)
    tmp.rename(dest)
    return dest
