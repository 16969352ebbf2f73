"""Experiments on a real single-node Slurm (started by the conftest, else skipped): trials are
sbatch jobs, queued jobs are WAITING, `autolab trial kill` cancels a job, a bad partition stops the
experiment with Slurm's message, and a resumed manager adopts the jobs a killed one left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.usefixtures("slurm_cluster"),
]
REPO = Path(__file__).resolve().parents[3]
TIMEOUT = 240.0

TRIAL = """import os, sys, time
import autolab
p = autolab.get_next_parameter()
trial_dir = os.environ["AUTOLAB_TRIAL_DIR"]
if p["k"] == 3:
    autolab.report_intermediate_result(1.0)
    time.sleep(300)
if p["k"] == 4:  # waits for the test's go-ahead
    while not os.path.exists(os.path.join(trial_dir, "go")):
        time.sleep(0.1)
time.sleep(2.5)
if p["k"] == 2:
    sys.exit(3)
autolab.report_final_result(p["k"] * 1.5)
"""


def autolab(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOLAB_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def write_config(tmp_path: Path, ks: list[int], concurrency: int, slurm: str) -> Path:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "trial.py").write_text(TRIAL)
    path = tmp_path / "config.yml"
    path.write_text(f"""experimentName: slurm-e2e
searchSpace: {{k: {{_type: choice, _value: {ks}}}}}
trialCommand: {sys.executable} trial.py
trialCodeDirectory: code
trialConcurrency: {concurrency}
maxTrialNumber: {len(ks)}
tuner: {{name: GridSearch}}
trainingService: {{platform: slurm, pollInterval: 1s, {slurm}}}
""")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """AUTOLAB_HOME for the test; afterwards every manager is stopped and every job cancelled."""
    path = tmp_path / "home"
    yield path
    autolab(path, "stop", "--all")
    ids = [f.read_text().strip() for f in path.glob("*/trials/*/slurm_job_id")]
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=60)


def show(home: Path, exp_id: str) -> dict[str, Any]:
    result = autolab(home, "experiment", "show", exp_id)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def trials(home: Path, exp_id: str) -> list[dict[str, Any]]:
    result = autolab(home, "trial", "ls", "--json", exp_id)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def squeue_states(job_ids: list[str]) -> dict[str, str]:
    """Slurm's state of each job it still knows."""
    if not job_ids:
        return {}
    result = subprocess.run(
        ["squeue", "-h", "-t", "all", "-j", ",".join(job_ids), "-o", "%i %T"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return dict(line.split() for line in result.stdout.splitlines() if line.strip())


def squeue_state(job_id: str) -> str | None:
    return squeue_states([job_id]).get(job_id)


def job_id_of(directory: Path, trial_id: str) -> str | None:
    try:
        return (directory / "trials" / trial_id / "slurm_job_id").read_text().strip()
    except OSError:
        return None


def create(home: Path, config: Path) -> tuple[str, Path]:
    result = autolab(home, "create", "--config", str(config), "--port", "0")
    assert result.returncode == 0, result.stderr
    exp_id = result.stdout.split()[1]
    return exp_id, home / exp_id


def test_trials_are_jobs_queued_ones_wait_and_kill_cancels(tmp_path: Path, home: Path) -> None:
    # --exclusive: one job at a time on the node, so the second trial waits in Slurm's queue
    config = write_config(tmp_path, [0, 1, 2, 3], 2, 'sbatchArgs: ["--exclusive"]')
    exp_id, directory = create(home, config)
    seen_queued_waiting = False
    killed = None
    deadline = time.time() + TIMEOUT
    while show(home, exp_id)["status"] == "RUNNING":
        assert time.time() < deadline, f"not done in time: {trials(home, exp_id)}"
        listed = trials(
            home, exp_id
        )  # statuses first, then Slurm's view: a RUNNING trial's job has left the queue
        jobs = {t["trialJobId"]: job_id_of(directory, t["trialJobId"]) for t in listed}
        states = squeue_states([j for j in jobs.values() if j])
        for trial in listed:
            state = states.get(jobs[trial["trialJobId"]] or "")
            if trial["status"] == "RUNNING":
                assert state != "PENDING", f"trial {trial['trialJobId']} RUNNING while its job is queued"
                if trial["parameter"]["k"] == 3 and killed is None:
                    killed = trial["trialJobId"]
                    result = autolab(home, "trial", "kill", "--trial_id", killed, exp_id)
                    assert result.returncode == 0, result.stderr
            elif trial["status"] == "WAITING" and state == "PENDING":
                seen_queued_waiting = True
        time.sleep(0.2)
    assert seen_queued_waiting, "no trial was seen WAITING while its job was queued"
    assert show(home, exp_id)["status"] == "DONE"
    by_k = {t["parameter"]["k"]: t for t in trials(home, exp_id)}
    assert [by_k[k]["status"] for k in range(4)] == ["SUCCEEDED", "SUCCEEDED", "FAILED", "USER_CANCELED"]
    assert by_k[0]["value"] == 0.0 and by_k[1]["value"] == 1.5
    assert "exit code 3" in by_k[2]["message"]
    assert by_k[3]["trialJobId"] == killed
    killed_job = job_id_of(directory, killed)
    assert killed_job is not None and squeue_state(killed_job) in (None, "CANCELLED")
    for trial in by_k.values():
        trial_dir = directory / "trials" / trial["trialJobId"]
        assert (trial_dir / "slurm_job.sh").exists() and (trial_dir / "exit_status").exists()
    # the intermediate result of the killed trial reached the store through the trial directory
    metrics = (directory / "trials" / killed / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 1 and json.loads(metrics[0])["value"] == 1.0


def test_bad_partition_stops_with_slurms_message(tmp_path: Path, home: Path) -> None:
    config = write_config(tmp_path, [0, 1, 2, 3], 2, "partition: no_such_partition")
    result = autolab(home, "create", "--config", str(config), "--foreground", "--port", "0", timeout=180)
    assert "Traceback" not in result.stderr
    exp_id = result.stdout.split()[1]
    info = show(home, exp_id)
    assert info["status"] in ("STOPPED", "ERROR")
    assert "platform slurm cannot run trials" in info["error"] and "partition" in info["error"].lower()
    rows = trials(home, exp_id)
    assert rows and all(t["status"] == "FAILED" and "sbatch failed" in t["message"] for t in rows)


def test_resume_adopts_jobs_of_a_killed_manager(tmp_path: Path, home: Path) -> None:
    config = write_config(tmp_path, [4], 1, "sbatchArgs: []")
    exp_id, directory = create(home, config)
    deadline = time.time() + TIMEOUT
    while not any(t["status"] == "RUNNING" for t in trials(home, exp_id)):
        assert time.time() < deadline
        time.sleep(0.3)
    (trial,) = trials(home, exp_id)
    pid = int((directory / "manager.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)  # the manager dies; its job keeps running
    if psutil.pid_exists(pid):
        psutil.Process(pid).wait(30)
    job_id = job_id_of(directory, trial["trialJobId"])
    assert job_id is not None and squeue_state(job_id) == "RUNNING"
    result = autolab(home, "resume", exp_id, "--port", "0")
    assert result.returncode == 0, result.stderr
    (directory / "trials" / trial["trialJobId"] / "go").touch()
    while show(home, exp_id)["status"] == "RUNNING":
        assert time.time() < deadline
        time.sleep(0.3)
    (after,) = trials(home, exp_id)  # adopted, not re-run
    assert after["trialJobId"] == trial["trialJobId"]
    assert after["status"] == "SUCCEEDED" and after["value"] == 6.0
