"""The remote service's view of each machine: reachable or not (with backoff), its GPUs, its trials,
and which machine the next trial goes to."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from ..config.remote import RemoteMachineConfig
from .base import ServiceError
from .gpus import Gpu, GpuSlots
from .remote_scripts import Probe
from .remote_ssh import Ssh

log = logging.getLogger("autolab.services.remote")

BACKOFF_FIRST = 1.0  # seconds before the first retry of a machine that did not answer...
BACKOFF_MAX = 30.0  # ...doubling up to this
# ssh's words for failures that waiting will not cure (a wrong password or key, an unknown host)
PERMANENT = ("permission denied", "host key verification failed", "could not resolve hostname")


@dataclass
class Machine:
    config: RemoteMachineConfig
    ssh: Ssh
    probe: Probe | None = None  # None until first reached
    synced: bool = False  # code/ and sdk/ are there
    slots: GpuSlots | None = None  # None: trials use no GPU here
    usable: bool = True  # False: it cannot take trials (no GPU while trials need one)...
    unusable: str = ""  # ...and why
    trials: set[str] = field(default_factory=set)  # trial ids that run here
    busy: bool = False  # a probe or status look is in flight
    next_look: float = 0.0  # monotonic time of the next status look
    down_since: float | None = None  # monotonic time of the first failure of the current outage
    failures: int = 0  # failed attempts in a row
    error: str = ""  # what the last failure said
    declared_down: bool = False  # down long enough: its trials were failed
    abandoned: set[str] = field(default_factory=set)  # trials failed while down: killed when back
    sync_lock: threading.Lock = field(default_factory=threading.Lock)  # one copy of the code at a time

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def up(self) -> bool:
        return self.probe is not None and self.down_since is None

    @property
    def directory(self) -> str:
        assert self.probe is not None
        return self.probe.directory

    def failed(self, now: float, error: str) -> None:
        """An attempt to reach it failed: retry after a growing delay."""
        if self.down_since is None:
            self.down_since = now
            log.warning("machine %s unreachable: %s", self.name, error)
        self.failures += 1
        self.error = error
        self.next_look = now + min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self.failures - 1))

    def reached(self) -> None:
        if self.down_since is not None:
            log.info("machine %s is reachable again", self.name)
        self.down_since, self.failures, self.error, self.declared_down = None, 0, "", False

    def permanent_failure(self) -> bool:
        return self.probe is None and any(word in self.error.lower() for word in PERMANENT)

    def set_gpus(self, probe: Probe, gpu_number: int, own: list[int]) -> None:
        """GPU slots from what nvidia-smi said at first contact; a machine without the GPUs a trial
        needs takes none. own: GPUs of trials of ours already running there (adopted)."""
        first, self.probe = self.probe is None, probe
        if not first or gpu_number <= 0:
            return
        gpus = [Gpu(index, bus in probe.busy_buses) for index, bus in probe.gpus]
        indices = list(self.config.gpu_indices) if self.config.gpu_indices is not None else None
        try:
            self.slots = GpuSlots(
                gpu_number,
                indices,
                self.config.max_trial_number_per_gpu,
                self.config.use_active_gpu,
                gpus,
                set(own),
            )
        except ServiceError as exc:
            self.usable = False
            self.unusable = "no GPU found (no nvidia-smi, or it lists none)" if not gpus else str(exc)
            log.warning("machine %s takes no trials: %s", self.name, self.unusable)
            return
        self.slots.take(own)

    def free(self) -> int:
        """Trials it can take now (a large number when trials use no GPU)."""
        if not self.up or not self.usable:
            return 0
        return self.slots.free_trials() if self.slots is not None else 1 << 30


def pick(machines: list[Machine], prefer: Machine | None = None) -> Machine | None:
    """The machine for the next trial: one with room, the least loaded first; among those, `prefer`
    (the one that holds the checkpoint the trial loads), then list order."""
    ready = [m for m in machines if m.free() > 0]
    return min(ready, key=lambda m: (len(m.trials), m is not prefer)) if ready else None
