"""A plain `pytest` on a machine without Slurm skips the cluster tests, saying why, and starts
nothing: the setup script that installs daemons as root is .ci/run's alone."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slurm import conftest


def test_no_cluster_skips_with_the_reason_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no sinfo here
    started: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError(f"the cluster fixture ran {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    with pytest.raises(pytest.skip.Exception) as skipped:
        conftest.require_slurm()
    assert started == []
    assert "sinfo" in str(skipped.value) and ".ci/run" in str(skipped.value)
