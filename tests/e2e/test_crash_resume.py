"""kill -9 of the manager mid-experiment, then resume: nothing reported is lost, counts are exact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from autolab.store import Store
from tests.helpers_experiment import write_trial

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
MAX_TRIALS = 9

TRIAL = """
for i in range(6):
    time.sleep(0.25)
    autolab.report_intermediate_result({"default": p["x"] * i, "step": i})
autolab.report_final_result(p["x"])
"""


def autolab(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    env.update(AUTOLAB_HOME=str(home), PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=home,
    )


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for: {what}")


def metric_lines(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every complete metric line every trial wrote, by trial id."""
    out = {}
    for path in sorted((directory / "trials").glob("*/metrics.jsonl")):
        text = path.read_text()
        out[path.parent.name] = [
            json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines() if line
        ]
    return out


def n_lines(directory: Path) -> int:
    return sum(len(v) for v in metric_lines(directory).values())


def n_exit_files(directory: Path) -> int:
    return len(list((directory / "trials").glob("*/exit_status")))


def kill_manager(directory: Path) -> None:
    pid = int((directory / "manager.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)

    def gone() -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            return True

    wait_for("the manager to die", gone, timeout=30)


def make_config(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    command = write_trial(code, TRIAL)
    path = tmp_path / "config.yml"
    path.write_text(f"""experimentName: crash
searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 3
maxTrialNumber: {MAX_TRIALS}
maxExperimentDuration: 30m
tuner: {{name: Random, classArgs: {{seed: 7}}}}
""")
    return path


def test_sigkill_manager_and_resume_loses_nothing(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    created = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
    assert created.returncode == 0, created.stderr
    exp_id = created.stdout.split()[1]
    directory = tmp_path / exp_id

    # 1st crash: while trials are reporting intermediate results
    wait_for("intermediate results", lambda: n_lines(directory) >= 2)
    kill_manager(directory)
    lines_at_kill, exits_at_kill = n_lines(directory), n_exit_files(directory)
    ended_before = {p.parent.name for p in (directory / "trials").glob("*/exit_status")}
    # the trials do not notice: they keep writing results, and some end, while no manager runs
    wait_for("trials writing while the manager is down", lambda: n_lines(directory) > lines_at_kill)
    wait_for("a trial ending while the manager is down", lambda: n_exit_files(directory) > exits_at_kill)
    ended_down = {p.parent.name: p.stat().st_mtime for p in (directory / "trials").glob("*/exit_status")}
    ended_down = {t: at for t, at in ended_down.items() if t not in ended_before}
    status = autolab(tmp_path, "experiment", "status", exp_id)
    assert status.returncode == 0 and "STOPPED" in status.stdout, status.stdout + status.stderr

    resumed = autolab(tmp_path, "resume", exp_id, "--port", "0")
    assert resumed.returncode == 0, resumed.stderr
    store = Store(directory, readonly=True)
    try:
        # the trials that ended while it was down have their true status at once
        wait_for("settled trials", lambda: store.count_by_status().get("SUCCEEDED", 0) >= exits_at_kill + 1)
        # 2nd crash: once the resumed manager has started trials of its own
        wait_for("new trials after resume", lambda: len(store.trial_rows()) >= 6)
    finally:
        store.close()
    kill_manager(directory)

    final = autolab(tmp_path, "resume", exp_id, "--foreground", "--port", "0")
    assert final.returncode == 0, final.stdout + final.stderr
    assert "DONE" in final.stdout

    export = tmp_path / "export.json"
    result = autolab(tmp_path, "experiment", "export", exp_id, "--intermediate", "--filename", str(export))
    assert result.returncode == 0, result.stderr
    rows = {r["trialJobId"]: r for r in json.loads(export.read_text())}
    assert len(rows) == MAX_TRIALS
    assert {r["status"] for r in rows.values()} == {"SUCCEEDED"}

    written = metric_lines(directory)
    assert set(written) == set(rows)  # no trial ran outside the store's knowledge
    for trial_id, lines in written.items():
        row = rows[trial_id]
        inter = [line["value"] for line in lines if line["type"] == "PERIODICAL"]
        finals = [line["value"] for line in lines if line["type"] == "FINAL"]
        assert row["intermediate"] == inter, trial_id  # every line, once, in order
        assert len(inter) == 6 and [v["step"] for v in inter] == list(range(6))
        assert finals == [row["value"]] == [row["parameter"]["x"]]

    store = Store(directory, readonly=True)
    try:
        sources = {r.source for r in store.trial_rows()}
        elapsed = store.get_meta("elapsed")
        end_times = {r.id: r.end_time for r in store.trial_rows()}
    finally:
        store.close()
    assert sources == {"tuner"}  # nothing was lost, so nothing was re-run
    # a trial that ended while no manager ran ended when it wrote its exit status, not at the resume
    assert ended_down and all(end_times[t] == at for t, at in ended_down.items())
    assert elapsed > 1.0
    params = [json.dumps(r["parameter"], sort_keys=True) for r in rows.values()]
    assert len(set(params)) == MAX_TRIALS  # the tuner went on from its history, no repeats
    for pid_file in (directory / "trials").glob("*/trial.pid"):
        assert (
            not psutil.pid_exists(int(pid_file.read_text()))
            or psutil.Process(int(pid_file.read_text())).status() == psutil.STATUS_ZOMBIE
        )


def test_trial_started_but_not_recorded_is_adopted(tmp_path: Path) -> None:
    """The manager died after starting a trial and before storing its handle: resume finds the
    trial by its wrapper's pid file instead of re-running it."""
    from autolab.launcher import build_manager
    from tests.helpers_experiment import make_experiment, run_manager

    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=2, trialConcurrency=2)
    manager = build_manager(directory)
    manager.start()
    manager.step()  # creates and starts both trials
    ids = list(manager.active)
    assert len(ids) == 2
    for trial_id in ids:  # as if it died between starting them and storing their handles
        manager.store.update_trial(trial_id, handle=None)
    manager.store.close()  # "dies" here: the trial processes go on
    wait_for("pid files", lambda: all((directory / "trials" / i / "trial.pid").exists() for i in ids), 30)

    resumed = run_manager(directory, timeout=120)
    assert resumed.status == "DONE"
    store = Store(directory, readonly=True)
    rows = store.trial_rows()
    store.close()
    assert [r.id for r in rows] == ids
    assert all(r.status == "SUCCEEDED" and r.n_intermediate == 6 for r in rows), rows


def test_trial_never_started_is_started_on_resume(tmp_path: Path) -> None:
    """The manager died after recording a trial and before starting it: it starts on resume, as itself."""
    from autolab.history import TrialStatus
    from tests.helpers_experiment import make_experiment, run_manager

    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1)
    store = Store(directory)
    store.add_trial("ghost", {"x": 0.5, "k": 1}, status=TrialStatus.WAITING)
    (directory / "trials" / "ghost").mkdir()
    (directory / "trials" / "ghost" / "parameter.json").write_text('{"x": 0.5, "k": 1}')
    store.close()
    manager = run_manager(directory, timeout=120)
    assert manager.status == "DONE"
    store = Store(directory, readonly=True)
    rows = store.trial_rows()
    store.close()
    assert [(r.id, r.status, r.value) for r in rows] == [("ghost", "SUCCEEDED", 0.5)]


SETTLE_TRIAL = """
if os.environ["NNI_TRIAL_SEQ_ID"] == "0":  # ends, with its result, once told to (the manager is dead)
    while not os.path.exists(os.path.join(os.environ["GO_DIR"], "go")):
        time.sleep(0.05)
    autolab.report_final_result(p["x"])
else:  # runs until stopped
    time.sleep(300)
"""


def test_stop_after_a_crash_settles_ended_trials_and_kills_unrecorded_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manager died: one trial then ended with its result unread, the other runs on and its
    handle was never stored. `autolab stop` reads the first's result (SUCCEEDED, as resume would)
    and finds the second through its pid file, as resume does, and ends it."""
    code = tmp_path / "code"
    command = write_trial(code, SETTLE_TRIAL)
    config = tmp_path / "config.yml"
    config.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 2
maxTrialNumber: 2
tuner: {{name: Random}}
""")
    monkeypatch.setenv("GO_DIR", str(tmp_path))  # the trials inherit it through the CLI and the manager
    pids: list[int] = []
    try:
        created = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
        assert created.returncode == 0, created.stderr
        directory = tmp_path / created.stdout.split()[1]
        store = Store(directory, readonly=True)
        try:
            wait_for("2 running trials", lambda: store.count_by_status().get("RUNNING") == 2)
            rows = {r.seq: r for r in store.trial_rows()}
        finally:
            store.close()
        trial_dirs = {seq: directory / "trials" / r.id for seq, r in rows.items()}
        for trial_dir in trial_dirs.values():
            wait_for("its pid file", lambda d=trial_dir: (d / "trial.pid").exists())
            pids.append(int((trial_dir / "trial.pid").read_text().split()[0]))
        kill_manager(directory)
        with Store(directory) as writable:  # as if it died before storing the 2nd one's handle
            writable.update_trial(rows[1].id, handle=None)
        (tmp_path / "go").touch()
        wait_for("the 1st trial's end", lambda: (trial_dirs[0] / "exit_status").exists())

        stopped = autolab(tmp_path, "stop", directory.name, timeout=120)
        assert stopped.returncode == 0, stopped.stderr
        with Store(directory, readonly=True) as store:
            after = {r.seq: r for r in store.trial_rows()}
            assert store.get_meta("status") == "STOPPED"
        assert after[0].status == "SUCCEEDED" and after[0].value == rows[0].parameters["x"]
        assert after[1].status == "USER_CANCELED"
        assert not psutil.pid_exists(pids[1]) or psutil.Process(pids[1]).status() == psutil.STATUS_ZOMBIE
        assert "1 SUCCEEDED, 1 USER_CANCELED" in stopped.stdout, stopped.stdout
    finally:
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


FILL_TRIAL = """
if os.environ["NNI_TRIAL_SEQ_ID"] == "0":  # fills the disk, then runs on
    with open(os.path.join(os.environ["NNI_OUTPUT_DIR"], "filler"), "wb") as fh:
        try:
            while True:
                fh.write(b"x" * 65536)
                fh.flush()
        except OSError:
            pass
    time.sleep(300)
autolab.report_final_result(p["x"])
"""


def test_a_full_disk_stops_the_manager_and_the_running_trial_runs_on(tmp_path: Path) -> None:
    """A real full disk: the experiment directory on a 4 MB tmpfs that a trial fills. The manager
    stops without cancelling that trial; once space is freed, resume adopts it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    pid_file: Path | None = None
    try:
        command = write_trial(tmp_path / "code", FILL_TRIAL)
        config = tmp_path / "config.yml"
        config.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 2
maxTrialNumber: 1000
experimentWorkingDirectory: {disk}
tuner: {{name: Random}}
""")
        created = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
        assert created.returncode == 0, created.stderr
        directory = disk / created.stdout.split()[1]
        with Store(directory, readonly=True) as store:
            first = wait_for("the 1st trial", lambda: store.trial_rows()[:1])[0]
        pid_file = directory / "trials" / first.id / "trial.pid"
        wait_for("the manager to stop on the full disk", lambda: not (directory / "manager.pid").exists())
        pid = int(pid_file.read_text().split()[0])
        assert psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        (directory / "trials" / first.id / "filler").unlink()  # space is back
        with Store(directory, readonly=True) as store:
            assert store.trial_row(first.id).status in ("WAITING", "RUNNING")  # not cancelled
        resumed = autolab(tmp_path, "resume", directory.name, "--port", "0")
        assert resumed.returncode == 0, resumed.stderr
        with Store(directory, readonly=True) as store:
            wait_for("the 1st trial adopted", lambda: store.trial_row(first.id).status == "RUNNING")
        assert "adopted trial " + first.id in (directory / "manager.log").read_text()
        assert autolab(tmp_path, "stop", directory.name).returncode == 0
    finally:
        if pid_file is not None and pid_file.exists():
            try:
                os.killpg(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            except (ProcessLookupError, PermissionError, ValueError):
                pass
        for proc in psutil.process_iter(["cmdline"]):  # the manager, whatever state it is in
            if any(str(disk) in arg for arg in proc.info["cmdline"] or []):
                proc.kill()
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
