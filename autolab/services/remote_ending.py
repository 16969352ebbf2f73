"""How remote trials end: their signals (SIGTERM, SIGKILL after a grace period), maxTrialDuration,
what their machine going quiet means for them (nothing ends; a note on each),
and kills owed to machines that do not answer (remote_owed.py), carried out when they answer again.
RemoteService (remote.py) is built on this; the two share its trials and its worker threads."""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from .base import Event, EventKind, TrainingService
from .remote_machines import Machine
from .remote_owed import FILE as OWED_FILE
from .remote_owed import OwedKills
from .remote_scripts import KILL
from .remote_ssh import Result
from .remote_trial import RemoteTrial

log = logging.getLogger("autolab.services.remote")


class RemoteEnding(TrainingService):
    trials: dict[str, RemoteTrial]
    owed: OwedKills
    kill_grace: float
    down_timeout: float
    poll_interval: float
    _pending: list[Event]

    @abstractmethod
    def _submit(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """Run work on a worker thread; then(its result) in the next poll."""

    def _down_check(self, machine: Machine, now: float) -> None:
        """A machine unreachable for down_timeout is said once in the log (the notes say it all
        along). Its trials are not ended: their processes most likely run on, and how each ends is
        read from its folder there when the machine answers again."""
        if (
            machine.down_since is None
            or machine.declared_down
            or now - machine.down_since < self.down_timeout
        ):
            return
        machine.declared_down = True
        since = time.strftime("%H:%M:%S", time.localtime(machine.down_at))
        self._note(
            machine,
            f"machine {machine.name} unreachable since {since}; how the trial ends is read when it answers",
        )
        log.warning(
            "machine %s unreachable for %.0f s (%s); its trials %s are left as they are until it answers",
            machine.name,
            now - machine.down_since,
            machine.error,
            ", ".join(sorted(machine.trials)) or "(none)",
        )

    def _note(self, machine: Machine, message: str) -> None:
        """A line on each of the machine's running trials (their message; an end replaces it)."""
        for trial_id in sorted(machine.trials):
            if not self.trials[trial_id].launching:
                self._pending.append(Event(trial_id, EventKind.NOTE, message=message))

    # -- ending --------------------------------------------------------------------------------
    def _end(self, trial_id: str, code: int | None, message: str) -> None:
        trial = self.trials.pop(trial_id)
        trial.machine.trials.discard(trial_id)
        if trial.machine.slots is not None:
            trial.machine.slots.release(trial.gpus)
        self._pending.append(
            Event(trial_id, EventKind.EXITED, code, message, killed=trial.killed, timed_out=trial.timed_out)
        )

    def kill(self, trial_id: str) -> None:
        trial = self.trials.get(trial_id)
        if trial is None or trial.killed:
            return
        trial.killed = True
        if not trial.launching:
            self._signal(trial, "TERM")

    def _signal(self, trial: RemoteTrial, sig: str, force: bool = False) -> None:
        machine = trial.machine
        if machine.probe is None or machine.down_since is not None:
            # no use waiting (and no folder known there, for a trial adopted on resume from a machine
            # not reached since): it ends now, killed when the machine answers
            self._owe(trial)
            return
        now = time.monotonic()
        trial.term_sent, trial.kill_sent = (
            (now, trial.kill_sent) if sig == "TERM" else (trial.term_sent, True)
        )
        args = [machine.directory, sig, "1" if force else "0", trial.launch.trial_id]
        self._submit(lambda: machine.ssh.run(KILL, args, timeout=60), lambda r: self._signalled(trial, r))
        machine.next_look = min(machine.next_look, now + min(self.poll_interval, 0.2))

    def _signalled(self, trial: RemoteTrial, result: Result) -> None:
        """A signal the machine did not get: the trial ends now, its kill owed to the machine."""
        if result.ssh_failed:
            trial.machine.failed(time.monotonic(), result.error())
            if self.trials.get(trial.launch.trial_id) is trial:
                self._owe(trial)

    def _owe(self, trial: RemoteTrial) -> None:
        machine = trial.machine
        kept = self._abandon(machine, trial.launch.trial_id)
        why = "maxTrialDuration passed" if trial.timed_out else "killed"
        state = machine.error or machine.setup_error or "not reached yet"
        then = (
            f"the kill is recorded ({OWED_FILE}) and carried out when the machine answers (by this "
            "manager, or the next autolab resume)"
            if kept
            else f"the kill could not be recorded ({OWED_FILE} not writable): end its processes there by hand"
        )
        self._end(
            trial.launch.trial_id,
            None,
            f"{why} while machine {machine.name} was unreachable ({state}); {then}",
        )

    def _abandon(self, machine: Machine, trial_id: str) -> bool:
        """What the trial left on the machine is killed when it answers, by this manager or a later one
        (False: only by this one, the record could not be written)."""
        machine.abandoned.add(trial_id)
        return self.owed.add(machine.name, [trial_id])

    def _kill_abandoned(self, machine: Machine) -> None:
        """Trials that ended while their machine did not answer may still run there: end them."""
        ids, machine.abandoned = sorted(machine.abandoned), set()
        log.info("machine %s: killing what ended trials left running: %s", machine.name, ", ".join(ids))
        args = [machine.directory, "KILL", "0", *ids]

        def then(result: Result) -> None:
            if result.ssh_failed:  # down again: owed still
                machine.failed(time.monotonic(), result.error())
                machine.abandoned.update(ids)
            else:
                self.owed.done(machine.name, ids)

        self._submit(lambda: machine.ssh.run(KILL, args, timeout=60), then)

    def _timers(self, trial: RemoteTrial, now: float) -> None:
        if trial.launching:
            return
        limit = trial.launch.max_duration
        if limit is not None and trial.term_sent is None and time.time() - trial.started > limit:
            trial.timed_out = True
            self._signal(trial, "TERM")
        elif trial.term_sent is not None and not trial.kill_sent and now - trial.term_sent > self.kill_grace:
            self._signal(trial, "KILL")
