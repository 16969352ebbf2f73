"""The management commands against a running experiment, many commands at once, and a read-only
or full disk: as a user runs them, each `autolab` a separate process."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autolab import experiments
from autolab.store import Store
from tests.e2e.test_crash_resume import autolab, wait_for
from tests.helpers_experiment import make_experiment, run_manager, trial_rows, write_trial

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]

TRIAL = """
for i in range(8):
    time.sleep(0.3)
    autolab.report_intermediate_result(p["x"] * i)
print("done", p["x"])
autolab.report_final_result(p["x"])
"""


def running(directory: Path) -> list[Any]:
    return [r for r in trial_rows(directory) if r.status == "RUNNING"]


def meta(directory: Path, key: str) -> Any:
    store = Store(directory, readonly=True)
    try:
        return store.get_meta(key)
    finally:
        store.close()


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
def test_manage_a_running_experiment(tmp_path: Path) -> None:
    code = tmp_path / "code"
    command = write_trial(code, TRIAL)
    config = tmp_path / "config.yml"
    config.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 2
maxTrialNumber: 40
tuner: {{name: Random, classArgs: {{seed: 5}}}}
""")
    exp_id = ok(autolab(tmp_path, "create", "--config", str(config), "--port", "0")).split()[1]
    directory = tmp_path / exp_id
    wait_for("2 running trials", lambda: len(running(directory)) == 2)

    assert "applied now" in ok(autolab(tmp_path, "update", "concurrency", exp_id, "--value", "3"))
    wait_for("3 running trials", lambda: len(running(directory)) == 3)
    ok(autolab(tmp_path, "update", "duration", "--value", "1h"))
    assert meta(directory, "config")["maxExperimentDuration"] == 3600

    for _ in range(10):  # the newest running trial; another if it ended before the kill came
        victim = wait_for("a running trial", lambda: running(directory))[-1].id
        killed = autolab(tmp_path, "trial", "kill", "--trial_id", victim)
        if killed.returncode == 0:
            break
        assert "is not running" in killed.stderr, killed.stderr
    assert killed.returncode == 0, killed.stderr
    wait_for(
        "the killed trial's status",
        lambda: next(r.status for r in trial_rows(directory) if r.id == victim) == "USER_CANCELED",
    )
    again = autolab(tmp_path, "trial", "kill", "--trial_id", victim)
    assert again.returncode == 2 and "not running" in again.stderr

    data = tmp_path / "import.json"
    data.write_text('[{"parameter": {"x": 0.123}, "value": 0.123}]')
    assert "learns from them now" in ok(autolab(tmp_path, "experiment", "import", "-f", str(data)))
    assert [r.value for r in trial_rows(directory) if r.source == "import"] == [0.123]

    space = tmp_path / "space.json"
    space.write_text('{"x": {"_type": "uniform", "_value": [5, 6]}}')
    ok(autolab(tmp_path, "update", "searchspace", exp_id, "--filename", str(space)))
    n_before = len(trial_rows(directory))
    wait_for(
        "a trial from the new space",
        lambda: any(r.parameters["x"] >= 5 for r in trial_rows(directory)[n_before:]),
    )

    # many commands at once while it runs: none fails, none corrupts anything
    commands = [
        ["experiment", "export", exp_id, "-f", str(tmp_path / f"e{i}.json"), "--intermediate"]
        for i in range(3)
    ]
    commands += [
        ["experiment", "export", exp_id, "-t", "csv", "-f", str(tmp_path / "e.csv")],
        ["experiment", "list"],
        ["trial", "ls", exp_id],
        ["top", exp_id, "+3"],
        ["experiment", "status", exp_id],
        ["log", "stdout", exp_id, "--tail", "5"],
        ["log", "trial"],
    ]
    env = {**os.environ, "AUTOLAB_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "autolab.cli", *c],
            env=env,
            cwd=tmp_path,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for c in commands
    ]
    for proc, c in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (c, out, err)
    for i in range(3):
        assert len(json.loads((tmp_path / f"e{i}.json").read_text())) >= 7

    status = ok(autolab(tmp_path, "experiment", "status", exp_id))
    assert "RUNNING" in status and "web UI:" in status
    assert "RUNNING" in ok(autolab(tmp_path, "top", exp_id)).splitlines()[0]
    assert "experiment" in ok(autolab(tmp_path, "log", "stdout", exp_id))
    refused = autolab(tmp_path, "experiment", "delete", exp_id, "-y")
    assert refused.returncode == 2 and "is running" in refused.stderr and directory.exists()

    # end it: as many tuner trials as there are now, plus one
    counted = sum(r.source == "tuner" for r in trial_rows(directory))
    ok(autolab(tmp_path, "update", "trialnum", exp_id, "--value", str(counted + 1)))
    # trials created before the update was applied stay; none is created after it beyond the limit
    created_by_then = sum(r.source == "tuner" for r in trial_rows(directory))
    wait_for("the experiment to end", lambda: meta(directory, "status") == "DONE", timeout=180)
    rows = trial_rows(directory)
    assert sum(r.source == "tuner" for r in rows) == max(counted + 1, created_by_then)
    assert {r.status for r in rows if r.id != victim} == {"SUCCEEDED"}
    done_trial = rows[-1].id
    assert ok(autolab(tmp_path, "log", "trial", exp_id, "--trial_id", done_trial)).startswith("done ")

    ok(autolab(tmp_path, "stop", exp_id))
    assert "deleted" in ok(autolab(tmp_path, "experiment", "delete", exp_id, "--yes"))
    assert not directory.exists()
    assert exp_id not in ok(autolab(tmp_path, "experiment", "list", "--all"))


# -- a read-only experiment directory, a full disk -------------------------------------------------
def _can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root and mount namespaces (unshare -m)")


def in_namespace(home: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (mounts vanish when it ends)."""
    env = {**os.environ, "AUTOLAB_HOME": str(home), "PYTHONPATH": str(REPO), "PY": sys.executable}
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env, timeout=300, cwd=home
    )


def readonly(directory: Path, *argv: str) -> str:
    d = shlex.quote(str(directory))
    cmd = " ".join(shlex.quote(a) for a in argv)
    return (
        f"mount --bind {d} {d} && mount -o remount,ro,bind {d} {d} && "
        f'"$PY" -m autolab.cli {cmd}; echo "rc=$?"'
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@needs_mount
def test_read_only_experiment_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("AUTOLAB_HOME", str(home))
    directory = make_experiment(tmp_path, "autolab.report_final_result(p['x'])\n", maxTrialNumber=3)
    run_manager(directory).store.close()  # the last connection closed: no -wal / -shm file left
    experiments.register("rodir001", "", directory)
    assert not (directory / "autolab.db-wal").exists()
    before = digest(directory / "autolab.db")
    data = tmp_path / "import.json"
    data.write_text('[{"parameter": {"x": 0.5, "k": 1}, "value": 1}]')
    export = tmp_path / "export.json"

    for argv in (
        ["experiment", "status"],
        ["experiment", "show"],
        ["trial", "ls"],
        ["top"],
        ["experiment", "export", "-f", str(export)],
    ):
        result = in_namespace(home, readonly(directory, *argv))
        assert "rc=0" in result.stdout, (argv, result.stdout, result.stderr)
    assert len(json.loads(export.read_text())) == 3

    for argv, needle in (
        (["update", "trialnum", "--value", "5"], "autolab.db"),
        (["experiment", "import", "-f", str(data)], "autolab.db"),
        (["resume", "--port", "0"], "not writable"),
        (["experiment", "delete", "rodir001", "-y"], "cannot delete"),
    ):
        result = in_namespace(home, readonly(directory, *argv))
        assert "rc=2" in result.stdout, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, (
            result.stderr
        )
        assert needle in result.stderr, (argv, result.stderr)
    assert digest(directory / "autolab.db") == before
    assert [e.id for e in experiments.all_experiments()] == ["rodir001"]


@needs_mount
def test_full_disk_and_read_only_home_leave_nothing_behind(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    code = tmp_path / "code"
    command = write_trial(code, "autolab.report_final_result(1)\n")
    config = tmp_path / "config.yml"
    config.write_text(
        f"searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}\ntrialCommand: {command}\n"
        f"trialCodeDirectory: code\nexperimentWorkingDirectory: {work}\nmaxTrialNumber: 1\n"
    )
    w, c = shlex.quote(str(work)), shlex.quote(str(config))
    full = in_namespace(
        home,
        f"mount -t tmpfs -o size=64k tmpfs {w} && "
        f"dd if=/dev/zero of={w}/fill bs=4k count=64 2>/dev/null; "
        f'"$PY" -m autolab.cli create --config {c} --port 0; echo "rc=$?"; ls -A {w}',
    )
    assert "rc=2" in full.stdout, full.stdout + full.stderr
    assert full.stdout.split("rc=2")[1].split() == ["fill"]  # no half-made experiment
    assert "Traceback" not in full.stderr and len(full.stderr.strip().splitlines()) == 1, full.stderr
    assert "full" in full.stderr

    h = shlex.quote(str(home))
    ok(autolab(home, "experiment", "list", "--all"))  # makes the registry
    ro_home = in_namespace(
        home,
        f"mount --bind {h} {h} && mount -o remount,ro,bind {h} {h} && "
        f'"$PY" -m autolab.cli create --config {c} --port 0; echo "rc=$?"',
    )
    assert "rc=2" in ro_home.stdout, ro_home.stdout + ro_home.stderr
    assert "registry" in ro_home.stderr and len(ro_home.stderr.strip().splitlines()) == 1, ro_home.stderr
    assert list(work.iterdir()) == []
