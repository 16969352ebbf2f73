"""How a trial and the manager meet: the whole contract, defined here only.

The trial's environment, the files of its directory (parameter.json, metrics.jsonl, exit status,
pid file), the metric line and the process identity check. The trial SDK imports this module, so
it stays light: standard library only (psutil is imported by the identity check alone).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any, NamedTuple

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
PID_FILE = "trial.pid"  # the pid of the trial's wrapper shell (its process group id)

# Metric line: one JSON object a line in metrics.jsonl.
#   {"type": "PERIODICAL" | "FINAL", "value": <json>, "time": float}
# "value" is a number or a dict whose "default" key is the number (NNI's convention). Lines
# written before may carry a "seq" too; it is ignored (the store numbers intermediate results).
PERIODICAL = "PERIODICAL"
FINAL = "FINAL"
METRIC_TYPES = (PERIODICAL, FINAL)


def trial_env(experiment_id: str, trial_id: str, sequence: int, trial_dir: Path | str) -> dict[str, str]:
    """The variables a trial process gets, under autolab's names and NNI's."""
    return {
        ENV_EXPERIMENT_ID: experiment_id,
        ENV_TRIAL_ID: trial_id,
        ENV_SEQUENCE_ID: str(sequence),
        ENV_TRIAL_DIR: str(trial_dir),
        NNI_ENV_EXPERIMENT_ID: experiment_id,
        NNI_ENV_TRIAL_ID: trial_id,
        NNI_ENV_SEQUENCE_ID: str(sequence),
        NNI_ENV_OUTPUT_DIR: str(trial_dir),
    }


def trial_shell() -> str:
    """The shell that runs the user's trial command."""
    return shutil.which("bash") or "/bin/sh"


# -- parameter.json ----------------------------------------------------------------------------
def write_parameters(trial_dir: Path, parameters: dict[str, Any]) -> None:
    """Write parameter.json atomically: a trial never reads half of it."""
    tmp = trial_dir / (PARAMETER_FILE + ".tmp")
    tmp.write_text(json.dumps(parameters), encoding="utf-8")
    tmp.replace(trial_dir / PARAMETER_FILE)


def read_parameters(trial_dir: Path | str) -> dict[str, Any]:
    with open(os.path.join(trial_dir, PARAMETER_FILE), encoding="utf-8") as fh:
        parameters: dict[str, Any] = json.load(fh)
    return parameters


# -- exit status and pid files -----------------------------------------------------------------
def exit_status_time(trial_dir: Path) -> float | None:
    """When the exit status was written (its file's mtime): when the trial ended; None if absent."""
    try:
        return os.stat(os.path.join(trial_dir, EXIT_FILE)).st_mtime
    except OSError:
        return None


def read_exit_status(trial_dir: Path) -> int | None:
    """The exit code the trial's wrapper recorded, or None when it has not (yet) recorded one."""
    try:
        return int((trial_dir / EXIT_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def write_pid_file(path: Path, pid: int, create_time: float) -> None:
    """Record a process as "<pid> <create time>", atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{pid} {create_time}\n", encoding="utf-8")
    tmp.replace(path)


def read_pid_file(path: Path) -> tuple[int, float] | None:
    """(pid, create time) from a pid file; the create time is 0.0 (unknown) when the file holds the
    pid alone, as the trial wrapper's does. None when there is no readable pid."""
    try:
        fields = path.read_text(encoding="utf-8").split()
        pid = int(fields[0])
        create_time = float(fields[1]) if len(fields) > 1 else 0.0
    except (OSError, ValueError, IndexError):
        return None
    return (pid, create_time) if pid > 0 else None


def process_alive(pid: int, create_time: float) -> bool:
    """Whether pid still runs and is the process that started at create_time (a reused pid is
    another program; a zombie has ended). A create_time of 0.0 (unknown) checks the pid alone."""
    import psutil  # not at the top: the trial SDK imports this module and must stay light

    try:
        proc = psutil.Process(pid)
        if create_time and abs(proc.create_time() - create_time) > 1.0:
            return False
        return bool(proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


# -- the metric line ---------------------------------------------------------------------------
class MetricError(AutolabError, ValueError):
    """A reported metric is not a finite number nor a dict with a numeric 'default'."""


class NonFiniteMetric(MetricError):
    """The metric's number is NaN or infinite (a diverged run): not recorded, not a script's bug."""


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
    try:
        value = float(value)
    except OverflowError:  # an int such as 10**400
        raise MetricError("metric is beyond the range of a float") from None
    if not math.isfinite(value):
        raise NonFiniteMetric(f"metric is {value} (not a finite number)")
    return value


#: deepest nesting of lists and dicts a metric may have. NNI's metrics are a number or a flat dict; a
#: bound (rather than Python's recursion limit, which depends on the caller's stack) refuses a
#: hand-written line the same way wherever it is read, and before anything is stored.
MAX_METRIC_DEPTH = 32

#: the last second a datetime can show (year 9999): a later metric time is a writer's mistake
MAX_METRIC_TIME = 253402300799.0


def plain_json(value: Any, _depth: int = 0) -> Any:
    """Convert numpy scalars (or anything with item()/__float__) so json can write it.
    MetricError when lists and dicts nest deeper than MAX_METRIC_DEPTH."""
    if isinstance(value, (dict, list, tuple)) and _depth >= MAX_METRIC_DEPTH:
        raise MetricError(f"metric nests lists and dicts deeper than {MAX_METRIC_DEPTH} levels")
    if isinstance(value, dict):
        return {str(k): plain_json(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v, _depth + 1) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return float(value)


def _finite_or_null(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    return value


class _MetricFields(NamedTuple):
    kind: str
    value: Any
    number: float
    time: float


# a NamedTuple, not a dataclass: dataclasses imports inspect, which would add ~6 ms to every
# trial's `import autolab`
class Metric(_MetricFields):
    """One reported result. `value` is as reported (a number, or a dict whose non-finite side
    values are null: JSON has no NaN); `number` is the one it stands for, always finite."""

    __slots__ = ()

    def __new__(cls, kind: str, value: Any, number: float, time: float) -> Metric:
        if kind not in METRIC_TYPES:
            raise ValueError(f"unknown metric type {kind!r}")
        if not math.isfinite(number):
            raise MetricError(f"metric is {number} (not a finite number)")
        return super().__new__(cls, kind, value, number, time)

    @classmethod
    def of(cls, kind: str, value: Any, when: float | None = None) -> Metric:
        """The metric a report stands for; MetricError when value is not a metric."""
        value = plain_json(value)
        number = default_value(value)  # the only place the number is computed
        return cls(kind, _finite_or_null(value), number, time.time() if when is None else when)

    @property
    def final(self) -> bool:
        return self.kind == FINAL


def metric_line(kind: str, value: Any, when: float | None = None) -> str:
    """One line of metrics.jsonl (with its newline); MetricError before anything is written."""
    metric = Metric.of(kind, value, when)
    record = {"type": metric.kind, "value": metric.value, "time": metric.time}
    return json.dumps(record, allow_nan=False) + "\n"


def _usable_time(when: Any) -> float | None:
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        return None
    try:
        when = float(when)
    except OverflowError:  # an int such as 10**400
        return None
    return when if 0.0 <= when <= MAX_METRIC_TIME else None  # NaN fails both comparisons


def parse_metric_line(line: str) -> Metric | None:
    """Parse one metrics.jsonl line; None for a partial or malformed line (never an exception:
    one bad line must not hold up the lines after it)."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: [[[[... nested past the parser's limit
        return None
    if not isinstance(record, dict) or record.get("type") not in METRIC_TYPES:
        return None
    # a writer other than the SDK may leave the time out or get it wrong: now, then
    when = _usable_time(record.get("time"))
    try:
        return Metric.of(record["type"], record.get("value"), when)
    except MetricError:
        return None
