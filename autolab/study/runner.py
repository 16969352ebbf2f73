"""Study.optimize's loop: trials one after another (or in n_jobs threads) until n_trials, timeout
or the tuner's end. A persisted study runs as its experiment's manager meanwhile: it holds the
experiment's lock and writes manager.pid, so `autolab experiment list` shows it RUNNING and
`autolab stop` (SIGTERM) ends it cleanly after the trials in progress."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import experiments, protocol
from ..errors import UserError
from ..lifecycle import RunClock
from ..statuses import ExperimentStatus

if TYPE_CHECKING:
    from .study import Study
    from .trial import FrozenTrial, StudyTrial


class Budget:
    """How many trials may still start, and until when; shared by the worker threads."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self.left = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.stop = threading.Event()
        self.signalled = False  # stopped by SIGTERM (`autolab stop`): the study ends STOPPED
        self.ended = threading.Event()  # optimize has returned
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.stop.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline):
                return False
            if self.left is not None:
                if self.left <= 0:
                    return False
                self.left -= 1
            return True


def run_optimize(
    study: Study,
    func: Callable[[StudyTrial], Any],
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    callbacks: list[Callable[[Study, FrozenTrial], None]],
) -> None:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise UserError(f"optimize: n_trials must be an integer >= 0, got {n_trials!r}")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0
    ):
        raise UserError(f"optimize: timeout must be a number of seconds >= 0, got {timeout!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise UserError(f"optimize: n_jobs must be an integer >= 1 (or -1: one per CPU), got {n_jobs!r}")
    jobs = os.cpu_count() or 1 if n_jobs == -1 else n_jobs
    budget = Budget(n_trials, timeout)
    study.stop_requested = False
    with _as_manager(study, budget):
        if jobs == 1:
            _worker(study, func, budget, callbacks)
            return
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_guarded, args=(study, func, budget, callbacks, errors), daemon=True)
            for _ in range(jobs)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.1)  # joined in slices: Ctrl-C reaches the main thread
        except BaseException:
            budget.stop.set()
            for thread in threads:
                thread.join()
            raise
        if errors:
            raise errors[0]


def _guarded(
    study: Study, func: Any, budget: Budget, callbacks: list[Any], errors: list[BaseException]
) -> None:
    try:
        _worker(study, func, budget, callbacks)
    except BaseException as exc:  # a callback's error: the other threads stop too
        budget.stop.set()
        errors.append(exc)


def _worker(study: Study, func: Any, budget: Budget, callbacks: list[Any]) -> None:
    while not study.stop_requested and budget.take():
        ended = study.run_one(func)
        if ended is None:  # the tuner has no more points
            budget.stop.set()
            return
        if callbacks:
            frozen = study.frozen(ended)
            for callback in callbacks:
                callback(study, frozen)


@contextmanager
def _as_manager(study: Study, budget: Budget) -> Iterator[None]:
    """A persisted study: the experiment's lock, manager.pid, status RUNNING and its running time;
    SIGTERM (`autolab stop`) ends the loop after the trials in progress. In memory: nothing."""
    directory = study.directory
    if directory is None:
        yield
        return
    import psutil  # not at the top: `import autolab` stays light, and in-memory studies need none

    try:
        fd = experiments.lock(directory, str(study.id), "autolab study")
    except experiments.ExperimentBusy as exc:
        raise UserError(str(exc)) from None
    me = psutil.Process()
    pid_file = directory / experiments.MANAGER_PID_FILE
    restore = _on_sigterm(budget)
    records: Any = study.records
    clock = RunClock(float(records.store.get_meta("elapsed", 0.0)))
    status = ExperimentStatus.STOPPED
    flusher = threading.Thread(target=_flush, args=(study, budget, clock), daemon=True)
    try:
        protocol.write_pid_file(pid_file, me.pid, me.create_time())
        records.set_meta(status=ExperimentStatus.RUNNING, error=None)
        records.defer = True
        flusher.start()
        yield
        status = ExperimentStatus.STOPPED if budget.signalled else ExperimentStatus.DONE
    finally:
        budget.ended.set()
        if flusher.is_alive():
            flusher.join()
        with study.lock:
            records.defer = False
            records.flush()
        study.records.set_meta(status=status, elapsed=clock.elapsed(), end_time=time.time())
        restore()
        try:
            pid_file.unlink()
        except OSError:
            pass
        os.close(fd)


def _flush(study: Study, budget: Budget, clock: RunClock) -> None:
    """Write the rows of trials running longer than FLUSH_AFTER, so that they show RUNNING, and the
    running time every few seconds, so that `autolab view` / `experiment status` see it grow."""
    records: Any = study.records
    while not budget.ended.wait(records.FLUSH_AFTER / 2):
        with study.lock:
            records.flush(records.FLUSH_AFTER)
            if clock.save_due():
                records.set_meta(elapsed=clock.elapsed())


def _on_sigterm(budget: Budget) -> Callable[[], None]:
    """SIGTERM stops the loop (the main thread only may set handlers; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Any) -> None:
        budget.signalled = True
        budget.stop.set()

    previous = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
