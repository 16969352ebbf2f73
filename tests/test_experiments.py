"""The experiment's lock: one holder, and a loser that names it even in the instant it is taken."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

from autolab.experiments import LOCK_FILE, ExperimentBusy, lock, mark_lock


def test_a_second_taker_is_told_who_holds_it(tmp_path: Path) -> None:
    fd = lock(tmp_path, "exp1", "autolab resume")
    try:
        with pytest.raises(ExperimentBusy, match=rf"exp1 is in use by autolab resume \(pid {os.getpid()}\)"):
            lock(tmp_path, "exp1", "autolab view")
    finally:
        os.close(fd)
    os.close(lock(tmp_path, "exp1", "autolab view"))  # released: free again


def test_the_holder_is_named_even_before_it_wrote_its_name(tmp_path: Path) -> None:
    """A holder writes its name just after taking the lock: a loser in between waits for it
    instead of saying 'another process'."""
    fd = os.open(tmp_path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken, nothing written yet
    named = threading.Event()
    writer = threading.Timer(0.2, lambda: (mark_lock(fd, "the manager"), named.set()))
    writer.start()
    try:
        with pytest.raises(ExperimentBusy, match=r"in use by the manager \(pid \d+\)"):
            lock(tmp_path, "exp1", "autolab resume")
        assert named.is_set()
    finally:
        writer.cancel()
        os.close(fd)
