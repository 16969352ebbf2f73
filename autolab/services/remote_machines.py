"""The remote service's view of each machine: reachable or not (with backoff), its GPUs, its trials,
and which machine the next trial goes to."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from ..config.remote import RemoteMachineConfig
from .base import ServiceError
from .gpus import Gpu, GpuSlots
from .remote_scripts import SETUP_FAILED, Probe, parse_probe, setup_error
from .remote_ssh import Result, Ssh

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
    synced: str = ""  # the digest of the code/ and sdk/ copied there ('' when none is known)
    slots: GpuSlots | None = None  # None: trials use no GPU here
    usable: bool = True  # False: it cannot take trials (no GPU while trials need one)...
    unusable: str = ""  # ...and why
    trials: set[str] = field(default_factory=set)  # trial ids that run here
    busy: bool = False  # a probe or status look is in flight
    next_look: float = 0.0  # monotonic time of the next status look
    down_since: float | None = None  # monotonic time of the first failure of the current outage
    failures: int = 0  # failed attempts in a row
    error: str = ""  # what the last failure said
    declared_down: bool = False  # down long enough to be said in the log
    down_at: float = 0.0  # wall-clock time of the first failure of the current outage
    setup_error: str = ""  # reached, but set up it cannot be until someone fixes this (pythonPath...)
    abandoned: set[str] = field(default_factory=set)  # trials ended while it was down: killed when back
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
            self.down_since, self.down_at = now, time.time()
            log.warning("machine %s unreachable: %s", self.name, error)
        self.failures += 1
        self.error = error
        self.next_look = now + min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self.failures - 1))

    def reached(self) -> None:
        if self.down_since is not None:
            log.info("machine %s is reachable again", self.name)
        if self.setup_error:
            log.info("machine %s can be set up again", self.name)
        self.down_since, self.failures, self.error, self.declared_down = None, 0, "", False
        self.setup_error = ""

    def answered(self, now: float, result: Result) -> Probe | None:
        """What the PROBE script said: its Probe, or None when it failed (then the machine is
        retried later, or set aside when retrying cannot fix it)."""
        out = result.stdout.decode("utf-8", "replace")
        if result.returncode == SETUP_FAILED and (why := setup_error(out)):
            self.set_aside(now, why)
            return None
        probe = parse_probe(out) if result.returncode == 0 else None
        if probe is None:
            self.failed(now, result.error() if result.ssh_failed else f"cannot set up: {result.error()}")
        return probe

    def set_aside(self, now: float, why: str) -> None:
        """Reached, but it cannot run trials until someone fixes `why`: it takes none, and is asked
        again now and then (BACKOFF_MAX) in case someone did."""
        if why != self.setup_error:
            log.error("machine %s set aside: %s", self.name, why)
        self.down_since, self.failures, self.error, self.declared_down = None, 0, "", False
        self.setup_error = why
        self.next_look = now + BACKOFF_MAX

    def permanent_failure(self) -> bool:
        """It cannot be used until someone fixes it: a login that cannot work, or a set-up error."""
        login = self.probe is None and any(word in self.error.lower() for word in PERMANENT)
        return login or bool(self.setup_error)

    def note(self) -> str:
        """One line on its health for the experiment's notes ('' when all is well)."""
        if self.setup_error:
            return f"machine {self.name} set aside: {self.setup_error}"
        if self.down_since is not None:
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.down_at))
            return f"machine {self.name} unreachable since {since}: {self.error}"
        if not self.usable:
            return f"machine {self.name} takes no trials: {self.unusable}"
        return ""

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
        if not self.up or not self.usable or self.setup_error:
            return 0
        return self.slots.free_trials() if self.slots is not None else 1 << 30


def pick(machines: list[Machine], prefer: Machine | None = None) -> Machine | None:
    """The machine for the next trial: one with room, the least loaded first; among those, `prefer`
    (the one that holds the checkpoint the trial loads), then list order."""
    ready = [m for m in machines if m.free() > 0]
    return min(ready, key=lambda m: (len(m.trials), m is not prefer)) if ready else None


def fatal_problem(machines: list[Machine], gpu_number: int) -> str:
    """Why no machine can ever run a trial, naming each machine and its cause ('' while one may)."""
    if all(m.permanent_failure() for m in machines):
        problem = f"no machine of machineList can be {'used' if any(m.setup_error for m in machines) else 'reached'}"
    elif gpu_number > 0 and all(m.probe is not None and not m.usable for m in machines):
        problem = f"trialGpuNumber is {gpu_number}, but no machine of machineList has such GPUs"
    else:
        return ""
    return f"{problem} ({'; '.join(f'{m.name}: {m.setup_error or m.error or m.unusable}' for m in machines)})"
