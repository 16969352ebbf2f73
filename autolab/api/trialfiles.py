"""A trial's files from the page: its stdout / stderr read incrementally (the page asks for the bytes
after the offset it has, never the whole file again) and its directory as a zip, streamed."""

from __future__ import annotations

import codecs
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

from .. import protocol
from .base import BadRequest, BaseHandler
from .safefiles import is_real_dir, open_regular

CHUNK_DEFAULT = 64 * 1024
CHUNK_MAX = 1024 * 1024
STREAMS = {"stdout": protocol.STDOUT_FILE, "stderr": protocol.STDERR_FILE}
ZIP_BLOCK = 256 * 1024  # bytes read and sent at a time: a big checkpoint never sits in memory


def read_from(path: Path, offset: int | None, limit: int, root: Path) -> dict[str, Any]:
    """The bytes of a file from offset (None: its last `limit` bytes), up to `limit`, cut before a
    UTF-8 character split at the end (the next read starts with it). `next` is the offset to ask
    from next time; a file shorter than offset (rewritten) is read again from its tail."""
    try:
        with open_regular(path, root) as fh:  # never a link out of root, never a FIFO (it would block)
            size = os.fstat(fh.fileno()).st_size
            if offset is None or offset > size:
                offset = max(0, size - limit)
            fh.seek(offset)
            data = fh.read(min(limit, size - offset))
    except FileNotFoundError:
        return {"path": str(path), "exists": False, "size": 0, "offset": 0, "next": 0, "text": ""}
    except OSError as exc:
        raise BadRequest(f"{path}: cannot read: {exc.strerror}", 409) from None
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(data, final=False)
    # bytes of a character cut in two (by the limit, or a writer mid-character): the next read
    # starts with them, unless they are all this read has (a limit under one character)
    pending = len(decoder.getstate()[0])
    if pending and pending == len(data):
        text, pending = data.decode("utf-8", "replace"), 0
    return {
        "path": str(path),
        "exists": True,
        "size": size,
        "offset": offset,
        "next": offset + len(data) - pending,
        "text": text,
    }


class TrialStreamHandler(BaseHandler):
    """GET /api/v1/trials/{id}/log/{stdout|stderr}?offset=N&limit=L."""

    def get(self, trial_id: str, stream: str) -> None:
        if stream not in STREAMS:
            raise BadRequest(f"no log {stream!r}: expected stdout or stderr", 404)
        if self.store.trial_row(trial_id) is None:
            raise BadRequest(f"no trial {trial_id!r}", 404)
        raw = self.get_query_argument("offset", None)
        offset = None if raw in (None, "") else self.arg_int("offset", 0, 0, 2**62)
        limit = self.arg_int("limit", CHUNK_DEFAULT, 1, CHUNK_MAX)
        path = self.directory / "trials" / trial_id / STREAMS[stream]
        root = self.directory / "trials"
        self.send({"trialJobId": trial_id, "stream": stream, **read_from(path, offset, limit, root)})


class _Sink:
    """What zipfile writes to: kept until the handler sends it (zipfile needs no seek: it writes
    each entry's sizes after its data)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def trial_files(directory: Path) -> list[tuple[Path, str]]:
    """Every regular file under the trial's directory with its name in the zip. Symbolic links are
    left out (one could name a file outside the directory: a copied code tree's, or /etc/passwd)."""
    out = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(root, d)))
        for name in sorted(files):
            path = Path(root) / name
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
            except OSError:
                continue  # removed meanwhile
            out.append((path, path.relative_to(directory).as_posix()))
    return out


class TrialZipHandler(BaseHandler):
    """GET /api/v1/trials/{id}/zip: the trial's directory as <experiment>-<trial>.zip, streamed."""

    async def get(self, trial_id: str) -> None:
        if self.store.trial_row(trial_id) is None:
            raise BadRequest(f"no trial {trial_id!r}", 404)
        directory = self.directory / "trials" / trial_id
        if not is_real_dir(directory, self.directory / "trials"):  # a link to a folder elsewhere: not served
            raise BadRequest(f"trial {trial_id} has no directory ({directory})", 404)
        name = f"{self.store.get_meta('id', 'experiment')}-{trial_id}"
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="{name}.zip"')
        self.set_header("Cache-Control", "no-store")
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:  # type: ignore[call-overload]
            for path, arcname in trial_files(directory):
                try:
                    source = open_regular(
                        path, directory
                    )  # swapped for a FIFO or a link since listed: skipped
                except OSError:
                    continue  # removed or unreadable meanwhile: the rest still comes
                with source, archive.open(f"{name}/{arcname}", "w", force_zip64=True) as entry:
                    while block := source.read(ZIP_BLOCK):
                        entry.write(block)
                        self.write(sink.take())
                        await self.flush()
                self.write(sink.take())
        self.write(sink.take())
        self.finish()
