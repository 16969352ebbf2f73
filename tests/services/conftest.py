"""Fixtures of the services' tests: real sshd machines on loopback (sshd.py), a trial's code."""

from pathlib import Path

import pytest

from .remote_helpers import code_dir  # noqa: F401 - fixtures
from .sshd import machines_dir, password_machine, two_machines  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _private_home(autolab_home: Path) -> Path:
    """Every services test gets its own AUTOLAB_HOME. A remote experiment records host keys in
    <experiment working directory>/.remote/known_hosts, and each test's sshd has a fresh host key:
    in a shared home (~/autolab-experiments) a later sshd on a port an earlier one used is refused
    as a changed host key (seen in CI: 'Host key for [127.0.0.2]:39425 has changed')."""
    return autolab_home
