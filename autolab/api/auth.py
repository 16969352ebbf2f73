"""Who may change an experiment over HTTP: anyone on loopback, others only with the token."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from pathlib import Path

TOKEN_FILE = "token"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; False for 0.0.0.0, '' and every other address."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def prepare_token(directory: Path, host: str) -> str | None:
    """A fresh token written to <directory>/token (mode 0600) when host is not loopback, else None
    (and any old token file is removed, so the CLI does not send a stale one)."""
    path = directory / TOKEN_FILE
    if is_loopback(host):
        try:
            path.unlink()
        except OSError:
            pass
        return None
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def token_matches(expected: str, authorization: str | None) -> bool:
    """Does an `Authorization: Bearer <token>` header carry the expected token?"""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())
