"""Remote training service (NNI's `remote` platform): trials run on machines reached over SSH.

Each trial runs in a process group of its own in a trial directory like the local one
(remote_scripts.py). Once per poll interval per machine, one SSH command returns every trial's
state and the new bytes of its metrics.jsonl, stdout and stderr, appended to the local trial
directory: the metric reader, resume and the CLI work as with the local service, and nothing on a
machine talks back to the manager. SSH commands run on worker threads; their outcomes are applied
in poll(). A machine that stops answering keeps its trials: how they end is read when it answers
again; a kill it cannot be sent meanwhile ends the trial at once and is carried out on its return
(remote_owed.py), by this manager or the next.
"""

from __future__ import annotations

import logging
import queue
import shutil
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import protocol
from ..config.model import default_working_directory
from ..config.remote import RemoteMachineConfig
from .base import Event, EventKind, Launch, ServiceError
from .remote_checkpoints import bring, checkpoint_dirs, localize
from .remote_ending import RemoteEnding
from .remote_machines import Machine, fatal_problem, pick
from .remote_owed import FILE as OWED_FILE
from .remote_owed import OwedKills
from .remote_scripts import MIRRORED, PROBE, START, STATUS, SYNC, parse_status
from .remote_ssh import DEFAULT_CHANNELS, Result, Ssh
from .remote_sync import Copies, size_warning
from .remote_trial import RemoteTrial, end_message, exports, local_size, parse_pid, write_exit

if TYPE_CHECKING:
    from ..config.model import ExperimentConfig

log = logging.getLogger("autolab.services.remote")

POLL_INTERVAL = 1.0  # seconds between two looks at a machine's trials
DOWN_TIMEOUT = 60.0  # seconds a machine may stay unreachable before the log says so (its trials go on)
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
FIRST_CONTACT = 20.0  # seconds the first trials wait for every machine to answer once


class RemoteService(RemoteEnding):
    def __init__(
        self,
        machines: list[RemoteMachineConfig] | tuple[RemoteMachineConfig, ...],
        concurrency: int,
        experiment_id: str,
        state_dir: Path,
        *,
        gpu_number: int = 0,
        nni_module: bool = True,
        poll_interval: float = POLL_INTERVAL,
        down_timeout: float = DOWN_TIMEOUT,
        kill_grace: float = KILL_GRACE,
        channels: int = DEFAULT_CHANNELS,
        alive_interval: int = 5,
        exclude: tuple[Path, ...] = (),
        owed: Path | None = None,
    ) -> None:
        if not machines:
            raise ServiceError("trainingService.machineList: no machine to run trials on")
        self.concurrency = concurrency
        self.experiment_id = experiment_id
        self.gpu_number = gpu_number
        self.nni_module = nni_module
        self.poll_interval = poll_interval
        self.down_timeout = down_timeout
        self.kill_grace = kill_grace
        self.machines = [Machine(m, Ssh(m, state_dir, channels, alive_interval)) for m in machines]
        self.owed = OwedKills(owed)  # kills an earlier manager (or this one) could not deliver
        for machine in self.machines:
            machine.abandoned |= self.owed.of(machine.name)
        self.trials: dict[str, RemoteTrial] = {}
        self._pending: list[Event] = []
        self._done: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._workers = (channels + 1) * len(machines)  # every machine's channels, and its look
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="remote")
        self.copies = Copies(exclude)  # what goes to the machines: exclude = the experiments' folders
        self._fatal_raised = False
        self._saved_on: dict[str, Machine] = {}  # checkpoint folder (as the tuner names it) -> machine
        self._created, self._first_round = time.monotonic(), False

    @classmethod
    def from_config(cls, config: ExperimentConfig, experiment_dir: Path | None) -> RemoteService:
        ts = config.training_service
        if shutil.which("ssh") is None:
            raise ServiceError(
                "trainingService.platform remote: 'ssh' (the OpenSSH client) is not on PATH; install it "
                "on the machine that runs the manager"
            )
        directory = experiment_dir or config.experiment_working_directory / "(new)"
        exclude = (config.experiment_working_directory, default_working_directory())  # not trial code
        if said := size_warning(config.trial_code_directory, exclude):
            config.warnings.append(said)  # `autolab create` prints it; the manager logs it
            log.warning("%s", said)
        return cls(
            ts.machine_list,
            config.trial_concurrency,
            directory.name,
            config.experiment_working_directory / ".remote",
            gpu_number=config.trial_gpu_number,
            nni_module=config.nni_module,
            exclude=exclude,
            owed=experiment_dir / OWED_FILE if experiment_dir is not None else None,
        )

    # -- worker threads ------------------------------------------------------------------------
    def _submit(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        def job() -> None:
            try:
                result = work()
            except Exception as exc:  # a bug must not lose the outcome: it comes back as a failure
                log.exception("remote command failed")
                result = Result(1, b"", f"internal error: {exc}")
            self._done.put(lambda: then(result))

        self._pool.submit(job)

    def _apply_done(self) -> None:
        while True:
            try:
                self._done.get_nowait()()
            except queue.Empty:
                return

    # -- starting ------------------------------------------------------------------------------
    def free_slots(self) -> int:
        if not self._first_round_done():
            return 0
        room = sum(m.free() for m in self.machines)
        return max(0, min(self.concurrency - len(self.trials), room))

    def _first_round_done(self) -> bool:
        """Every machine answered or failed once (or FIRST_CONTACT passed): the first trials spread."""
        if self._first_round:
            return True
        self._first_round = time.monotonic() - self._created > FIRST_CONTACT or all(
            m.probe is not None or m.failures or m.setup_error for m in self.machines
        )
        return self._first_round

    def start(self, launch: Launch) -> None:
        try:  # read once here: the worker sends these bytes
            parameters: bytes | None = (launch.trial_dir / protocol.PARAMETER_FILE).read_bytes()
        except FileNotFoundError:  # a trial with no parameters (the manager always writes them)
            parameters = None
        load, save = checkpoint_dirs(parameters or b"")
        # among the least loaded machines, the one that saved the checkpoint it loads: no copy
        machine = pick(self.machines, self._saved_on.get(load) if load else None)
        if machine is None:
            raise RuntimeError("start() called with no free machine")
        gpus = machine.slots.acquire() if machine.slots is not None else []
        if gpus is None:
            raise RuntimeError("start() called with no free GPU slot")
        self.trials[launch.trial_id] = RemoteTrial(launch, machine, gpus)
        machine.trials.add(launch.trial_id)
        if save:
            self._saved_on[save] = machine
        self._submit(
            lambda: self._start_on(machine, launch, gpus, parameters),
            lambda r: self._started(launch.trial_id, r),
        )

    def _start_on(
        self, machine: Machine, launch: Launch, gpus: list[int], parameters: bytes | None
    ) -> Result:
        """(worker thread) Copy the code unless the machine has this very copy, then start the trial."""
        with machine.sync_lock:
            digest = self.copies.digest(launch.code_dir)
            if machine.synced != digest:  # its first trial, or a resumed experiment's code changed
                data = self.copies.bundle(launch.code_dir)
                result = machine.ssh.run(SYNC, [machine.directory, digest], data, timeout=600)
                if result.returncode != 0:
                    return result
                again = " again (it changed)" if machine.synced else ""
                log.info("code copied to %s%s (%d bytes compressed)", machine.name, again, len(data))
                machine.synced = digest
        given = "0" if parameters is None else "1"
        # trial_dir is <experiment dir>/trials/<id>: paths under the experiment dir (the default
        # checkpoints of PBT and ASHA promotion) go under the machine's copy of it
        local = str(launch.trial_dir.parent.parent)
        sent, load = localize(parameters or b"", local, machine.directory)
        if load:
            ok, said = bring(load, local, machine, self.machines)
            if not ok:
                return Result(1, b"", said)
            if said:
                log.info("trial %s: %s", launch.trial_id, said)
        variables = exports(machine, launch, gpus, self.gpu_number, self.nni_module)
        args = [machine.directory, launch.trial_id, launch.command, variables, given]
        return machine.ssh.run(START, args, sent)

    def _started(self, trial_id: str, result: Result) -> None:
        trial = self.trials.get(trial_id)
        if trial is None:
            return
        machine = trial.machine
        pid = parse_pid(result.stdout) if result.returncode == 0 else 0
        if pid:
            machine.reached()
            trial.launching, trial.pid, trial.started = False, pid, time.time()
            self._pending.append(Event(trial_id, EventKind.STARTED, handle=self.handle(trial_id)))
            if trial.killed:  # kill() came while it was being started
                self._signal(trial, "TERM")
            return
        if result.ssh_failed:
            machine.failed(time.monotonic(), result.error())
            self._abandon(machine, trial_id)  # it may have started before the connection broke
        self._end(trial_id, None, f"could not start on machine {machine.name}: {result.error()}")

    # -- watching ------------------------------------------------------------------------------
    def poll(self) -> list[Event]:
        self._apply_done()
        now = time.monotonic()
        for machine in self.machines:
            self._down_check(machine, now)
            if machine.busy or now < machine.next_look:
                continue
            if (
                machine.probe is None
                or machine.down_since is not None
                or (machine.setup_error and not machine.trials)
            ):
                self._probe(machine)
            elif machine.abandoned:
                self._kill_abandoned(machine)
            elif any(not self.trials[t].launching for t in machine.trials):
                self._look(machine)
        for trial in list(self.trials.values()):
            self._timers(trial, now)
        events, self._pending = self._pending, []
        if not events:
            self._fatal_check()
        return events

    def _probe(self, machine: Machine) -> None:
        machine.busy = True
        self._submit(lambda: self._ask(machine), lambda r: self._probed(machine, r))

    def reach(self, machine: Machine) -> bool:
        """Ask the machine now (once, until it answers or is found down): whether it answered."""
        if machine.probe is None and machine.down_since is None:
            self._probed(machine, self._ask(machine))
        return machine.probe is not None

    def _ask(self, machine: Machine) -> Result:
        return machine.ssh.run(PROBE, [self.experiment_id, machine.config.python_path or ""], timeout=60)

    def _probed(self, machine: Machine, result: Result) -> None:
        machine.busy = False
        now = time.monotonic()
        probe = machine.answered(now, result)
        if probe is None:  # unreachable (retried), or set aside (it cannot be set up: says why)
            return
        first = machine.probe is None
        machine.synced = machine.synced or probe.synced
        own = [i for t in machine.trials for i in self.trials[t].gpus]
        machine.set_gpus(probe, self.gpu_number, own)
        if machine.declared_down:  # its trials said it was unreachable: it answers again
            self._note(machine, f"machine {machine.name} answered again at {time.strftime('%H:%M:%S')}")
        machine.reached()
        machine.next_look = now
        if first:
            gpus = f", GPUs {[i for i, _ in probe.gpus]}" if probe.gpus else ""
            log.info("machine %s reached: %s%s", machine.name, probe.directory, gpus)

    def _look(self, machine: Machine) -> None:
        machine.busy = True
        args = [machine.directory]
        for trial_id in sorted(machine.trials):
            trial = self.trials[trial_id]
            if trial.launching:
                continue
            args += [trial_id, str(trial.pid)]
            args += [str(local_size(trial.launch.trial_dir / name)) for name in MIRRORED]
        self._submit(lambda: machine.ssh.run(STATUS, args, timeout=120), lambda r: self._looked(machine, r))

    def _looked(self, machine: Machine, result: Result) -> None:
        machine.busy = False
        now = time.monotonic()
        machine.next_look = now + self.poll_interval
        if result.ssh_failed:
            machine.failed(now, result.error())
            return
        states = parse_status(result.stdout) if result.returncode == 0 else None
        if states is None:
            log.warning("machine %s: trial states unreadable: %s", machine.name, result.error())
            return
        machine.reached()
        for trial_id, state in states.items():
            trial = self.trials.get(trial_id)
            if trial is None or trial.machine is not machine:
                continue
            for name, data in state.new_bytes.items():
                if data:
                    with open(trial.launch.trial_dir / name, "ab") as fh:
                        fh.write(data)
            trial.pid = state.pid or trial.pid
            if not state.complete:
                machine.next_look = now  # more output than one look carries: read on at once
                continue
            if state.exit_code is not None:
                if state.alive and trial.term_sent is not None and now - trial.term_sent <= self.kill_grace:
                    continue  # its processes get the grace period to save their work
                if state.alive:
                    self._signal(trial, "KILL", force=True)  # what it left behind
                write_exit(trial.launch.trial_dir, state.exit_code)
                self._end(trial_id, state.exit_code, end_message(trial, state.exit_code))
            elif not state.alive:  # its wrapper was killed: by us, or by a signal from elsewhere
                sig = signal.SIGKILL if trial.kill_sent or trial.term_sent is None else signal.SIGTERM
                write_exit(trial.launch.trial_dir, -sig)
                self._end(trial_id, -sig, end_message(trial, -sig))

    def _fatal_check(self) -> None:
        if self._fatal_raised or self.trials:
            return
        problem = fatal_problem(self.machines, self.gpu_number)
        if problem:
            self._fatal_raised = True
            raise ServiceError(f"platform remote: {problem}")

    def notes(self) -> list[str]:
        """Machines unreachable (since when, why), set aside (why), or without the GPUs trials need."""
        return [note for m in self.machines if (note := m.note())]

    # -- resume --------------------------------------------------------------------------------
    def handle(self, trial_id: str) -> dict[str, Any]:
        trial = self.trials.get(trial_id)
        if trial is None or trial.launching:
            return {}
        return {"machine": trial.machine.name, "pid": trial.pid, "gpus": trial.gpus, "started": trial.started}

    def adopt(self, launch: Launch, handle: dict[str, Any]) -> bool:
        """Take back a trial an earlier manager started. Its machine is asked now; an unreachable
        one keeps the trial (how it ended is read when the machine answers)."""
        named = [m for m in self.machines if m.name == handle.get("machine")]
        for machine in named or self.machines:  # no handle stored: look on every machine
            if not self.reach(machine):
                if named:
                    return self._take(launch, machine, handle)
                continue
            args = [machine.directory, launch.trial_id, str(int(handle.get("pid") or 0))]
            args += [str(local_size(launch.trial_dir / name)) for name in MIRRORED]
            result = machine.ssh.run(STATUS, args, timeout=120)
            states = parse_status(result.stdout) if result.returncode == 0 else None
            if states is None:
                if named:
                    return self._take(launch, machine, handle)
                continue
            state = states.get(launch.trial_id)
            if state is not None and state.pid and (state.alive or state.exit_code is not None):
                return self._take(launch, machine, {**handle, "pid": state.pid})
        return False

    def _take(self, launch: Launch, machine: Machine, handle: dict[str, Any]) -> bool:
        gpus = [int(i) for i in handle.get("gpus", [])]
        if machine.slots is not None:
            machine.slots.take(gpus)
        started = float(handle.get("started") or time.time())
        self.trials[launch.trial_id] = RemoteTrial(
            launch, machine, gpus, False, int(handle.get("pid") or 0), started
        )
        machine.trials.add(launch.trial_id)
        return True

    def close(self) -> None:
        """Running trials are left alone (a resumed manager adopts them); starts asked for happen."""
        self._pool.shutdown(wait=True)
        self._apply_done()
        for machine in self.machines:
            machine.ssh.close()
        # a start() after close() (an update of a DONE experiment) gets a fresh pool
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="remote")
