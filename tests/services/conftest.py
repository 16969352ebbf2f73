"""Fixtures of the services' tests: real sshd machines on loopback (sshd.py)."""

from .sshd import machines_dir, password_machine, two_machines  # noqa: F401 - fixtures
