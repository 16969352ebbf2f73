"""The local training service on its own: events, exit status file, kill escalation, adoption."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from autolab.services.base import Event, EventKind, Launch, ServiceError
from autolab.services.gpus import Gpu, GpuSlots
from autolab.services.local import LocalService


def launch(tmp_path: Path, trial_id: str, code: str, **kw: object) -> Launch:
    trial_dir = tmp_path / trial_id
    trial_dir.mkdir()
    return Launch(trial_id, 0, trial_dir, f"{sys.executable} -c '{code}'", tmp_path, {"MY_VAR": "v"}, **kw)  # type: ignore[arg-type]


def wait_exit(service: LocalService, trial_id: str, timeout: float = 20) -> Event:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for event in service.poll():
            if event.trial_id == trial_id and event.kind == EventKind.EXITED:
                return event
        time.sleep(0.02)
    raise AssertionError("no exit event")


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
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    service.start(launch(tmp_path, "t2", code))
    time.sleep(0.5)
    started = time.time()
    service.kill("t2")
    event = wait_exit(service, "t2")
    assert event.killed
    assert time.time() - started < 10


def test_adopt_a_trial_started_by_another_service(tmp_path: Path) -> None:
    first = LocalService(concurrency=1)
    first.start(launch(tmp_path, "t3", "import time; time.sleep(1.0)"))
    handle = first.handle("t3")
    second = LocalService(concurrency=1)  # a new manager after a crash
    assert second.adopt(Launch("t3", 0, tmp_path / "t3", "", tmp_path), handle)
    assert second.free_slots() == 0
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
    deadline = time.time() + 20
    while not (tmp_path / "ready").exists():
        assert time.time() < deadline
        service.poll()
        time.sleep(0.02)
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
