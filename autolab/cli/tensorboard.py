"""`autolab tensorboard start|stop` (nnictl's): TensorBoard over the trials' logs.

A trial writes TensorBoard logs under its output folder, as NNI's trials do: `tensorboard/` in
NNI_OUTPUT_DIR (NNI 2.x, the web UI's convention), or anywhere in it (NNI 1.x pointed --logdir at the
folder itself). Each trial is one run named `<sequence>-<trial id>`, as NNI's portal names them.
TensorBoard runs in the background, recorded in the experiment's folder so that `stop` finds it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from .. import experiments
from ..errors import UserError
from ..failfast import last_line
from ..hostaddr import bare_host, check_host, connect_host, port_free, url_host
from ..protocol import process_alive
from ..services.orphans import kill_orphan
from ..views import export_rows

DEFAULT_PORT = 6006
RECORD = "tensorboard.json"  # in the experiment's folder: pid, create time, url, runs
LOG = "tensorboard.log"  # TensorBoard's own output
START_TIMEOUT = 90.0  # seconds TensorBoard may take to listen (it loads plugins first)
EVENTS = "events.out.tfevents"


def add_commands(sub: Any) -> None:
    tb = sub.add_parser("tensorboard", help="TensorBoard over the trials' logs (nnictl tensorboard)")
    tb_sub = tb.add_subparsers(dest="tensorboard_command", metavar="ACTION")
    tb_sub.required = True
    p = tb_sub.add_parser("start", help="serve the trials' TensorBoard logs in the background")
    p.add_argument("id", nargs="?", help="experiment id (default: the latest)")
    p.add_argument(
        "--trial_id",
        "--trial-id",
        "-T",
        default="all",
        help="a trial id, several joined by commas, or all (default: every trial with logs)",
    )
    p.add_argument("--port", "-p", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1", type=bare_host, help="address to bind (default 127.0.0.1)")
    p.set_defaults(handler=cmd_start)
    p = tb_sub.add_parser("stop", help="stop the experiment's TensorBoard")
    p.add_argument("id", nargs="?", help="experiment id (default: the latest)")
    p.set_defaults(handler=cmd_stop)


def log_dir(trial_dir: Path) -> Path | None:
    """Where a trial's TensorBoard logs are: its `tensorboard/` folder, else its own folder when
    event files lie anywhere in it; None when it wrote none."""
    if (trial_dir / "tensorboard").is_dir():
        return trial_dir / "tensorboard"
    if trial_dir.is_dir() and any(True for _ in trial_dir.rglob(EVENTS + "*")):
        return trial_dir
    return None


def runs(ref: experiments.ExperimentRef, wanted: str) -> tuple[dict[str, Path], list[str]]:
    """{run name: log folder} of the trials asked for, and a line for each that has none to show."""
    with experiments.open_store(ref) as store:
        rows = export_rows(store)
        by_id = {str(r["trialJobId"]): r for r in rows}
        if wanted == "all":
            chosen = list(by_id)
        else:
            chosen = [t.strip() for t in wanted.split(",") if t.strip()]
            unknown = [t for t in chosen if t not in by_id]
            if unknown or not chosen:
                named = ", ".join(unknown) if unknown else repr(wanted)
                raise UserError(f"--trial_id {wanted}: no trial {named} in experiment {ref.id}")
        remote = [r for t in chosen if by_id[t].get("machine") and (r := store.trial_row(t)) is not None]
        missing: list[str] = []
        if remote:  # their logs are on their machines: copied here first, as they are now
            from .remote_logs import fetch_logs  # not at the top: the CLI starts light

            missing = fetch_logs(store, ref.directory, remote)
    found: dict[str, Path] = {}
    for trial_id in chosen:
        row = by_id[trial_id]
        where = log_dir(ref.directory / "trials" / trial_id)
        if where is not None:
            if "," in str(where):  # TensorBoard's --logdir_spec separates runs with commas
                raise UserError(f"{where}: TensorBoard cannot read a folder whose path holds a comma")
            found[f"{row['sequence']}-{trial_id}"] = where
        elif wanted != "all":
            missing.append(f"trial {trial_id} wrote no TensorBoard logs")
    return found, missing


def cmd_start(args: argparse.Namespace) -> int:
    check_host(args.host)
    if not 0 < args.port <= 65535:
        raise UserError(f"--port {args.port}: expected 1 to 65535")
    ref = experiments.find(args.id)
    running = _running(ref.directory)
    if running is not None:
        raise UserError(
            f"TensorBoard already serves experiment {ref.id} at {running['url']} "
            f"(stop it with: autolab tensorboard stop {ref.id})"
        )
    found, missing = runs(ref, args.trial_id)
    for line in missing:
        print(f"autolab: {line}")
    if not found:
        raise UserError(
            f"no trial of experiment {ref.id} wrote TensorBoard logs (a trial writes them under "
            "os.environ['NNI_OUTPUT_DIR'] + '/tensorboard')"
        )
    program = shutil.which("tensorboard")
    if program is None:
        raise UserError("tensorboard is not installed in this environment (pip install tensorboard)")
    if not port_free(args.host, args.port):
        raise UserError(f"--port {args.port}: the port is in use on {args.host}; choose another")
    spec = ",".join(f"{name}:{path}" for name, path in sorted(found.items(), key=_by_sequence))
    argv = [program, "--logdir_spec", spec, "--host", args.host, "--port", str(args.port)]
    url = f"http://{url_host(args.host)}:{args.port}"
    log_path = ref.directory / LOG
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    import psutil  # not at the top: the CLI starts light

    record = {
        "pid": proc.pid,
        "created": psutil.Process(proc.pid).create_time(),
        "url": url,
        "runs": len(found),
    }
    try:
        (ref.directory / RECORD).write_text(json.dumps(record) + "\n", encoding="utf-8")
    except OSError as exc:  # unrecorded, `stop` could not find it: it does not stay
        _quit(proc)
        raise UserError(
            f"{ref.directory / RECORD}: cannot record the TensorBoard started: {exc.strerror}"
        ) from None
    if not _wait_listening(proc, args.host, args.port):
        _quit(proc)
        (ref.directory / RECORD).unlink(missing_ok=True)
        raise UserError(
            f"TensorBoard did not start: {last_line(log_path) or 'it exited at once'} (its output: {log_path})"
        )
    print(f"TensorBoard serves {len(found)} trial(s) of experiment {ref.id}: {url}")
    print(f"Stop it: autolab tensorboard stop {ref.id}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    url = stop_serving(ref.directory)
    print(
        f"No TensorBoard serves experiment {ref.id}."
        if url is None
        else f"TensorBoard of experiment {ref.id} stopped ({url})."
    )
    return 0


def stop_serving(directory: Path) -> str | None:
    """End the experiment's TensorBoard, if one serves it; its URL, else None."""
    running = _running(directory)
    if (directory / RECORD).exists():  # never written to a folder that need not change (read-only)
        with contextlib.suppress(OSError):
            (directory / RECORD).unlink()
    if running is None:
        return None
    kill_orphan({"pid": running["pid"], "create_time": running["created"]}, grace=10.0)  # its group
    return str(running["url"])


def _running(directory: Path) -> dict[str, Any] | None:
    """The recorded TensorBoard of an experiment if it still runs, else None."""
    try:
        record = json.loads((directory / RECORD).read_text(encoding="utf-8"))
        alive = process_alive(int(record["pid"]), float(record["created"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if alive else None


def _quit(proc: subprocess.Popen[bytes]) -> None:
    """End a TensorBoard this command started (and reap it)."""
    proc.kill()
    proc.wait()


def _wait_listening(proc: subprocess.Popen[bytes], host: str, port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((connect_host(host), port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _by_sequence(item: tuple[str, Path]) -> tuple[int, str]:
    head = item[0].split("-", 1)[0]
    return (int(head) if head.isdigit() else 0, item[0])
