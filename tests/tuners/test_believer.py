"""TPE's Kriging believer: predicts running trials' losses from the finished ones."""

from __future__ import annotations

import time

import numpy as np

from autolab.history import History, Trial, TrialStatus
from autolab.searchspace import SearchSpace
from autolab.tuners.believer import MAX_FIT, _best_and_newest, believe
from autolab.tuners.observations import Encoder, as_losses
from autolab.tuners.unitcube import UnitCube

LINE = {"x": {"_type": "uniform", "_value": [0, 10]}, "opt": {"_type": "choice", "_value": ["a", "b"]}}


def bowl(p: dict) -> float:
    return (p["x"] - 3.0) ** 2 / 10 + (0.0 if p["opt"] == "a" else 1.0)


def observe(space: SearchSpace, trials: list[Trial]):  # type: ignore[no-untyped-def]
    raw, _ = Encoder(space).observe(History(trials))
    return as_losses(raw, maximize=False)


def finished(points: list[dict]) -> list[Trial]:
    return [Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, bowl(p)) for i, p in enumerate(points)]


def test_running_trials_get_the_loss_the_finished_ones_imply() -> None:
    space = SearchSpace(LINE)
    done = finished([{"x": x, "opt": o} for x in np.linspace(0, 10, 11) for o in ("a", "b")])
    running = [Trial(f"r{i}", 100 + i, p, TrialStatus.RUNNING)
               for i, p in enumerate([{"x": 3.3, "opt": "a"}, {"x": 8.5, "opt": "a"}, {"x": 3.3, "opt": "b"}])]
    believed = believe(UnitCube(space), observe(space, done + running))
    assert believed is not None and believed.shape == (3,)
    truth = [bowl(t.parameters) for t in running]
    assert np.allclose(believed, truth, atol=0.05), (believed, truth)


def test_nothing_to_believe() -> None:
    space = SearchSpace(LINE)
    done = finished([{"x": 1.0, "opt": "a"}, {"x": 5.0, "opt": "b"}])
    cube = UnitCube(space)
    assert believe(cube, observe(space, done)) is None  # nothing running
    one = done[:1] + [Trial("r", 9, {"x": 2.0, "opt": "a"}, TrialStatus.RUNNING)]
    assert believe(cube, observe(space, one)) is None  # one finished trial predicts nothing


def test_nested_branches_and_failed_trials() -> None:
    space = SearchSpace({"m": {"_type": "choice", "_value": [
        {"_name": "svm", "c": {"_type": "loguniform", "_value": [0.01, 100]}},
        {"_name": "tree", "depth": {"_type": "randint", "_value": [1, 20]}}]}})
    trials = [Trial(f"t{i}", i, {"m": {"_name": "svm", "c": 10.0 ** (i % 5 - 2)}}, TrialStatus.SUCCEEDED, 0.5)
              for i in range(5)]
    trials += [Trial(f"u{i}", 5 + i, {"m": {"_name": "tree", "depth": 2 + i}}, TrialStatus.SUCCEEDED, 0.1)
               for i in range(5)]
    trials.append(Trial("f", 10, {"m": {"_name": "tree", "depth": 19}}, TrialStatus.FAILED))
    trials += [Trial("r1", 11, {"m": {"_name": "svm", "c": 1.0}}, TrialStatus.RUNNING),
               Trial("r2", 12, {"m": {"_name": "tree", "depth": 4}}, TrialStatus.RUNNING)]
    believed = believe(UnitCube(space), observe(space, trials))
    assert believed is not None and np.all(np.isfinite(believed))
    assert believed[1] < believed[0]  # the tree branch is the better one


def test_large_history_is_capped() -> None:
    space = SearchSpace(LINE)
    rng = np.random.default_rng(0)
    done = finished([{"x": float(x), "opt": "a"} for x in rng.uniform(0, 10, 2000)])
    running = [Trial("r", 5000, {"x": 3.0, "opt": "a"}, TrialStatus.RUNNING)]
    start = time.process_time()
    believed = believe(UnitCube(space), observe(space, done + running))
    assert believed is not None and abs(believed[0]) < 0.05
    assert time.process_time() - start < 5  # fitted on at most MAX_FIT trials, not 2,000


def test_best_and_newest() -> None:
    rows = np.arange(10)
    loss = np.array([5, 0, 6, 1, 7, 8, 9, 2, 3, 4], dtype=float)
    assert list(_best_and_newest(rows, loss, 4)) == [1, 3, 8, 9]
    assert list(_best_and_newest(rows, loss, 20)) == list(range(10))
    assert MAX_FIT >= 100
