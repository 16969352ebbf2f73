"""GPU discovery and slot accounting for the local service (CUDA_VISIBLE_DEVICES per trial)."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .base import ServiceError

# Tests (and users without nvidia-smi) can name the GPUs: AUTOLAB_GPUS="0,1,2", and which are busy
# with other people's processes: AUTOLAB_GPUS_ACTIVE="1".
ENV_GPUS = "AUTOLAB_GPUS"
ENV_GPUS_ACTIVE = "AUTOLAB_GPUS_ACTIVE"
REFRESH = 10.0  # seconds between looks at which GPUs other users' processes occupy (useActiveGpu false)


@dataclass
class Gpu:
    index: int
    active: bool  # has processes not started by us


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.replace(" ", "").split(",") if x]


def detect_gpus() -> list[Gpu]:
    """The machine's GPUs (from AUTOLAB_GPUS, else nvidia-smi; [] when there is none).
    ServiceError when nvidia-smi is there but fails (a driver it cannot talk to): that is not "no
    GPU", and its own words say what to fix."""
    if ENV_GPUS in os.environ:
        active = set(_ints(os.environ.get(ENV_GPUS_ACTIVE, "")))
        return [Gpu(i, i in active) for i in _ints(os.environ[ENV_GPUS])]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    gpus = _smi(smi, "--query-gpu=index,pci.bus_id")
    try:
        apps = _smi(smi, "--query-compute-apps=gpu_bus_id")
    except ServiceError:  # the GPUs were listed: a failed look at their processes does not hide them
        apps = ""
    busy = {line.strip() for line in apps.splitlines() if line.strip()}
    out = []
    for line in gpus.splitlines():
        if "," in line:
            index, bus = (p.strip() for p in line.split(",", 1))
            out.append(Gpu(int(index), bus in busy))
    return out


def _smi(smi: str, query: str) -> str:
    try:
        done = subprocess.run(
            [smi, query, "--format=csv,noheader"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServiceError(f"nvidia-smi {query} failed: {exc}") from None
    if done.returncode != 0:
        said = " / ".join(line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip())
        raise ServiceError(
            f"nvidia-smi {query} failed (exit code {done.returncode}): {said[:300] or 'no output'}"
        )
    return done.stdout


class GpuSlots:
    """Which GPUs trials may use, and how many trials each holds now."""

    def __init__(
        self,
        gpu_number: int,
        gpu_indices: list[int] | None,
        per_gpu: int,
        use_active: bool,
        gpus: list[Gpu] | None = None,
        own: set[int] | None = None,
    ) -> None:
        """own: GPUs that this experiment's still-running trials use (after a resume): busy, but
        with our processes, so not another user's."""
        self.gpu_number = gpu_number
        self.per_gpu = per_gpu
        self.used: dict[int, int] = {}
        if gpu_number <= 0:
            self.usable: list[int] = []
            return
        found = detect_gpus() if gpus is None else gpus
        if not found:
            why = (
                f"{ENV_GPUS} names none"
                if ENV_GPUS in os.environ
                else "nvidia-smi found none"
                if shutil.which("nvidia-smi")
                else "no nvidia-smi on PATH"
            )
            raise ServiceError(
                f"trialGpuNumber: {gpu_number} GPU(s) per trial, but this machine has no GPU ({why})"
            )
        by_index = {g.index: g for g in found}
        if gpu_indices is not None:
            missing = [i for i in gpu_indices if i not in by_index]
            if missing:
                raise ServiceError(f"gpuIndices {missing} not found; this machine's GPUs: {sorted(by_index)}")
            candidates = [by_index[i] for i in gpu_indices]
        else:
            candidates = found
        own = own or set()
        self.usable = [g.index for g in candidates if use_active or not g.active or g.index in own]
        if len(self.usable) < gpu_number:
            raise ServiceError(
                f"trialGpuNumber is {gpu_number} but only {len(self.usable)} GPU(s) are usable "
                f"(found {sorted(by_index)}; useActiveGpu is {use_active})"
            )
        self.used = {g.index: 0 for g in candidates}
        # useActiveGpu false: GPUs another user's processes occupy are left alone, looked at again
        # every REFRESH seconds while trials are placed (NNI's collector samples them too)
        self.blocked = {g.index for g in candidates if g.index not in self.usable}
        self.detector = (detect_gpus if gpus is None else None) if not use_active else None
        self.looked = time.monotonic()
        # nvidia-smi can take seconds (or hang up to its timeout) when a driver is busy: it runs in a
        # thread of its own, never on the manager's loop; its answer is applied at the next call
        self.look: threading.Thread | None = None
        self.answers: queue.SimpleQueue[list[Gpu]] = queue.SimpleQueue()

    def _refresh(self) -> None:
        if self.detector is None:
            return
        while not self.answers.empty():
            found = self.answers.get_nowait()
            active = {g.index for g in found if g.active}
            # a GPU our own trials use shows their processes: it stays ours
            self.blocked = {i for i in self.used if i in active and self.used[i] == 0}
        if self.look is not None and self.look.is_alive():
            return
        # only when a GPU has room a new trial could take
        if time.monotonic() - self.looked < REFRESH or all(n >= self.per_gpu for n in self.used.values()):
            return
        self.looked = time.monotonic()
        self.look = threading.Thread(target=self._look, args=(self.detector,), name="gpu-look", daemon=True)
        self.look.start()

    def _look(self, detector: Callable[[], list[Gpu]]) -> None:
        try:
            self.answers.put(detector())
        except ServiceError:
            pass  # nvidia-smi failing for a moment: keep what was seen last

    def wait_for_look(self, timeout: float = 30.0) -> None:
        """Block until a look at the GPUs in flight has ended (tests; a manager shutting down)."""
        if self.look is not None:
            self.look.join(timeout)

    def free_trials(self) -> int:
        """How many more trials fit on the GPUs now (unbounded when trials use no GPU)."""
        if self.gpu_number <= 0:
            return 1 << 30
        self._refresh()
        free = sum(self.per_gpu - n for i, n in self.used.items() if i not in self.blocked)
        return free // self.gpu_number

    def acquire(self) -> list[int] | None:
        if self.gpu_number <= 0:
            return []
        self._refresh()
        free = sorted(
            (i for i, n in self.used.items() if n < self.per_gpu and i not in self.blocked),
            key=lambda i: (self.used[i], i),
        )
        if len(free) < self.gpu_number:
            return None
        chosen = sorted(free[: self.gpu_number])
        for i in chosen:
            self.used[i] += 1
        return chosen

    def release(self, indices: list[int]) -> None:
        for i in indices:
            if i in self.used:
                self.used[i] -= 1

    def take(self, indices: list[int]) -> None:
        """Count GPUs of an adopted trial as used."""
        for i in indices:
            if i in self.used:
                self.used[i] += 1
