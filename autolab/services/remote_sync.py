"""What the remote service copies to each machine: the code directory (less what its `.nniignore`
names, gitignore syntax as in NNI, and the experiments' own folders when they lie inside it) and
autolab's trial SDK, as one gzipped tar, with a digest of their content. A machine keeps the digest
of its copy (remote_scripts.SYNC_MARK): a resumed experiment copies again only when it changed."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import threading
from collections.abc import Iterable
from pathlib import Path

import pathspec

IGNORE_FILE = ".nniignore"
SDK_PACKAGE = Path(__file__).resolve().parents[1]  # the autolab package: the SDK is standard library only
SDK_SKIP = {"__pycache__", "webui", "nas"}  # not needed by a trial's `import autolab` / `import nni`
# a code directory over these is copied all the same, with a warning (NNI warns too)
MANY_FILES = 2000
MANY_BYTES = 100 * 1000 * 1000


def ignore_spec(code_dir: Path) -> pathspec.PathSpec:
    """The patterns of code_dir/.nniignore (none when there is no such file)."""
    try:
        lines = (code_dir / IGNORE_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    return pathspec.GitIgnoreSpec.from_lines(lines)


def code_files(code_dir: Path, exclude: Iterable[Path] = ()) -> list[str]:
    """Paths (relative, '/'-separated) of the files to copy, sorted; ignored folders, and the folders
    of `exclude` (the experiments' own: their results, the store), are not entered."""
    spec = ignore_spec(code_dir)
    skip = {Path(p).resolve() for p in exclude}
    out: list[str] = []
    for folder, dirs, files in os.walk(code_dir):
        rel = Path(folder).relative_to(code_dir).as_posix()
        prefix = "" if rel == "." else rel + "/"
        dirs[:] = sorted(
            d
            for d in dirs
            if not spec.match_file(prefix + d + "/") and (Path(folder) / d).resolve() not in skip
        )
        out += [prefix + f for f in files if not spec.match_file(prefix + f)]
    return sorted(out)


def members(code_dir: Path, exclude: Iterable[Path] = ()) -> list[tuple[str, Path]]:
    """(name in the tar, file) of everything copied: code/... then sdk/autolab/..."""
    out = [(f"code/{rel}", code_dir / rel) for rel in code_files(code_dir, exclude)]
    for folder, dirs, files in os.walk(SDK_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d not in SDK_SKIP)
        rel = Path(folder).relative_to(SDK_PACKAGE.parent).as_posix()
        out += [(f"sdk/{rel}/{n}", Path(folder) / n) for n in sorted(files) if n.endswith((".py", ".typed"))]
    return out


def bundle(code_dir: Path, exclude: Iterable[Path] = ()) -> bytes:
    """The tar.gz of code/ (the code directory as filtered) and sdk/autolab/."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        tar.add(code_dir, "code", recursive=False)
        for name, path in members(code_dir, exclude):
            tar.add(path, name, recursive=False)
    return buffer.getvalue()


def digest(code_dir: Path, exclude: Iterable[Path] = ()) -> str:
    """A hash of what bundle() holds: names, contents, executable bits (not times)."""
    h = hashlib.sha256()
    for name, path in members(code_dir, exclude):
        info = path.lstat()
        h.update(f"{name}\0{info.st_mode & 0o111}\0".encode())
        if stat.S_ISLNK(info.st_mode):
            h.update(b"link\0" + os.readlink(path).encode())
            continue
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()[:32]


def size_warning(code_dir: Path, exclude: Iterable[Path] = ()) -> str:
    """A warning when the code to copy is over MANY_FILES files or MANY_BYTES ('' when not)."""
    files = code_files(code_dir, exclude)
    size = 0
    for rel in files:
        try:
            size += (code_dir / rel).lstat().st_size
        except OSError:
            pass
    if len(files) <= MANY_FILES and size <= MANY_BYTES:
        return ""
    return (
        f"trialCodeDirectory {code_dir} holds {len(files)} files, {size / 1e6:.0f} MB to copy to every "
        f"machine (over {MANY_FILES} files or {MANY_BYTES // 1000000} MB): name what trials do not need "
        f"(data, checkpoints, outputs) in {code_dir / IGNORE_FILE}"
    )


class Copies:
    """The bundle and digest of each code directory, made once per service, shared by its threads."""

    def __init__(self, exclude: Iterable[Path] = ()) -> None:
        self.exclude = tuple(exclude)
        self._lock = threading.Lock()
        self._digests: dict[Path, str] = {}
        self._bundles: dict[Path, bytes] = {}

    def digest(self, code_dir: Path) -> str:
        with self._lock:
            if code_dir not in self._digests:
                self._digests[code_dir] = digest(code_dir, self.exclude)
            return self._digests[code_dir]

    def bundle(self, code_dir: Path) -> bytes:
        with self._lock:
            if code_dir not in self._bundles:
                self._bundles[code_dir] = bundle(code_dir, self.exclude)
            return self._bundles[code_dir]


def sdk_pythonpath(experiment_dir: str, nni_module: bool) -> str:
    """The trial's PYTHONPATH entries on the machine: the SDK, and autolab's `nni` when wanted."""
    sdk = f"{experiment_dir}/sdk"
    return f"{sdk}/autolab/_nni_shim:{sdk}" if nni_module else sdk
