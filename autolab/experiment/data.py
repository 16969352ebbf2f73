"""What Experiment's queries return: NNI's data classes (its camelCase field names, times in
milliseconds), built from the experiment's store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..store import Store
from ..store.rows import MetricRow, TrialRow


def _ms(stamp: float | None) -> int | None:
    return None if stamp is None else int(stamp * 1000)


@dataclass
class TrialResult:
    parameter: dict[str, Any]
    value: Any
    trialJobId: str  # noqa: N815 (NNI's field names)


@dataclass
class TrialMetricData:
    timestamp: int
    trialJobId: str  # noqa: N815
    parameterId: str  # noqa: N815
    type: str
    sequence: int
    data: Any


@dataclass
class TrialHyperParameters:
    parameter_id: int
    parameter_source: str
    parameters: dict[str, Any]
    parameter_index: int = 0


@dataclass
class TrialJob:
    trialJobId: str  # noqa: N815
    status: str
    hyperParameters: list[TrialHyperParameters]  # noqa: N815
    logPath: str  # noqa: N815
    startTime: int | None  # noqa: N815
    endTime: int | None  # noqa: N815
    finalMetricData: list[TrialMetricData] = field(default_factory=list)  # noqa: N815
    stderrPath: str = ""  # noqa: N815
    sequenceId: int = 0  # noqa: N815
    message: str = ""


def metric_data(row: MetricRow, seq: int) -> TrialMetricData:
    return TrialMetricData(
        timestamp=int(row.time * 1000),
        trialJobId=row.trial_id,
        parameterId=str(seq),
        type=row.type,
        sequence=row.seq,
        data=row.data,
    )


def trial_job(row: TrialRow, store: Store, directory: Path) -> TrialJob:
    finals = [metric_data(m, row.seq) for m in store.metric_rows(row.id, kind="FINAL")]
    trial_dir = directory / "trials" / row.id
    return TrialJob(
        trialJobId=row.id,
        status=row.status.value,
        hyperParameters=[TrialHyperParameters(row.seq, row.source, row.parameters)],
        logPath=str(trial_dir),
        startTime=_ms(row.start_time),
        endTime=_ms(row.end_time),
        finalMetricData=finals,
        stderrPath=str(trial_dir / "stderr"),
        sequenceId=row.seq,
        message=row.message,
    )
