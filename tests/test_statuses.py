"""The status vocabulary: the strings stored in existing stores, and what counts as active."""

from __future__ import annotations

import json

from autolab import history
from autolab.statuses import ACTIVE, ExperimentStatus, TrialStatus


def test_trial_statuses_are_the_stored_strings() -> None:
    assert [s.value for s in TrialStatus] == [
        "WAITING",
        "RUNNING",
        "SUCCEEDED",
        "FAILED",
        "EARLY_STOPPED",
        "USER_CANCELED",
        "NO_RESULT",
        "PAUSED",
    ]
    assert TrialStatus("EARLY_STOPPED") is TrialStatus.EARLY_STOPPED
    assert history.TrialStatus is TrialStatus


def test_active_is_waiting_and_running() -> None:
    assert ACTIVE == (TrialStatus.WAITING, TrialStatus.RUNNING)
    assert ACTIVE == ("WAITING", "RUNNING")  # usable where the store hands back strings
    assert [s for s in TrialStatus if not s.finished] == list(ACTIVE)


def test_experiment_statuses_read_back_from_stored_strings() -> None:
    for text in ("INITIALIZED", "STARTING", "RUNNING", "STOPPING", "DONE", "STOPPED", "ERROR"):
        status = ExperimentStatus(text)
        assert status == text and str(status) == text and f"{status}" == text
        assert json.loads(json.dumps(status)) == text  # what set_meta stores
    assert len(ExperimentStatus) == 7


def test_str_is_the_value_for_trial_statuses_too() -> None:
    assert str(TrialStatus.NO_RESULT) == "NO_RESULT" and f"{TrialStatus.FAILED}" == "FAILED"
