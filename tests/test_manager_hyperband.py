"""Hyperband through the manager: NNI's config forms, the budget reaching the trial (TRIAL_BUDGET
and autolab.get_budget()), and each trial's fidelity stored with its row."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from autolab.config import config_from_dict
from autolab.tuners import tuner_class
from tests.helpers_experiment import make_experiment, run_manager, trial_rows

pytestmark = pytest.mark.e2e

TRIAL = """
budget = autolab.get_budget()
assert budget == p["TRIAL_BUDGET"] and isinstance(budget, int), (budget, p)
for epoch in range(budget):
    autolab.report_intermediate_result(p["x"] * (epoch + 1) / budget)
autolab.report_final_result(p["x"])
"""


@pytest.mark.parametrize(
    "section",
    [
        {"advisor": {"name": "Hyperband", "classArgs": {"R": 9}}},  # NNI's v2 examples
        {"tuner": {"name": "Hyperband", "classArgs": {"R": 9}}},
    ],
)
def test_nni_config_forms_all_name_hyperband(tmp_path: Path, section: dict[str, Any]) -> None:
    """(v1's advisor: {builtinAdvisorName: Hyperband}: tests/config/test_nni_corpus.py)"""
    raw = {"searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}}, "trialCommand": "true", **section}
    config = config_from_dict(raw, tmp_path / "config.yml")
    assert tuner_class(config.tuner.name).__name__ == "HyperbandTuner"
    assert config.tuner.class_args == {"R": 9}


def test_a_bracket_runs_through_the_manager_with_its_budgets(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        TRIAL,
        searchSpace={"x": {"_type": "uniform", "_value": [0, 1]}},
        tuner={"name": "Hyperband", "classArgs": {"R": 9, "eta": 3, "exec_mode": "serial", "seed": 3}},
        trialConcurrency=3,
        maxTrialNumber=13,  # bracket 0: 9 at budget 1, 3 at 3, 1 at 9
    )
    run_manager(directory, timeout=120)
    rows = trial_rows(directory)
    assert [r.status for r in rows] == ["SUCCEEDED"] * 13
    assert Counter((r.fidelity["rung"], r.fidelity["budget"]) for r in rows) == {
        (0, 1): 9,
        (1, 3): 3,
        (2, 9): 1,
    }  # type: ignore[index]
    first = [r for r in rows if r.fidelity["rung"] == 0]  # type: ignore[index]
    assert all(r.fidelity["config"] == r.id for r in first)  # type: ignore[index]
    best3 = sorted(first, key=lambda r: -r.parameters["x"])[:3]
    assert {r.fidelity["config"] for r in rows if r.fidelity["rung"] == 1} == {r.id for r in best3}  # type: ignore[index]
    (top,) = [r for r in rows if r.fidelity["rung"] == 2]  # type: ignore[index]
    assert top.fidelity["config"] == best3[0].id and top.parameters["x"] == best3[0].parameters["x"]  # type: ignore[index]
    written = json.loads((directory / "trials" / top.id / "parameter.json").read_text())
    assert (
        written["parameters"]["TRIAL_BUDGET"] == 9
        if "parameters" in written
        else written["TRIAL_BUDGET"] == 9
    )
    assert top.n_intermediate == 9
