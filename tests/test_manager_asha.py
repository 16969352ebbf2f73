"""ASHA's stopping mode through the manager, with an ordinary tuner."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab.store import Store, TrialRow
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


# as TRIAL; from the fourth trial on, slow steps (a stopped trial is killed long before its end)
SLOW_LATER_TRIAL = TRIAL.replace("time.sleep(0.1)", "time.sleep(0.1 if seq < 3 else 1.0)")


def test_asha_with_min_correlation_stops_once_completed_trials_show_its_rungs_inform(tmp_path: Path) -> None:
    # the first min_pairs (3) trials run to the end; their step-1 results rank their finals exactly
    # (Spearman 1), so from then on rung 1 stops the trials behind there
    directory = make_experiment(
        tmp_path,
        SLOW_LATER_TRIAL,
        assessor={"name": "ASHA", "classArgs": {"eta": 3, "min_correlation": 0.5, "min_pairs": 3}},
        trialConcurrency=1,
        maxTrialNumber=5,
    )
    run_manager(directory, timeout=120)
    rows = trial_rows(directory)
    assert [r.status for r in rows] == ["SUCCEEDED"] * 3 + ["EARLY_STOPPED"] * 2
    assert [r.n_intermediate for r in rows[:3]] == [9, 9, 9]
    assert all(r.n_intermediate < 9 for r in rows[3:])


# promotion mode: train on from the previous rung's checkpoint up to TRIAL_BUDGET epochs
PROMOTION_TRIAL = """
import json
state = {"epochs": 0}
if p["load_checkpoint_dir"]:
    state = json.load(open(os.path.join(p["load_checkpoint_dir"], "state.json")))
while state["epochs"] < p["TRIAL_BUDGET"]:
    state["epochs"] += 1
    autolab.report_intermediate_result(p["x"] * state["epochs"])
os.makedirs(p["save_checkpoint_dir"], exist_ok=True)
json.dump(state, open(os.path.join(p["save_checkpoint_dir"], "state.json"), "w"))
autolab.report_final_result(p["x"] * state["epochs"])
"""


def test_asha_promotion_continues_each_configuration_from_its_checkpoint(tmp_path: Path) -> None:
    checkpoints = tmp_path / "ckpt"
    directory = make_experiment(
        tmp_path,
        PROMOTION_TRIAL,
        searchSpace={"x": {"_type": "uniform", "_value": [0, 1]}},
        tuner={"name": "ASHA", "classArgs": {"max_t": 9, "all_checkpoint_dir": str(checkpoints), "seed": 2}},
        trialConcurrency=2,
        maxTrialNumber=14,
    )
    run_manager(directory, timeout=120)
    rows = trial_rows(directory)
    _assert_paused_until_promoted(rows, top=2)
    promoted = [r for r in rows if r.fidelity and r.fidelity["rung"] > 0]
    assert promoted, "nothing was promoted"
    budgets = {0: 1, 1: 3, 2: 9}
    for row in rows:
        fid = row.fidelity or {}
        rung = fid["rung"]
        assert row.parameters["TRIAL_BUDGET"] == budgets[rung]
        # trained only the epochs its rung adds to the checkpoint it loaded
        assert row.n_intermediate == budgets[rung] - (budgets[rung - 1] if rung else 0)
        assert row.parameters["save_checkpoint_dir"] == str(checkpoints / fid["config"] / str(rung))


def _assert_paused_until_promoted(rows: list[TrialRow], top: int) -> None:
    """A trial below the top rung is PAUSED until its configuration has a trial at the next rung,
    then SUCCEEDED; top-rung trials are SUCCEEDED."""
    went_on = {
        (r.fidelity["config"], r.fidelity["rung"] - 1) for r in rows if r.fidelity and r.fidelity["rung"]
    }
    for row in rows:
        fid = row.fidelity or {}
        continued = (fid["config"], fid["rung"]) in went_on
        expected = "SUCCEEDED" if fid["rung"] == top or continued else "PAUSED"
        assert row.status == expected, (row.id, fid, row.status)


def test_paused_trials_go_on_after_resume(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        PROMOTION_TRIAL,
        searchSpace={"x": {"_type": "uniform", "_value": [0, 1]}},
        tuner={
            "name": "ASHA",
            "classArgs": {"max_t": 9, "all_checkpoint_dir": str(tmp_path / "c"), "seed": 5},
        },
        trialConcurrency=1,
        maxTrialNumber=3,
    )
    run_manager(directory, timeout=120)
    first = trial_rows(directory)
    # three rung-0 trials, sequentially: the best third (one) goes on only at the fourth suggestion
    assert [r.status for r in first] == ["PAUSED"] * 3
    with Store(directory, readonly=True) as store:
        assert store.best_trial(maximize=True).id == max(first, key=lambda r: r.value).id
    with Store(directory) as store:  # a larger maxTrialNumber, as `autolab update` would set it
        store.set_meta(config={**store.get_meta("config"), "maxTrialNumber": 9})
    run_manager(directory, timeout=120)
    rows = trial_rows(directory)
    assert len(rows) == 9
    _assert_paused_until_promoted(rows, top=2)
    best_paused = max(first, key=lambda r: r.value)
    assert {r.id: r.status for r in rows}[best_paused.id] == "SUCCEEDED"
    config = best_paused.fidelity["config"]
    assert any(r.fidelity["config"] == config and r.fidelity["rung"] == 1 for r in rows)
