"""Fixtures of the services' tests: real sshd machines on loopback (sshd.py), a trial's code."""

from .remote_helpers import code_dir  # noqa: F401 - fixtures
from .sshd import machines_dir, password_machine, two_machines  # noqa: F401 - fixtures
