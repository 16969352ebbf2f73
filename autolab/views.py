"""What the CLI and the web server show of an experiment (from its store): its status, profile, and
export (NNI's shape, as JSON rows or CSV)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .config.remote import redacted
from .experiments import ExperimentRef, manager_alive
from .fidelity import FIELDS as FIDELITY_FIELDS
from .fronts import annotate_export, best_or_front
from .objectives import from_config
from .objectives import optimize_mode as config_mode
from .statuses import ExperimentStatus
from .store import Store
from .tally import tally


def experiment_status(ref: ExperimentRef, store: Store) -> ExperimentStatus:
    """RUNNING only while a manager runs it; a RUNNING experiment whose manager died is STOPPED."""
    status = ExperimentStatus(store.get_meta("status", ExperimentStatus.INITIALIZED))
    if status == ExperimentStatus.RUNNING and not manager_alive(ref.directory):
        return ExperimentStatus.STOPPED
    return status


_FRONTS: dict[tuple[str, int, str], tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}


def best_and_front(
    ref: ExperimentRef, store: Store, config: dict[str, Any], succeeded: int
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The profile's best trial, and with several objectives their front's summary instead (a
    `default` value ranks nothing there; constraints: the best feasible). Cached per number of
    succeeded trials: the web UI asks for the profile on every poll."""
    objectives = from_config(config)
    if objectives is None:
        return best_trial(store), None
    key = (str(ref.directory), succeeded, json.dumps(config.get("tuner"), sort_keys=True, default=str))
    if key not in _FRONTS:
        if len(_FRONTS) >= 16:
            _FRONTS.pop(next(iter(_FRONTS)))
        _FRONTS[key] = best_or_front(objectives, store.history(intermediate=False))
    return _FRONTS[key]


def best_trial(store: Store) -> dict[str, Any] | None:
    row = store.best_trial(maximize=optimize_mode(store) == "maximize")
    if row is None:
        return None
    return {"trialJobId": row.id, "sequence": row.seq, "value": row.value, "parameter": row.parameters}


def optimize_mode(store: Store) -> str:
    return config_mode(store.get_meta("config"))


def profile(ref: ExperimentRef, store: Store) -> dict[str, Any]:
    meta = store.meta()
    config = meta.get("config") or {}
    rows = store.count_by_status_and_source()  # one query for both counts (the web UI polls this)
    counts: dict[str, int] = {}
    for status, _, n in rows:
        counts[status] = counts.get(status, 0) + n
    counted = tally(rows)
    best, front = best_and_front(ref, store, config, counts.get("SUCCEEDED", 0))
    alive = manager_alive(ref.directory)
    return {
        "id": ref.id,
        "name": meta.get("name") or "",
        "status": experiment_status(ref, store),
        "error": meta.get("error"),
        "noMoreTrials": meta.get("no_more_trials"),  # the tuner ran out of points: why
        "directory": str(ref.directory),
        "url": meta.get("url") if alive else None,
        # the training service's notes on its health (a remote machine unreachable...), while it runs
        "notes": (meta.get("notes") or []) if alive else [],
        "created": meta.get("created"),
        "elapsed": meta.get("elapsed", 0.0),
        "maxTrialNumber": config.get("maxTrialNumber"),
        "maxExperimentDuration": config.get("maxExperimentDuration"),
        "trialConcurrency": config.get("trialConcurrency"),
        "trialCounts": counts,
        "trialTotal": sum(counts.values()),
        # tally.Tally: ended trials toward maxTrialNumber ("done"), active ones, ended ones that do not count
        "trialTally": {"done": counted.done, "running": counted.running, "other": counted.other},
        "best": best,
        "front": front,  # several objectives: the Pareto front's size (then best is None)
        "config": redacted(config),  # no machine password: reads need no token beyond loopback
    }


def export_rows(store: Store, intermediate: bool = False) -> list[dict[str, Any]]:
    """NNI's export shape: [{"parameter": {...}, "value": ..., "trialJobId": ..., ...}]."""
    inter = store.intermediates() if intermediate else {}
    rows = []
    for r in store.trial_rows():
        item: dict[str, Any] = {
            "parameter": r.parameters,
            "value": r.raw_value,
            "trialJobId": r.id,
            "sequence": r.seq,
            "status": r.status.value,
            "startTime": r.start_time,
            "endTime": r.end_time,
            "message": r.message,
        }
        if r.fidelity:  # a multi-fidelity trial (Hyperband, BOHB): where it ran in the schedule
            item.update({k: r.fidelity.get(k) for k in FIDELITY_FIELDS})
        if r.machine is not None:  # platform remote: where its files are
            item["machine"] = r.machine
        if intermediate:
            item["intermediate"] = [m.data for m in inter.get(r.id, [])]
        rows.append(item)
    objectives = from_config(store.get_meta("config"))
    if objectives is not None:  # several objectives: each row says them, its feasibility, the front
        annotate_export(objectives, store.history(), rows)
    return rows


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}{k}" if not prefix else f"{prefix}.{k}", v, out)
    else:
        out[prefix] = json.dumps(value) if isinstance(value, list) else value


def export_csv(rows: list[dict[str, Any]]) -> str:
    flat_rows = []
    for row in rows:
        flat: dict[str, Any] = {
            "trialJobId": row["trialJobId"],
            "sequence": row["sequence"],
            "status": row["status"],
        }
        value = row["value"]
        if isinstance(value, dict):
            flat["value"] = value.get("default")
            for k, v in value.items():
                if k != "default":
                    flat[f"metric.{k}"] = v
        else:
            flat["value"] = value
        flat.update({k: row[k] for k in FIDELITY_FIELDS if k in row})
        if "machine" in row:
            flat["machine"] = row["machine"]
        for k, v in (row.get("objectives") or {}).items():
            flat[f"objective.{k}"] = v
        if "pareto" in row:
            flat["feasible"], flat["pareto"] = row["feasible"], row["pareto"]
        _flatten("", row["parameter"], flat)
        if "intermediate" in row:
            flat["intermediate"] = json.dumps(row["intermediate"])
        flat_rows.append(flat)
    columns: list[str] = []
    for flat in flat_rows:
        columns.extend(k for k in flat if k not in columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns or ["trialJobId"])
    writer.writeheader()
    writer.writerows(flat_rows)
    return buf.getvalue()
