"""Build a Manager from an experiment directory and run it: the manager process's main program.

`autolab create` prepares the directory (store, config) and then either calls run() in its own
process (--foreground) or starts `python -m autolab.launcher DIR` detached.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from . import lifecycle, protocol, registry
from .api.auth import is_loopback, prepare_token
from .assessors import create_assessor
from .assessors.base import Assessor
from .assessors.nni_adapter import NniAssessorAdapter
from .config import CONFIG_FILE, ExperimentConfig, config_from_dict
from .experiments import MANAGER_PID_FILE, ExperimentBusy, lock, manager_pid, mark_lock
from .hostaddr import url_host
from .manager import Manager
from .services.base import TrainingService
from .services.local import LocalService
from .services.remote import RemoteService
from .services.slurm import SlurmService
from .statuses import ACTIVE, ExperimentStatus, TrialStatus
from .store import Store, StoreError
from .tuners import create_tuner
from .tuners.base import Tuner
from .tuners.nni_adapter import NniTunerAdapter

log = logging.getLogger("autolab.launcher")
STEP_SECONDS = 0.02
# once the experiment has ended (DONE) nothing happens but API calls (served at once, loop or not):
# the loop turns this rarely, to notice an update() or a stop, and the manager idles
IDLE_SECONDS = 0.5
DEFAULT_PORT = 8080  # the web UI's port when none is given (taken: any free port)


def build_tuner(config: ExperimentConfig, directory: Path | None = None) -> Tuner:
    """The config's tuner; with the experiment's directory, checkpoints default to a folder there."""
    tuner = config.tuner
    code_directory = str(tuner.code_directory) if tuner.code_directory is not None else None
    return create_tuner(
        config.search_space,
        tuner.name,
        tuner.class_args,
        tuner.class_name,
        code_directory,
        None if directory is None else str(directory),
    )


def build_assessor(config: ExperimentConfig) -> Assessor | None:
    spec = config.assessor
    if spec is None:
        return None
    code_directory = str(spec.code_directory) if spec.code_directory is not None else None
    return create_assessor(spec.name, spec.class_args, spec.class_name, code_directory)


def build_service(
    config: ExperimentConfig, own_gpus: set[int] | None = None, directory: Path | None = None
) -> TrainingService:
    ts = config.training_service
    if ts.platform == "slurm":
        return SlurmService.from_config(config)
    if ts.platform == "remote":
        return RemoteService.from_config(config, directory)
    return LocalService(
        concurrency=config.trial_concurrency,
        gpu_number=config.trial_gpu_number,
        gpu_indices=ts.gpu_indices,
        max_trial_number_per_gpu=ts.max_trial_number_per_gpu,
        use_active_gpu=ts.use_active_gpu,
        own_gpus=own_gpus,
    )


def build_manager(directory: Path) -> Manager:
    store = Store(directory)
    meta = store.meta()
    # the stored config was validated at create: rebuilt once here, typed from then on
    config = config_from_dict(meta["config"], directory / CONFIG_FILE)
    # GPUs held by trials an earlier manager left running are ours, not another user's
    own_gpus = {int(i) for row in store.trial_rows(ACTIVE) for i in row.handle.get("gpus", [])}
    manager = Manager(
        directory,
        store,
        build_service(config, own_gpus, directory),
        build_tuner(config, directory.resolve()),
        build_assessor(config),
        config,
        meta["id"],
    )
    # an NNI-style tuner or assessor hears of each trial's end when it ends (receive_trial_result,
    # trial_end), the last one's too, not only when the next point is asked for
    for part in (manager.tuner, manager.assessing.assessor):
        if isinstance(part, (NniTunerAdapter, NniAssessorAdapter)):
            manager.listeners.append(part)
    for section in config.extra.values():  # e.g. a task config keeps the browsable jobs/ tree
        listener = getattr(section, "manager_listener", None)
        if listener is not None:
            manager.listeners.append(listener())
    return manager


# the config's logLevel (NNI's names) -> the manager's log level; Python has no TRACE: DEBUG
LOG_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
}


def manager_log_level(config: dict[str, Any] | None, debug: bool) -> int:
    """The manager's log level: DEBUG with --debug (it wins) or the config's `debug: true`, else
    the config's logLevel (as stored: ExperimentConfig.to_dict), else INFO."""
    config = config or {}
    if debug or config.get("debug") is True:
        return logging.DEBUG
    return LOG_LEVELS.get(str(config.get("logLevel") or "info").lower(), logging.INFO)


def setup_logging(directory: Path, foreground: bool, debug: bool, level: int = logging.INFO) -> None:
    """manager.log at `level` (DEBUG with debug); with --debug in the foreground, stderr too."""
    root = logging.getLogger("autolab")
    root.setLevel(logging.DEBUG if debug else level)
    handler = logging.FileHandler(directory / "manager.log")
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if foreground and debug:
        root.addHandler(logging.StreamHandler(sys.stderr))


def run(
    directory: Path,
    port: int | None = None,
    host: str = "127.0.0.1",
    foreground: bool = False,
    debug: bool = False,
    progress: Any = None,
    lock_fd: int | None = None,
) -> int:
    """Run the experiment until it ends (foreground) or is stopped (background). Returns an exit code.
    port None: DEFAULT_PORT, or any free port when it is taken; 0: any free port. lock_fd: the
    experiment's lock, taken by the CLI (else taken here; ExperimentBusy when another holds it)."""

    if lock_fd is None:
        lock_fd = lock(directory, directory.name, "its manager")
    else:
        mark_lock(lock_fd, "its manager")
    os.set_inheritable(lock_fd, False)  # trials must not hold the lock after the manager dies
    try:
        return _run(directory, port, host, foreground, debug, progress)
    finally:
        os.close(lock_fd)


def _run(directory: Path, port: int | None, host: str, foreground: bool, debug: bool, progress: Any) -> int:
    import tornado.ioloop  # not at the top: the CLI imports this module (build_*, wait_started)

    store = Store(directory)  # to record why, should building the manager fail
    level = manager_log_level(store.get_meta("config"), debug)
    setup_logging(directory, foreground, debug, level)
    log.debug("manager log level %s (logLevel/debug in the config, --debug)", logging.getLevelName(level))
    # manager.pid is the one record of the running manager (pid and start time: never a recycled
    # pid; gone when it exits); wait_started waits for this run's url, so no earlier run's counts
    store.set_meta(url=None)
    me = psutil.Process()
    protocol.write_pid_file(directory / MANAGER_PID_FILE, me.pid, me.create_time())
    loop = tornado.ioloop.IOLoop.current()
    built: list[Manager] = []
    servers: list[Any] = []  # the web UI's server: its port is released when this returns

    def on_signal(signum: int, frame: Any) -> None:
        # installed before anything starts: a stop that comes early still stops cleanly
        loop.add_callback_from_signal(lambda: built[0].request_stop() if built else loop.stop())

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        manager = build_manager(directory)
        built.append(manager)
        manager.start()
        url = _serve(manager, port, host, servers)
        log.info("experiment %s running; web UI at %s", manager.exp_id, url)

        failures = [0]
        ended_at = [0.0]

        def tick() -> None:
            try:
                manager.step()
                failures[0] = 0
            except Exception as exc:
                log.exception("manager loop failed")
                failures[0] += 1
                if lifecycle.loop_failed(manager, exc):
                    loop.stop()
                    return
                if failures[0] >= 100:  # failing on every turn: give up rather than spin
                    manager.abort()
                    loop.stop()
                    return
            if progress is not None:
                progress(manager)
            if manager.finished and (foreground or manager.stopping):
                ended_at[0] = ended_at[0] or time.monotonic()
                if time.monotonic() - ended_at[0] >= manager.linger:  # a web page that asked reads the end
                    loop.stop()

            # read at each scheduling: an ended experiment's loop idles, a resumed one turns fast
            callback.callback_time = loop_interval(manager) * 1000

        callback = tornado.ioloop.PeriodicCallback(tick, STEP_SECONDS * 1000)
        callback.start()
        loop.start()
        callback.stop()
        manager.close()
        ok = manager.status in (ExperimentStatus.DONE, ExperimentStatus.STOPPED) and manager.error is None
        return 0 if ok else 1
    except Exception as exc:
        log.exception("manager failed to start")
        try:
            store.set_meta(status=ExperimentStatus.ERROR, error=f"{type(exc).__name__}: {exc}")
        except StoreError:
            pass
        raise
    finally:
        for server in servers:  # the caller (the Python API) may go on, and run another on this port
            server.stop()
        try:
            (directory / MANAGER_PID_FILE).unlink()
        except OSError:
            pass


def loop_interval(manager: Manager) -> float:
    """Seconds between loop turns: STEP_SECONDS while trials can start or end, IDLE_SECONDS once
    the experiment has ended and nothing can happen but an API call."""
    return IDLE_SECONDS if manager.finished and not manager.active else STEP_SECONDS


def _serve(manager: Manager, port: int | None, host: str, servers: list[Any]) -> str:
    """Serve the web UI and REST API; the server is appended to servers as soon as it holds the port."""
    # not at the top: the CLI imports this module, and tornado loads only in the manager process
    import tornado.httpserver
    import tornado.netutil

    from .server import make_app

    # beyond loopback, changes need the token (written to <experiment>/token for the CLI)
    token = prepare_token(manager.directory, host)
    app = make_app(
        manager=manager,
        store=manager.store,
        directory=manager.directory,
        token=token,
        loopback_only=is_loopback(host),
    )
    # the port is bound here, not chosen earlier and bound later: two managers starting at once
    # never both pick the same one
    try:
        sockets = tornado.netutil.bind_sockets(DEFAULT_PORT if port is None else port, address=host)
    except OSError:
        if port is not None:
            raise
        sockets = tornado.netutil.bind_sockets(0, address=host)  # the default port is taken
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    servers.append(server)
    chosen = sockets[0].getsockname()[1]
    url = f"http://{url_host(host)}:{chosen}"
    manager.store.set_meta(port=chosen, host=host, url=url)
    if token:
        # the token itself never goes to a log (manager.log and manager.out are readable by others;
        # <experiment>/token is the owner's only): only to a terminal that runs the manager
        where = manager.directory / "token"
        log.info("web UI at %s needs a token to change anything: it is in %s", url, where)
        shown = token if sys.stdout.isatty() else f"in {where}"
        print(f"Web UI token (needed to change the experiment from {host}): {shown}", flush=True)
    return url


def wait_started(
    directory: Path, proc: subprocess.Popen[bytes], out_from: int = 0, timeout: float = 60.0
) -> str | None:
    """Wait until a detached manager is up; returns None when up, else the reason it is not (an
    exit is noticed at once, quoting its last lines; out_from: manager.out's size before it started).

    Up: this process wrote the pid file and then the url it serves. The status is not what says
    so: a resumed experiment with nothing left to run is RUNNING for one loop turn and DONE after
    it, a window a poll on a loaded machine can miss (it then waited 60 s and reported a running
    manager as failed to start)."""
    store = Store(directory, readonly=True)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            # the pid first: the manager clears the last run's url before it writes the pid file,
            # so a url read after the pid matched is this run's
            ours = manager_pid(directory) == proc.pid
            meta = store.meta()
            if meta.get("status") == ExperimentStatus.ERROR:
                return str(meta.get("error"))
            if ours and meta.get("url"):
                return None
            code = proc.poll()  # reaps it: an exited manager is never taken for a running one
            if code is not None:
                return f"the manager exited at start (exit code {code}){log_tail(directory, out_from)}"
            time.sleep(0.02)
        return f"the manager did not start within {timeout:g} s; see {directory / 'manager.log'}"
    finally:
        store.close()


def log_tail(directory: Path, out_from: int = 0, lines: int = 5) -> str:
    """The last lines the manager wrote, quoted for an error message: what this start added to
    manager.out (from out_from: e.g. a traceback before logging began), else manager.log's end."""
    try:
        with open(directory / "manager.out", "rb") as fh:
            fh.seek(out_from)
            out = fh.read().decode("utf-8", "replace").strip()
    except OSError:
        out = ""
    name = "manager.out"
    if not out:
        name = "manager.log"
        try:
            out = (directory / name).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""
    tail = "\n".join("    " + line for line in out.splitlines()[-lines:])
    return f"; the end of {directory / name}:\n{tail}" if tail else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autolab.launcher")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--lock-fd", type=int, default=None, help="the experiment's lock, taken by the CLI")
    args = parser.parse_args(argv)
    os.chdir(args.directory)
    directory = args.directory.resolve()
    registry.keep_imports()  # this process runs this experiment only: a custom tuner's folder stays on the path
    try:
        return run(directory, args.port, args.host, debug=args.debug, lock_fd=args.lock_fd)
    except ExperimentBusy as exc:
        print(f"autolab: {exc}", file=sys.stderr, flush=True)
        return 2


# re-exported for the CLI's summary line
__all__ = ["TrialStatus", "build_manager", "run", "wait_started", "main"]

if __name__ == "__main__":
    sys.exit(main())
