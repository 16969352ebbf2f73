"""Opening a file a trial wrote, for the server to read: a trial may write anything in its own
folder, so a name there may be a symbolic link to a file outside it (/etc/passwd, another
experiment's) or a FIFO whose open() would block the server's event loop (and the manager's
scheduling with it). Only regular files inside the experiment's trials folder are opened."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO


def open_regular(path: Path, root: Path) -> BinaryIO:
    """path opened for reading, if it is a regular file under root reached through no symbolic link
    leaving root; FileNotFoundError when absent, another OSError (its strerror says why) otherwise."""
    real_root = os.path.realpath(root)
    if not os.path.realpath(path).startswith(real_root + os.sep):
        raise OSError(
            errno.EACCES, "a symbolic link out of the experiment's trials folder (not served)", str(path)
        )
    try:  # no final symbolic link, and a FIFO opens at once instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.EACCES, "a symbolic link (not served)", str(path)) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (not served)", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_real_dir(path: Path, root: Path) -> bool:
    """path is a directory under root, not a symbolic link (to one elsewhere)."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return False
    except OSError:
        return False
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)
