"""A tuner that has nothing to run until a trial ends (NotYet: Hyperband's serial mode, PBT between
generations) is asked again once one has ended, not on every loop turn, and creation goes on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from autolab.history import History
from autolab.launcher import build_manager
from autolab.tuners.base import NotYet
from tests.helpers_experiment import make_experiment, trial_rows

pytestmark = pytest.mark.e2e


class WaitsForTheFirst:
    """Suggests one trial, then waits until it has ended."""

    def __init__(self) -> None:
        self.waits = 0

    def suggest(self, history: History) -> dict[str, Any]:
        if len(history) == 1 and not history.finished():
            self.waits += 1
            raise NotYet("the first trial runs")
        return {"x": 0.1 * len(history), "k": 1}

    def update_search_space(self, space: Any) -> None:
        pass


def test_not_yet_is_asked_again_once_a_trial_ended(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path, "time.sleep(0.5)\nautolab.report_final_result(p['x'])\n", maxTrialNumber=2
    )
    manager = build_manager(directory)
    tuner = WaitsForTheFirst()
    manager.tuner = tuner  # type: ignore[assignment]
    try:
        manager.start()
        turns = 0
        while not manager.finished:
            manager.step()
            turns += 1
            assert turns < 5000, "did not finish"
            time.sleep(0.01)
    finally:
        manager.close()
        manager.store.close()
    assert [r.status for r in trial_rows(directory)] == ["SUCCEEDED", "SUCCEEDED"]
    assert turns > 20 and tuner.waits == 1  # asked once while it ran, not on each of the turns
