"""Which hosts need a token, and the token file the CLI reads."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from autolab.api.auth import host_allowed, host_name, is_loopback, prepare_token, token_matches


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.10", "10.0.0.1", "example.org"])
def test_other_hosts(host: str) -> None:
    assert not is_loopback(host)


def test_token_written_for_public_host_and_removed_for_loopback(tmp_path: Path) -> None:
    token = prepare_token(tmp_path, "0.0.0.0")
    assert token and len(token) >= 24
    path = tmp_path / "token"
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert prepare_token(tmp_path, "0.0.0.0") != token  # fresh at each start
    assert prepare_token(tmp_path, "127.0.0.1") is None and not path.exists()


def test_token_matches() -> None:
    assert token_matches("abc", "Bearer abc") and token_matches("abc", "bearer  abc")
    assert not token_matches("abc", None) and not token_matches("abc", "abc")
    assert not token_matches("abc", "Bearer abcd") and not token_matches("abc", "Basic abc")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:8080", "localhost"),
        ("[::1]:80", "::1"),
        ("[::1]", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("Example.ORG:1", "example.org"),
        ("::1", "::1"),
        ("[::1]evil.com", ""),
        ("[::1]:80, x", ""),
        ("localhost:http", ""),
    ],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


def test_host_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOLAB_ALLOW_HOSTS", raising=False)
    assert host_allowed("localhost:1") and host_allowed("127.0.0.1:8080") and host_allowed("[::1]:8080")
    assert not host_allowed(None) and not host_allowed("") and not host_allowed("localhost.evil.com:8080")
    assert not host_allowed("0.0.0.0:8080") and not host_allowed("192.168.0.2")
    monkeypatch.setenv("AUTOLAB_ALLOW_HOSTS", "box.lab, hub:8443, [fd00::1]")
    assert host_allowed("box.lab:8080") and not host_allowed("lab")
    assert host_allowed("hub") and host_allowed("[fd00::1]:8080")  # entries with a port or brackets
    assert not host_allowed("[::1]evil.com")
