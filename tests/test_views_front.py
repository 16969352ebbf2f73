"""The profile's best trial where the tuner names objectives or constraints (views.profile): several
objectives have a front and no single best (the `default` number ranks nothing there); one objective
with constraints has the best feasible trial; `autolab top` ranks only feasible trials then."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from autolab.cli.top import render
from autolab.experiments import ExperimentRef
from autolab.progress import front_text
from autolab.statuses import TrialStatus
from autolab.store import Store
from autolab.views import profile
from tests.api.helpers import CONFIG, add


def experiment(tmp_path: Path, class_args: dict[str, Any], results: list[dict[str, float]]) -> ExperimentRef:
    directory = tmp_path / "exp"
    (directory / "trials").mkdir(parents=True)
    config = {**CONFIG, "tuner": {"name": "TPE", "classArgs": class_args}}
    with Store(directory, create=True) as store:
        store.set_meta(id="mo1", name="mo", config=config, status="DONE", created=time.time())
        for i, result in enumerate(results):
            add(store, f"t{i}", {"x": 0.1 * i, "k": 1}, TrialStatus.SUCCEEDED, result)
    return ExperimentRef("mo1", "mo", directory, time.time())


def info(ref: ExperimentRef) -> dict[str, Any]:
    with Store(ref.directory, readonly=True) as store:
        return profile(ref, store)


def test_several_objectives_show_the_front_not_the_lowest_default(tmp_path: Path) -> None:
    ref = experiment(
        tmp_path,
        {"objectives": {"f1": "minimize", "f2": "minimize"}, "constraints": {"cost": {"min": 0.9}}},
        [
            {"default": 0.01, "f1": 0.01, "f2": 0.01, "cost": 0.1},  # best everywhere, but infeasible
            {"default": 0.5, "f1": 0.2, "f2": 0.6, "cost": 1.0},
            {"default": 0.9, "f1": 0.6, "f2": 0.2, "cost": 1.0},
            {"default": 0.7, "f1": 0.7, "f2": 0.7, "cost": 1.0},  # dominated
        ],
    )
    got = info(ref)
    assert got["best"] is None
    assert got["front"] == {"size": 2, "scored": 4, "infeasible": 1, "trials": ["t1", "t2"]}
    assert (
        front_text(got["front"])
        == "2 trial(s) (t1, t2) of 4 with every objective, 1 infeasible; autolab top lists them"
    )


def test_objectives_without_default_rank_on_their_own_keys(tmp_path: Path) -> None:
    ref = experiment(
        tmp_path,
        {"objectives": {"f2": "minimize", "cost": "minimize"}},
        [{"default": 0.0, "f2": 0.9, "cost": 0.9}, {"default": 0.5, "f2": 0.1, "cost": 0.2}],
    )
    assert info(ref)["front"]["trials"] == ["t1"]  # t0's lowest default is not an objective


def test_one_objective_with_constraints_has_the_best_feasible(tmp_path: Path) -> None:
    ref = experiment(
        tmp_path,
        {"optimize_mode": "minimize", "constraints": {"c": {"min": 0.5}}},
        [
            {"default": 0.1, "c": 0.2},  # the lowest, infeasible
            {"default": 0.4, "c": 0.9},
            {"default": 0.3, "c": 0.6},
            {"default": 0.8, "c": 0.7},
        ],
    )
    got = info(ref)
    assert got["front"] is None and (got["best"]["trialJobId"], got["best"]["value"]) == ("t2", 0.3)
    text, _ = render(ref, 3, False)
    assert "1 infeasible left out" in text.splitlines()[0]
    ranked = [line.split()[1] for line in text.splitlines()[3:6]]
    assert ranked == ["t2", "t1", "t3"]  # the 3 best feasible, best first (K = 3, not a front of 1)
