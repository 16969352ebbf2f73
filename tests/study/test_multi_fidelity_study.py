"""Multi-fidelity tuners (Hyperband, BOHB, ASHA promotion, PBT) under an in-process study: the
suggestion's budget, bracket, rung and configuration are kept with the trial, as the manager keeps
them, so the schedule advances (promotions happen) and a reopened study continues it."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from autolab.statuses import TrialStatus
from autolab.store import Store
from autolab.study import StudyTrial, create_study

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def loss(trial: StudyTrial) -> float:
    # lower x is better at every budget, so a rung's best configurations are the lowest x
    return trial.params["x"] + 1.0 / (trial.budget or 1)


def test_hyperband_runs_its_brackets_in_a_study() -> None:
    study = create_study(SPACE, tuner="Hyperband", tuner_args={"R": 9, "eta": 3, "seed": 0})
    study.optimize(loss, n_trials=22)
    budgets = Counter(t.params["TRIAL_BUDGET"] for t in study.trials)
    # R=9, eta=3, one round of brackets: s=2 runs 9 configs at 1, 3 at 3, 1 at 9; s=1: 5 at 3, 1 at
    # 9; s=0: 3 at 9. Without the fidelity kept, every trial was a first rung's (budget 1 only).
    assert budgets == {1: 9, 3: 8, 9: 5}, budgets
    promoted = [t for t in study.history.trials if t.fidelity and t.fidelity["rung"] > 0]
    assert promoted, "no configuration was promoted"
    first = {t.fidelity["config"]: t for t in study.history.trials if t.fidelity["rung"] == 0}
    for trial in promoted:  # a promoted trial runs its configuration's parameters at a larger budget
        base = first[trial.fidelity["config"]]
        assert trial.parameters["x"] == base.parameters["x"]
        assert trial.parameters["TRIAL_BUDGET"] > base.parameters["TRIAL_BUDGET"]


def test_asha_promotion_pauses_and_continues_configurations(tmp_path: Path) -> None:
    args = {"grace_period": 1, "eta": 3, "max_t": 9, "seed": 1, "all_checkpoint_dir": str(tmp_path / "ck")}
    study = create_study(SPACE, tuner="ASHA", direction="minimize", tuner_args=args)
    seen: list[tuple[str, str, float]] = []

    def objective(trial: StudyTrial) -> float:
        seen.append(
            (trial.params["load_checkpoint_dir"], trial.params["save_checkpoint_dir"], trial.params["x"])
        )
        os.makedirs(trial.params["save_checkpoint_dir"], exist_ok=True)
        return loss(trial)

    study.optimize(objective, n_trials=30)
    saves = [s for _, s, _ in seen]
    assert len(set(saves)) == len(saves), "two trials saved into one checkpoint directory"
    loads = [ld for ld, _, _ in seen if ld]
    assert loads, "no trial was promoted"
    assert all(ld in saves for ld in loads), "a promoted trial loads a checkpoint nobody saved"
    states = Counter(t.state for t in study.trials)
    # a configuration that went on to the next rung is SUCCEEDED; one waiting for a promotion is PAUSED
    assert states[TrialStatus.PAUSED] > 0 and states[TrialStatus.SUCCEEDED] > 0, states
    for trial in study.history.trials:
        rung = trial.fidelity["rung"]
        nxt = [o for o in study.history.trials if o.fidelity["config"] == trial.fidelity["config"]]
        if any(o.fidelity["rung"] == rung + 1 for o in nxt):
            assert trial.status == TrialStatus.SUCCEEDED, trial


def test_a_persisted_study_keeps_the_schedule_and_its_checkpoints(autolab_home: Path) -> None:
    args: dict[str, Any] = {"grace_period": 1, "eta": 3, "max_t": 9, "seed": 2}
    study = create_study(SPACE, tuner="ASHA", name="mf", tuner_args=args)
    study.optimize(loss, n_trials=12)
    directory = study.directory
    saves = [t.params["save_checkpoint_dir"] for t in study.trials]
    study.close()
    # checkpoints belong to the study's experiment, not to whatever directory Python runs in
    assert all(Path(s).is_relative_to(directory / "checkpoint") for s in saves), saves[0]
    with Store(directory, readonly=True) as store:
        stored = store.history().trials
    assert [t.fidelity for t in stored] == [t.fidelity for t in study.history.trials]
    assert all(t.fidelity and t.fidelity["config"] for t in stored)

    again = create_study(name="mf")  # reopened: the schedule continues from the store
    again.optimize(loss, n_trials=12)
    rungs = Counter(t.fidelity["rung"] for t in again.history.trials)
    assert len(again.history.trials) == 24 and rungs[1] >= 3, rungs
    configs = [t.fidelity["config"] for t in again.history.trials if t.fidelity["rung"] == 0]
    assert len(set(configs)) == len(configs)  # no configuration started twice at rung 0
    again.close()


def test_pbt_generations_advance_in_a_study(tmp_path: Path) -> None:
    args = {"population_size": 4, "all_checkpoint_dir": str(tmp_path / "pbt"), "seed": 0}
    study = create_study(SPACE, tuner="PBTTuner", direction="minimize", tuner_args=args)

    def objective(trial: StudyTrial) -> float:
        os.makedirs(trial.params["save_checkpoint_dir"], exist_ok=True)
        return trial.params["x"]

    study.optimize(objective, n_trials=12)
    generations = Counter(t.fidelity["rung"] for t in study.history.trials)
    assert generations == {0: 4, 1: 4, 2: 4}, generations


@pytest.mark.parametrize("jobs", [2, 4])
def test_a_tuner_that_waits_does_not_end_optimize_with_n_jobs(jobs: int) -> None:
    # serial Hyperband has nothing to suggest while its bracket's rung is running: the threads wait
    args = {"R": 9, "eta": 3, "exec_mode": "serial", "seed": 0}
    study = create_study(SPACE, tuner="Hyperband", tuner_args=args)
    study.optimize(loss, n_trials=20, n_jobs=jobs)
    assert len(study.trials) == 20
    assert all(t.state == TrialStatus.SUCCEEDED for t in study.trials)
