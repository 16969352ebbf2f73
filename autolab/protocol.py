"""How a trial and the manager meet: env var names, trial directory files, metric line schema.

This module is the only definition of the protocol. It is imported by the trial SDK, so it must
stay light (standard library only).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from .errors import AutolabError

# Environment variables the manager sets for every trial process.
ENV_EXPERIMENT_ID = "AUTOLAB_EXPERIMENT_ID"
ENV_TRIAL_ID = "AUTOLAB_TRIAL_ID"
ENV_SEQUENCE_ID = "AUTOLAB_SEQUENCE_ID"
ENV_TRIAL_DIR = "AUTOLAB_TRIAL_DIR"
# NNI's names, set too so that tools reading them keep working.
NNI_ENV_EXPERIMENT_ID = "NNI_EXP_ID"
NNI_ENV_TRIAL_ID = "NNI_TRIAL_JOB_ID"
NNI_ENV_SEQUENCE_ID = "NNI_TRIAL_SEQ_ID"
NNI_ENV_OUTPUT_DIR = "NNI_OUTPUT_DIR"

# Files inside <experiment>/trials/<trial id>/.
PARAMETER_FILE = "parameter.json"
METRICS_FILE = "metrics.jsonl"
STDOUT_FILE = "stdout"
STDERR_FILE = "stderr"
EXIT_FILE = "exit_status"
COMMAND_FILE = "command.sh"

# Metric line: one JSON object a line in metrics.jsonl.
#   {"type": "PERIODICAL" | "FINAL", "seq": int, "value": <json>, "time": float}
# "value" is a number or a dict whose "default" key is the number (NNI's convention).
PERIODICAL = "PERIODICAL"
FINAL = "FINAL"
METRIC_TYPES = (PERIODICAL, FINAL)


class MetricError(AutolabError, ValueError):
    """A reported metric is not a finite number nor a dict with a numeric 'default'."""


def default_value(value: Any) -> float:
    """The number a metric stands for: the value itself, or its 'default' key."""
    if isinstance(value, dict):
        if "default" not in value:
            raise MetricError(f"metric dict {value!r} has no 'default' key")
        value = value["default"]
    if isinstance(value, (str, bytes, bool)):
        raise MetricError(f"metric {value!r} is not a number")
    if not isinstance(value, (int, float)):
        # numpy scalars and the like expose __float__
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise MetricError(f"metric {value!r} is not a number") from None
    value = float(value)
    if not math.isfinite(value):
        raise MetricError(f"metric is {value} (not a finite number)")
    return value


def plain_json(value: Any) -> Any:
    """Convert numpy scalars (or anything with item()/__float__) so json can write it."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return float(value)


def metric_line(kind: str, seq: int, value: Any, when: float | None = None) -> str:
    """One line of metrics.jsonl (with its newline)."""
    if kind not in METRIC_TYPES:
        raise ValueError(f"unknown metric type {kind!r}")
    value = plain_json(value)
    default_value(value)  # validate before anything is written
    record = {"type": kind, "seq": seq, "value": value, "time": time.time() if when is None else when}
    return json.dumps(record, allow_nan=True) + "\n"


def parse_metric_line(line: str) -> dict[str, Any] | None:
    """Parse one metrics.jsonl line; None for a partial or malformed line."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("type") not in METRIC_TYPES:
        return None
    try:
        default_value(record.get("value"))
    except MetricError:
        return None
    when = record.get("time")
    if isinstance(when, bool) or not isinstance(when, (int, float)) or not math.isfinite(when):
        record["time"] = time.time()  # a writer other than the SDK may leave it out or get it wrong
    return record
