"""Metric lines: what the SDK writes and what the manager accepts."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from autolab import protocol
from autolab.protocol import FINAL, PERIODICAL, MetricError, default_value, metric_line, parse_metric_line


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (0.5, 0.5),
        (3, 3.0),
        (-1e300, -1e300),
        ({"default": 0.25, "loss": 1.5, "note": "ok"}, 0.25),
        ({"default": 7}, 7.0),
        (np.float64(0.125), 0.125),
        (np.float32(0.5), 0.5),
        (np.int64(4), 4.0),
        ({"default": np.float32(0.75), "other": np.int32(2)}, 0.75),
    ],
)
def test_metric_line_round_trip(value: Any, number: float) -> None:
    line = metric_line(FINAL, 0, value, when=123.5)
    assert line.endswith("\n") and line.count("\n") == 1
    record = parse_metric_line(line)
    assert record is not None
    assert record["type"] == FINAL and record["seq"] == 0 and record["time"] == 123.5
    assert default_value(record["value"]) == number
    assert type(default_value(record["value"])) is float
    json.loads(line)  # plain JSON for any reader


def test_metric_line_keeps_dict_keys_and_sequence() -> None:
    record = parse_metric_line(metric_line(PERIODICAL, 4, {"default": 1, "acc": np.float32(0.5)}))
    assert record is not None
    assert record["seq"] == 4 and record["type"] == PERIODICAL
    assert record["value"] == {"default": 1, "acc": 0.5}
    assert isinstance(record["time"], float)


def test_metric_line_unknown_kind() -> None:
    with pytest.raises(ValueError, match="BOGUS"):
        metric_line("BOGUS", 0, 1.0)


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        np.float64("nan"),
        {"default": float("nan")},
        {"loss": 1.0},
        None,
        [1.0],
        {"default": None},
        "abc",
        {"default": "abc"},
    ],
)
def test_bad_metrics_raise_metric_error(value: Any) -> None:
    with pytest.raises(MetricError):
        metric_line(FINAL, 0, value)
    with pytest.raises(MetricError):
        default_value(value)
    assert issubclass(MetricError, ValueError)


@pytest.mark.parametrize("value", ["0.5", b"1", True, {"default": "0.5"}, {"default": False}])
def test_strings_bytes_and_bools_are_not_metrics(value: Any) -> None:
    with pytest.raises(MetricError):
        default_value(value)


@pytest.mark.parametrize("value", [float("inf"), -math.inf, {"default": float("inf")}])
def test_infinite_metrics_are_rejected(value: Any) -> None:
    with pytest.raises(MetricError):
        metric_line(FINAL, 0, value)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "\n",
        '{"type": "FINAL", "seq": 0, "value": 0.5',  # partial: the trial is still writing
        "not json",
        "[1, 2]",
        '"FINAL"',
        '{"type": "OTHER", "seq": 0, "value": 0.5, "time": 1}',
        '{"seq": 0, "value": 0.5, "time": 1}',
        '{"type": "FINAL", "seq": 0, "time": 1}',
        '{"type": "FINAL", "seq": 0, "value": NaN, "time": 1}',
        '{"type": "FINAL", "seq": 0, "value": {"acc": 1}, "time": 1}',
        '{"type": "FINAL", "seq": 0, "value": null, "time": 1}',
    ],
)
def test_parse_metric_line_rejects_bad_lines(line: str) -> None:
    assert parse_metric_line(line) is None


def test_parse_metric_line_accepts_written_lines_with_whitespace() -> None:
    line = metric_line(PERIODICAL, 2, 0.5, when=1.0)
    assert parse_metric_line("  " + line + "  ") == {"type": PERIODICAL, "seq": 2, "value": 0.5, "time": 1.0}


def test_plain_json_converts_nested_numpy() -> None:
    value = {"a": np.float32(0.5), "b": [np.int64(2), (np.float64(1.5), None)], 3: True, "s": "x"}
    plain = protocol.plain_json(value)
    assert plain == {"a": 0.5, "b": [2, [1.5, None]], "3": True, "s": "x"}
    assert type(plain["a"]) is float and type(plain["b"][0]) is int
    json.dumps(plain)


def test_protocol_names_are_nni_compatible() -> None:
    assert protocol.PARAMETER_FILE == "parameter.json"
    assert protocol.NNI_ENV_TRIAL_ID == "NNI_TRIAL_JOB_ID"
    assert protocol.NNI_ENV_EXPERIMENT_ID == "NNI_EXP_ID"
    assert protocol.NNI_ENV_SEQUENCE_ID == "NNI_TRIAL_SEQ_ID"
    names = [
        protocol.ENV_EXPERIMENT_ID,
        protocol.ENV_TRIAL_ID,
        protocol.ENV_SEQUENCE_ID,
        protocol.ENV_TRIAL_DIR,
    ]
    assert len(set(names)) == 4 and all(n.startswith("AUTOLAB_") for n in names)
