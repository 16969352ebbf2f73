"""The rung view of a multi-fidelity experiment: for each bracket, each rung (budget) and the trials
run there, which were promoted to the next rung and which stopped at this budget. Read from the
trials' stored fidelity (autolab.fidelity), so it needs no tuner; plain Python for the API.

A trial's outcome at its rung: "running" (not ended), "failed" (ended without a result), "promoted"
(its configuration runs at the next rung of its bracket), "stopped" (the next rung was filled
without it), "top" (it ran at the largest budget), "pending" (its rung is not judged yet). PBT
trials (a generation as the rung, no bracket) are grouped by generation with their status.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .statuses import ACTIVE, TrialStatus
from .store import TrialRow


def outcome(row: TrialRow, promoted: bool, judged: bool, top: bool) -> str:
    if row.status in ACTIVE:
        return "running"
    if promoted:
        return "promoted"
    if row.status not in (TrialStatus.SUCCEEDED, TrialStatus.EARLY_STOPPED) or row.value is None:
        return "failed"
    if top:
        return "top"
    return "stopped" if judged else "pending"


def rung_view(rows: list[TrialRow]) -> dict[str, Any]:
    """{"multiFidelity", "maxBudget", "brackets": [{"bracket", "rungs": [{"rung", "budget",
    "counts", "trials": [{"id", "config", "status", "value", "outcome", "source"}]}]}]}."""
    fid_rows = [r for r in rows if r.fidelity and isinstance(r.fidelity.get("rung"), int)]
    given = [(r.fidelity or {}).get("budget") for r in fid_rows]
    budgets = [float(b) for b in given if isinstance(b, (int, float))]
    max_budget = max(budgets) if budgets else None
    # bracket -> rung -> rows; the configurations seen at each rung
    grid: dict[Any, dict[int, list[TrialRow]]] = defaultdict(lambda: defaultdict(list))
    for row in fid_rows:
        fid = row.fidelity or {}
        grid[fid.get("bracket")][int(fid["rung"])].append(row)
    brackets = []
    for bracket in sorted(grid, key=lambda b: (b is None, b if isinstance(b, int) else 0)):
        rungs = grid[bracket]
        out_rungs = []
        for rung in sorted(rungs):
            above = {str((r.fidelity or {}).get("config")) for r in rungs.get(rung + 1, [])}
            judged = bool(above)
            trials: list[dict[str, Any]] = []
            counts: dict[str, int] = defaultdict(int)
            for row in sorted(rungs[rung], key=lambda r: r.seq):
                fid = row.fidelity or {}
                budget = fid.get("budget")
                if bracket is None:  # PBT: generations, no promotion
                    result = "running" if row.status in ACTIVE else str(row.status.value).lower()
                else:
                    top = max_budget is not None and isinstance(budget, (int, float)) and budget >= max_budget
                    result = outcome(row, str(fid.get("config")) in above, judged, top)
                counts[result] += 1
                trials.append(
                    {
                        "id": row.id,
                        "config": fid.get("config"),
                        "status": row.status.value,
                        "value": row.value,
                        "outcome": result,
                        "source": row.source,
                    }
                )
            budget = next((r.fidelity.get("budget") for r in rungs[rung] if r.fidelity), None)
            out_rungs.append({"rung": rung, "budget": budget, "counts": dict(counts), "trials": trials})
        brackets.append({"bracket": bracket, "rungs": out_rungs})
    return {"multiFidelity": bool(fid_rows), "maxBudget": max_budget, "brackets": brackets}
