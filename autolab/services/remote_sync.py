"""What the remote service copies to each machine once per experiment: the code directory (less what
its `.nniignore` names, gitignore syntax as in NNI) and autolab's trial SDK, as one gzipped tar."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pathspec

IGNORE_FILE = ".nniignore"
SDK_PACKAGE = Path(__file__).resolve().parents[1]  # the autolab package: the SDK is standard library only
SDK_SKIP = {"__pycache__", "webui", "nas"}  # not needed by a trial's `import autolab` / `import nni`


def ignore_spec(code_dir: Path) -> pathspec.PathSpec:
    """The patterns of code_dir/.nniignore (none when there is no such file)."""
    try:
        lines = (code_dir / IGNORE_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    return pathspec.GitIgnoreSpec.from_lines(lines)


def code_files(code_dir: Path) -> list[str]:
    """Paths (relative, '/'-separated) of the files to copy, sorted; ignored folders are not entered."""
    spec = ignore_spec(code_dir)
    out: list[str] = []
    for folder, dirs, files in os.walk(code_dir):
        rel = Path(folder).relative_to(code_dir).as_posix()
        prefix = "" if rel == "." else rel + "/"
        dirs[:] = sorted(d for d in dirs if not spec.match_file(prefix + d + "/"))
        out += [prefix + f for f in files if not spec.match_file(prefix + f)]
    return sorted(out)


def bundle(code_dir: Path) -> bytes:
    """The tar.gz of code/ (the code directory as filtered) and sdk/autolab/."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        tar.add(code_dir, "code", recursive=False)
        for rel in code_files(code_dir):
            tar.add(code_dir / rel, f"code/{rel}", recursive=False)
        for folder, dirs, files in os.walk(SDK_PACKAGE):
            dirs[:] = sorted(d for d in dirs if d not in SDK_SKIP)
            rel = Path(folder).relative_to(SDK_PACKAGE.parent).as_posix()
            for name in sorted(files):
                if name.endswith((".py", ".typed")):
                    tar.add(Path(folder) / name, f"sdk/{rel}/{name}", recursive=False)
    return buffer.getvalue()


def sdk_pythonpath(experiment_dir: str, nni_module: bool) -> str:
    """The trial's PYTHONPATH entries on the machine: the SDK, and autolab's `nni` when wanted."""
    sdk = f"{experiment_dir}/sdk"
    return f"{sdk}/autolab/_nni_shim:{sdk}" if nni_module else sdk
