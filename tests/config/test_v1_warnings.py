"""v1 keys that are warned about only when autolab does not do what they say: multiThread true,
tuner.includeIntermediateResults false (autolab always does what NNI's true does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autolab.config import config_from_dict


def warnings_of(tmp_path: Path, **extra: Any) -> list[str]:
    (tmp_path / "space.json").write_text('{"x": {"_type": "uniform", "_value": [0, 1]}}')
    raw = {
        "trial": {"command": "python3 t.py", "codeDir": "."},
        "searchSpacePath": "space.json",
        "trainingServicePlatform": "local",
        **extra,
    }
    return config_from_dict(raw, tmp_path / "config.yml", stored=False).warnings


def test_multithread_false_is_nnis_default_and_not_warned(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, multiThread=False) == []
    assert [w.split(":")[0] for w in warnings_of(tmp_path, multiThread=True)] == ["multiThread"]


@pytest.mark.parametrize("section", ["tuner", "assessor"])
def test_include_intermediate_results(tmp_path: Path, section: str) -> None:
    name = {"tuner": {"builtinTunerName": "TPE"}, "assessor": {"builtinAssessorName": "Medianstop"}}[section]
    assert warnings_of(tmp_path, **{section: {**name, "includeIntermediateResults": True}}) == []
    (warning,) = warnings_of(tmp_path, **{section: {**name, "includeIntermediateResults": False}})
    assert warning.startswith(f"{section}.includeIntermediateResults: false is not followed (autolab always")
    assert "runs inside the autolab manager" not in warning and "last intermediate result" in warning
