"""One manager per experiment (a lock the OS releases), ports picked where they are bound, a dead
manager noticed at once, and an ended experiment's manager idling: real processes, all killed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from autolab.experiments import manager_pid
from autolab.store import Store
from tests.helpers_experiment import write_trial

pytestmark = pytest.mark.e2e


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for: {what}")


@pytest.fixture
def home(tmp_path: Path, subprocess_env: dict[str, str]) -> Iterator[Path]:
    """AUTOLAB_HOME for the commands; every process started under it is killed at the end."""
    subprocess_env["AUTOLAB_HOME"] = str(tmp_path)
    yield tmp_path
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(tmp_path) in arg for arg in proc.info["cmdline"] or []) and proc.pid != os.getpid():
                proc.kill()
        except psutil.Error:
            pass


def cli(home: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "autolab.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "AUTOLAB_HOME": str(home)},
        cwd=home,
    )


def run(home: Path, env: dict[str, str], *args: str, timeout: float = 120) -> tuple[int, str, str]:
    proc = cli(home, env, *args)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
    return proc.returncode, out, err


def config(home: Path, body: str = "autolab.report_final_result(p['x'])\n", trials: int = 1) -> Path:
    command = write_trial(home / "code", body)
    path = home / "config.yml"
    path.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 2
maxTrialNumber: {trials}
tuner: {{name: Random}}
""")
    return path


def managers(directory: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "autolab.launcher" in cmdline and str(directory) in cmdline:
            found.append(proc)
    return found


def status(directory: Path) -> str:
    with Store(directory, readonly=True) as store:
        return str(store.get_meta("status"))


def created(home: Path, env: dict[str, str], *args: str) -> Path:
    code, out, err = run(home, env, "create", "--config", str(config(home)), *args)
    assert code == 0, err
    return home / out.split()[1]


def test_concurrent_resumes_start_one_manager(home: Path, subprocess_env: dict[str, str]) -> None:
    directory = created(home, subprocess_env, "--port", "0")
    assert run(home, subprocess_env, "stop", directory.name)[0] == 0
    procs = [cli(home, subprocess_env, "resume", directory.name, "--port", "0") for _ in range(3)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    started = [r for r in results if r[0] == 0]
    refused = [r for r in results if r[0] != 0]
    assert len(started) == 1, results
    for code, _, err in refused:  # one line, naming who holds it and its pid (or the running manager)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert re.search(r"is in use by .* \(pid \d+\)", err) or "is running; stop it first" in err, err
    assert len(managers(directory)) == 1


def test_a_view_holds_the_experiment_against_a_resume(home: Path, subprocess_env: dict[str, str]) -> None:
    directory = created(home, subprocess_env, "--port", "0")
    assert run(home, subprocess_env, "stop", directory.name)[0] == 0
    view = cli(home, subprocess_env, "view", directory.name, "--port", "0")
    try:
        assert "read-only view" in view.stdout.readline()  # type: ignore[union-attr]
        code, _, err = run(home, subprocess_env, "resume", directory.name, "--port", "0")
        # the holder says where it serves
        assert code == 2 and re.search(
            rf"is in use by autolab view at http://127.0.0.1:\d+ \(pid {view.pid}\)", err
        ), err
        assert managers(directory) == []
    finally:
        view.kill()
        view.wait()
    # the OS released the killed view's lock: a resume starts
    assert run(home, subprocess_env, "resume", directory.name, "--port", "0")[0] == 0


def test_two_creates_without_a_port_get_two_ports(home: Path, subprocess_env: dict[str, str]) -> None:
    path = config(home)
    procs = [cli(home, subprocess_env, "create", "--config", str(path)) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert [r[0] for r in results] == [0, 0], results
    urls = [re.search(r"Web UI:\s+(\S+)", out).group(1) for _, out, _ in results]  # type: ignore[union-attr]
    assert len(set(urls)) == 2
    for url in urls:  # each is the one its own manager serves
        with urllib.request.urlopen(f"{url}/api/v1/status", timeout=10) as answer:
            assert answer.status == 200


def test_resume_on_port_0_prints_this_runs_url(home: Path, subprocess_env: dict[str, str]) -> None:
    directory = created(home, subprocess_env, "--port", "0")
    assert run(home, subprocess_env, "stop", directory.name)[0] == 0
    code, out, err = run(home, subprocess_env, "resume", directory.name, "--port", "0")
    assert code == 0, err
    url = re.search(r"Web UI:\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    (manager,) = managers(directory)  # stop returned once the stopped one had ended
    ports = {c.laddr.port for c in manager.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    assert url.rsplit(":", 1)[1] in {str(p) for p in ports}, (url, ports)


def test_resume_notices_at_once_that_its_manager_died(home: Path, subprocess_env: dict[str, str]) -> None:
    directory = created(home, subprocess_env, "--port", "0")
    assert run(home, subprocess_env, "stop", directory.name)[0] == 0
    (directory / "manager.log").unlink()
    (directory / "manager.log").mkdir()  # the manager cannot open its log: it dies at start
    began = time.time()
    code, _, err = run(home, subprocess_env, "resume", directory.name, "--port", "0")
    assert code == 2 and time.time() - began < 30, err
    assert "the manager exited at start (exit code 1)" in err and "IsADirectoryError" in err, err


def test_a_done_experiments_manager_idles(home: Path, subprocess_env: dict[str, str]) -> None:
    directory = created(home, subprocess_env, "--port", "0")
    wait_for("DONE", lambda: status(directory) == "DONE")
    (manager,) = managers(directory)
    before = manager.num_ctx_switches().voluntary
    time.sleep(2.0)  # a window to count the loop's wake-ups in, not a wait for something to happen
    woke = manager.num_ctx_switches().voluntary - before
    assert woke < 25, woke  # 20 ms turns would wake it about 100 times
    code, out, _ = run(home, subprocess_env, "webui", "url", directory.name)  # the API still answers
    assert code == 0
    with urllib.request.urlopen(f"{out.strip()}/api/v1/status", timeout=10) as answer:
        assert answer.status == 200
    os.kill(manager.pid, signal.SIGTERM)
    manager.wait(timeout=30)


def test_a_resume_held_past_its_managers_first_turn_still_sees_it_start(
    home: Path, subprocess_env: dict[str, str]
) -> None:
    # nothing is left to run: the resumed manager is RUNNING for one loop turn, then DONE. The
    # resume is held (SIGSTOP) from its manager's first moments until then, as a loaded machine
    # may hold it; it used to wait for a RUNNING it never saw and report "did not start" after 60 s
    directory = created(home, subprocess_env, "--port", "0")
    wait_for("DONE", lambda: status(directory) == "DONE")
    assert run(home, subprocess_env, "stop", directory.name)[0] == 0
    resume = cli(home, subprocess_env, "resume", directory.name, "--port", "0")
    try:
        cli_proc = psutil.Process(resume.pid)
        manager = wait_for("the resume's manager", lambda: cli_proc.children(), timeout=60)[0]
        resume.send_signal(signal.SIGSTOP)
        with Store(directory, readonly=True) as store:  # held before its manager served anything
            served = manager_pid(directory) == manager.pid and store.get_meta("url")
        assert not served

        def ended_and_serving() -> bool:
            with Store(directory, readonly=True) as store:
                meta = store.meta()
            return meta.get("status") == "DONE" and bool(meta.get("url"))

        wait_for("the resumed manager to end the experiment", ended_and_serving)
        assert [p.pid for p in managers(directory)] == [manager.pid]
        resume.send_signal(signal.SIGCONT)
        began = time.time()
        code = resume.wait(timeout=120)
        err = resume.stderr.read()  # type: ignore[union-attr]
        assert code == 0 and time.time() - began < 30, err
        assert "Web UI:" in resume.stdout.read()  # type: ignore[union-attr]
    finally:
        resume.kill()
        resume.wait()


# a manager that lets its pid file go a second before its process ends and frees the lock
SLOW_EXIT = """
import os, signal, sys, time
from pathlib import Path
import psutil
from autolab import experiments, protocol
directory = Path(sys.argv[1])
experiments.lock(directory, directory.name, "its manager")
me = psutil.Process()
protocol.write_pid_file(directory / experiments.MANAGER_PID_FILE, me.pid, me.create_time())
def on_term(signum, frame):
    (directory / experiments.MANAGER_PID_FILE).unlink()
    time.sleep(1.0)  # the slow exit this stands for
    os._exit(0)
signal.signal(signal.SIGTERM, on_term)
print("up", flush=True)
while True:
    time.sleep(1)
"""


def test_stop_returns_once_the_manager_has_let_the_experiment_go(
    home: Path, subprocess_env: dict[str, str]
) -> None:
    directory = created(home, subprocess_env, "--port", "0")
    assert run(home, subprocess_env, "stop", directory.name)[0] == 0
    slow = subprocess.Popen(
        [sys.executable, "-c", SLOW_EXIT, str(directory)],
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env,
    )
    try:
        assert slow.stdout.readline().strip() == "up"  # type: ignore[union-attr]
        code, out, err = run(home, subprocess_env, "stop", directory.name)
        assert code == 0 and "stopped" in out, err
        assert slow.poll() == 0  # it had ended when stop returned, its lock with it
        code, _, err = run(home, subprocess_env, "resume", directory.name, "--port", "0")
        assert code == 0, err
    finally:
        slow.kill()
        slow.wait()
