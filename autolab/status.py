"""Read-only views of an experiment for the CLI and the web server: status, summaries, exports."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

from .experiments import ExperimentRef, manager_alive
from .store import Store


def experiment_status(ref: ExperimentRef, store: Store) -> str:
    """RUNNING only while a manager runs it; a RUNNING experiment whose manager died is STOPPED."""
    status = store.get_meta("status", "INITIALIZED")
    if status == "RUNNING" and not manager_alive(ref.directory):
        return "STOPPED"
    return str(status)


def best_trial(store: Store) -> dict[str, Any] | None:
    order = "DESC" if optimize_mode(store) == "maximize" else "ASC"
    row = store.conn.execute(
        f"SELECT id, seq, value, parameters FROM trials WHERE status='SUCCEEDED' AND value IS NOT NULL "
        f"ORDER BY value {order} LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return {
        "trialJobId": row["id"],
        "sequence": row["seq"],
        "value": row["value"],
        "parameter": json.loads(row["parameters"]),
    }


def optimize_mode(store: Store) -> str:
    tuner = (store.get_meta("config") or {}).get("tuner") or {}
    return str((tuner.get("classArgs") or {}).get("optimize_mode", "maximize"))


def profile(ref: ExperimentRef, store: Store) -> dict[str, Any]:
    meta = store.meta()
    config = meta.get("config") or {}
    counts = store.count_by_status()
    return {
        "id": ref.id,
        "name": meta.get("name") or "",
        "status": experiment_status(ref, store),
        "error": meta.get("error"),
        "directory": str(ref.directory),
        "url": meta.get("url") if manager_alive(ref.directory) else None,
        "created": meta.get("created"),
        "elapsed": meta.get("elapsed", 0.0),
        "maxTrialNumber": config.get("maxTrialNumber"),
        "maxExperimentDuration": config.get("maxExperimentDuration"),
        "trialConcurrency": config.get("trialConcurrency"),
        "trialCounts": counts,
        "trialTotal": sum(counts.values()),
        "best": best_trial(store),
        "config": config,
    }


def export_rows(store: Store, intermediate: bool = False) -> list[dict[str, Any]]:
    """NNI's export shape: [{"parameter": {...}, "value": ..., "trialJobId": ..., ...}]."""
    inter: dict[str, list[Any]] = {}
    if intermediate:
        for r in store.conn.execute(
            "SELECT trial_id, raw FROM metrics WHERE type='PERIODICAL' ORDER BY trial_id, seq"
        ):
            inter.setdefault(r["trial_id"], []).append(json.loads(r["raw"]))
    rows = []
    for r in store.trial_rows():
        item: dict[str, Any] = {
            "parameter": json.loads(r["parameters"]),
            "value": json.loads(r["raw_value"]) if r["raw_value"] else None,
            "trialJobId": r["id"],
            "sequence": r["seq"],
            "status": r["status"],
            "startTime": r["start_time"],
            "endTime": r["end_time"],
            "message": r["message"],
        }
        if intermediate:
            item["intermediate"] = inter.get(r["id"], [])
        rows.append(item)
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


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


def format_time(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
