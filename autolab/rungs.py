"""The rung view of a multi-fidelity experiment: for each bracket, each rung (budget) and the trials
run there, which were promoted to the next rung and which stopped at this budget. Read from the
trials' stored fidelity (autolab.fidelity), so it needs no tuner; plain Python for the API.

A trial's outcome at its rung: "running" (not ended), "failed" (ended without a result), "promoted"
(its configuration runs at the next rung of its bracket), "stopped" (the next rung was filled
without it), "top" (it ran at the largest budget), "paused" (ASHA's promotion mode: it waits at
this rung to be continued), "pending" (its rung is not judged yet). ASHA's promotion mode has one
bracket (None) with budgets; PBT trials (a generation as the rung, no bracket and no budget) are
grouped by generation with their status.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .statuses import ACTIVE, TrialStatus

#: what each trial of a rung is sent as (a list per trial: 10,000 trials make 400 KiB, not 1.3 MiB)
COLUMNS = ("id", "config", "status", "value", "outcome")
# (id, seq, status, value, fidelity): Store.fidelity_rows
Row = tuple[str, int, TrialStatus, "float | None", dict[str, Any]]


def outcome(status: TrialStatus, value: float | None, promoted: bool, judged: bool, top: bool) -> str:
    if status in ACTIVE:
        return "running"
    if promoted:
        return "promoted"
    if status is TrialStatus.PAUSED:
        return "paused"
    if status not in (TrialStatus.SUCCEEDED, TrialStatus.EARLY_STOPPED) or value is None:
        return "failed"
    if top:
        return "top"
    return "stopped" if judged else "pending"


def rung_view(rows: list[Row]) -> dict[str, Any]:
    """{"multiFidelity", "maxBudget", "columns": COLUMNS, "brackets": [{"bracket", "rungs":
    [{"rung", "budget", "counts", "trials": [[id, config, status, value, outcome], ...]}]}]}."""
    rows = [r for r in rows if isinstance(r[4].get("rung"), int)]
    budgets = [float(b) for r in rows if isinstance(b := r[4].get("budget"), (int, float))]
    max_budget = max(budgets) if budgets else None
    grid: dict[Any, dict[int, list[Row]]] = defaultdict(lambda: defaultdict(list))  # bracket -> rung -> rows
    for row in rows:
        grid[row[4].get("bracket")][row[4]["rung"]].append(row)
    brackets = []
    for bracket in sorted(grid, key=lambda b: (b is None, b if isinstance(b, int) else 0)):
        rungs = grid[bracket]
        out_rungs = []
        for rung in sorted(rungs):
            above = {str(r[4].get("config")) for r in rungs.get(rung + 1, [])}
            trials: list[list[Any]] = []
            counts: dict[str, int] = defaultdict(int)
            budget = rungs[rung][0][4].get("budget")
            top = max_budget is not None and isinstance(budget, (int, float)) and budget >= max_budget
            for trial_id, _seq, status, value, fid in rungs[rung]:
                if fid.get("budget") is None:  # PBT: generations, no promotion
                    result = "running" if status in ACTIVE else status.value.lower()
                else:
                    result = outcome(status, value, str(fid.get("config")) in above, bool(above), top)
                counts[result] += 1
                trials.append([trial_id, fid.get("config"), status.value, value, result])
            out_rungs.append({"rung": rung, "budget": budget, "counts": dict(counts), "trials": trials})
        brackets.append({"bracket": bracket, "rungs": out_rungs})
    return {
        "multiFidelity": bool(rows),
        "maxBudget": max_budget,
        "columns": list(COLUMNS),
        "brackets": brackets,
    }
