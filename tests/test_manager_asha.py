"""ASHA's stopping mode through the manager, with an ordinary tuner."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers_experiment import make_experiment, run_manager, trial_rows

pytestmark = pytest.mark.e2e

# each trial is worse than every earlier one, at every step
TRIAL = """
seq = autolab.get_sequence_id()
for step in range(9):
    autolab.report_intermediate_result((step + 1) / (seq + 1))
    time.sleep(0.1)
autolab.report_final_result(9 / (seq + 1))
"""


def test_asha_stops_trials_behind_at_their_first_rung(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        TRIAL,
        assessor={"name": "ASHA", "classArgs": {"grace_period": 1, "eta": 3}},
        trialConcurrency=1,
        maxTrialNumber=4,
    )
    run_manager(directory, timeout=120)
    rows = trial_rows(directory)
    assert [r.status for r in rows] == ["SUCCEEDED"] + ["EARLY_STOPPED"] * 3
    assert rows[0].n_intermediate == 9
    assert all(r.n_intermediate < 9 for r in rows[1:])
