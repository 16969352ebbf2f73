"""--host as sockets and URLs need it."""

from __future__ import annotations

import socket

import pytest

from autolab.errors import UserError
from autolab.hostaddr import bare_host, check_host, socket_family, url_host


def test_brackets_and_urls() -> None:
    assert (
        bare_host("[::1]") == "::1" and bare_host(" 127.0.0.1 ") == "127.0.0.1" and bare_host("::1") == "::1"
    )
    assert (
        url_host("::1") == "[::1]"
        and url_host("127.0.0.1") == "127.0.0.1"
        and url_host("localhost") == "localhost"
    )


def test_family_follows_the_address() -> None:
    assert socket_family("127.0.0.1") == socket.AF_INET and socket_family("0.0.0.0") == socket.AF_INET
    assert socket_family("::") == socket.AF_INET6
    with pytest.raises(OSError):
        socket_family("no-such-host.invalid")


def test_check_host() -> None:
    check_host("127.0.0.1")
    check_host("localhost")
    for bad in ("no-such-host.invalid", "203.0.113.5"):
        with pytest.raises(UserError, match=f"--host {bad}: cannot listen on that address"):
            check_host(bad)
