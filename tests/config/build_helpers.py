"""The config-building tests' files (test_build*.py): a config written beside a search space."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "bs": {"_type": "choice", "_value": [16, 32]},
}


def write(folder: Path, text: str, name: str = "config.yml", space: bool = True) -> Path:
    if space:
        (folder / "search_space.json").write_text(json.dumps(SPACE))
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


MINIMAL = """\
searchSpaceFile: search_space.json
trialCommand: python train.py
"""
