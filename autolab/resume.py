"""Resume: what becomes of the trials an earlier manager left WAITING or RUNNING.

Each is adopted when the training service still finds it running; otherwise it is settled from
what its directory says: an exit status ends it as it ended (its unread results read first), no
trace at all means its process never started (it starts now, as itself, its parameter.json
re-created from the store if missing), and anything else means it was lost (FAILED, and re-run
once as a new trial). `autolab stop` after a crash settles the same way, then cancels what runs.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import protocol
from .history import Trial
from .services.base import Event, EventKind
from .statuses import TrialStatus

if TYPE_CHECKING:
    from .manager import Manager

log = logging.getLogger("autolab.manager")


def settle_left_trials(manager: Manager, rerun: bool = True) -> None:
    """Adopt or settle every trial the manager found active in the store. rerun=False (for
    `autolab stop`): a lost trial is only FAILED, with no re-run recorded."""
    for trial in list(manager.active.values()):
        row = manager.store.trial_row(trial.trial_id)
        handle = row.handle if row else {}
        # adopt() is asked even without a stored handle: the manager may have died between
        # starting the trial and storing its handle, and the service may still find it
        if manager.service.adopt(manager.launch(trial), handle):
            _adopt(manager, trial, handle)
            continue
        manager.read_metrics(trial)
        ended = ended_while_down(trial.trial_id, manager.trial_dir(trial.trial_id))
        if ended is not None:
            # one recorded WAITING started when its job or wrapper says it did
            if trial.start_time is None:
                trial.start_time = _started_at(manager, manager.trial_dir(trial.trial_id))
                manager.store.update_trial(trial.trial_id, start_time=trial.start_time)
            manager.finish(trial, ended)
        elif not handle and not left_traces(trial, manager.trial_dir(trial.trial_id)):
            _unstarted(manager, trial)
        else:
            _lost(manager, trial, rerun)


def ended_while_down(trial_id: str, trial_dir: Path) -> Event | None:
    """The EXITED event of a trial that wrote its exit status while no manager ran (None when it
    has not): it ended when it wrote it, not when a manager came back."""
    code = protocol.read_exit_status(trial_dir)
    if code is None:
        return None
    why = "ended while the manager was down" + (f" (exit code {code})" if code else "")
    return Event(trial_id, EventKind.EXITED, code, why, time=protocol.exit_status_time(trial_dir))


def _unstarted(manager: Manager, trial: Trial) -> None:
    """A trial whose process never started starts now, as itself, with its parameters: its
    directory or parameter.json may be missing (a crash or a full disk right after recording it),
    and is re-created from the store; a trial whose directory cannot be re-created FAILS, saying why."""
    directory = manager.trial_dir(trial.trial_id)
    if not (directory / protocol.PARAMETER_FILE).is_file():
        try:
            manager.trials.write_parameters(directory, trial.parameters)
        except OSError as exc:
            why = f"never started, and its parameter file could not be re-created: {exc}"
            manager.finish(trial, Event(trial.trial_id, EventKind.EXITED, None, why))
            return
        log.info("trial %s: re-created its missing %s", trial.trial_id, protocol.PARAMETER_FILE)
    log.info("trial %s never started; starting it now", trial.trial_id)
    manager.unstarted.append(trial)


def _adopt(manager: Manager, trial: Trial, handle: dict[str, object]) -> None:
    log.info("adopted trial %s (still running)", trial.trial_id)
    manager.trials.in_service.add(trial.trial_id)
    fresh = manager.service.handle(trial.trial_id)
    # a job still queued on a cluster stays WAITING (its STARTED event comes later)
    if trial.status == TrialStatus.WAITING and fresh.get("started", True):
        trial.status = TrialStatus.RUNNING
        trial.start_time = (
            trial.start_time or _started_at(manager, manager.trial_dir(trial.trial_id)) or time.time()
        )
        manager.store.update_trial(
            trial.trial_id, status=TrialStatus.RUNNING, start_time=trial.start_time, handle=fresh
        )
    elif not handle:
        manager.store.update_trial(trial.trial_id, handle=fresh)
    manager.read_metrics(trial)


def _lost(manager: Manager, trial: Trial, rerun: bool) -> None:
    """FAILED (no exit status), and re-run as a new trial, once: a crash that came between
    recording the re-run and finishing the lost trial must not make a second one."""
    if not rerun:
        message = "lost while the manager was down (no exit status)"
        return manager.finish(trial, Event(trial.trial_id, EventKind.LOST, None, message))
    earlier = [t for t in manager.history.trials if t.source == f"rerun:{trial.trial_id}"]
    replacement = earlier[0].trial_id if earlier else manager.trials.new_id()
    message = f"lost while the manager was down (no exit status); re-run as trial {replacement}"
    manager.finish(trial, Event(trial.trial_id, EventKind.LOST, None, message))
    if not earlier:
        source = f"rerun:{trial.trial_id}"
        manager.add_trial(
            dict(trial.parameters), source=source, trial_id=replacement, start=False, fidelity=trial.fidelity
        )


def left_traces(trial: Trial, directory: Path) -> bool:
    """Whether the trial's process ever ran (it wrote a metric, output or its pid)."""
    if trial.intermediate or trial.value is not None:
        return True
    for name in (protocol.METRICS_FILE, protocol.STDOUT_FILE, protocol.STDERR_FILE, protocol.PID_FILE):
        try:
            if (directory / name).stat().st_size > 0:
                return True
        except OSError:
            pass
    return False


def _started_at(manager: Manager, directory: Path) -> float | None:
    """When a trial began: as its service's files say (a cluster job's script), else when its
    wrapper started (it writes its pid file first); None when it left neither."""
    said = manager.service.started_at(directory)
    if said is not None:
        return said
    try:
        return (directory / protocol.PID_FILE).stat().st_mtime
    except OSError:
        return None
