"""TPE's Kriging believer: predicts running trials' losses from the finished ones."""

from __future__ import annotations

import time

import numpy as np
import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners.believer import Believer, compression
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
    running = [
        Trial(f"r{i}", 100 + i, p, TrialStatus.RUNNING)
        for i, p in enumerate([{"x": 3.3, "opt": "a"}, {"x": 8.5, "opt": "a"}, {"x": 3.3, "opt": "b"}])
    ]
    believed = Believer(UnitCube(space))(observe(space, done + running))
    assert believed is not None and believed.shape == (3,)
    truth = [bowl(t.parameters) for t in running]
    assert np.allclose(believed, truth, atol=0.05), (believed, truth)


def test_nothing_to_believe() -> None:
    space = SearchSpace(LINE)
    done = finished([{"x": 1.0, "opt": "a"}, {"x": 5.0, "opt": "b"}])
    believe = Believer(UnitCube(space))
    assert believe(observe(space, done)) is None  # nothing running
    one = done[:1] + [Trial("r", 9, {"x": 2.0, "opt": "a"}, TrialStatus.RUNNING)]
    assert believe(observe(space, one)) is None  # one finished trial predicts nothing


def test_nested_branches_and_failed_trials() -> None:
    space = SearchSpace(
        {
            "m": {
                "_type": "choice",
                "_value": [
                    {"_name": "svm", "c": {"_type": "loguniform", "_value": [0.01, 100]}},
                    {"_name": "tree", "depth": {"_type": "randint", "_value": [1, 20]}},
                ],
            }
        }
    )
    trials = [
        Trial(f"t{i}", i, {"m": {"_name": "svm", "c": 10.0 ** (i % 5 - 2)}}, TrialStatus.SUCCEEDED, 0.5)
        for i in range(5)
    ]
    trials += [
        Trial(f"u{i}", 5 + i, {"m": {"_name": "tree", "depth": 2 + i}}, TrialStatus.SUCCEEDED, 0.1)
        for i in range(5)
    ]
    trials.append(Trial("f", 10, {"m": {"_name": "tree", "depth": 19}}, TrialStatus.FAILED))
    trials += [
        Trial("r1", 11, {"m": {"_name": "svm", "c": 1.0}}, TrialStatus.RUNNING),
        Trial("r2", 12, {"m": {"_name": "tree", "depth": 4}}, TrialStatus.RUNNING),
    ]
    believed = Believer(UnitCube(space))(observe(space, trials))
    assert believed is not None and np.all(np.isfinite(believed))
    assert believed[1] < believed[0]  # the tree branch is the better one


def test_large_history_is_capped() -> None:
    space = SearchSpace(LINE)
    rng = np.random.default_rng(0)
    done = finished([{"x": float(x), "opt": "a"} for x in rng.uniform(0, 10, 2000)])
    running = [Trial("r", 5000, {"x": 3.0, "opt": "a"}, TrialStatus.RUNNING)]
    start = time.process_time()
    believed = Believer(UnitCube(space))(observe(space, done + running))
    assert believed is not None and abs(believed[0]) < 0.05
    assert time.process_time() - start < 5  # fitted on at most MAX_FIT trials, not 2,000


def test_one_fit_serves_a_burst_of_suggestions(monkeypatch: pytest.MonkeyPatch) -> None:
    space = SearchSpace(LINE)
    done = finished([{"x": x, "opt": "a"} for x in np.linspace(0, 10, 8)])
    believe = Believer(UnitCube(space))
    fits: list[int] = []
    original = Believer._fit
    monkeypatch.setattr(
        Believer, "_fit", lambda self, x, y, hyper: fits.append(len(y)) or original(self, x, y, hyper)
    )
    running: list[Trial] = []
    for i in range(3):  # three suggestions in a row: one more trial running each time
        running.append(Trial(f"r{i}", 100 + i, {"x": 1.0 + i, "opt": "a"}, TrialStatus.RUNNING))
        assert believe(observe(space, done + running)) is not None
    assert fits == [8]
    done.append(Trial("n", 50, {"x": 9.5, "opt": "a"}, TrialStatus.SUCCEEDED, 4.0))
    believed = believe(observe(space, done + running))
    assert fits == [8, 9] and believed is not None and len(believed) == 3


def test_every_type_nested_and_maximize_through_tpe() -> None:
    """TPE with trials running on a space of every _type inside a nested choice: the believer gives
    every running trial a finite loss, and suggestions stay valid and distinct."""
    from autolab.tuners.tpe import TpeTuner

    inner = {
        "u": {"_type": "uniform", "_value": [-1, 1]},
        "q": {"_type": "quniform", "_value": [16, 200, 16]},
        "lg": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
        "ql": {"_type": "qloguniform", "_value": [1, 1000, 4]},
        "n": {"_type": "normal", "_value": [1.0, 2.0]},
        "qn": {"_type": "qnormal", "_value": [0.0, 3.0, 0.5]},
        "ln": {"_type": "lognormal", "_value": [0.0, 0.5]},
        "qln": {"_type": "qlognormal", "_value": [2.0, 0.5, 2]},
        "r": {"_type": "randint", "_value": [2, 9]},
        "c": {"_type": "choice", "_value": ["relu", 3, 0.5]},
    }
    space = SearchSpace(
        {
            "model": {"_type": "choice", "_value": [{"_name": "a", **inner}, {"_name": "b"}]},
            "lr": {"_type": "uniform", "_value": [0, 1]},
        }
    )
    tuner = TpeTuner(space, optimize_mode="maximize", seed=0)
    beliefs: list[np.ndarray | None] = []
    original = tuner.believe.__call__
    tuner.believe = lambda obs: beliefs.append(original(obs)) or beliefs[-1]  # type: ignore[assignment,method-assign]
    history = History()
    for i in range(12):
        p = tuner.suggest(history)
        history.trials.append(
            Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, p["lr"] + (p["model"]["_name"] == "a"))
        )
    for i in range(12, 20):  # eight suggestions in a row, each one left running
        p = tuner.suggest(history)
        assert space.to_parameters(space.to_flat(p)) == p  # to_flat raises on a value outside the space
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.RUNNING))
    assert len(beliefs) == 7  # the first of the eight saw nothing running
    assert all(b is not None and np.all(np.isfinite(b)) and len(b) == k + 1 for k, b in enumerate(beliefs))
    assert len({str(t.parameters) for t in history.trials}) == 20


def test_a_long_tail_of_bad_losses_does_not_blur_the_good_region() -> None:
    """Rosenbrock: losses span 0 to 1e5, and the running trials in the valley differ by a few
    units. The process fits log(loss - min + (median - min)) then, so it still ranks those trials
    (on raw losses it believed a trial of loss 1.3 better than the one at the optimum, 0)."""
    space = SearchSpace({f"x{i}": {"_type": "uniform", "_value": [-5, 10]} for i in range(2)})

    def rosen(p: dict) -> float:
        return 100 * (p["x1"] - p["x0"] ** 2) ** 2 + (1 - p["x0"]) ** 2

    rng = np.random.default_rng(0)
    points = [{"x0": float(a), "x1": float(b)} for a, b in rng.uniform(-5, 10, (60, 2))]
    points += [
        {"x0": float(a), "x1": float(a * a + d)}
        for a, d in zip(rng.uniform(-2, 3, 20), rng.normal(0, 0.5, 20), strict=True)
    ]
    done = [Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, rosen(p)) for i, p in enumerate(points)]
    valley = [(1.0, 0.0), (0.5, 0.5), (2.0, -1.0), (-1.0, 2.0), (1.5, 0.1), (0.0, 1.0)]
    running = [
        Trial(f"r{i}", 200 + i, {"x0": a, "x1": a * a + d}, TrialStatus.RUNNING)
        for i, (a, d) in enumerate(valley)
    ]
    believed = Believer(UnitCube(space))(observe(space, done + running))
    truth = [rosen(t.parameters) for t in running]
    assert believed is not None
    assert int(np.argmin(believed)) == int(np.argmin(truth)) == 0
    assert np.corrcoef(np.argsort(np.argsort(believed)), np.argsort(np.argsort(truth)))[0, 1] > 0.9


def test_losses_without_a_long_tail_are_fitted_as_they_are() -> None:
    assert compression(np.array([-3.2, -2.0, -1.5, -0.4, 0.0]))[1] is None  # Hartmann-like
    assert compression(np.array([1.0, 1.0, 1.0])) == (1.0, None)
    lo, shift = compression(np.array([0.5, 2.0, 3.0, 4.0, 9e4]))
    assert lo == 0.5 and shift == 2.5
