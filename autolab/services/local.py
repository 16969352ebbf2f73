"""Local training service: trials are processes on this machine, each in its own process group.

Trials start on a launcher thread: fork/exec of a big manager process takes milliseconds, and on
the event loop it kept slots idle and the REST API waiting. start() returns at once; the STARTED
event, with the trial's handle, comes from poll() once the process runs. What a trial leaves
behind (setsid, double fork, a child still running after it exited) is ended too: see tree.py.
"""

from __future__ import annotations

import collections
import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from .. import protocol
from . import tree
from .base import Event, EventKind, Launch, TrainingService
from .gpus import Gpu, GpuSlots

KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
SWEEP_EVERY = 1.0  # seconds between looks for strays to reap when no trial ended meanwhile

# The trial runs under a small shell that records its exit status in the trial directory, so the
# status is known even when the manager was down when it ended. The user's command is passed as
# an argument (never re-quoted) and run by the shell as written.
# It first records its own pid ($5), so a manager killed before it stored the trial's handle can
# still find the trial again on resume (see adopt()).
# Both files are written by one shell builtin each, with no `mv` (two fork/execs per trial, a
# fifth of a trial start's CPU at concurrency 128): nobody reads either file while the wrapper
# could be half-way through writing it (the pid file is read on resume, long after the wrapper
# wrote it; the exit file once the wrapper has exited), and an empty file reads as "not recorded".
WRAPPER = (
    'echo $$ > "$5"; cd "$3" || { echo 127 > "$4"; exit 127; }; $1 -c "$2"; rc=$?; echo $rc > "$4"; exit $rc'
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
    launching: bool = False  # handed to the launcher thread, not running yet
    tree: list[psutil.Process] = field(default_factory=list)  # its descendants when it was killed


@dataclass
class _Launched:
    """What the launcher thread hands back to poll()."""

    trial_id: str
    proc: subprocess.Popen[bytes] | None
    create_time: float
    files: list[Any]
    error: str = ""


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
        self.subreaper = tree.become_subreaper()
        self._to_launch: queue.SimpleQueue[tuple[Launch, list[str], dict[str, str]] | None] = (
            queue.SimpleQueue()
        )
        self._launched: collections.deque[_Launched] = collections.deque()  # appends are thread-safe
        self._launcher: threading.Thread | None = None
        # processes a trial left behind, SIGTERMed, with the time to SIGKILL them if still there
        self._leftovers: list[tuple[psutil.Process, float]] = []
        self._ended_dirs: set[str] = set()  # trials ended since the last sweep (their strays end)
        self._adopted_dirs: set[str] = set()  # ...of which adopted ones: their strays went to init
        self._last_sweep = 0.0

    def free_slots(self) -> int:
        return max(0, min(self.concurrency - len(self.running), self.slots.free_trials()))

    def start(self, launch: Launch) -> None:
        gpus = self.slots.acquire()
        if gpus is None:
            raise RuntimeError("start() called with no free GPU slot")
        env = dict(os.environ)
        env.update(launch.env)
        env[tree.MARK] = str(launch.trial_dir)  # how its escaped descendants are found (tree.py)
        if self.slots.gpu_number > 0:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in gpus)
        trial_dir = launch.trial_dir
        argv = [
            "/bin/sh",
            "-c",
            WRAPPER,
            "autolab-trial",
            self.shell,
            launch.command,
            str(launch.code_dir),
            str(trial_dir / protocol.EXIT_FILE),
            str(trial_dir / protocol.PID_FILE),
        ]
        self.running[launch.trial_id] = _Running(launch, gpus, time.time(), launching=True)
        if self._launcher is None:
            self._launcher = threading.Thread(target=self._launch_loop, name="autolab-launcher", daemon=True)
            self._launcher.start()
        self._to_launch.put((launch, argv, env))

    def _launch_loop(self) -> None:
        while (item := self._to_launch.get()) is not None:
            self._launched.append(_launch(*item))

    def _take_launched(self, events: list[Event]) -> None:
        while self._launched:
            done = self._launched.popleft()
            run = self.running[done.trial_id]
            run.launching = False
            if done.proc is None:
                del self.running[done.trial_id]
                self.slots.release(run.gpus)
                events.append(Event(done.trial_id, EventKind.EXITED, None, done.error))
                continue
            run.proc, run.pid, run.create_time, run.files = (
                done.proc,
                done.proc.pid,
                done.create_time,
                done.files,
            )
            run.started = time.time()
            events.append(Event(done.trial_id, EventKind.STARTED, handle=self.handle(done.trial_id)))
            if run.killed:  # kill() came while it was being launched
                self._signal(run, signal.SIGTERM)

    def poll(self) -> list[Event]:
        events, self._pending = self._pending, []
        self._take_launched(events)
        now = time.time()
        for trial_id, run in list(self.running.items()):
            if run.launching:
                continue
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
        self._sweep(now)
        return events

    def _sweep(self, now: float) -> None:
        """End what ended trials left behind and reap what re-parented to the manager."""
        if not (self._ended_dirs or self._leftovers or now - self._last_sweep > SWEEP_EVERY):
            return
        self._last_sweep = now
        ended, self._ended_dirs = self._ended_dirs, set()
        found: list[psutil.Process] = []
        if self.subreaper:
            wrappers = {run.pid for run in self.running.values() if run.proc is not None}
            running_dirs = {str(run.launch.trial_dir) for run in self.running.values()}
            found += [proc for _, proc in tree.strays(wrappers, running_dirs)]
        slow = ended if not self.subreaper else self._adopted_dirs & ended
        if slow:
            found += tree.marked(slow)
        self._adopted_dirs -= ended
        known = {proc.pid for proc, _ in self._leftovers}
        new = [proc for proc in found if proc.pid not in known]
        tree.signal_all(new, signal.SIGTERM)
        self._leftovers += [(proc, now + self.kill_grace) for proc in new]
        due = [proc for proc, deadline in self._leftovers if deadline <= now]
        tree.signal_all(due, signal.SIGKILL)
        self._leftovers = [(p, d) for p, d in self._leftovers if d > now and p.is_running()]

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
        # whatever is left of it (in its group or escaped) is ended by the next sweep
        self._ended_dirs.add(str(run.launch.trial_dir))
        if run.proc is None:
            self._adopted_dirs.add(str(run.launch.trial_dir))
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
        if not run.launching:
            self._signal(run, signal.SIGTERM)

    @staticmethod
    def _signal(run: _Running, sig: int) -> None:
        """Signal the trial's process group and every descendant, also those in other sessions."""
        if run.pid <= 0:  # not started yet: killpg(0) would signal the manager's own group
            return
        if sig == signal.SIGTERM:  # descendants recorded now: they re-parent once their parent dies
            run.tree = tree.descendants(run.pid)
        try:
            os.killpg(run.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        tree.signal_all(run.tree, sig)

    def handle(self, trial_id: str) -> dict[str, Any]:
        run = self.running.get(trial_id)
        if run is None or run.launching:  # could not start, already ended, or not started yet
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
        if self._launcher is not None:  # the launches asked for still happen: those trials run on
            self._to_launch.put(None)
            self._launcher.join()
            self._launcher = None  # a start() after close() (an update of a DONE experiment) starts another
            self._take_launched(self._pending)
        for run in self.running.values():
            for fh in run.files:
                fh.close()
        # what ended trials left is not left running (nor as zombies) when the manager goes
        leftovers = [proc for proc, _ in self._leftovers]
        tree.signal_all(leftovers, signal.SIGKILL)
        psutil.wait_procs(leftovers, timeout=1.0)  # reaps those that are our children
        self._leftovers = []


def _launch(launch: Launch, argv: list[str], env: dict[str, str]) -> _Launched:
    """Start the trial's wrapper (on the launcher thread: nothing here touches the service)."""
    trial_dir = launch.trial_dir
    files: list[Any] = []
    try:
        (trial_dir / protocol.COMMAND_FILE).write_text(
            f"#!/bin/sh\n# run in {launch.code_dir}\n{launch.command}\n", encoding="utf-8"
        )
        files = [open(trial_dir / protocol.STDOUT_FILE, "ab"), open(trial_dir / protocol.STDERR_FILE, "ab")]
        proc = subprocess.Popen(
            argv,
            env=env,
            stdout=files[0],
            stderr=files[1],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        for fh in files:
            fh.close()
        return _Launched(launch.trial_id, None, 0.0, [], f"cannot start: {exc}")
    try:
        create_time = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        create_time = 0.0
    return _Launched(launch.trial_id, proc, create_time, files)


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
