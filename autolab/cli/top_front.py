"""`autolab top` for an experiment with several objectives: its Pareto front (feasible trials no
other beats in every objective), best first by the first objective, and the front's hypervolume."""

from __future__ import annotations

import json
from typing import Any

from ..fronts import front, hypervolume
from ..history import History
from ..objectives import Objectives
from .common import table


def render_front(head: str, objectives: Objectives, history: History, k: int, worst: bool) -> str:
    if worst:
        return (
            head
            + "\n(-K, --worst: a front has no worst; showing the front)\n"
            + _table(objectives, history, k)
        )
    return head + "\n" + _table(objectives, history, k)


def _table(objectives: Objectives, history: History, k: int) -> str:
    got = front(objectives, history)
    members = got["front"]
    if not members:
        if got["scored"]:
            return f"No feasible trial yet ({got['infeasible']} of {got['scored']} break the constraints)."
        return "No trial has reported every objective yet (" + ", ".join(objectives.names) + ")."
    hv = hypervolume(objectives, history)
    volume = hv["history"][-1]["hypervolume"] if hv["history"] else 0.0
    reference = ", ".join(f"{n} {v:.6g}" for n, v in (hv["reference"] or {}).items())
    rows: list[list[Any]] = []
    for rank, item in enumerate(members[:k], 1):
        values = item["objectives"] or {}
        rows.append(
            [rank, item["trialJobId"], item["sequence"]]
            + [f"{values.get(n, float('nan')):.6g}" for n in objectives.names]
            + [json.dumps(item["parameter"], separators=(",", ":"))]
        )
    arrows = objective_headers(objectives)
    lines = [
        f"Pareto front: {len(members)} trials (showing {min(k, len(members))}) of {got['scored']} with every "
        f"objective, {got['infeasible']} infeasible | hypervolume {volume:.6g} (reference {reference})",
        table(["#", "TRIAL", "SEQ", *arrows, "PARAMETERS"], rows),
    ]
    return "\n".join(lines)


def objective_headers(objectives: Objectives) -> list[str]:
    """A column per objective: `ACCURACY (max)`."""
    return [
        f"{n.upper()} ({'max' if d == 'maximize' else 'min'})"
        for n, d in zip(objectives.names, objectives.directions, strict=True)
    ]
