"""Reads what trials appended to their metrics.jsonl into the store, exactly once.

Only complete lines are consumed; the byte offset read so far is stored in the same transaction as
the metric rows, so a manager killed at any moment re-reads from where the store says it stopped.
The offsets of active trials are also kept in memory, so a loop turn costs one stat() per trial.
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import protocol
from .store import Store

log = logging.getLogger("autolab.manager")


class MetricReader:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.offsets: dict[str, int] = {}

    def read(self, trial_id: str, trial_dir: Path) -> list[protocol.Metric]:
        """Store the complete new lines of the trial's metrics file; returns the metrics stored.
        Malformed lines are logged and skipped."""
        path = trial_dir / protocol.METRICS_FILE
        try:
            size = path.stat().st_size
        except OSError:
            return []
        offset = self.offsets.get(trial_id)
        if offset is None:  # first look since start: the store knows how far earlier managers read
            row = self.store.trial_row(trial_id)
            offset = self.offsets[trial_id] = row.metrics_offset if row else 0
        if size <= offset:
            return []
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read(size - offset)
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        metrics = []
        for raw in chunk[: end + 1].split(b"\n"):  # not splitlines(): JSON may hold \r or U+2028
            line = raw.decode("utf-8", "replace")
            metric = protocol.parse_metric_line(line)
            if metric is None:
                if line.strip():
                    log.warning("trial %s: ignoring malformed metric line %r", trial_id, line[:200])
                continue
            metrics.append(metric)
        self.store.record_metrics(trial_id, metrics, offset + end + 1)
        self.offsets[trial_id] = offset + end + 1
        return metrics

    def forget(self, trial_id: str) -> None:
        self.offsets.pop(trial_id, None)
