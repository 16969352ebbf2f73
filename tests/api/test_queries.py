"""The API's queries called directly: paging, sorting, search, summary, metric batches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import autolab.store.core
from autolab.api.queries import (
    SUMMARY_COLUMNS,
    metrics_after,
    summary_rows,
    to_json,
    trial_metrics,
    trial_page,
)
from autolab.protocol import FINAL, PERIODICAL, Metric
from tests.api.helpers import fill


def test_page_search_matches_id_status_and_parameters(tmp_path: Path) -> None:
    store = fill(tmp_path)
    assert [t["trialJobId"] for t in trial_page(store, search="bbb")["trials"]] == ["bbbbb"]
    assert trial_page(store, search="FAILED")["total"] == 1
    assert trial_page(store, search='"x": 0.5')["total"] == 1
    # LIKE wildcards are literal: no trial has '_' or '%' anywhere
    assert trial_page(store, search="_")["total"] == 0 and trial_page(store, search="%")["total"] == 0
    store.close()


def test_page_combines_status_filter_and_sort(tmp_path: Path) -> None:
    store = fill(tmp_path)
    page = trial_page(store, sort="value", order="asc", statuses=["SUCCEEDED", "FAILED"])
    assert [t["trialJobId"] for t in page["trials"]] == ["aaaaa", "bbbbb", "ddddd"]
    store.close()


def strict(text: str) -> Any:
    """JSON as a browser reads it: NaN and Infinity are errors."""

    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_summary_columns_and_after(tmp_path: Path) -> None:
    store = fill(tmp_path)
    full = json.loads(to_json(summary_rows(store)))
    assert full["columns"] == SUMMARY_COLUMNS and len(full["trials"]) == 5
    first = dict(zip(SUMMARY_COLUMNS, full["trials"][0], strict=True))
    assert first["parameter"] == {"x": 0.1, "k": 1} and first["value"] == 0.5 and first["source"] == "tuner"
    assert json.loads(to_json(summary_rows(store, full["version"])))["trials"] == []
    store.update_trial("ccccc", message="changed")
    changed = json.loads(to_json(summary_rows(store, full["version"])))
    assert [t[0] for t in changed["trials"]] == ["ccccc"] and changed["version"] > full["version"]
    store.close()


def test_non_finite_values_become_null(tmp_path: Path) -> None:
    """JSON has no NaN: a metric dict with NaN in a side key, or an infinite value, must not break the page."""
    store = fill(tmp_path)
    store.record_metrics("ccccc", [Metric.of(FINAL, {"default": 0.3, "loss": float("nan")})], 0)
    store.update_trial("ccccc", last_intermediate=float("inf"))
    text = to_json(summary_rows(store))
    row = dict(zip(SUMMARY_COLUMNS, strict(text)["trials"][2], strict=True))
    assert row["value"] == 0.3 and row["metrics"] == {"default": 0.3, "loss": None}
    assert row["lastIntermediate"] is None
    page = strict(to_json(trial_page(store, statuses=["RUNNING"])))
    assert page["trials"][0]["finalMetric"] == {"default": 0.3, "loss": None}
    assert page["trials"][0]["lastIntermediate"] is None
    store.close()


def test_metrics_come_in_pages_each_row_once(tmp_path: Path) -> None:
    store = fill(tmp_path)
    after = metrics_after(store)["version"]
    records = [Metric.of(PERIODICAL, i / 10) for i in range(5)]
    store.record_metrics("ccccc", records, 0)
    seen = []
    page = metrics_after(store, after, limit=2)
    while True:
        seen += [m["value"] for m in page["metrics"]]
        if not page["more"]:
            break
        page = metrics_after(store, page["version"], limit=2)
    assert seen == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert metrics_after(store, page["version"])["metrics"] == []
    store.close()


def test_rows_written_in_the_cursors_clock_tick_are_not_missed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the cursor is a version: a wall-clock cursor skipped a row written in the same tick
    (`updated > since` is false for updated == since)."""
    store = fill(tmp_path)
    monkeypatch.setattr(autolab.store.core.time, "time", lambda: 1000.0)  # the clock stands still
    store.update_trial("ddddd", message="first")
    summary = summary_rows(store)
    metrics = metrics_after(store)
    store.update_trial("eeeee", message="same instant")
    store.record_metrics("eeeee", [Metric.of(PERIODICAL, 0.7, 1000.0)], 0)
    assert {r.updated for r in store.trial_rows(["FAILED", "WAITING"])} == {1000.0}
    assert [t[0] for t in json.loads(to_json(summary_rows(store, summary["version"])))["trials"]] == ["eeeee"]
    assert [m["value"] for m in metrics_after(store, metrics["version"])["metrics"]] == [0.7]
    store.close()


def test_an_old_row_with_nan_in_its_result_still_serves(tmp_path: Path) -> None:
    """Results stored before ingest refused NaN (written as Python writes JSON) serve as null."""
    store = fill(tmp_path)
    with store.transaction() as c:
        c.execute(
            "UPDATE trials SET raw_value=?, parameters=? WHERE id='bbbbb'",
            ('{"default": 0.9, "loss": NaN, "acc": [Infinity, -Infinity]}', '{"x": 0.01, "k": 2}'),
        )
    trials = strict(to_json(summary_rows(store)))["trials"]
    row = dict(zip(SUMMARY_COLUMNS, trials[1], strict=True))
    assert row["metrics"] == {"default": 0.9, "loss": None, "acc": [None, None]}
    assert row["value"] == 0.9 and row["parameter"] == {"x": 0.01, "k": 2}
    page = strict(to_json(trial_page(store, search="bbbbb")))
    assert page["trials"][0]["finalMetric"] == {"default": 0.9, "loss": None, "acc": [None, None]}
    store.close()


def test_trial_metrics_in_report_order(tmp_path: Path) -> None:
    store = fill(tmp_path)
    result = trial_metrics(store, "aaaaa")
    assert [m["value"] for m in result["intermediate"]] == [0.2, 0.4, 0.5]
    assert result["final"]["value"] == 0.5
    assert trial_metrics(store, "eeeee") == {"intermediate": [], "final": None}
    store.close()
