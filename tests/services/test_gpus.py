"""GPU discovery through nvidia-smi (a fake one on PATH): a failing nvidia-smi is named with its own
words, not reported as a machine without GPUs; a failed look at the GPUs' processes hides no GPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab.services.base import ServiceError
from autolab.services.gpus import GpuSlots, detect_gpus


def fake_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gpus: str, apps: str) -> None:
    """nvidia-smi on PATH answering the GPU query with `gpus` and the processes query with `apps`
    (each a shell snippet)."""
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir()
    smi.write_text(f'#!/bin/sh\ncase "$1" in\n  --query-gpu*) {gpus} ;;\n  *) {apps} ;;\nesac\n')
    smi.chmod(0o755)
    monkeypatch.delenv("AUTOLAB_GPUS", raising=False)
    monkeypatch.setenv("PATH", f"{smi.parent}:/usr/bin:/bin")


BUSES = "printf '0, 00000000:01:00.0\\n1, 00000000:02:00.0\\n'"


def test_two_gpus_one_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_smi(tmp_path, monkeypatch, BUSES, "echo 00000000:02:00.0")
    assert [(g.index, g.active) for g in detect_gpus()] == [(0, False), (1, True)]


def test_a_failing_nvidia_smi_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = (
        'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver" >&2; exit 9'
    )
    fake_smi(tmp_path, monkeypatch, driver, driver)
    with pytest.raises(ServiceError) as err:
        GpuSlots(1, None, 1, False)
    assert "exit code 9" in str(err.value) and "couldn't communicate with the NVIDIA driver" in str(err.value)
    assert "has no GPU" not in str(err.value)


def test_a_failed_process_query_hides_no_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_smi(tmp_path, monkeypatch, BUSES, "exit 1")
    assert [g.index for g in detect_gpus()] == [0, 1]
    with pytest.raises(ServiceError, match="trialGpuNumber is 5 but only 2 GPU"):
        GpuSlots(5, None, 1, False)


def test_no_nvidia_smi_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOLAB_GPUS", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServiceError, match=r"has no GPU \(no nvidia-smi on PATH\)"):
        GpuSlots(1, None, 1, False)


def test_useactivegpu_false_is_kept_during_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # another user's process lands on a GPU mid-run: no new trial goes there until it leaves; a GPU
    # whose processes are our own trials' stays ours
    from autolab.services import gpus as gpus_module
    from autolab.services.gpus import Gpu

    seen = {"active": set()}
    monkeypatch.setattr(gpus_module, "detect_gpus", lambda: [Gpu(i, i in seen["active"]) for i in (0, 1)])
    monkeypatch.setattr(gpus_module, "REFRESH", 0.0)
    slots = GpuSlots(1, None, 1, False)

    def looked() -> GpuSlots:  # the look runs in a thread: let it end, so the next call applies it
        slots.free_trials()
        slots.wait_for_look()
        return slots

    assert slots.acquire() == [0]
    seen["active"] = {0, 1}  # ours on 0, someone else's on 1
    assert looked().free_trials() == 0 and slots.acquire() is None
    slots.release([0])
    seen["active"] = {1}
    assert looked().acquire() == [0]
    assert slots.acquire() is None  # 1 stays busy elsewhere
    seen["active"] = {0}  # ours on 0; 1 is free again
    assert looked().acquire() == [1]
    # useActiveGpu true: no look at all
    calls = []
    monkeypatch.setattr(gpus_module, "detect_gpus", lambda: calls.append(1) or [Gpu(0, True), Gpu(1, True)])
    both = GpuSlots(1, None, 1, True)
    assert [both.acquire(), both.acquire()] == [[0], [1]] and len(calls) == 1


def test_no_look_while_every_gpu_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    # nvidia-smi runs on the manager's loop: while our trials fill every GPU, there is nothing to place
    from autolab.services import gpus as gpus_module
    from autolab.services.gpus import Gpu

    calls: list[int] = []
    monkeypatch.setattr(gpus_module, "detect_gpus", lambda: calls.append(1) or [Gpu(0, False), Gpu(1, False)])
    monkeypatch.setattr(gpus_module, "REFRESH", 0.0)
    slots = GpuSlots(1, None, 1, False)
    assert [slots.acquire(), slots.acquire()] == [[0], [1]]
    slots.wait_for_look()
    looked = len(calls)
    for _ in range(5):
        assert slots.free_trials() == 0 and slots.acquire() is None
    slots.wait_for_look()
    assert len(calls) == looked
    slots.release([1])
    assert slots.free_trials() == 1
    slots.wait_for_look()
    assert len(calls) == looked + 1


def test_a_slow_nvidia_smi_does_not_hold_the_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    # nvidia-smi can hang up to its timeout when a driver is busy: the look runs in a thread, so
    # placing trials goes on with what was seen last, and the answer counts once it comes
    import threading

    from autolab.services import gpus as gpus_module
    from autolab.services.gpus import Gpu

    answer = threading.Event()
    started = threading.Event()

    def slow() -> list[Gpu]:
        started.set()
        assert answer.wait(30)
        return [Gpu(0, False), Gpu(1, True)]  # another user's process on 1

    monkeypatch.setattr(gpus_module, "detect_gpus", lambda: [Gpu(0, False), Gpu(1, False)])
    slots = GpuSlots(1, None, 1, False)
    slots.detector = slow
    monkeypatch.setattr(gpus_module, "REFRESH", 0.0)
    try:
        assert slots.free_trials() == 2  # the look started; its answer is not in yet
        assert started.wait(30)
        assert slots.free_trials() == 2 and slots.look is not None and slots.look.is_alive()
        assert slots.acquire() == [0]
    finally:
        answer.set()
        slots.wait_for_look()
    assert slots.acquire() is None  # GPU 1 is someone else's now
    slots.release([0])
    assert slots.free_trials() == 1
