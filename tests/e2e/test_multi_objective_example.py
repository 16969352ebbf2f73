"""examples/multi_objective end to end, small: the config file through `autolab create
--foreground` (TPE with two objectives and a constraint -> MOTPE; `autolab top` shows the front,
the export every objective), and the Python API script (directions=, best_trials)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "multi_objective"


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.slow
def test_config_file_runs_to_a_front(tmp_path: Path) -> None:
    config = yaml.safe_load((EXAMPLE / "config.yml").read_text())
    config.update(
        maxTrialNumber=4,
        trialCodeDirectory=str(EXAMPLE),
        searchSpaceFile=str(EXAMPLE / "search_space.json"),
    )
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "AUTOLAB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO), "MO_EPOCHS": "3"}
    done = cli(
        env, "create", "--config", str(tmp_path / "config.yml"), "--foreground", "--port", "0", timeout=240
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "export.json"
    assert cli(env, "experiment", "export", "--filename", str(out)).returncode == 0
    exported = json.loads(out.read_text())
    assert len(exported) == 4 and all(r["status"] == "SUCCEEDED" for r in exported)
    for row in exported:
        assert set(row["objectives"]) == {"accuracy", "params"} and row["objectives"]["params"] > 0
        assert row["feasible"] == (row["objectives"]["accuracy"] >= 0.8)
    on_front = sorted(r["trialJobId"] for r in exported if r["pareto"])
    top = cli(env, "top")
    assert top.returncode == 0, top.stderr
    assert "Pareto front:" in top.stdout and "ACCURACY (max)" in top.stdout and "PARAMS (min)" in top.stdout
    if on_front:
        assert all(tid in top.stdout for tid in on_front)
    else:
        assert "No feasible trial yet" in top.stdout
    # trial ls: a column per objective and where each trial stands against the front
    listed = cli(env, "trial", "ls").stdout.splitlines()
    assert listed[0].split()[3:8] == ["ACCURACY", "(max)", "PARAMS", "(min)", "FRONT"]
    cells = {line.split()[0]: line.split()[3:6] for line in listed[1:]}
    for row in exported:
        got = row["objectives"]
        stands = "yes" if row["pareto"] else "-" if row["feasible"] else "infeasible"
        assert cells[row["trialJobId"]] == [f"{got['accuracy']:.6g}", f"{got['params']:.6g}", stands]


@pytest.mark.slow
def test_python_api_script(tmp_path: Path) -> None:
    env = {**os.environ, "AUTOLAB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO), "MO_EPOCHS": "3"}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE / "study_style.py"), "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("4 trials; Pareto front:")
    assert sum(1 for line in run.stdout.splitlines() if line.startswith("  accuracy ")) >= 1
