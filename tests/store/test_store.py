"""The SQLite store: current-state trial rows, metric rows, atomic metric offsets, history."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from autolab.protocol import FINAL, PERIODICAL, Metric
from autolab.statuses import TrialStatus
from autolab.store import DB_FILE, SCHEMA_VERSION, Store, StoreError


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
    stored = sorted((r.type, r.seq, r.value, r.time) for r in store.metric_rows("a"))
    assert stored == [("FINAL", 0, 0.3, 3.0), ("PERIODICAL", 0, 0.1, 1.0), ("PERIODICAL", 1, 0.2, 2.0)]
    row = store.trial_row("a")
    assert row is not None and row.metrics_offset == 123 and row.n_intermediate == 2 and row.value == 0.3
    assert row.handle == {"pid": 5} and row.raw_value == {"default": 0.3, "loss": 1}
    assert row.status == TrialStatus.RUNNING and row.parameters == {"x": 1}
    history = store.history()
    assert [t.trial_id for t in history.trials] == ["a", "b"]
    assert history.trials[0].intermediate == [0.1, 0.2]
    assert history.trials[0].raw_value == {"default": 0.3, "loss": 1}
    assert history.trials[0].status == TrialStatus.RUNNING
    assert store.count_by_status() == {"RUNNING": 1, "WAITING": 1}
    assert len(store.metric_rows("a", after=0)) == 3


def test_failed_metric_write_keeps_offset(tmp_path: Path) -> None:
    store = Store(tmp_path, create=True)
    store.add_trial("a", {})
    nan_inside = Metric(FINAL, {"default": 0.5, "loss": float("nan")}, 0.5, 1.0)  # not made by Metric.of
    with pytest.raises(ValueError):
        store.record_metrics("a", [Metric.of(PERIODICAL, 0.1), nan_inside], 50)
    # nothing half-written: neither the offset nor any metric row moved
    row = store.trial_row("a")
    assert row is not None and row.metrics_offset == 0
    assert store.metric_rows() == []


def test_a_later_final_replaces_the_final_row(tmp_path: Path) -> None:
    store = Store(tmp_path, create=True)
    store.add_trial("a", {})
    store.record_metrics("a", [Metric.of(FINAL, 0.5, 1.0), Metric.of(PERIODICAL, 0.1, 2.0)], 10)
    first = store.metric_rows("a", after=0)
    store.record_metrics("a", [Metric.of(FINAL, {"default": 0.7, "loss": 1}, 3.0)], 20)
    finals = [r for r in store.metric_rows("a") if r.type == FINAL]
    assert [(r.value, r.data, r.time) for r in finals] == [(0.7, {"default": 0.7, "loss": 1}, 3.0)]
    assert finals[0].version > max(r.version for r in first)  # ?after= readers see the change
    row = store.trial_row("a")
    assert row is not None and row.value == 0.7 and row.raw_value == {"default": 0.7, "loss": 1}


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


# the schema of stores written before versions (PRAGMA user_version 0), as that code created it
OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE trials (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, parameters TEXT NOT NULL, status TEXT NOT NULL,
    value REAL, raw_value TEXT, start_time REAL, end_time REAL, exit_code INTEGER,
    message TEXT NOT NULL DEFAULT '', handle TEXT, source TEXT NOT NULL DEFAULT 'tuner',
    metrics_offset INTEGER NOT NULL DEFAULT 0, n_intermediate INTEGER NOT NULL DEFAULT 0,
    last_intermediate REAL, updated REAL NOT NULL
);
CREATE INDEX trials_status ON trials(status);
CREATE INDEX trials_value ON trials(value);
CREATE INDEX trials_updated ON trials(updated);
CREATE TABLE metrics (
    trial_id TEXT NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL, value REAL NOT NULL,
    raw TEXT NOT NULL, time REAL NOT NULL, recorded REAL NOT NULL
);
CREATE INDEX metrics_trial ON metrics(trial_id, type, seq);
CREATE INDEX metrics_recorded ON metrics(recorded);
INSERT INTO meta VALUES ('status', '"DONE"');
INSERT INTO trials(id, seq, parameters, status, value, raw_value, handle, updated)
    VALUES ('old1', 0, '{"x": 1}', 'SUCCEEDED', 0.5, '0.5', '{"pid": 7}', 200.0),
           ('old2', 1, '{"x": 2}', 'SUCCEEDED', 0.25, '{"default": 0.25, "loss": NaN}', NULL, 100.0);
INSERT INTO metrics VALUES ('old1', 'PERIODICAL', 0, 0.1, '0.1', 10.0, 150.0),
                           ('old1', 'FINAL', 0, 0.5, '0.5', 11.0, 160.0);
"""


def make_old_store(directory: Path) -> None:
    conn = sqlite3.connect(directory / DB_FILE)
    conn.executescript("PRAGMA journal_mode=WAL;" + OLD_SCHEMA)
    conn.close()


def test_old_store_is_migrated_on_open(tmp_path: Path) -> None:
    make_old_store(tmp_path)
    with Store(tmp_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # numbered in the order written: trials (old2 updated first), then metrics
        assert [(r.id, r.version) for r in store.trial_rows()] == [("old1", 2), ("old2", 1)]
        assert [(m.type, m.version) for m in store.metric_rows()] == [("PERIODICAL", 3), ("FINAL", 4)]
        assert store.version() == 4
        assert store.trial_row("old1").handle == {"pid": 7}  # type: ignore[union-attr]
        store.update_trial("old2", message="touched")
        assert [r.id for r in store.trial_rows() if r.version > 4] == ["old2"]
    with Store(tmp_path, readonly=True) as reader:  # opens again, nothing more to do
        assert reader.version() == 5


def test_old_store_read_only_is_migrated_or_read_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_old_store(tmp_path)
    with Store(tmp_path, readonly=True) as reader:  # the file may be written: migrated
        assert reader.version() == 4
    old = tmp_path / "old"
    old.mkdir()
    make_old_store(old)
    # a read-only directory (faked: root may write anywhere)
    monkeypatch.setattr("autolab.store.core.os.access", lambda *args: False)
    with Store(old, readonly=True) as reader:
        assert [r.id for r in reader.trial_rows()] == ["old1", "old2"]
        assert {r.version for r in reader.trial_rows()} == {0} and reader.version() == 0
        assert len(reader.metric_rows()) == 2
        version, text = reader.summary_json()
        assert version == 0 and len(json.loads(text)) == 2
    assert sqlite3.connect(old / DB_FILE).execute("PRAGMA user_version").fetchone()[0] == 0


def test_every_write_takes_a_higher_version(tmp_path: Path) -> None:
    with Store(tmp_path, create=True) as store:
        assert store.version() == 0
        store.add_trial("a", {})
        store.add_trial("b", {})
        assert [r.version for r in store.trial_rows()] == [1, 2]
        store.record_metrics("a", [Metric.of(PERIODICAL, 0.5, 1.0)], 10)
        (metric,) = store.metric_rows()
        row = store.trial_row("a")
        assert row is not None and metric.version == 3 and row.version == 4 and store.version() == 4
        assert store.metric_rows(after=3) == [] and [r.id for r in store.trial_rows() if r.version > 2] == [
            "a"
        ]


def test_store_is_a_context_manager(tmp_path: Path) -> None:
    with Store(tmp_path, create=True) as store:
        store.set_meta(a=1)
    with pytest.raises(sqlite3.ProgrammingError):  # closed on leaving the block
        store.get_meta("a")


def test_a_version_2_store_gains_the_fidelity_column_keeping_its_versions(tmp_path: Path) -> None:
    with Store(tmp_path, create=True) as store:
        store.add_trial("a", {"x": 1})
        store.add_trial(
            "b", {"x": 2, "TRIAL_BUDGET": 3}, fidelity={"budget": 3, "bracket": 0, "rung": 1, "config": "a"}
        )
    conn = sqlite3.connect(tmp_path / DB_FILE)  # as version 2 wrote it: no fidelity column
    conn.execute(
        "UPDATE trials SET updated = 1"
    )  # (versions 3, 4 by the trigger) a renumbering would reorder them
    conn.execute("ALTER TABLE trials DROP COLUMN fidelity")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Store(tmp_path) as store:
        assert [(r.id, r.version, r.fidelity) for r in store.trial_rows()] == [("a", 3, None), ("b", 4, None)]
        store.add_trial("c", {}, fidelity={"budget": 9, "bracket": 0, "rung": 2, "config": "a"})
        assert store.trial_row("c").fidelity == {"budget": 9, "bracket": 0, "rung": 2, "config": "a"}  # type: ignore[union-attr]
        assert store.history().trials[2].fidelity == {"budget": 9, "bracket": 0, "rung": 2, "config": "a"}


def test_the_best_trial_of_a_multi_fidelity_experiment_ran_at_the_largest_budget(tmp_path: Path) -> None:
    """A Hyperband experiment's 1-epoch results were ranked with its 27-epoch ones: the CLI's
    "Best:" and the profile showed a cheap, incomparable result as the experiment's best."""
    store = Store(tmp_path, create=True)
    runs = [("cheap", 1, 0.99), ("full", 27, 0.95), ("full2", 27, 0.90), ("plain", None, 0.5)]
    for trial_id, budget, value in runs:
        fidelity = None if budget is None else {"budget": budget, "bracket": 0, "rung": 0, "config": trial_id}
        store.add_trial(trial_id, {"x": 1}, fidelity=fidelity)
        store.record_metrics(trial_id, [Metric.of(FINAL, value, 1.0)], 10)
        store.update_trial(trial_id, status=TrialStatus.SUCCEEDED)
    best = store.best_trial(maximize=True)
    assert best is not None and best.id == "full"  # not "cheap" (budget 1); "plain" has no budget
    assert store.best_trial(maximize=False).id == "plain"  # type: ignore[union-attr]
    store.close()
