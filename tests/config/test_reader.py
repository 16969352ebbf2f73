"""The config reader's value helpers: durations, key matching and suggestions, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab.config import ConfigError, load_config, normalize_key, parse_duration, resolve_path
from autolab.config import model as cfg
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


@pytest.mark.parametrize(
    "written, known",
    [("paiConfig", ["localConfig"]), ("MetisTuner", ["batchtuner", "gp"]), ("AGPruner", ["trialGpuNumber"])],
)
def test_no_suggestion_that_is_not_close(written: str, known: list[str]) -> None:
    assert suggest(written, known) == ""


@pytest.mark.parametrize(
    "written, known",
    [
        ("trialConcurency", "trialConcurrency"),
        ("gpuIndex", "gpuIndices"),
        ("trialCodeDir", "trialCodeDirectory"),
    ],
)
def test_typos_are_still_suggested(written: str, known: str) -> None:
    assert suggest(written, [known, "tuner"]) == f" (did you mean {known}?)"


BOMB = (
    "searchSpace:\n  a: &a ["
    + ", ".join(["lol"] * 9)
    + "]\n"
    + "".join(f"  {n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True))
)


def test_a_yaml_alias_bomb_is_one_line_naming_the_file(tmp_path: Path) -> None:
    # 9**7 = 4.8 million values once expanded (NNI's own loader would expand them all); a few
    # more levels reached 6 GB and a MemoryError traceback
    path = tmp_path / "bomb.yml"
    path.write_text(BOMB + "trialCommand: run\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert (
        str(err.value)
        == f"{path}: its YAML aliases (*name) expand past 1,000,000 values; write the values out"
    )


def test_a_yaml_alias_inside_itself_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "loop.yml"
    path.write_text("searchSpace: &s\n  x: *s\ntrialCommand: run\n")
    with pytest.raises(
        ConfigError, match=r"loop\.yml: a YAML alias \(\*name\) refers to the node that contains it"
    ):
        load_config(path)


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.yml"
    path.write_text(
        "searchSpace:\n  lr: &lr {_type: loguniform, _value: [0.0001, 0.1]}\n  lr2: *lr\ntrialCommand: run\n"
    )
    assert list(load_config(path).search_space.raw) == ["lr", "lr2"]
