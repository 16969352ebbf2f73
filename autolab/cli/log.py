"""`autolab log`: the manager's log and output, and a trial's stdout / stderr."""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from .. import experiments
from ..errors import UserError
from .common import find_trial

MANAGER_FILES = {"stdout": "manager.log", "stderr": "manager.out"}


def add_commands(sub: Any) -> None:
    log = sub.add_parser("log", help="show the manager's log or a trial's output")
    log_sub = log.add_subparsers(dest="log_command", metavar="WHAT")
    log_sub.required = True

    p = log_sub.add_parser("stdout", help="the manager's log (manager.log)")
    _common(p)
    p.set_defaults(handler=cmd_manager_log, log_file="stdout")
    p = log_sub.add_parser("stderr", help="the manager's own output and errors (manager.out)")
    _common(p)
    p.set_defaults(handler=cmd_manager_log, log_file="stderr")

    p = log_sub.add_parser(
        "trial", help="a trial's stdout (--stderr: its stderr); no --trial_id: the log paths"
    )
    _common(p)
    p.add_argument("--trial_id", "--trial-id", "-T", dest="trial_id", default=None)
    p.add_argument("--stderr", action="store_true", help="the trial's stderr instead of its stdout")
    p.set_defaults(handler=cmd_trial_log)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", nargs="?", help="experiment id (default: the running or latest one)")
    p.add_argument("--head", type=int, default=None, metavar="N", help="only the first N lines")
    p.add_argument("--tail", type=int, default=None, metavar="N", help="only the last N lines")
    p.add_argument("--path", action="store_true", help="print the file's path instead of its content")
    p.add_argument("--follow", action="store_true", help="keep printing what is appended (until Ctrl-C)")


def cmd_manager_log(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    path = ref.directory / MANAGER_FILES[args.log_file]
    return show(path, args, f"experiment {ref.id}", alive=lambda: experiments.manager_alive(ref.directory))


def cmd_trial_log(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        if args.trial_id is None:
            rows = store.trial_rows()
            if not rows:
                print(f"Experiment {ref.id} has no trials yet.")
            # --head / --tail: the first / last N trials of the list (as they pick lines of a log)
            if args.head is not None or args.tail is not None:
                n = args.head if args.head is not None else args.tail
                if n < 0:
                    raise UserError(f"--{'head' if args.head is not None else 'tail'} {n}: must be >= 0")
                rows = rows[:n] if args.head is not None else rows[len(rows) - n :]
            for r in rows:
                print(f"{r.id}  {r.status.value:<13} {ref.directory / 'trials' / r.id}")
            return 0
        trial_id = find_trial(store, ref, args.trial_id).id
    path = ref.directory / "trials" / trial_id / ("stderr" if args.stderr else "stdout")

    def alive() -> bool:
        with experiments.open_store(ref) as store:
            r = store.trial_row(trial_id)
        return r is not None and not r.status.finished and experiments.manager_alive(ref.directory)

    return show(path, args, f"trial {trial_id} of experiment {ref.id}", alive=alive)


def show(path: Path, args: argparse.Namespace, what: str, alive: Any) -> int:
    if args.head is not None and args.tail is not None:
        raise UserError("give --head or --tail, not both")
    for flag in ("head", "tail"):
        n = getattr(args, flag)
        if n is not None and n < 0:
            raise UserError(f"--{flag} {n}: must be >= 0")
    if args.path:
        print(path)
        return 0
    if not path.exists():
        print(f"({what}: {path.name} is empty: nothing written yet)", file=sys.stderr)
        if not args.follow:
            return 0
    out = sys.stdout
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            if args.head is not None:
                for i, line in enumerate(fh):
                    if i >= args.head:
                        break
                    out.write(line)
            elif args.tail is not None:
                out.writelines(deque(fh, maxlen=args.tail) if args.tail else [])
            else:
                for line in fh:
                    out.write(line)
            out.flush()
            if args.follow:
                follow(fh, alive)
    except FileNotFoundError:
        if args.follow:
            while not path.exists():
                time.sleep(0.5)
            return show(path, args, what, alive)
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    return 0


def follow(fh: Any, alive: Any, interval: float = 0.5) -> None:
    """Print lines as they are appended; stop once the writer has gone and nothing more comes."""
    idle_checks = 0
    while True:
        line = fh.readline()
        if line:
            sys.stdout.write(line)
            sys.stdout.flush()
            idle_checks = 0
            continue
        idle_checks += 1
        if idle_checks % 4 == 1 and not alive():
            return
        time.sleep(interval)
