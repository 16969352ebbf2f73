"""Commands that read experiments: experiment list/show/export, trial ls. They read the store
directly, so they work whether or not the manager runs."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from .. import experiments
from ..errors import UserError
from ..objectives import from_config
from ..statuses import COMPLETED, ExperimentStatus
from ..timefmt import format_duration, format_time, run_time
from ..views import experiment_status, export_csv, export_rows, optimize_mode, profile
from .common import table
from .top_front import objective_headers


def add_commands(sub: Any, groups: dict[str, Any]) -> None:
    """Adds the `experiment` and `trial` groups; groups[name] is their sub-parser set for others."""
    exp = sub.add_parser("experiment", help="list, show and export experiments")
    exp_sub = exp.add_subparsers(dest="experiment_command", metavar="ACTION")
    exp_sub.required = True
    groups["experiment"] = exp_sub

    p = exp_sub.add_parser("list", help="list running experiments (--all: every experiment)")
    p.add_argument("--all", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = exp_sub.add_parser("show", help="the experiment's profile as JSON")
    p.add_argument("id", nargs="?")
    p.set_defaults(handler=cmd_show)

    p = exp_sub.add_parser("export", help="write every trial's parameters and result (NNI's export shape)")
    p.add_argument("id", nargs="?")
    p.add_argument(
        "--type",
        "-t",
        choices=["json", "csv"],
        default=None,
        help="default: csv for a .csv filename, else json",
    )
    p.add_argument("--filename", "-f", required=True)
    p.add_argument("--intermediate", "-i", action="store_true", help="include intermediate results")
    p.set_defaults(handler=cmd_export)

    trial = sub.add_parser("trial", help="list trials")
    trial_sub = trial.add_subparsers(dest="trial_command", metavar="ACTION")
    trial_sub.required = True
    groups["trial"] = trial_sub
    p = trial_sub.add_parser("ls", help="list the trials of an experiment")
    p.add_argument("id", nargs="?")
    p.add_argument("--head", type=int, default=None, help="only the best N trials")
    p.add_argument("--tail", type=int, default=None, help="only the worst N trials")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=cmd_trial_ls)


def cmd_list(args: argparse.Namespace) -> int:
    rows: list[list[Any]] = []
    for ref in experiments.all_experiments():
        try:
            store = experiments.open_store(ref)
        except experiments.ExperimentNotFound:  # one broken store must not hide the others
            if args.all:
                rows.append([ref.id, ref.name or "-", "UNREADABLE", "-", format_time(ref.created), "-"])
            continue
        with store:
            status = experiment_status(ref, store)
            # a finished experiment whose manager still serves its web UI (as NNI's, until stop) is listed
            alive = status == ExperimentStatus.RUNNING or experiments.manager_alive(ref.directory)
            if args.all or alive:
                counts = store.count_by_status()
                url = (store.get_meta("url") or "-") if alive else "-"
                rows.append(
                    [ref.id, ref.name or "-", status, sum(counts.values()), format_time(ref.created), url]
                )
    if not rows:
        print("No experiment is running or serving its web UI." if not args.all else "No experiment found.")
        return 0
    print(table(["ID", "NAME", "STATUS", "TRIALS", "CREATED", "URL"], rows))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        print(json.dumps(profile(ref, store), indent=2, default=str))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        rows = export_rows(store, intermediate=args.intermediate)
    path = Path(args.filename)
    kind = args.type or ("csv" if path.suffix.lower() == ".csv" else "json")
    text = json.dumps(rows, indent=2) if kind == "json" else export_csv(rows)
    # written whole or not at all; a short temporary name (the file's own may be at the length limit)
    tmp = path.with_name(f".autolab-export-{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UserError(f"--filename {args.filename}: cannot write: {exc.strerror or exc}") from None
    print(f"Exported {len(rows)} trials of experiment {ref.id} to {path}", file=sys.stderr)
    return 0


def cmd_trial_ls(args: argparse.Namespace) -> int:
    if args.head is not None and args.tail is not None:
        raise UserError("give --head or --tail, not both")
    for flag, n in (("head", args.head), ("tail", args.tail)):
        if n is not None and n < 0:
            raise UserError(f"--{flag} {n}: must be >= 0")
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        rows = export_rows(store)
        maximize = optimize_mode(store) == "maximize"
        objectives = from_config(store.get_meta("config"))  # several: a column each, and the front
    trials = len(rows)
    if args.head is not None or args.tail is not None:
        scored = [r for r in rows if r["status"] in COMPLETED and r["value"] is not None]
        scored.sort(key=lambda r: _number(r["value"]), reverse=maximize)
        rows = scored[: args.head] if args.head is not None else scored[::-1][: args.tail]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(
            f"Experiment {ref.id} has no trials yet."
            if not trials
            else f"Experiment {ref.id}: no trial to show ({trials} trial(s); --head / --tail rank completed "
            "trials with a result)"
        )
        return 0
    multi = any("budget" in r for r in rows)  # multi-fidelity trials: their budget, bracket, rung
    remote = any("machine" in r for r in rows)  # platform remote: the machine each ran on
    out = []
    for r in rows:
        duration = run_time(r["startTime"], r["endTime"], r["status"] == "RUNNING")
        value = ["-" if r["value"] is None else f"{_number(r['value']):.6g}"]
        if objectives is not None:
            got = r.get("objectives") or {}
            value = [f"{got[n]:.6g}" if n in got else "-" for n in objectives.names]
            value.append("yes" if r.get("pareto") else "infeasible" if r.get("feasible") is False else "-")
        fid = [fidelity_cell(r.get(k)) for k in ("budget", "bracket", "rung")] if multi else []
        out.append(
            [
                r["trialJobId"],
                r["sequence"],
                r["status"],
                *value,
                *fid,
                *([r.get("machine") or "-"] if remote else []),
                format_duration(duration),
                json.dumps(r["parameter"]),
            ]
        )
    fid_headers = ["BUDGET", "BRACKET", "RUNG"] if multi else []
    shown = ["VALUE"] if objectives is None else [*objective_headers(objectives), "FRONT"]
    where = ["MACHINE"] if remote else []
    print(table(["TRIAL", "SEQ", "STATUS", *shown, *fid_headers, *where, "DURATION", "PARAMETERS"], out))
    return 0


def fidelity_cell(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


def _number(value: Any) -> float:
    return float(value["default"]) if isinstance(value, dict) else float(value)
