"""The local training service on its own: events, exit status file, kill escalation, adoption."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from autolab.launcher import build_manager
from autolab.services.base import Event, EventKind, Launch, ServiceError
from autolab.services.gpus import Gpu, GpuSlots
from autolab.services.local import LocalService
from tests.helpers_experiment import make_experiment, trial_rows

from .waiting import held, release, wait_ready, wait_until


def launch(tmp_path: Path, trial_id: str, code: str, **kw: object) -> Launch:
    trial_dir = tmp_path / trial_id
    trial_dir.mkdir()
    return Launch(trial_id, 0, trial_dir, f"{sys.executable} -c '{code}'", tmp_path, {"MY_VAR": "v"}, **kw)  # type: ignore[arg-type]


def wait_exit(service: LocalService, trial_id: str, timeout: float = 60) -> Event:
    def exit_event() -> Event | None:
        return next(
            (e for e in service.poll() if e.trial_id == trial_id and e.kind == EventKind.EXITED), None
        )

    return wait_until(exit_event, timeout, f"{trial_id} to exit")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_exit_code_output_and_env(tmp_path: Path) -> None:
    service = LocalService(concurrency=2)
    service.start(launch(tmp_path, "t1", 'import os, sys; print(os.environ["MY_VAR"]); sys.exit(4)'))
    assert service.free_slots() == 1
    event = wait_exit(service, "t1")
    assert event.exit_code == 4 and not event.killed
    assert (tmp_path / "t1" / "stdout").read_text().strip() == "v"
    assert (tmp_path / "t1" / "exit_status").read_text().strip() == "4"
    assert service.free_slots() == 2


def test_kill_escalates_to_sigkill(tmp_path: Path) -> None:
    service = LocalService(concurrency=1, kill_grace=0.5)
    code = held(tmp_path / "t2", setup="import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    service.start(launch(tmp_path, "t2", code))
    pid = wait_ready(tmp_path / "t2")  # SIGTERM is ignored from now on
    started = time.time()
    service.kill("t2")
    event = wait_exit(service, "t2")
    assert event.killed
    assert time.time() - started < 10
    wait_until(lambda: gone(pid), 10, "the trial that ignored SIGTERM to be killed")


def test_adopt_a_trial_started_by_another_service(tmp_path: Path) -> None:
    first = LocalService(concurrency=1)
    first.start(launch(tmp_path, "t3", held(tmp_path / "t3")))
    wait_ready(tmp_path / "t3")
    handle = first.handle("t3")
    second = LocalService(concurrency=1)  # a new manager after a crash
    assert second.adopt(Launch("t3", 0, tmp_path / "t3", "", tmp_path), handle)
    assert second.free_slots() == 0
    release(tmp_path / "t3")
    event = wait_exit(second, "t3")
    assert event.exit_code == 0  # read from the exit_status file the wrapper wrote
    assert not second.adopt(Launch("t3", 0, tmp_path / "t3", "", tmp_path), handle)  # gone now


def test_gpu_slots() -> None:
    slots = GpuSlots(2, None, 1, False, gpus=[Gpu(0, False), Gpu(1, False), Gpu(2, False), Gpu(3, True)])
    assert slots.free_trials() == 1
    assert slots.acquire() == [0, 1]
    assert slots.acquire() is None
    with pytest.raises(ServiceError, match="gpuIndices"):
        GpuSlots(1, [7], 1, False, gpus=[Gpu(0, False)])
    shared = GpuSlots(1, [0], 3, False, gpus=[Gpu(0, False)])
    assert [shared.acquire() for _ in range(4)] == [[0], [0], [0], None]


GRACEFUL = """
import signal, sys, time
def bye(*args):
    time.sleep(1.0)
    open("saved", "w").write("ok")
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
open("ready", "w").write("1")
time.sleep(60)
"""


def test_sigterm_gives_the_trial_its_grace_period(tmp_path: Path) -> None:
    service = LocalService(concurrency=1, kill_grace=5.0)
    script = tmp_path / "graceful.py"
    script.write_text(GRACEFUL)
    trial = Launch("g", 0, tmp_path / "g", f"{sys.executable} {script}", tmp_path)
    trial.trial_dir.mkdir()
    service.start(trial)
    wait_until((tmp_path / "ready").exists, 60, "the trial to set its SIGTERM handler")
    service.kill("g")
    event = wait_exit(service, "g")
    assert event.killed
    assert (tmp_path / "saved").read_text() == "ok"  # it had the time to save before SIGKILL


def test_gpus_of_our_own_adopted_trials_stay_usable() -> None:
    # after a resume, nvidia-smi shows our still-running trial on GPU 0: not someone else's
    gpus = [Gpu(0, True), Gpu(1, False)]
    with pytest.raises(ServiceError):
        GpuSlots(2, None, 1, False, gpus=gpus)
    slots = GpuSlots(2, None, 1, False, gpus=gpus, own={0})
    slots.take([0])
    assert slots.acquire() is None
    slots.release([0])
    assert slots.acquire() == [0, 1]


def test_trials_start_off_the_callers_thread_and_started_carries_the_handle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fork/exec on the manager's event loop held it (and the REST API) for every trial start."""
    spawned_on: list[threading.Thread] = []

    class Spy(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            spawned_on.append(threading.current_thread())
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Spy)
    service = LocalService(concurrency=1)
    try:
        service.start(launch(tmp_path, "t5", held(tmp_path / "t5")))
        started = wait_until(
            lambda: [e for e in service.poll() if e.kind == EventKind.STARTED], 30, "the STARTED event"
        )
        assert spawned_on and spawned_on[0] is not threading.current_thread()
        assert started[0].handle == service.handle("t5") and started[0].handle["pid"] > 0
        release(tmp_path / "t5")
        assert wait_exit(service, "t5").exit_code == 0
    finally:
        release(tmp_path / "t5")
        service.close()


def test_the_manager_stores_the_handle_that_started_brings(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, "time.sleep(60)\n", maxTrialNumber=1, trialConcurrency=1)
    manager = build_manager(directory)
    manager.start()
    try:

        def stored_pid() -> int:
            manager.step()
            return int(trial_rows(directory)[0].handle.get("pid", 0)) if trial_rows(directory) else 0

        pid = wait_until(stored_pid, 30, "the trial's handle in the store")
        assert pid == manager.service.handle(trial_rows(directory)[0].id)["pid"]
    finally:
        manager.request_stop()
        wait_until(lambda: manager.step() or manager.finished, 30, "the manager to stop")
        manager.close()
