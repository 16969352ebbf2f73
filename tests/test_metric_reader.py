"""The metric reader: complete lines only, each stored exactly once, nothing non-finite stored."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from autolab import protocol
from autolab.metric_reader import MetricReader
from autolab.protocol import FINAL, PERIODICAL, Metric
from autolab.store import Store, TrialRow


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path, create=True)
    store.add_trial("t1", {"x": 1})
    return store


@pytest.fixture
def trial_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "trials" / "t1"
    directory.mkdir(parents=True)
    return directory


def append(trial_dir: Path, text: str) -> None:
    with open(trial_dir / protocol.METRICS_FILE, "a", encoding="utf-8") as fh:
        fh.write(text)


def stored(store: Store) -> list[tuple[str, int, float]]:
    return sorted((r.type, r.seq, r.value) for r in store.metric_rows("t1"))


def test_no_file_yet_reads_nothing(store: Store, trial_dir: Path) -> None:
    assert MetricReader(store).read("t1", trial_dir) == []
    assert _row(store).metrics_offset == 0


def test_complete_lines_are_stored_with_their_numbers(store: Store, trial_dir: Path) -> None:
    append(
        trial_dir, protocol.metric_line(PERIODICAL, 0.25, 1.0) + protocol.metric_line(PERIODICAL, 0.5, 2.0)
    )
    append(trial_dir, protocol.metric_line(FINAL, {"default": 0.75, "loss": 2}, 3.0))
    metrics = MetricReader(store).read("t1", trial_dir)
    assert metrics == [
        Metric(PERIODICAL, 0.25, 0.25, 1.0),
        Metric(PERIODICAL, 0.5, 0.5, 2.0),
        Metric(FINAL, {"default": 0.75, "loss": 2}, 0.75, 3.0),
    ]
    assert stored(store) == [("FINAL", 0, 0.75), ("PERIODICAL", 0, 0.25), ("PERIODICAL", 1, 0.5)]
    row = store.trial_row("t1")
    assert row is not None and row.value == 0.75 and row.raw_value == {"default": 0.75, "loss": 2}
    assert row.n_intermediate == 2 and row.last_intermediate == 0.5
    assert row.metrics_offset == (trial_dir / protocol.METRICS_FILE).stat().st_size


def test_a_partial_line_waits_for_its_end(store: Store, trial_dir: Path) -> None:
    reader = MetricReader(store)
    line = protocol.metric_line(PERIODICAL, 0.5, 1.0)
    append(trial_dir, line[:10])
    assert reader.read("t1", trial_dir) == []
    assert _row(store).metrics_offset == 0
    append(trial_dir, line[10:] + protocol.metric_line(PERIODICAL, 0.6, 2.0)[:-1])  # the second not ended
    assert [m.number for m in reader.read("t1", trial_dir)] == [0.5]
    assert _row(store).metrics_offset == len(line)
    append(trial_dir, "\n")
    assert [m.number for m in reader.read("t1", trial_dir)] == [0.6]
    assert stored(store) == [("PERIODICAL", 0, 0.5), ("PERIODICAL", 1, 0.6)]


def test_malformed_lines_are_logged_and_skipped(
    store: Store, trial_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    append(
        trial_dir,
        "not json\n"
        '{"type": "FINAL", "value": NaN, "time": 1}\n'
        '{"type": "OTHER", "value": 1, "time": 1}\n'
        "\n"
        '{"type": "PERIODICAL", "value": "0.6\\u2028"}\n' + protocol.metric_line(PERIODICAL, 0.5, 1.0),
    )
    with caplog.at_level(logging.WARNING, logger="autolab.manager"):
        assert [m.number for m in MetricReader(store).read("t1", trial_dir)] == [0.5]
    assert len([r for r in caplog.records if "malformed metric line" in r.getMessage()]) == 4
    assert stored(store) == [("PERIODICAL", 0, 0.5)]
    assert _row(store).metrics_offset == (trial_dir / protocol.METRICS_FILE).stat().st_size


def test_exactly_once_across_a_new_reader_on_the_same_store(store: Store, trial_dir: Path) -> None:
    append(trial_dir, protocol.metric_line(PERIODICAL, 0.1, 1.0) + protocol.metric_line(PERIODICAL, 0.2, 2.0))
    assert len(MetricReader(store).read("t1", trial_dir)) == 2
    # a restarted manager: a new reader, and a new connection to the store
    again = Store(store.directory)
    reader = MetricReader(again)
    assert reader.read("t1", trial_dir) == []
    append(trial_dir, protocol.metric_line(FINAL, 0.3, 3.0))
    assert [m.number for m in reader.read("t1", trial_dir)] == [0.3]
    assert reader.read("t1", trial_dir) == []
    assert stored(again) == [("FINAL", 0, 0.3), ("PERIODICAL", 0, 0.1), ("PERIODICAL", 1, 0.2)]
    assert again.history().trials[0].intermediate == [0.1, 0.2]


def test_forget_rereads_the_offset_from_the_store(store: Store, trial_dir: Path) -> None:
    reader = MetricReader(store)
    append(trial_dir, protocol.metric_line(PERIODICAL, 0.1, 1.0))
    assert len(reader.read("t1", trial_dir)) == 1
    reader.forget("t1")
    assert reader.read("t1", trial_dir) == []
    assert stored(store) == [("PERIODICAL", 0, 0.1)]


def test_non_finite_side_values_are_stored_as_null(store: Store, trial_dir: Path) -> None:
    # what another writer (Python's json, allow_nan) may leave in the file
    append(
        trial_dir, '{"type": "FINAL", "value": {"default": 0.5, "loss": NaN, "m": [Infinity]}, "time": 1}\n'
    )
    [metric] = MetricReader(store).read("t1", trial_dir)
    assert metric.value == {"default": 0.5, "loss": None, "m": [None]} and metric.number == 0.5
    with sqlite3.connect(store.path) as db:  # the text as stored: strict JSON, no NaN / Infinity
        (raw_value,) = db.execute("SELECT raw_value FROM trials WHERE id='t1'").fetchone()
        (raw,) = db.execute("SELECT raw FROM metrics WHERE trial_id='t1'").fetchone()
    assert raw_value == '{"default": 0.5, "loss": null, "m": [null]}'
    assert json.loads(raw) == {"default": 0.5, "loss": None, "m": [None]}
    assert "NaN" not in raw and "Infinity" not in raw


def test_a_file_that_shrinks_stores_nothing_twice(store: Store, trial_dir: Path) -> None:
    reader = MetricReader(store)
    append(trial_dir, protocol.metric_line(PERIODICAL, 0.1, 1.0) + protocol.metric_line(PERIODICAL, 0.2, 2.0))
    assert len(reader.read("t1", trial_dir)) == 2
    offset = _row(store).metrics_offset
    (trial_dir / protocol.METRICS_FILE).write_text(protocol.metric_line(PERIODICAL, 0.1, 1.0))  # truncated
    assert reader.read("t1", trial_dir) == []
    assert MetricReader(store).read("t1", trial_dir) == []  # nor after a restart
    (trial_dir / protocol.METRICS_FILE).unlink()
    assert reader.read("t1", trial_dir) == []
    assert _row(store).metrics_offset == offset
    assert stored(store) == [("PERIODICAL", 0, 0.1), ("PERIODICAL", 1, 0.2)]


@pytest.mark.parametrize(
    "bad",
    [
        '{"type": "PERIODICAL", "value": 1' + "0" * 400 + "}",  # beyond a float's range
        '{"type": "PERIODICAL", "value": 0.3, "time": 1' + "0" * 400 + "}",
        '{"type": "PERIODICAL", "value": {"default": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}}",
        '{"type": "PERIODICAL", "value": {"default": 1, "x": ' + "[" * 900 + "]" * 900 + "}}",
    ],
)
def test_a_bad_line_is_skipped_and_the_lines_after_it_are_read(
    store: Store, trial_dir: Path, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    append(
        trial_dir,
        protocol.metric_line(PERIODICAL, 0.1, 1.0) + bad + "\n" + protocol.metric_line(FINAL, 0.9, 3.0),
    )
    with caplog.at_level(logging.WARNING, logger="autolab.manager"):
        numbers = [m.number for m in MetricReader(store).read("t1", trial_dir)]
    time_only = "time" in bad  # a wrong time is replaced by the time of reading, the line kept
    assert numbers == ([0.1, 0.3, 0.9] if time_only else [0.1, 0.9])
    assert len([r for r in caplog.records if "malformed metric line" in r.getMessage()]) == (
        0 if time_only else 1
    )
    assert _row(store).value == 0.9
    assert _row(store).metrics_offset == (trial_dir / protocol.METRICS_FILE).stat().st_size


def test_two_finals_leave_one_row_the_last(store: Store, trial_dir: Path) -> None:
    reader = MetricReader(store)
    append(
        trial_dir, protocol.metric_line(FINAL, 0.5, 1.0) + protocol.metric_line(FINAL, {"default": 0.7}, 2.0)
    )
    reader.read("t1", trial_dir)
    append(trial_dir, protocol.metric_line(FINAL, 0.6, 3.0))  # and one more in a later read
    reader.read("t1", trial_dir)
    assert stored(store) == [("FINAL", 0, 0.6)]
    assert _row(store).value == 0.6 and _row(store).raw_value == 0.6


def _row(store: Store) -> TrialRow:
    row = store.trial_row("t1")
    assert row is not None
    return row
