"""The config reader's value helpers: durations, key matching and suggestions, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab.config import model as cfg
from autolab.config import normalize_key, parse_duration, resolve_path
from autolab.config.reader import suggest


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("30s", 30),
        ("10m", 600),
        ("1h", 3600),
        ("1d", 86400),
        ("1.5h", 5400),
        ("2H", 7200),
        (" 5 m ", 300),
        ("90", 90),
        (45, 45),
        (2.5, 2.5),
        (".5m", 30),
    ],
)
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value", ["abc", "10x", "1.5.h", "", "h", "-1h", -1, 0, "0s", True, None, [1], float("inf")]
)
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_normalize_key_and_suggest() -> None:
    assert normalize_key("Trial_Concurrency") == normalize_key("trialconcurrency") == "trialconcurrency"
    assert suggest("trialConcurency", cfg.TOP_KEYS) == " (did you mean trialConcurrency?)"
    assert suggest("zzzz", cfg.TOP_KEYS) == ""


def test_resolve_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    base = tmp_path / "cfg"
    assert resolve_path("a/b", base) == base / "a/b"
    assert resolve_path("../x", base) == tmp_path / "x"
    assert resolve_path("/abs/p", base) == Path("/abs/p")
    assert resolve_path("~/exp", base) == tmp_path / "user/exp"
