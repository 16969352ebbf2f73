"""`autolab top`: the best (or worst) K trials by the default metric, with their parameters and a
summary of their intermediate results, as a table in the terminal (--watch refreshes it)."""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import time
from typing import Any

from .. import experiments
from ..errors import UserError
from ..objectives import from_config
from ..statuses import ExperimentStatus, TrialStatus
from ..store import TrialRow
from ..tally import done_text, tally
from ..timefmt import format_duration, run_time
from ..views import experiment_status, optimize_mode
from .common import table
from .query import fidelity_cell
from .top_front import render_front

DEFAULT_K = 10
_SIGNED_K = re.compile(r"^[+-]\d+$")


def add_commands(sub: Any) -> None:
    p = sub.add_parser(
        "top",
        help="the best K trials by the default metric (+K best, -K worst)",
        description="The best K trials (optimize_mode aware) with parameters and intermediate "
        "results. `autolab top +5` = best 5, `autolab top -5` = worst 5.",
    )
    p.add_argument("spec", nargs="*", metavar="[ID] [+K|-K]", help="experiment id and/or +K / -K")
    p.add_argument("-k", type=int, default=None, help=f"how many trials (default {DEFAULT_K})")
    p.add_argument("--worst", action="store_true", help="the worst K instead of the best")
    p.add_argument(
        "--watch",
        "-w",
        type=float,
        default=None,
        metavar="SECONDS",
        help="refresh every SECONDS until the experiment stops (Ctrl-C to leave)",
    )
    p.set_defaults(handler=cmd_top)


def parse_spec(args: argparse.Namespace) -> tuple[str | None, int, bool]:
    """(experiment id, K, worst) from the positional tokens and the flags."""
    exp_id: str | None = None
    k, worst = args.k, bool(args.worst)
    for token in args.spec:
        if _SIGNED_K.match(token):
            if k is not None:
                raise UserError(f"top: give K once (got {k} and {token})")
            k, worst = abs(int(token)), token.startswith("-") or worst
        elif exp_id is None:
            exp_id = token
        else:
            raise UserError(f"top: unexpected argument {token!r} (usage: autolab top [ID] [+K|-K] [-k K])")
    k = DEFAULT_K if k is None else k
    if k < 1:
        raise UserError(f"top: K must be >= 1, got {k}")
    return exp_id, k, worst


def cmd_top(args: argparse.Namespace) -> int:
    exp_id, k, worst = parse_spec(args)
    ref = experiments.find(exp_id)
    if args.watch is None:
        print(render(ref, k, worst)[0])
        return 0
    if not (math.isfinite(args.watch) and args.watch > 0):
        raise UserError(f"--watch {args.watch:g}: must be > 0 seconds")
    tty = sys.stdout.isatty()
    while True:
        text, status = render(ref, k, worst)
        print(("\x1b[H\x1b[2J" if tty else "") + text, flush=True)
        if status != ExperimentStatus.RUNNING:
            return 0
        time.sleep(args.watch)


def render(ref: experiments.ExperimentRef, k: int, worst: bool) -> tuple[str, ExperimentStatus]:
    """The table and the experiment's status."""
    with experiments.open_store(ref) as store:
        status = experiment_status(ref, store)
        maximize = optimize_mode(store) == "maximize"
        meta = store.meta()
        rows = store.trial_rows()
        inter = store.intermediate_values()
        objectives = from_config(meta.get("config"))
        history = store.history() if objectives is not None and len(objectives) > 1 else None
    config = meta.get("config") or {}
    scored = [r for r in rows if r.value is not None]
    scored.sort(key=lambda r: r.value or 0.0, reverse=maximize != worst)
    budgets = any(_budget(r) is not None for r in scored)
    if budgets:  # a result at a small budget does not rank with full ones: largest budget first (as "Best:")
        scored.sort(key=_budget_key, reverse=not worst)
    mode = "maximize" if maximize else "minimize"
    counts = tally((r.status.value, r.source, 1) for r in rows)
    limit = config.get("maxTrialNumber")
    budget = config.get("maxExperimentDuration")
    head = (
        f"Experiment {ref.id} {status} | trials {done_text(counts, limit)}"
        f" | {format_duration(meta.get('elapsed', 0.0))}"
        + (f" / {format_duration(budget)}" if budget else "")
        + f" | {mode}"
    )
    if objectives is not None and len(objectives) == 1:  # one objective with constraints: feasible ones
        ranked = len(scored)
        scored = [
            r
            for r in scored
            if objectives.violation(r.raw_value if r.raw_value is not None else r.value) == 0
        ]
        if ranked > len(scored):
            head += f" | {ranked - len(scored)} infeasible left out"
    elif objectives is not None and history is not None:  # several objectives: the front
        return _fit_text(render_front(head.replace(f" | {mode}", ""), objectives, history, k, worst)), status
    which = "worst" if worst else "best"
    if not scored:
        return head + (
            "\nNo feasible trial yet." if " infeasible left out" in head else "\nNo trial has a result yet."
        ), status
    shown = scored[:k]
    multi = any(r.fidelity for r in shown)  # multi-fidelity trials: their budget, bracket, rung
    table_rows = []
    for rank, r in enumerate(shown, 1):
        values = inter.get(r.id, [])
        best_i = (max(values) if maximize else min(values)) if values else None
        duration = run_time(r.start_time, r.end_time, r.status == TrialStatus.RUNNING)
        table_rows.append(
            [
                rank,
                r.id,
                r.seq,
                r.status.value,
                f"{r.value:.6g}",
                *(
                    [fidelity_cell((r.fidelity or {}).get(f)) for f in ("budget", "bracket", "rung")]
                    if multi
                    else []
                ),
                len(values),
                _num(values[-1] if values else None),
                _num(best_i),
                format_duration(duration),
                json.dumps(r.parameters, separators=(",", ":")),
            ]
        )
    headers = [
        "#",
        "TRIAL",
        "SEQ",
        "STATUS",
        "VALUE",
        *(["BUDGET", "BRACKET", "RUNG"] if multi else []),
        "N_INTER",
        "LAST_INTER",
        "BEST_INTER",
        "DURATION",
        "PARAMETERS",
    ]
    order = f" ({'largest' if not worst else 'smallest'} budget first)" if budgets else ""
    return f"{head}\n{which} {min(k, len(scored))} of {len(scored)} trials with a result{order}:\n" + _fit(
        headers, table_rows
    ), status


def _budget(row: TrialRow) -> float | None:
    budget = (row.fidelity or {}).get("budget")
    return float(budget) if isinstance(budget, (int, float)) and not isinstance(budget, bool) else None


def _budget_key(row: TrialRow) -> float:
    """A trial without a budget (none given, as at full budget) ranks with the largest."""
    budget = _budget(row)
    return math.inf if budget is None else budget


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _fit(headers: list[str], rows: list[list[Any]]) -> str:
    """The table, its last column (parameters) cut to the terminal width when on a terminal."""
    return _fit_text(table(headers, rows))


def _fit_text(text: str) -> str:
    if not sys.stdout.isatty():
        return text
    width = shutil.get_terminal_size((200, 24)).columns
    return "\n".join(
        line if len(line) <= width else line[: max(width - 1, 20)] + "…" for line in text.splitlines()
    )
