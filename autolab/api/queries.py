"""The API's reads shaped as JSON: trial pages, the summary, metrics after a version, one trial's
metrics. The store runs the queries; kept apart from the handlers so the benchmark and the tests
call them directly too."""

from __future__ import annotations

import json
import math
import secrets
from typing import Any

from ..statuses import TrialStatus
from ..store import Store, TrialRow

STATUSES = tuple(s.value for s in TrialStatus)
SUMMARY_COLUMNS = [
    "id",
    "sequence",
    "status",
    "value",
    "startTime",
    "endTime",
    "intermediateCount",
    "lastIntermediate",
    "parameter",
    "metrics",
    "source",
    "fidelity",  # a multi-fidelity trial's {budget, bracket, rung, config}; null for others
]


def trial_item(row: TrialRow, now: float) -> dict[str, Any]:
    return {
        "trialJobId": row.id,
        "sequence": row.seq,
        "status": row.status.value,
        "parameter": row.parameters,
        "value": row.value,
        "finalMetric": row.raw_value,
        "startTime": row.start_time,
        "endTime": row.end_time,
        "duration": row.duration(now),
        "intermediateCount": row.n_intermediate,
        "lastIntermediate": row.last_intermediate,
        "message": row.message,
        "source": row.source,
        "exitCode": row.exit_code,
        "fidelity": row.fidelity,  # budget, bracket, rung, config (Hyperband, BOHB); null for others
        "machine": row.machine,  # platform remote: the machine it ran on (user@host:port); else null
    }


def trial_page(
    store: Store,
    offset: int = 0,
    limit: int = 50,
    sort: str = "sequence",
    order: str = "asc",
    statuses: list[str] | None = None,
    search: str = "",
) -> dict[str, Any]:
    """One page of trials and the number matching (see Store.trial_page)."""
    page = store.trial_page(offset, limit, sort, order, statuses, search)
    return {
        "total": page.total,
        "offset": offset,
        "limit": limit,
        "sort": sort,
        "order": order.lower(),
        "trials": [trial_item(r, page.now) for r in page.rows],
    }


def summary_rows(store: Store, after: int | None = None) -> dict[str, Any]:
    """Every trial (or those changed after version `after`) as compact rows for the page's table
    and charts; `version` is what to pass as the next `after`."""
    version, text = store.summary_json(after)
    return {"version": version, "columns": SUMMARY_COLUMNS, "trials": RawJSON(text)}


class RawJSON(str):
    """JSON text to embed as is (see to_json)."""


def sanitize(value: Any) -> Any:
    """value with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v) for v in value]
    return value


def to_json(payload: Any) -> str:
    """JSON text of payload; RawJSON values are embedded as they are. NaN/Infinity (in a result
    stored before ingest refused them) become null."""
    raws: list[str] = []
    nonce = secrets.token_hex(8)

    def walk(value: Any) -> Any:
        if isinstance(value, RawJSON):
            raws.append(value)
            return f"{nonce}:{len(raws) - 1}"
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return value

    tree = walk(payload)
    try:
        text = json.dumps(tree, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps(sanitize(tree), default=str, allow_nan=False)
    for i, raw in enumerate(raws):
        text = text.replace(f'"{nonce}:{i}"', raw, 1)
    return text


def metrics_after(
    store: Store,
    after: int | None = None,
    trial_id: str | None = None,
    kind: str | None = None,
    limit: int = 10000,
) -> dict[str, Any]:
    """At most `limit` metric rows written after version `after` (all when None), oldest first;
    pass `version` back as `after` and every row arrives exactly once (`more`: some are left)."""
    # read before the rows: every row up to it is in what the query sees (later writes take higher
    # versions), so it is a safe cursor even when no row (of this trial or type) is new
    version = store.version()
    rows = store.metric_rows(trial_id, after, kind, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if more:
        version = rows[-1].version
    elif rows:
        version = max(version, rows[-1].version)
    return {
        "version": version,
        "more": more,
        "metrics": [
            {
                "trialJobId": r.trial_id,
                "type": r.type,
                "sequence": r.seq,
                "value": r.value,
                "data": r.data,
                "time": r.time,
                "recorded": r.recorded,
                "version": r.version,
            }
            for r in rows
        ],
    }


def trial_metrics(store: Store, trial_id: str) -> dict[str, Any]:
    """A trial's intermediate results (in report order) and its final one."""
    intermediate = []
    final = None
    for r in store.metric_rows(trial_id):
        item = {"sequence": r.seq, "value": r.value, "data": r.data, "time": r.time}
        if r.type == "FINAL":
            final = item
        else:
            intermediate.append(item)
    intermediate.sort(key=lambda m: m["sequence"])
    return {"intermediate": intermediate, "final": final}
