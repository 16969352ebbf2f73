"""The API's queries called directly: paging, sorting, search, summary, metric batches."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from autolab.api.queries import (
    SUMMARY_COLUMNS,
    _summary_python,
    metrics_since,
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


def test_summary_columns_and_since(tmp_path: Path) -> None:
    store = fill(tmp_path)
    full = json.loads(to_json(summary_rows(store)))
    assert full["columns"] == SUMMARY_COLUMNS and len(full["trials"]) == 5
    first = dict(zip(SUMMARY_COLUMNS, full["trials"][0], strict=True))
    assert first["parameter"] == {"x": 0.1, "k": 1} and first["value"] == 0.5 and first["source"] == "tuner"
    assert json.loads(to_json(summary_rows(store, full["until"])))["trials"] == []
    store.close()


def test_non_finite_values_become_null(tmp_path: Path) -> None:
    """JSON has no NaN: a metric dict with NaN in a side key, or an infinite value, must not break the page."""
    store = fill(tmp_path)
    store.record_metrics("ccccc", [Metric.of(FINAL, {"default": 0.3, "loss": float("nan")})], 0)
    store.update_trial("ccccc", last_intermediate=float("inf"))
    text = to_json(summary_rows(store))
    row = dict(zip(SUMMARY_COLUMNS, json.loads(text)["trials"][2], strict=True))
    assert row["value"] == 0.3 and row["metrics"] == {"default": 0.3, "loss": None}
    assert row["lastIntermediate"] is None
    page = json.loads(to_json(trial_page(store, statuses=["RUNNING"])))
    assert page["trials"][0]["finalMetric"] == {"default": 0.3, "loss": None}
    assert page["trials"][0]["lastIntermediate"] is None
    store.close()


def test_metric_batch_larger_than_limit_comes_whole(tmp_path: Path) -> None:
    store = fill(tmp_path)
    since = time.time()
    time.sleep(0.01)
    records = [Metric.of(PERIODICAL, i / 10) for i in range(5)]
    store.record_metrics("ccccc", records, 0)
    page = metrics_since(store, since, limit=2)
    assert len(page["metrics"]) == 5 and page["more"] is True
    assert metrics_since(store, page["until"])["metrics"] == []
    store.close()


def test_trial_metrics_in_report_order(tmp_path: Path) -> None:
    store = fill(tmp_path)
    result = trial_metrics(store, "aaaaa")
    assert [m["value"] for m in result["intermediate"]] == [0.2, 0.4, 0.5]
    assert result["final"]["value"] == 0.5
    assert trial_metrics(store, "eeeee") == {"intermediate": [], "final": None}
    store.close()


def test_sqlite_and_python_summaries_agree(tmp_path: Path) -> None:
    store = fill(tmp_path)
    store.update_trial("ddddd", last_intermediate=float("-inf"))  # SQLite would print 'Inf'
    fast = json.loads(to_json(summary_rows(store)))["trials"]
    slow = json.loads(_summary_python(store, "", ()))
    assert len(fast) == len(slow) == 5
    for a, b in zip(fast, slow, strict=True):
        assert a[:3] == b[:3] and a[8:] == b[8:]
        assert a[3:8] == [pytest.approx(x) if isinstance(x, float) else x for x in b[3:8]]
    assert fast[3][7] is None
    store.close()
