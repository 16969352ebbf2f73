"""Local training service: trials are processes on this machine, each in its own process group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from .. import protocol
from .base import Event, EventKind, Launch, TrainingService
from .gpus import Gpu, GpuSlots

KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL

# The trial runs under a small shell that records its exit status in the trial directory, so the
# status is known even when the manager was down when it ended. The user's command is passed as
# an argument (never re-quoted) and run by the shell as written.
# It first records its own pid ($5), so a manager killed before it stored the trial's handle can
# still find the trial again on resume (see adopt()).
WRAPPER = (
    'echo $$ > "$5.tmp" && mv "$5.tmp" "$5"; '
    'cd "$3" || { echo 127 > "$4"; exit 127; }; '
    '$1 -c "$2"; rc=$?; echo $rc > "$4.tmp" && mv "$4.tmp" "$4"; exit $rc'
)


@dataclass
class _Running:
    launch: Launch
    gpus: list[int]
    started: float
    proc: subprocess.Popen[bytes] | None = None  # None when adopted from an earlier manager
    pid: int = 0
    create_time: float = 0.0
    kill_sent: float | None = None
    killed: bool = False
    timed_out: bool = False
    files: list[Any] = field(default_factory=list)


class LocalService(TrainingService):
    def __init__(
        self,
        concurrency: int,
        gpu_number: int = 0,
        gpu_indices: list[int] | None = None,
        max_trial_number_per_gpu: int = 1,
        use_active_gpu: bool = False,
        gpus: list[Gpu] | None = None,
        kill_grace: float = KILL_GRACE,
        own_gpus: set[int] | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.slots = GpuSlots(
            gpu_number, gpu_indices, max_trial_number_per_gpu, use_active_gpu, gpus, own_gpus
        )
        self.kill_grace = kill_grace
        self.running: dict[str, _Running] = {}
        self.shell = protocol.trial_shell()
        self._pending: list[Event] = []

    def free_slots(self) -> int:
        return max(0, min(self.concurrency - len(self.running), self.slots.free_trials()))

    def start(self, launch: Launch) -> None:
        gpus = self.slots.acquire()
        if gpus is None:
            raise RuntimeError("start() called with no free GPU slot")
        env = dict(os.environ)
        env.update(launch.env)
        if self.slots.gpu_number > 0:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in gpus)
        trial_dir = launch.trial_dir
        stdout = open(trial_dir / protocol.STDOUT_FILE, "ab")
        stderr = open(trial_dir / protocol.STDERR_FILE, "ab")
        exit_file = trial_dir / protocol.EXIT_FILE
        argv = [
            "/bin/sh",
            "-c",
            WRAPPER,
            "autolab-trial",
            self.shell,
            launch.command,
            str(launch.code_dir),
            str(exit_file),
            str(trial_dir / protocol.PID_FILE),
        ]
        (trial_dir / protocol.COMMAND_FILE).write_text(
            f"#!/bin/sh\n# run in {launch.code_dir}\n{launch.command}\n", encoding="utf-8"
        )
        try:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            stdout.close()
            stderr.close()
            self.slots.release(gpus)
            self._pending.append(Event(launch.trial_id, EventKind.EXITED, None, f"cannot start: {exc}"))
            return
        try:
            create_time = psutil.Process(proc.pid).create_time()
        except psutil.Error:
            create_time = 0.0
        self.running[launch.trial_id] = _Running(
            launch, gpus, time.time(), proc, proc.pid, create_time, files=[stdout, stderr]
        )
        self._pending.append(Event(launch.trial_id, EventKind.STARTED))

    def poll(self) -> list[Event]:
        events, self._pending = self._pending, []
        now = time.time()
        for trial_id, run in list(self.running.items()):
            code = self._exit_code(run)
            if code is not None:
                # after SIGTERM the wrapper ends at once; the trial's own processes get the grace
                # period to save their work before _finish sends SIGKILL to the group
                if (
                    run.kill_sent is not None
                    and now - run.kill_sent <= self.kill_grace
                    and _group_alive(run.pid)
                ):
                    continue
                events.append(self._finish(trial_id, run, code))
                continue
            limit = run.launch.max_duration
            if limit is not None and run.kill_sent is None and now - run.started > limit:
                run.timed_out = True
                self._signal(run, signal.SIGTERM)
                run.kill_sent = now
            elif run.kill_sent is not None and now - run.kill_sent > self.kill_grace:
                self._signal(run, signal.SIGKILL)
        return events

    def _exit_code(self, run: _Running) -> int | None:
        """The exit code when the trial's process ended, else None."""
        if run.proc is not None:
            rc = run.proc.poll()
            if rc is None:
                return None
            # prefer the status the wrapper recorded (the user's command, not the wrapper's signal)
            recorded = protocol.read_exit_status(run.launch.trial_dir) if rc >= 0 else None
            return rc if recorded is None else recorded
        if protocol.process_alive(run.pid, run.create_time):
            return None
        code = protocol.read_exit_status(run.launch.trial_dir)
        return -signal.SIGKILL if code is None else code

    def _finish(self, trial_id: str, run: _Running, code: int | None) -> Event:
        del self.running[trial_id]
        self.slots.release(run.gpus)
        for fh in run.files:
            fh.close()
        if run.kill_sent is not None or run.killed:
            self._signal(run, signal.SIGKILL)  # children that ignored SIGTERM
        message = ""
        if run.timed_out:
            message = f"killed after maxTrialDuration ({run.launch.max_duration:g} s)"
        elif code is not None and code < 0:
            message = f"killed by signal {-code}"
        return Event(trial_id, EventKind.EXITED, code, message, killed=run.killed, timed_out=run.timed_out)

    def kill(self, trial_id: str) -> None:
        run = self.running.get(trial_id)
        if run is None or run.killed:
            return
        run.killed = True
        run.kill_sent = time.time()
        self._signal(run, signal.SIGTERM)

    @staticmethod
    def _signal(run: _Running, sig: int) -> None:
        try:
            os.killpg(run.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def handle(self, trial_id: str) -> dict[str, Any]:
        run = self.running.get(trial_id)
        if run is None:  # could not start, or already ended
            return {}
        return {"pid": run.pid, "create_time": run.create_time, "gpus": run.gpus, "started": run.started}

    def adopt(self, launch: Launch, handle: dict[str, Any]) -> bool:
        pid = int(handle.get("pid", 0))
        create_time = float(handle.get("create_time", 0.0))
        gpus = [int(i) for i in handle.get("gpus", [])]
        if not pid:  # the manager died before it stored the handle: the wrapper's pid file tells
            pid, create_time, gpus = _wrapper_process(launch.trial_dir)
            gpus = gpus if self.slots.gpu_number > 0 else []
        if not pid or not protocol.process_alive(pid, create_time):
            return False
        self.slots.take(gpus)
        self.running[launch.trial_id] = _Running(
            launch, gpus, float(handle.get("started", time.time())), None, pid, create_time
        )
        return True

    def close(self) -> None:
        for run in self.running.values():
            for fh in run.files:
                fh.close()


def _wrapper_process(trial_dir: Path) -> tuple[int, float, list[int]]:
    """(pid, create time, GPUs) of the live wrapper of this trial per its pid file, else (0, 0.0, [])."""
    recorded = protocol.read_pid_file(trial_dir / protocol.PID_FILE)
    if recorded is None:
        return 0, 0.0, []
    pid = recorded[0]
    try:
        proc = psutil.Process(pid)
        # a reused pid is another program: the wrapper's argv names this trial's exit file
        if str(trial_dir / protocol.EXIT_FILE) not in proc.cmdline():
            return 0, 0.0, []
        visible = proc.environ().get("CUDA_VISIBLE_DEVICES", "")
        gpus = [int(i) for i in visible.split(",") if i.strip().isdigit()]
        return pid, proc.create_time(), gpus
    except (OSError, psutil.Error):
        return 0, 0.0, []


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is left. A zombie nobody reaps counts as alive, which at
    worst makes the wait last the whole grace period; checked on every loop turn, so kept cheap."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
