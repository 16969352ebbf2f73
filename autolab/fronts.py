"""What the CLI, the export and the REST API show of an experiment with several objectives: its
Pareto front, each trial's objectives and feasibility, the hypervolume history.

Plain Python over the store's History (objectives.py, pareto.py): no numpy in the CLI or the API.
"""

from __future__ import annotations

from typing import Any

from .history import History, Trial
from .objectives import Objectives, best_trials, hypervolume_history, pareto_set, scored


def trial_objectives(objectives: Objectives, raw: Any) -> dict[str, float] | None:
    """{objective name: value} of a reported result, None when one is missing."""
    values = objectives.values(raw)
    return None if values is None else dict(zip(objectives.names, values, strict=True))


def front(objectives: Objectives, history: History) -> dict[str, Any]:
    """The Pareto set (feasible, non-dominated; sorted by the first objective, best first) and
    the counts behind it."""
    rows = scored(objectives, history.trials)
    members = pareto_set(rows)
    first_sign = -1.0 if objectives.directions[0] == "maximize" else 1.0
    members.sort(key=lambda t: (first_sign * (objectives.values(_result(t)) or [0.0])[0], t.sequence))
    return {
        **objectives.to_dict(),
        "scored": len(rows),
        "infeasible": sum(1 for _, _, v in rows if v > 0),
        "front": [
            {
                "trialJobId": t.trial_id,
                "sequence": t.sequence,
                "parameter": t.parameters,
                "objectives": trial_objectives(objectives, _result(t)),
                "value": t.raw_value,
            }
            for t in members
        ],
    }


def hypervolume(
    objectives: Objectives, history: History, reference: list[float] | None = None
) -> dict[str, Any]:
    """The hypervolume of the feasible trials finished so far, after each one (in end order)."""
    ref, steps = hypervolume_history(objectives, history.trials, reference)
    return {
        **objectives.to_dict(),
        "reference": dict(zip(objectives.names, ref, strict=True)) if ref else None,
        "history": [{"sequence": seq, "hypervolume": hv} for seq, hv in steps],
    }


def annotate_export(objectives: Objectives, history: History, rows: list[dict[str, Any]]) -> None:
    """Each exported row gains `objectives` ({name: value} or null), `feasible` and `pareto`."""
    on_front = {t.trial_id for t in best_trials(objectives, history.trials)}
    raw = {t.trial_id: _result(t) for t in history.trials}
    for row in rows:
        value = raw.get(row["trialJobId"])
        row["objectives"] = None if value is None else trial_objectives(objectives, value)
        row["feasible"] = None if value is None else objectives.violation(value) == 0
        row["pareto"] = row["trialJobId"] in on_front


def _result(trial: Trial) -> Any:
    return trial.raw_value if trial.raw_value is not None else trial.value


def best_or_front(
    objectives: Objectives, history: History
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(best, front) as the profile shows them. One objective with constraints: the best feasible
    trial, no front. Several objectives: no single best; the front's size and counts (the trials:
    `autolab top`, GET /api/v1/pareto)."""
    rows = scored(objectives, history.trials)
    if len(objectives) == 1:
        feasible = [(t, loss[0]) for t, loss, v in rows if v == 0]
        if not feasible:
            return None, None
        trial = min(feasible, key=lambda pair: (pair[1], pair[0].sequence))[0]
        values = objectives.values(_result(trial))
        value = values[0] if values else trial.value
        return {
            "trialJobId": trial.trial_id,
            "sequence": trial.sequence,
            "value": value,
            "parameter": trial.parameters,
        }, None
    members = pareto_set(rows)
    members.sort(key=lambda t: t.sequence)
    infeasible = sum(1 for _, _, v in rows if v > 0)
    return None, {
        "size": len(members),
        "scored": len(rows),
        "infeasible": infeasible,
        "trials": [t.trial_id for t in members[:5]],
    }
