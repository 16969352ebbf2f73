"""What the store's reads return: typed rows, their JSON columns decoded once, here."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..statuses import TrialStatus


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


@dataclass(frozen=True)
class TrialRow:
    """One trial's current state. handle: what the training service needs to find the trial again
    (pid and create time, or a Slurm job id); {} before the trial is started."""

    id: str
    seq: int
    parameters: dict[str, Any]
    status: TrialStatus
    value: float | None
    raw_value: Any
    start_time: float | None
    end_time: float | None
    exit_code: int | None
    message: str
    handle: dict[str, Any]
    source: str
    metrics_offset: int
    n_intermediate: int
    last_intermediate: float | None
    updated: float
    version: int
    # a multi-fidelity trial's budget, bracket, rung, config (autolab.fidelity); None for others
    fidelity: dict[str, Any] | None = None

    @classmethod
    def from_sql(cls, r: sqlite3.Row) -> TrialRow:
        return cls(
            id=r["id"],
            seq=r["seq"],
            parameters=json.loads(r["parameters"]),
            status=TrialStatus(r["status"]),
            value=r["value"],
            raw_value=_loads(r["raw_value"]),
            start_time=r["start_time"],
            end_time=r["end_time"],
            exit_code=r["exit_code"],
            message=r["message"],
            handle=_loads(r["handle"]) or {},
            source=r["source"],
            metrics_offset=r["metrics_offset"],
            n_intermediate=r["n_intermediate"],
            last_intermediate=r["last_intermediate"],
            updated=r["updated"],
            version=r["version"],
            fidelity=_loads(r["fidelity"]),
        )

    @property
    def machine(self) -> str | None:
        """The remote machine the trial ran on (user@host:port, as its handle names it); None on
        other platforms."""
        machine = self.handle.get("machine") if isinstance(self.handle, dict) else None
        return machine if isinstance(machine, str) else None

    def duration(self, now: float) -> float | None:
        """Seconds run: until the end, or until now while it runs; None before it starts."""
        if self.start_time is None:
            return None
        return (self.end_time if self.end_time is not None else now) - self.start_time


@dataclass(frozen=True)
class MetricRow:
    """One reported result: `value` is its number, `data` what the trial reported."""

    trial_id: str
    type: str
    seq: int
    value: float
    data: Any
    time: float
    recorded: float
    version: int

    @classmethod
    def from_sql(cls, r: sqlite3.Row) -> MetricRow:
        return cls(
            trial_id=r["trial_id"],
            type=r["type"],
            seq=r["seq"],
            value=r["value"],
            data=json.loads(r["raw"]),
            time=r["time"],
            recorded=r["recorded"],
            version=r["version"],
        )


@dataclass(frozen=True)
class TrialPage:
    """One page of trials sorted and filtered, the number matching, and the time durations run to."""

    total: int
    rows: list[TrialRow]
    now: float
