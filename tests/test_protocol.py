"""The trial contract: metric lines (what the SDK writes, what the manager accepts), the trial's
environment, parameter.json, the exit status and pid files, the process identity check."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from autolab import protocol
from autolab.protocol import (
    FINAL,
    PERIODICAL,
    Metric,
    MetricError,
    default_value,
    metric_line,
    parse_metric_line,
)


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
    line = metric_line(FINAL, value, when=123.5)
    assert line.endswith("\n") and line.count("\n") == 1
    record = parse_metric_line(line)
    assert record is not None
    assert record.kind == FINAL and record.time == 123.5 and record.final
    assert record.number == number and type(record.number) is float
    assert default_value(record.value) == number
    assert json.loads(line) == {"type": FINAL, "value": record.value, "time": 123.5}  # plain JSON, no seq


def test_metric_line_keeps_dict_keys() -> None:
    record = parse_metric_line(metric_line(PERIODICAL, {"default": 1, "acc": np.float32(0.5)}))
    assert record is not None
    assert record.kind == PERIODICAL and not record.final
    assert record.value == {"default": 1, "acc": 0.5} and record.number == 1.0
    assert isinstance(record.time, float)


def test_lines_written_with_a_seq_still_parse() -> None:
    """Files written before the seq was dropped: the field is ignored."""
    line = '{"type": "PERIODICAL", "seq": 3, "value": {"default": 0.5, "acc": 1}, "time": 7.0}'
    assert parse_metric_line(line) == Metric(PERIODICAL, {"default": 0.5, "acc": 1}, 0.5, 7.0)


def test_metric_line_unknown_kind() -> None:
    with pytest.raises(ValueError, match="BOGUS"):
        metric_line("BOGUS", 1.0)
    with pytest.raises(ValueError, match="BOGUS"):
        Metric("BOGUS", 1.0, 1.0, 0.0)


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_a_metric_number_is_always_finite(number: float) -> None:
    with pytest.raises(MetricError):
        Metric(FINAL, number, number, 0.0)


def test_non_finite_side_values_become_null() -> None:
    """JSON has no NaN: a side value that is not finite is written and read back as null."""
    value = {"default": 0.5, "loss": float("nan"), "nested": [float("inf"), 1.0], "n": {"x": -math.inf}}
    expected = {"default": 0.5, "loss": None, "nested": [None, 1.0], "n": {"x": None}}
    line = metric_line(FINAL, value, when=1.0)
    assert "NaN" not in line and "Infinity" not in line
    assert parse_metric_line(line) == Metric(FINAL, expected, 0.5, 1.0)
    # lines from other writers may hold NaN (Python's json writes it): nulled at ingest too
    other = '{"type": "FINAL", "value": {"default": 2, "loss": NaN, "m": -Infinity}, "time": 1}'
    assert parse_metric_line(other) == Metric(FINAL, {"default": 2, "loss": None, "m": None}, 2.0, 1)


def test_a_line_without_a_usable_time_gets_the_time_it_was_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol.time, "time", lambda: 99.0)
    huge = "1" + "0" * 400  # beyond a float's range
    for when in (
        "",
        ', "time": "soon"',
        ', "time": true',
        ', "time": NaN',
        f', "time": {huge}',
        ', "time": 1e300',
    ):
        record = parse_metric_line(f'{{"type": "FINAL", "value": 1{when}}}')
        assert record is not None and record.time == 99.0


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
        10**400,  # beyond a float's range
        {"default": 10**400},
    ],
)
def test_bad_metrics_raise_metric_error(value: Any) -> None:
    with pytest.raises(MetricError):
        metric_line(FINAL, value)
    with pytest.raises(MetricError):
        Metric.of(PERIODICAL, value)
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
        metric_line(FINAL, value)


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
        '{"type": "FINAL", "value": 1' + "0" * 400 + "}",  # an int beyond a float's range
        '{"type": "FINAL", "value": {"default": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}}",
        '{"type": "FINAL", "value": {"default": 1, "x": ' + "[" * 900 + "]" * 900 + "}}",
    ],
)
def test_parse_metric_line_rejects_bad_lines(line: str) -> None:
    assert parse_metric_line(line) is None


def test_a_metric_nested_past_the_bound_is_refused() -> None:
    deep: Any = 0.5
    for _ in range(protocol.MAX_METRIC_DEPTH):
        deep = [deep]
    with pytest.raises(MetricError, match="deeper than"):
        metric_line(FINAL, {"default": 1, "deep": deep})


def test_a_metric_may_nest_up_to_the_bound() -> None:
    deep: Any = 0.5
    for _ in range(protocol.MAX_METRIC_DEPTH - 1):
        deep = [deep]
    record = parse_metric_line(metric_line(FINAL, {"default": 1, "deep": deep}))
    assert record is not None and record.value["deep"] == deep


def test_parse_metric_line_accepts_written_lines_with_whitespace() -> None:
    line = metric_line(PERIODICAL, 0.5, when=1.0)
    assert parse_metric_line("  " + line + "  ") == Metric(PERIODICAL, 0.5, 0.5, 1.0)


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


def test_trial_env_has_autolab_and_nni_names(tmp_path: Path) -> None:
    env = protocol.trial_env("exp1", "Ab12x", 7, tmp_path)
    assert env == {
        "AUTOLAB_EXPERIMENT_ID": "exp1",
        "AUTOLAB_TRIAL_ID": "Ab12x",
        "AUTOLAB_SEQUENCE_ID": "7",
        "AUTOLAB_TRIAL_DIR": str(tmp_path),
        "NNI_EXP_ID": "exp1",
        "NNI_TRIAL_JOB_ID": "Ab12x",
        "NNI_TRIAL_SEQ_ID": "7",
        "NNI_OUTPUT_DIR": str(tmp_path),
    }


def test_parameters_round_trip_and_leave_no_temporary_file(tmp_path: Path) -> None:
    params = {"lr": 0.1, "layer": {"_name": "conv", "kernel": 3}}
    protocol.write_parameters(tmp_path, params)
    protocol.write_parameters(tmp_path, {**params, "lr": 0.2})  # replaced whole
    assert protocol.read_parameters(tmp_path) == {**params, "lr": 0.2}
    assert protocol.read_parameters(str(tmp_path)) == {**params, "lr": 0.2}
    assert sorted(p.name for p in tmp_path.iterdir()) == [protocol.PARAMETER_FILE]


@pytest.mark.parametrize(
    ("text", "code"), [("0\n", 0), ("137", 137), ("-9\n", -9), ("", None), ("x\n", None)]
)
def test_read_exit_status(tmp_path: Path, text: str, code: int | None) -> None:
    assert protocol.read_exit_status(tmp_path) is None  # not written yet
    (tmp_path / protocol.EXIT_FILE).write_text(text)
    assert protocol.read_exit_status(tmp_path) == code


def test_pid_files(tmp_path: Path) -> None:
    path = tmp_path / "manager.pid"
    assert protocol.read_pid_file(path) is None
    protocol.write_pid_file(path, 1234, 1700000000.25)
    assert protocol.read_pid_file(path) == (1234, 1700000000.25)
    (tmp_path / protocol.PID_FILE).write_text("4321\n")  # the trial wrapper writes its pid alone
    assert protocol.read_pid_file(tmp_path / protocol.PID_FILE) == (4321, 0.0)
    for bad in ("", "abc 1.0", "0 1.0", "12 soon"):
        path.write_text(bad)
        assert protocol.read_pid_file(path) is None, bad


def test_process_alive_checks_the_identity_not_just_the_pid() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        created = psutil.Process(child.pid).create_time()
        assert protocol.process_alive(child.pid, created)
        assert protocol.process_alive(child.pid, 0.0)  # create time unknown: the pid alone
        assert not protocol.process_alive(child.pid, created - 10)  # a reused pid is another program
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(30)
    assert not protocol.process_alive(child.pid, created)


def test_a_zombie_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    created = psutil.Process(child.pid).create_time()
    deadline = time.monotonic() + 30
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.01)  # it ends on its own; nobody reaps it until wait()
    try:
        assert not protocol.process_alive(child.pid, created)
    finally:
        child.wait(30)


def test_trial_shell_is_bash_when_there() -> None:
    assert protocol.trial_shell() == (shutil.which("bash") or "/bin/sh")
