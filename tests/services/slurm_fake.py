"""A tiny stand-in for Slurm's sbatch / squeue / scontrol / sacct / scancel, for unit tests.

Each command is `python slurm_fake.py NAME ARGS...` (the tests write one-line wrappers named
sbatch, squeue, ... onto PATH). State lives in $FAKE_SLURM_DIR:
  jobs/<id>.json      the job (written only by its monitor, or by sbatch at submission)
  jobs/<id>.cancel    scancel was called
  jobs/<id>.forget    the controller has forgotten the job (squeue / scontrol no longer know it)
  hold                while it exists, submitted jobs stay PENDING
  sbatch_fail         its text is sbatch's error message (exit 1)
  squeue_fail         squeue cannot reach the controller (exit 1)
  calls.log           one line per command: its name and arguments
Jobs really run: a detached monitor process starts the batch script with bash once it leaves the
queue and records how it ended, as slurmd would.
"""

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

import pytest

KILL_WAIT = 1.0
COMMANDS = ("sbatch", "squeue", "scontrol", "sacct", "scancel")
if __name__ == "__main__":
    ROOT = Path(os.environ["FAKE_SLURM_DIR"])
    JOBS = ROOT / "jobs"


class FakeSlurm:
    """The test's side: put the commands on PATH, steer them, read what was called."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        bindir = root / "bin"
        bindir.mkdir(parents=True)
        (root / "jobs").mkdir()
        for name in COMMANDS:
            wrapper = bindir / name
            wrapper.write_text(
                f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {name} "$@"\n'
            )
            wrapper.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("FAKE_SLURM_DIR", str(root))

    def hold(self) -> None:
        (self.root / "hold").touch()

    def release(self) -> None:
        (self.root / "hold").unlink()

    def fail_sbatch(self, message: str | None) -> None:
        path = self.root / "sbatch_fail"
        if message is None:
            path.unlink()
        else:
            path.write_text(message)

    def forget(self, job_id: str) -> None:
        (self.root / "jobs" / f"{job_id}.forget").touch()

    def calls(self, name: str) -> list[list[str]]:
        try:
            lines = (self.root / "calls.log").read_text().splitlines()
        except OSError:
            return []
        return [call[1:] for call in map(json.loads, lines) if call[0] == name]

    def cleanup(self) -> None:
        """Stop every job still queued or running."""
        for path in (self.root / "jobs").glob("*.json"):
            job = json.loads(path.read_text())
            (path.parent / f"{job['id']}.cancel").touch()
            if job.get("pid"):
                try:
                    os.killpg(job["pid"], signal.SIGKILL)
                except OSError:
                    pass


def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlurm]:
    """Body of the tests' fake_slurm fixture: the fake on PATH, its jobs stopped afterwards."""
    fake = FakeSlurm(tmp_path / "slurm", monkeypatch)
    yield fake
    fake.cleanup()


def load(job_id: str) -> dict[str, Any] | None:
    try:
        return json.loads((JOBS / f"{job_id}.json").read_text())
    except (OSError, ValueError):
        return None


def save(job: dict[str, Any]) -> None:
    tmp = JOBS / f"{job['id']}.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps(job))
    tmp.replace(JOBS / f"{job['id']}.json")


def known(job_id: str) -> dict[str, Any] | None:
    if (JOBS / f"{job_id}.forget").exists():
        return None
    job = load(job_id)
    if job is not None and job["state"] == "PENDING" and (JOBS / f"{job_id}.cancel").exists():
        job["state"], job["exit"] = "CANCELLED", "0:0"
    return job


def sbatch(args: list[str]) -> int:
    fail = ROOT / "sbatch_fail"
    if fail.exists():
        print(fail.read_text().strip(), file=sys.stderr)
        return 1
    opts: dict[str, str] = {}
    for arg in args[:-1]:
        key, _, value = arg.partition("=")
        opts[key] = value
    JOBS.mkdir(parents=True, exist_ok=True)
    counter = ROOT / "next_id"
    job_id = str(int(counter.read_text()) if counter.exists() else 100)
    counter.write_text(str(int(job_id) + 1))
    job = {"id": job_id, "state": "PENDING", "script": args[-1], "opts": opts, "exit": "0:0", "pid": 0}
    save(job)
    subprocess.Popen(
        [sys.executable, __file__, "_monitor", job_id],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(job_id if "--parsable" in opts else f"Submitted batch job {job_id}")
    return 0


def monitor(job_id: str) -> int:
    job = load(job_id)
    assert job is not None
    cancel = JOBS / f"{job_id}.cancel"
    while (ROOT / "hold").exists() and not cancel.exists():
        time.sleep(0.02)
    if cancel.exists():
        job["state"] = "CANCELLED"
        save(job)
        return 0
    opts = job["opts"]
    out = open(opts["--output"].replace("%%", "%"), "ab")
    err = open(opts["--error"].replace("%%", "%"), "ab")
    proc = subprocess.Popen(
        ["bash", job["script"]],
        cwd=opts.get("--chdir"),
        stdout=out,
        stderr=err,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    job.update(state="RUNNING", pid=proc.pid, started=time.time())
    save(job)
    cancelled_at = None
    while proc.poll() is None:
        if cancel.exists() and cancelled_at is None:
            cancelled_at = time.time()
        if cancelled_at is not None and time.time() - cancelled_at > KILL_WAIT:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)
    rc = proc.returncode
    job["ran"] = time.time() - job["started"]
    job["exit"] = f"0:{-rc}" if rc < 0 else f"{rc}:0"
    job["state"] = "CANCELLED" if cancel.exists() else ("COMPLETED" if rc == 0 else "FAILED")
    save(job)
    return 0


def squeue(args: list[str]) -> int:
    if (ROOT / "squeue_fail").exists():
        print("slurm_load_jobs error: Unable to contact slurm controller (connect failure)", file=sys.stderr)
        return 1
    ids = args[args.index("-j") + 1].split(",")
    lines = []
    for job_id in ids:
        job = known(job_id)
        if job is not None:
            reason = "Priority" if job["state"] == "PENDING" else "None"
            # %M: the time used, as squeue prints it (minutes:seconds here)
            used = int(
                job["ran"] if "ran" in job else time.time() - job["started"] if "started" in job else 0
            )
            lines.append(f"{job_id}|{job['state']}|{reason}|{used // 60}:{used % 60:02d}")
    if not lines:
        print("slurm_load_jobs error: Invalid job id specified", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def scontrol(args: list[str]) -> int:
    job = known(args[-1])
    if job is None:
        print("slurm_load_jobs error: Invalid job id specified", file=sys.stderr)
        return 1
    print(
        f"JobId={job['id']} JobName=x JobState={job['state']} Reason=None Dependency=(null) ExitCode={job['exit']}"
    )
    return 0


def scancel(args: list[str]) -> int:
    if (ROOT / "scancel_fail").exists():
        print("scancel: error: Unable to contact slurm controller (connect failure)", file=sys.stderr)
        return 1
    rc = 0
    for job_id in args:
        job = known(job_id)
        if job is None:
            print(
                f"scancel: error: Kill job error on job id {job_id}: Invalid job id specified",
                file=sys.stderr,
            )
            rc = 1
            continue
        (JOBS / f"{job['id']}.cancel").touch()
        if job["state"] == "RUNNING" and job["pid"]:
            try:
                os.killpg(job["pid"], signal.SIGTERM)
            except OSError:
                pass
    return rc


def sacct(args: list[str]) -> int:
    print("Slurm accounting storage is disabled", file=sys.stderr)
    return 1


def main() -> int:
    name, args = sys.argv[1], sys.argv[2:]
    if name != "_monitor":
        with open(ROOT / "calls.log", "a") as log:
            log.write(json.dumps([name, *args]) + "\n")
    commands = {"sbatch": sbatch, "squeue": squeue, "scontrol": scontrol, "scancel": scancel, "sacct": sacct}
    if name == "_monitor":
        return monitor(args[0])
    return commands[name](args)


if __name__ == "__main__":
    sys.exit(main())
