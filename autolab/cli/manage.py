"""Commands that start, stop and resume experiments."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .. import experiments, lifecycle, resume
from ..assessors.base import AssessorError
from ..config import ExperimentConfig, load_config, save_config
from ..errors import UserError, named
from ..experiments import ExperimentRef
from ..failfast import none_worked
from ..history import Trial
from ..hostaddr import bare_host, check_host, port_free
from ..launcher import (
    DEFAULT_PORT,
    build_assessor,
    build_manager,
    build_service,
    build_tuner,
    run,
    wait_started,
)
from ..metric_reader import MetricReader
from ..progress import Progress, front_text, ran_out
from ..protocol import process_alive, read_pid_file
from ..services.base import ServiceError
from ..services.orphans import kill_orphan
from ..services.remote_owed import FILE as OWED_KILLS
from ..statuses import ACTIVE, ENDED, ExperimentStatus, TrialStatus
from ..store import Store
from ..task.section import apply_copy_flags
from ..timefmt import format_duration
from ..tuners.base import TunerError
from ..views import experiment_status, profile

STOP_TIMEOUT = 60.0


def add_commands(sub: Any) -> None:
    p = sub.add_parser("create", help="create and start an experiment from a config file")
    p.add_argument("--config", "-c", required=True, help="config.yml (NNI v2 or v1 keys) or a task config")
    p.add_argument(
        "--copy-code", action="store_true", help="task configs: run each job in its own copy of the code"
    )
    p.add_argument(
        "--symlinks", action="store_true", help="with --copy-code: link files of 1 MiB or more, not copy"
    )
    _server_args(p)
    p.set_defaults(handler=cmd_create)

    p = sub.add_parser("resume", help="resume a stopped experiment")
    p.add_argument("id", nargs="?", help="experiment id (default: the latest)")
    _server_args(p)
    p.set_defaults(handler=cmd_resume)

    p = sub.add_parser("stop", help="stop a running experiment (its running trials are cancelled)")
    p.add_argument("id", nargs="?", help="experiment id (default: the latest running one)")
    p.add_argument("--all", action="store_true", help="stop every running experiment")
    p.set_defaults(handler=cmd_stop)


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port", "-p", type=int, default=None, help=f"web UI port (default {DEFAULT_PORT}; 0: any free port)"
    )
    p.add_argument(
        "--host", default="127.0.0.1", type=bare_host, help="address the web UI binds to (default 127.0.0.1)"
    )
    p.add_argument(
        "--foreground", "-f", action="store_true", help="run in this terminal until the experiment ends"
    )
    p.add_argument(
        "--debug", "-d", action="store_true", help="debug logging (to the terminal too with --foreground)"
    )


def cmd_create(args: argparse.Namespace) -> int:
    check_server_args(args)
    config = load_config(args.config)
    if getattr(args, "copy_code", False) or getattr(args, "symlinks", False):
        apply_copy_flags(config, args.copy_code, args.symlinks)
    ref = create_experiment(config)
    for warning in config.warnings:
        print(f"autolab: warning: {args.config}: {warning}", file=sys.stderr)
    return _start(ref, args, "created")


def create_experiment(config: ExperimentConfig) -> ExperimentRef:
    """A new experiment's directory, store and registry entry from a validated config (the CLI's
    create and the Python API's Experiment.start); its manager is not started."""
    if not config.trial_code_directory.is_dir():
        raise UserError(
            f"{config.named}: trialCodeDirectory: {config.trial_code_directory} is not a directory"
        )
    # Build everything once before creating anything, so a bad tuner, assessor or GPU set-up is a
    # one-line error and leaves no half-made experiment behind.
    try:
        tuner = build_tuner(config)
    except TunerError as exc:
        text = named("tuner", exc)  # named as written: NNI's configs give Hyperband as an advisor
        raise UserError(f"{config.named}: {config.tuner_key}{text[len('tuner') :]}") from None
    if config.max_trial_number is not None and (said := tuner.limit_warning(config.max_trial_number)):
        config.warnings.append(said)
    try:
        build_assessor(config)
    except AssessorError as exc:
        raise UserError(f"{config.named}: {named('assessor', exc)}") from None
    try:
        build_service(config)
    except ServiceError as exc:  # no GPU for trialGpuNumber, no sbatch: about this config file
        raise UserError(f"{config.named}: {exc}") from None
    exp_id = experiments.new_id()
    directory = config.experiment_working_directory / exp_id
    try:
        directory.mkdir(parents=True)
        (directory / "trials").mkdir()
    except OSError as exc:
        raise UserError(
            f"{config.named}: experimentWorkingDirectory: cannot create {directory}: {exc.strerror}"
        ) from None
    name = config.experiment_name or ""
    try:  # all or nothing: a failed write (disk full, registry not writable) leaves no half-made experiment
        with Store(directory, create=True) as store:
            store.set_meta(
                id=exp_id, name=name, status=ExperimentStatus.INITIALIZED, created=time.time(), elapsed=0.0
            )
            save_config(store, directory, config)
        experiments.register(exp_id, name, directory)
    except BaseException as exc:
        shutil.rmtree(directory, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UserError(f"cannot create experiment {exp_id} in {directory}: {exc.strerror}") from None
        raise
    return ExperimentRef(exp_id, name, directory, time.time())


def cmd_resume(args: argparse.Namespace) -> int:
    check_server_args(args)
    ref = experiments.find(args.id)
    if experiments.manager_alive(ref.directory):
        raise UserError(f"experiment {ref.id} is running; stop it first (autolab stop {ref.id})")
    with experiments.open_store(ref) as store:
        if store.get_meta("study"):  # its trials are Python calls: no manager can run them
            raise UserError(
                f"experiment {ref.id} is an in-process study; continue it from Python with "
                f"autolab.create_study(name={ref.name or ref.id!r})"
            )
    if all(e.id != ref.id for e in experiments.all_experiments()):  # a directory given as a path, copied
        experiments.register(ref.id, ref.name, ref.directory)  # here: it joins this home's experiments
    return _start(ref, args, "resumed")


def _lock(ref: ExperimentRef, holder: str) -> int:
    """The experiment's lock (one manager per experiment), or a one-line error naming its holder."""
    try:
        return experiments.lock(ref.directory, ref.id, holder)
    except experiments.ExperimentBusy as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"experiment {ref.id}: cannot lock {ref.directory}: {exc.strerror}") from None


def _start(ref: ExperimentRef, args: argparse.Namespace, verb: str) -> int:
    if not os.access(ref.directory, os.W_OK):
        raise UserError(
            f"experiment {ref.id}: its directory {ref.directory} is not writable; the manager needs to write there"
        )
    # taken before anything changes, and handed to the manager: of two resumes at once, one starts
    lock_fd = _lock(ref, f"autolab {'create' if verb == 'created' else 'resume'}")
    try:
        return _start_locked(ref, args, verb, lock_fd)
    finally:
        os.close(lock_fd)  # the manager holds its own copy (inherited, or a dup in the foreground)


def _start_locked(ref: ExperimentRef, args: argparse.Namespace, verb: str, lock_fd: int) -> int:
    port = args.port  # checked by check_server_args; None: the manager binds DEFAULT_PORT or a free one
    # a fresh start: an error recorded by an earlier run must not read as this run's
    with Store(ref.directory) as store:
        if store.get_meta("status") in ENDED:
            store.set_meta(status=ExperimentStatus.STARTING, error=None)
    if args.foreground:
        print(f"Experiment {ref.id} {verb}; directory {ref.directory}")
        progress = Progress(sys.stdout)
        code = run(
            ref.directory,
            port,
            args.host,
            foreground=True,
            debug=args.debug,
            progress=progress,
            lock_fd=os.dup(lock_fd),
        )
        progress.close()
        _print_summary(ref)
        return code
    cmd = [sys.executable, "-m", "autolab.launcher", str(ref.directory), "--host", args.host]
    cmd += ["--lock-fd", str(lock_fd)]
    if port is not None:
        cmd += ["--port", str(port)]
    if args.debug:
        cmd.append("--debug")
    with open(ref.directory / "manager.out", "ab") as out:
        out_from = out.tell()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            pass_fds=(lock_fd,),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    problem = wait_started(ref.directory, proc, out_from)
    if problem is not None:
        raise UserError(f"experiment {ref.id} did not start: {problem}")
    with Store(ref.directory, readonly=True) as store:
        url = store.get_meta("url")
    print(f"Experiment {ref.id} {verb}.")
    print(f"Web UI:    {url}")
    token_file = ref.directory / "token"
    if token_file.exists():
        token = token_file.read_text().strip()
        print(f"Token:     {token}  (open {url}/?token={token} to change the experiment from the page)")
    print(f"Directory: {ref.directory}")
    print(f"Follow it: autolab trial ls {ref.id}    Stop it: autolab stop {ref.id}")
    return 0


def check_server_args(args: argparse.Namespace) -> None:
    """--host and --port checked before anything is created or changed: a one-line error otherwise."""
    check_host(args.host)
    port = args.port
    if port is None:
        return
    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: expected 0 to 65535")
    if port and not port_free(args.host, port):
        raise UserError(f"--port {port}: the port is in use on {args.host}; choose another (or --port 0)")


def _print_summary(ref: ExperimentRef) -> None:
    with Store(ref.directory, readonly=True) as store:
        info = profile(ref, store)
        stuck = None if info.get("error") else none_worked(store, ref.directory)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(info["trialCounts"].items())) or "no trials"
    print(f"Experiment {ref.id} {info['status']} after {format_duration(info['elapsed'])}: {counts}")
    if info.get("error"):
        print(f"Error: {info['error']}")
    if stuck:
        print(f"Why: {stuck}")
    if info.get("noMoreTrials"):
        print(ran_out(info))
    best, front = info["best"], info.get("front")
    if best:
        print(f"Best: trial {best['trialJobId']} value {best['value']:.6g} parameters {best['parameter']}")
    elif front:
        print(f"Pareto front: {front_text(front)}")
    print(f"Look further: autolab top {ref.id}    autolab view {ref.id}    autolab trial ls {ref.id}")


def cmd_stop(args: argparse.Namespace) -> int:
    if args.all:
        refs = [e for e in experiments.all_experiments() if experiments.manager_alive(e.directory)]
        if not refs:
            print("No experiment is running.")
            return 0
    else:
        ref = experiments.find(args.id)
        refs = [ref]
    for ref in refs:
        stop_experiment(ref)
    return 0


def stop_experiment(ref: ExperimentRef) -> None:
    pid = experiments.manager_pid(ref.directory)
    if pid is None:
        lock_fd = _lock(ref, "autolab stop")  # no manager may start while its trials are settled
        try:
            _stop_without_manager(ref)
        finally:
            os.close(lock_fd)
        return
    recorded = read_pid_file(ref.directory / experiments.MANAGER_PID_FILE)
    os.kill(pid, signal.SIGTERM)
    # the process itself, not its pid file: the file goes a moment before the process ends and lets
    # the experiment's lock go, and a resume right after this must not be refused as "in use"
    deadline = time.time() + STOP_TIMEOUT
    while recorded and time.time() < deadline and process_alive(*recorded):
        time.sleep(0.02)
    if recorded and process_alive(*recorded):
        raise UserError(
            f"experiment {ref.id}: the manager (pid {pid}) did not stop within {STOP_TIMEOUT:g} s"
        )
    print(f"Experiment {ref.id} stopped.")


def _stop_without_manager(ref: ExperimentRef) -> None:
    """The manager died (or failed) and may have left trials: settle each from its directory as
    resume does (ended: its results read, its status as it ended; still running, found by its
    handle or pid file: cancelled; never started: cancelled; lost: FAILED), whatever status it
    recorded last."""
    with Store(ref.directory) as store:
        status = experiment_status(ref, store)
        before = store.get_meta("status")
        left = store.trial_rows(ACTIVE)
        if not left and before != ExperimentStatus.RUNNING:
            print(f"Experiment {ref.id} is not running ({status}).")
            return
        elapsed = store.get_meta("elapsed", 0.0)
    try:
        manager = build_manager(ref.directory)
    except Exception as exc:  # e.g. its tuner's code is gone, no GPU seen: settle without the manager
        print(
            f"autolab: warning: cannot build the experiment's manager ({exc}); trials settled from "
            "their directories alone",
            file=sys.stderr,
        )
        with Store(ref.directory) as store:
            _settle_without_manager(store, ref.directory)
    else:
        try:
            resume.settle_left_trials(manager, rerun=False)
            manager.request_stop()
            deadline = time.time() + STOP_TIMEOUT
            while manager.active and time.time() < deadline:
                manager.step()
                time.sleep(0.05)
            if manager.active:  # said, not hidden: they may still run
                left_running = ", ".join(sorted(manager.active))
                print(
                    f"autolab: warning: trial(s) {left_running} did not end within {STOP_TIMEOUT:g} s",
                    file=sys.stderr,
                )
            for note in manager.service.notes():  # a machine that did not answer: its kills are owed
                print(f"autolab: {note}", file=sys.stderr)
        finally:
            manager.close()
            manager.store.close()
    if (ref.directory / OWED_KILLS).exists():
        print(
            f"autolab: kills that machines could not be sent are kept in {ref.directory / OWED_KILLS}; "
            f"`autolab resume {ref.id}` carries them out once the machines answer",
            file=sys.stderr,
        )
    if not experiments.manager_alive(ref.directory):  # the dead manager's pid file: nothing runs it now
        with contextlib.suppress(OSError):
            (ref.directory / experiments.MANAGER_PID_FILE).unlink()
    with Store(ref.directory) as store:
        # the time since the crash is not running time; an ended experiment keeps its status
        after = before if before in ENDED else ExperimentStatus.STOPPED
        store.set_meta(status=after, elapsed=elapsed)
        gone = {r.id: r.status for r in store.trial_rows() if r.id in {row.id for row in left}}
    counts: dict[str, int] = {}
    for trial_status in gone.values():
        counts[trial_status] = counts.get(trial_status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    print(f"Experiment {ref.id} stopped (its manager was not running; trials left: {summary}).")


def _settle_without_manager(store: Store, directory: Path) -> None:
    """What resume.settle_left_trials does, needing no manager (whose tuner, assessor or service may
    not build here): a trial that ended meanwhile keeps its results and its status as it ended (a
    stop must not lose them); one still running (named by its handle) is killed, USER_CANCELED."""
    reader = MetricReader(store)
    for row in store.trial_rows(ACTIVE):
        trial_dir = directory / "trials" / row.id
        reader.read(row.id, trial_dir)  # results written while no manager read them
        ended = resume.ended_while_down(row.id, trial_dir)
        if ended is None:
            kill_orphan(row.handle)
            status: TrialStatus = TrialStatus.USER_CANCELED
            message: str | None = "cancelled by autolab stop while the manager was not running"
            end = time.time()
        else:  # its status as the manager would have given it
            value = (store.trial_row(row.id) or row).value
            trial = Trial(row.id, row.seq, row.parameters, row.status, value=value)
            status, message = lifecycle.trial_outcome(trial, ended, None)
            end = ended.time or time.time()
        store.update_trial(row.id, status=status, end_time=end, message=message)
