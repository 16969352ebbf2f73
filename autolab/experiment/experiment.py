"""NNI 3.0's `Experiment` over autolab's manager: the same create, manager and store as the CLI.

run() with wait_completion runs the manager in this process, as `autolab create --foreground` does
(launcher.run: Ctrl-C stops the experiment cleanly), unless this thread cannot take signals or an
event loop already runs here (a notebook): then, as start() always does, the manager is the
detached process `autolab create` starts, and run() follows its status. The queries read the
experiment's store, so they work whether or not its manager runs; live changes go to the running
manager's REST API (else into its stored config, for when it is resumed), as `autolab update` does.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .. import experiments
from ..cli.admin import update_experiment
from ..cli.manage import _start, check_server_args, create_experiment, stop_experiment
from ..config import ConfigError, validate_update
from ..errors import UserError
from ..experiments import ExperimentRef
from ..statuses import ENDED, ExperimentStatus
from ..store import Store
from ..views import experiment_status, profile
from .config import ExperimentConfig
from .data import TrialJob, TrialMetricData, TrialResult, metric_data, trial_job

POLL_SECONDS = 0.05  # how often run() reads the status of a manager in another process
HOST = "127.0.0.1"
FILE_SUFFIXES = (".yml", ".yaml", ".json", ".json5")


class Experiment:
    """Experiment('local'), Experiment(ExperimentConfig(...)) or Experiment('config.yml'); then
    configure `experiment.config` with NNI's field names and call run(port)."""

    def __init__(self, config_or_platform: ExperimentConfig | str | os.PathLike[str] | None = None) -> None:
        self._ref: ExperimentRef | None = None
        self._viewer: subprocess.Popen[bytes] | None = None  # the `autolab view` view() started
        self._view_url: str | None = None
        if isinstance(config_or_platform, ExperimentConfig):
            self.config = config_or_platform
        elif config_or_platform is None:
            self.config = ExperimentConfig()
        elif _is_file(config_or_platform):
            self.config = ExperimentConfig.load(config_or_platform)
        else:  # a platform name: an unknown one gets the reader's error when the config is validated
            self.config = ExperimentConfig(str(config_or_platform))

    # -- identity ------------------------------------------------------------------------------
    @property
    def id(self) -> str | None:
        return None if self._ref is None else self._ref.id

    @property
    def url(self) -> str | None:
        """The web UI of the running manager (None when it does not run)."""
        ref = self._need()
        if self._viewer is not None:
            return self._view_url
        if not experiments.manager_alive(ref.directory):
            return None
        with Store(ref.directory, readonly=True) as store:
            return store.get_meta("url")

    @property
    def port(self) -> int | None:
        url = self.url
        return int(url.rsplit(":", 1)[1]) if url else None

    def __repr__(self) -> str:
        return f"Experiment(id={self.id!r})"

    # -- running -------------------------------------------------------------------------------
    def start(self, port: int | None = 8080, debug: bool = False, run_mode: str = "background") -> None:
        """Create the experiment and start its manager in the background (run_mode 'background':
        it is stopped when this Python process exits; 'detach': it runs on)."""
        if run_mode not in ("background", "detach", "foreground"):
            raise UserError(f"run_mode must be 'background', 'detach' or 'foreground', got {run_mode!r}")
        args = _server_args(port, debug, foreground=False)
        self._ref = self._create()
        _start(self._ref, args, "created")
        if run_mode != "detach":
            atexit.register(self.stop)

    def run(self, port: int | None = 8080, wait_completion: bool = True, debug: bool = False) -> bool | None:
        """Run the experiment. wait_completion: block until it ends; True when DONE, False on
        ERROR, None when stopped first (Ctrl-C, `autolab stop`). Else start() and return None."""
        if not wait_completion:
            self.start(port, debug)
            return None
        if not _can_run_here():
            self.start(port, debug)
            return self._wait()
        args = _server_args(port, debug, foreground=True)
        self._ref = self._create()
        _foreground(self._ref, args, "created")
        return self._outcome()

    def _create(self) -> ExperimentRef:
        if self._ref is not None:
            raise UserError(f"experiment {self._ref.id} was already started; make a new Experiment")
        try:
            typed = self.config.validate()
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        if not typed.trial_code_directory.is_dir():  # named as the user wrote it (create would say the path)
            where = typed.trial_code_directory
            raise UserError(f"{self.config.shown}: trial_code_directory: {where} is not a directory")
        ref = create_experiment(typed)
        for warning in typed.warnings:
            print(f"autolab: warning: {typed.source.name}: {warning}", file=sys.stderr)
        return ref

    def _wait(self) -> bool | None:
        try:
            while self.get_status() not in ENDED:
                time.sleep(POLL_SECONDS)
            return self._outcome()
        except KeyboardInterrupt:
            logging.getLogger("autolab").warning("KeyboardInterrupt: stopping the experiment")
            return None
        finally:
            self.stop()

    def _outcome(self) -> bool | None:
        status = self.get_status()
        return (
            True if status == ExperimentStatus.DONE else False if status == ExperimentStatus.ERROR else None
        )

    def stop(self) -> None:
        """Stop the manager (its running trials are cancelled) and a view() this object serves."""
        if self._viewer is not None:
            _end(self._viewer)
            self._viewer = None
        if self._ref is not None and experiments.manager_alive(self._ref.directory):
            stop_experiment(self._ref)

    def __enter__(self) -> Experiment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- other experiments ---------------------------------------------------------------------
    @classmethod
    def _of(cls, ref: ExperimentRef) -> Experiment:
        with experiments.open_store(ref) as store:
            stored = store.get_meta("config") or {}
            if store.get_meta("study"):
                raise UserError(
                    f"experiment {ref.id} is an in-process study: open it with "
                    f"autolab.create_study(name={ref.name or ref.id!r})"
                )
        experiment = cls(ExperimentConfig(**stored))
        experiment._ref = ref
        return experiment

    @classmethod
    def connect(cls, port: int) -> Experiment:
        """The running experiment whose web UI is on this port."""
        for ref in experiments.all_experiments():
            if experiments.manager_alive(ref.directory):
                with experiments.open_store(ref) as store:
                    if store.get_meta("port") == port:
                        return cls._of(ref)
        raise UserError(f"no running experiment has its web UI on port {port}")

    @classmethod
    def resume(
        cls, experiment_id: str, port: int | None = 8080, wait_completion: bool = True, debug: bool = False
    ) -> Experiment:
        """Resume a stopped experiment (as `autolab resume`); with wait_completion, until it ends."""
        experiment = cls._of(experiments.find(experiment_id))
        ref = experiment._need()
        if experiments.manager_alive(ref.directory):
            raise UserError(f"experiment {ref.id} is running; stop it first (autolab stop {ref.id})")
        if wait_completion and _can_run_here():
            _foreground(ref, _server_args(port, debug, foreground=True), "resumed")
        else:
            _start(ref, _server_args(port, debug, foreground=False), "resumed")
            if wait_completion:
                experiment._wait()
        return experiment

    @classmethod
    def view(cls, experiment_id: str, port: int | None = 8080, non_blocking: bool = False) -> Experiment:
        """Serve a stopped experiment's web UI read-only (`autolab view`); non_blocking: return at
        once (stop() ends it, as does the end of this Python process), else serve until Ctrl-C."""
        experiment = cls._of(experiments.find(experiment_id))
        ref = experiment._need()
        command = [sys.executable, "-m", "autolab.cli", "view", ref.id]
        command += ["--port", str(8080 if port is None else port)]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = proc.stdout.readline().decode() if proc.stdout else ""  # its URL, or nothing when it failed
        if "http" not in line:
            _, err = proc.communicate(timeout=30)
            raise UserError(err.decode().strip().removeprefix("autolab: ") or "autolab view failed")
        print(line.strip(), flush=True)
        experiment._viewer, experiment._view_url = proc, line.split()[-1]
        if non_blocking:
            atexit.register(experiment.stop)  # it serves no longer than this Python process runs
            return experiment
        try:
            proc.wait()
        except KeyboardInterrupt:
            pass
        finally:
            experiment.stop()
        return experiment

    # -- queries -------------------------------------------------------------------------------
    def _need(self) -> ExperimentRef:
        if self._ref is None:
            raise UserError("the experiment has not been started: call run() or start() first")
        return self._ref

    def _store(self) -> Store:
        return experiments.open_store(self._need())

    def get_status(self) -> str:
        ref = self._need()
        with self._store() as store:
            return experiment_status(ref, store).value

    def list_trial_jobs(self) -> list[TrialJob]:
        ref = self._need()
        with self._store() as store:
            return [trial_job(row, store, ref.directory) for row in store.trial_rows()]

    def get_trial_job(self, trial_job_id: str) -> TrialJob:
        ref = self._need()
        with self._store() as store:
            row = store.trial_row(trial_job_id)
            if row is None:
                raise UserError(f"experiment {ref.id} has no trial {trial_job_id!r}")
            return trial_job(row, store, ref.directory)

    def get_job_statistics(self) -> list[dict[str, Any]]:
        with self._store() as store:
            counts = store.count_by_status()
        return [{"trialJobStatus": status, "trialJobNumber": n} for status, n in sorted(counts.items())]

    def get_job_metrics(self, trial_job_id: str | None = None) -> dict[str, list[TrialMetricData]]:
        """Every metric reported (intermediate and final), by trial id, in report order."""
        with self._store() as store:
            seqs = {row.id: row.seq for row in store.trial_rows()}
            out: dict[str, list[TrialMetricData]] = {}
            for metric in store.metric_rows(trial_job_id):
                out.setdefault(metric.trial_id, []).append(metric_data(metric, seqs.get(metric.trial_id, 0)))
        return out

    def export_data(self) -> list[TrialResult]:
        """Every trial with a final result (NNI's export_data)."""
        with self._store() as store:
            return [
                TrialResult(row.parameters, row.raw_value, row.id)
                for row in store.trial_rows()
                if row.raw_value is not None
            ]

    def get_experiment_profile(self) -> dict[str, Any]:
        """autolab's profile (as `autolab experiment show`), with NNI's keys too (params,
        execDuration, startTime, endTime, logDir)."""
        ref = self._need()
        with self._store() as store:
            info = profile(ref, store)
            end = store.get_meta("end_time")
        info.update(
            params=info["config"],
            execDuration=info["elapsed"],
            startTime=int((info["created"] or 0) * 1000),
            endTime=None if end is None else int(end * 1000),
            logDir=info["directory"],
        )
        return info

    # -- live changes --------------------------------------------------------------------------
    def update_trial_concurrency(self, value: int) -> None:
        self._update("trialConcurrency", value)

    def update_max_trial_number(self, value: int) -> None:
        self._update("maxTrialNumber", value)

    def update_max_experiment_duration(self, value: str | int | float) -> None:
        """A duration as NNI writes it ('1h', '30m') or seconds."""
        self._update("maxExperimentDuration", value)

    def update_search_space(self, value: dict[str, Any]) -> None:
        self._update("searchSpace", value)

    def _update(self, key: str, value: Any) -> None:
        ref = self._need()
        try:
            checked = validate_update(key, value)
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        update_experiment(ref, key, checked)  # live, or kept for when it is resumed (`autolab update`)
        setattr(self.config, key, value)


def _is_file(value: str | os.PathLike[str]) -> bool:
    path = Path(value)
    return path.suffix.lower() in FILE_SUFFIXES or path.is_file()


def _can_run_here() -> bool:
    """The manager may run in this thread: it takes signals (Ctrl-C) and no event loop runs here."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def _server_args(port: int | None, debug: bool, foreground: bool) -> argparse.Namespace:
    args = argparse.Namespace(port=port, host=HOST, foreground=foreground, debug=debug)
    try:
        check_server_args(args)
    except UserError as exc:
        raise UserError(str(exc).replace("--port ", "port=")) from None
    return args


def _foreground(ref: ExperimentRef, args: argparse.Namespace, verb: str) -> None:
    """The manager in this process, as `autolab create --foreground`; this process's signal
    handlers, log handlers and log level are as they were afterwards."""
    on_signal = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    logger = logging.getLogger("autolab")
    before, level = list(logger.handlers), logger.level
    try:
        _start(ref, args, verb)
    finally:
        logger.setLevel(level)  # the config's logLevel was the manager's
        for sig, previous in on_signal.items():
            signal.signal(sig, previous)
        for added in logger.handlers[len(before) :]:
            logger.removeHandler(added)
            added.close()


def _end(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
