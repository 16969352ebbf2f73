"""Trials.record: the trial's directory and parameter.json exist before its row does."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from autolab import protocol
from autolab.store import Store
from autolab.trials import Trials
from tests.helpers_experiment import make_experiment


def test_a_failed_parameter_write_records_nothing_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = make_experiment(tmp_path, "autolab.report_final_result(1)")

    def full(trial_dir: Path, parameters: dict[str, Any]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")  # as a write to a full disk fails

    monkeypatch.setattr(protocol, "write_parameters", full)
    with Store(directory) as store:
        trials = Trials(store, directory)
        with pytest.raises(OSError) as caught:
            trials.record({"x": 1}, "tuner", "t1")
        assert caught.value.errno == errno.ENOSPC
        assert str(directory / "trials" / "t1" / "parameter.json") in str(caught.value)
        assert store.trial_rows() == []  # no WAITING row without its parameters
        assert trials.active == {} and trials.history.trials == []


def test_record_writes_the_parameters_then_the_row(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, "autolab.report_final_result(1)")
    with Store(directory) as store:
        trial = Trials(store, directory).record({"x": 0.25}, "tuner", "t2")
        assert protocol.read_parameters(directory / "trials" / "t2") == {"x": 0.25}
        assert [(r.id, r.status) for r in store.trial_rows()] == [("t2", "WAITING")]
    assert trial.trial_id == "t2"
