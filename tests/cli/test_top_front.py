"""`autolab top` of an experiment with several objectives: the front, best first by the first
objective, with the hypervolume; infeasible and dominated trials left out."""

from __future__ import annotations

from autolab.cli.top_front import render_front
from autolab.history import History, Trial
from autolab.objectives import Objectives
from autolab.statuses import TrialStatus

OBJ = Objectives.parse({"accuracy": "maximize", "params": "minimize"}, {"params": {"max": 1000}})


def trial(i: int, acc: float, params: float) -> Trial:
    raw = {"default": acc, "params": params}
    return Trial(f"trial{i}", i, {"w": i}, TrialStatus.SUCCEEDED, value=acc, raw_value=raw, end_time=float(i))


def test_front_table() -> None:
    history = History([trial(0, 0.9, 500), trial(1, 0.95, 900), trial(2, 0.8, 600), trial(3, 0.99, 5000)])
    text = render_front("HEAD", OBJ, history, 10, False)
    lines = text.splitlines()
    assert lines[0] == "HEAD"
    assert lines[1].startswith("Pareto front: 2 trials (showing 2) of 4 with every objective, 1 infeasible")
    assert "hypervolume" in lines[1]
    assert "ACCURACY (max)" in lines[2] and "PARAMS (min)" in lines[2]
    body = "\n".join(lines[3:])
    assert body.index("trial1") < body.index("trial0")  # best accuracy first
    assert "trial2" not in body and "trial3" not in body  # dominated; infeasible
    assert "a front has no worst" in render_front("HEAD", OBJ, history, 1, True)


def test_nothing_yet() -> None:
    assert "No trial has reported every objective yet" in render_front("H", OBJ, History(), 5, False)
    assert "No feasible trial yet (1 of 1" in render_front("H", OBJ, History([trial(0, 0.9, 5000)]), 5, False)
