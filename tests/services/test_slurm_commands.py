"""The pure part of the Slurm service: sbatch's argv, the job script, parsing Slurm's output."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from autolab import protocol
from autolab.services.slurm_commands import (
    JobState,
    exit_code_of,
    job_name,
    job_script,
    parse_elapsed,
    parse_job_id,
    parse_sacct,
    parse_scontrol,
    parse_squeue,
    sbatch_argv,
    slurm_time,
)


@pytest.mark.parametrize(
    "seconds, text",
    [
        (1, "00:01:00"),
        (60, "00:01:00"),
        (61, "00:02:00"),
        (90 * 60, "01:30:00"),
        (24 * 3600, "1-00:00:00"),
        (2 * 86400 + 3600 + 1, "2-01:01:00"),
    ],
)
def test_slurm_time_rounds_up_to_minutes(seconds: float, text: str) -> None:
    assert slurm_time(seconds) == text


def test_sbatch_argv_has_every_option_and_user_args_last(tmp_path: Path) -> None:
    argv = sbatch_argv(
        tmp_path / "t%1",
        Path("/code"),
        "autolab-e-t",
        partition="gpu",
        gres="gpu:2",
        time_limit="01:00:00",
        extra=["--mem=16G", "--cpus-per-task=4"],
    )
    assert argv[:2] == ["sbatch", "--parsable"]
    assert "--job-name=autolab-e-t" in argv and "--chdir=/code" in argv
    assert f"--output={tmp_path}/t%%1/stdout" in argv and f"--error={tmp_path}/t%%1/stderr" in argv
    assert {"--partition=gpu", "--gres=gpu:2", "--time=01:00:00", "--no-requeue"} <= set(argv)
    assert argv[-3:] == ["--mem=16G", "--cpus-per-task=4", f"{tmp_path}/t%1/slurm_job.sh"]
    bare = sbatch_argv(tmp_path, Path("/code"), "n")
    assert not any(a.startswith(("--partition", "--gres", "--time")) for a in bare)


def test_job_name() -> None:
    assert job_name("exp1", "abc") == "autolab-exp1-abc"
    assert job_name("", "abc") == "autolab-abc"


def test_job_script_runs_command_records_status_and_exports(tmp_path: Path) -> None:
    code = tmp_path / "my code"
    code.mkdir()
    trial = tmp_path / "trial"
    trial.mkdir()
    command = """echo "$AUTOLAB_TRIAL_ID|$WEIRD|$(pwd)"; exit 7"""
    script = job_script(
        "t1", "e", command, code, trial, {"AUTOLAB_TRIAL_ID": "t1", "WEIRD": "a 'b' $c"}, ["sbatch"]
    )
    (trial / "job.sh").write_text(script)
    result = subprocess.run(["bash", str(trial / "job.sh")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 7
    assert result.stdout.strip() == f"t1|a 'b' $c|{code}"
    assert (trial / protocol.EXIT_FILE).read_text().strip() == "7"
    assert not list(trial.glob("*.tmp"))


def test_job_script_missing_code_dir_records_127(tmp_path: Path) -> None:
    script = job_script("t1", "e", "true", tmp_path / "nope", tmp_path, {}, ["sbatch"])
    (tmp_path / "job.sh").write_text(script)
    result = subprocess.run(["bash", str(tmp_path / "job.sh")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 127 and "cannot cd" in result.stderr
    assert (tmp_path / protocol.EXIT_FILE).read_text().strip() == "127"


def test_parse_job_id() -> None:
    assert parse_job_id("123\n") == "123"
    assert parse_job_id("456;cluster2\n") == "456"
    assert parse_job_id("sbatch: warning: something\n789\n") == "789"
    assert parse_job_id("Submitted batch job\n") is None
    assert parse_job_id("") is None


def test_parse_squeue() -> None:
    states = parse_squeue("12|PENDING|Priority\n13|RUNNING|None\n14|COMPLETED|None\n\n")
    assert states["12"] == JobState("12", "PENDING", "Priority")
    assert states["12"].pending and not states["12"].ended
    assert not states["13"].pending and not states["13"].ended
    assert states["14"].ended


@pytest.mark.parametrize(
    "text, code", [("0:0", 0), ("3:0", 3), ("0:9", -9), ("0:15", -15), ("", None), ("x", None)]
)
def test_exit_code_of(text: str, code: int | None) -> None:
    assert exit_code_of(text) == code


def test_parse_scontrol_and_sacct() -> None:
    line = "JobId=5 JobName=wrap JobState=TIMEOUT Reason=TimeLimit Dependency=(null) ExitCode=0:15 RunTime=00:01:00"
    assert parse_scontrol("5", line) == JobState("5", "TIMEOUT", "TimeLimit", -15)
    assert parse_scontrol("5", "slurm_load_jobs error") is None
    assert parse_sacct("5", "5|FAILED|2:0\n") == JobState("5", "FAILED", "", 2)
    assert parse_sacct("5", "5|CANCELLED by 0|0:15\n") == JobState("5", "CANCELLED", "", -15)
    assert parse_sacct("5", "") is None


def test_squeue_lines_with_the_time_used() -> None:
    states = parse_squeue("7|RUNNING|None|1-02:03:04\n8|PENDING|Resources|0:00\n9|RUNNING|None\n")
    assert states["7"].elapsed == 86400 + 2 * 3600 + 3 * 60 + 4 and states["7"].reason == "None"
    assert (states["8"].elapsed, states["8"].reason) == (0.0, "Resources")
    assert states["9"].elapsed is None  # an older format: no time used
    assert [parse_elapsed(t) for t in ("12:05", "INVALID", "")] == [725.0, None, None]
