"""The SQLite store: current-state trial rows, metric rows, atomic metric offsets, history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autolab.history import TrialStatus
from autolab.protocol import FINAL, PERIODICAL, Metric
from autolab.store import Store, StoreError


def test_trials_metrics_and_history(tmp_path: Path) -> None:
    store = Store(tmp_path, create=True)
    assert store.add_trial("a", {"x": 1}) == 0
    assert store.add_trial("b", {"x": 2}) == 1
    store.update_trial("a", status=TrialStatus.RUNNING, handle={"pid": 5})
    store.record_metrics(
        "a",
        [
            Metric.of(PERIODICAL, 0.1, 1.0),
            Metric.of(PERIODICAL, {"default": 0.2, "loss": 3}, 2.0),
            Metric.of(FINAL, {"default": 0.3, "loss": 1}, 3.0),
        ],
        new_offset=123,
    )
    stored = [(r["type"], r["seq"], r["value"], r["time"]) for r in store.metric_rows("a")]
    assert stored == [("FINAL", 0, 0.3, 3.0), ("PERIODICAL", 0, 0.1, 1.0), ("PERIODICAL", 1, 0.2, 2.0)]
    row = store.trial_row("a")
    assert row["metrics_offset"] == 123 and row["n_intermediate"] == 2 and row["value"] == 0.3
    history = store.history()
    assert [t.trial_id for t in history.trials] == ["a", "b"]
    assert history.trials[0].intermediate == [0.1, 0.2]
    assert history.trials[0].raw_value == {"default": 0.3, "loss": 1}
    assert history.trials[0].status == TrialStatus.RUNNING
    assert store.count_by_status() == {"RUNNING": 1, "WAITING": 1}
    assert len(store.metric_rows("a", since=0)) == 3


def test_failed_metric_write_keeps_offset(tmp_path: Path) -> None:
    store = Store(tmp_path, create=True)
    store.add_trial("a", {})
    nan_inside = Metric(FINAL, {"default": 0.5, "loss": float("nan")}, 0.5, 1.0)  # not made by Metric.of
    with pytest.raises(ValueError):
        store.record_metrics("a", [Metric.of(PERIODICAL, 0.1), nan_inside], 50)
    # nothing half-written: neither the offset nor any metric row moved
    assert store.trial_row("a")["metrics_offset"] == 0
    assert store.metric_rows() == []


def test_meta_roundtrip_and_readonly_reader(tmp_path: Path) -> None:
    store = Store(tmp_path, create=True)
    store.set_meta(status="RUNNING", config={"a": [1, 2]})
    reader = Store(tmp_path, readonly=True)
    assert reader.get_meta("config") == {"a": [1, 2]}
    store.set_meta(status="DONE")
    assert reader.get_meta("status") == "DONE"
    with pytest.raises(sqlite3.OperationalError):
        reader.conn.execute("INSERT INTO meta VALUES ('x', '1')")


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no experiment store"):
        Store(tmp_path / "nowhere")
