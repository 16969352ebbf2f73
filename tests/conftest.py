"""Shared fixtures (kept small: each test module builds what it needs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # pyproject's `pythonpath` puts this checkout first for the tests; the trials and managers they
    # start import it too, not another install of autolab (a plain `pytest` sets no PYTHONPATH)
    paths = [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


@pytest.fixture
def autolab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """AUTOLAB_HOME pointing at a fresh temporary directory."""
    home = tmp_path / "autolab-home"
    home.mkdir()
    monkeypatch.setenv("AUTOLAB_HOME", str(home))
    return home


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """An environment for a child Python that imports this checkout's autolab, outside any experiment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.fixture
def python() -> str:
    return sys.executable
