"""/api/v1/importance and autolab.importance: the parameter that drives the metric comes first, for
log-scaled, choice and nested parameters, per objective; cached per result count; bad input is a 400."""

from __future__ import annotations

import math
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import tornado.web

from autolab import importance as imp
from autolab.protocol import FINAL, Metric
from autolab.searchspace import SearchSpace
from autolab.server import make_app
from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.api.helpers import CONFIG, add
from tests.api.test_reads import ApiCase

SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
    "noise": {"_type": "uniform", "_value": [0, 1]},
    "opt": {
        "_type": "choice",
        "_value": ["sgd", {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.5, 0.99]}}],
    },
}
MO_CONFIG = {
    **CONFIG,
    "searchSpace": SPACE,
    "tuner": {"name": "TPE", "classArgs": {"objectives": {"accuracy": "maximize", "latency": "minimize"}}},
}


def sample(rng: random.Random) -> dict[str, Any]:
    opt: Any = {"_name": "adam", "beta": rng.uniform(0.5, 0.99)} if rng.random() < 0.5 else "sgd"
    return {"lr": 10 ** rng.uniform(-5, -1), "noise": rng.uniform(0, 1), "opt": opt}


def accuracy(p: dict[str, Any]) -> float:
    return -((math.log10(p["lr"]) + 3) ** 2)  # only lr matters, on a log scale


def latency(p: dict[str, Any]) -> float:
    # only the optimizer branch and adam's beta matter
    return 10.0 + (20 * p["opt"]["beta"] if isinstance(p["opt"], dict) else 0.0)


def test_the_driving_parameter_comes_first() -> None:
    rng = random.Random(1)
    trials = [(p, accuracy(p)) for p in (sample(rng) for _ in range(300))]
    got = imp.importance(SearchSpace(SPACE), trials)
    assert [r["parameter"] for r in got["importances"]][0] == "lr"
    assert got["importances"][0]["importance"] > 0.9
    assert math.isclose(sum(r["importance"] for r in got["importances"]), 1.0)
    assert got["used"] == 300 and got["evaluatedOn"] == "held-out trials" and got["r2"] > 0.9
    assert {r["parameter"]: r["nested"] for r in got["importances"]}["opt/adam/beta"] is True


def test_nested_parameter_and_its_branch() -> None:
    rng = random.Random(2)
    trials = [(p, latency(p)) for p in (sample(rng) for _ in range(300))]
    got = {r["parameter"]: r["importance"] for r in imp.importance(SearchSpace(SPACE), trials)["importances"]}
    assert got["opt"] + got["opt/adam/beta"] > 0.9
    assert got["lr"] < 0.05 and got["noise"] < 0.05


def test_subsample_few_trials_and_foreign_parameters() -> None:
    rng = random.Random(3)
    many = [(p, accuracy(p)) for p in (sample(rng) for _ in range(imp.MAX_TRIALS + 50))]
    assert imp.importance(SearchSpace(SPACE), many)["used"] == imp.MAX_TRIALS
    few = many[:4] + [({"lr": 5.0, "noise": 0.1, "opt": "sgd"}, 1.0)]  # lr outside the space
    got = imp.importance(SearchSpace(SPACE), few)
    assert got["importances"] == [] and got["skipped"] == 1 and "at least 5" in got["message"]


class TestImportanceApi(ApiCase):
    def get_app(self) -> tornado.web.Application:
        self._tmp = tempfile.TemporaryDirectory()
        self.directory = Path(self._tmp.name) / "exp"
        (self.directory / "trials").mkdir(parents=True)
        self.store = Store(self.directory, create=True)
        self.store.set_meta(id="imp1", name="imp", config=MO_CONFIG, status="DONE", created=time.time())
        rng = random.Random(4)
        for i in range(60):
            p = sample(rng)
            add(
                self.store, f"t{i}", p, TrialStatus.SUCCEEDED, {"default": accuracy(p), "latency": latency(p)}
            )
        add(self.store, "failed", sample(rng), TrialStatus.FAILED, None)
        return make_app(None, self.store, self.directory)

    def test_per_objective_and_cached_per_result_count(self) -> None:
        got = self.call("/api/v1/importance")
        assert got["objective"] == "accuracy" and got["objectives"] == ["accuracy", "latency"]
        assert got["direction"] == "maximize" and got["trials"] == 60 and got["cached"] is False
        assert got["importances"][0]["parameter"] == "lr"
        again = self.call("/api/v1/importance")
        assert again["cached"] is True and again["importances"] == got["importances"]
        latency_answer = self.call("/api/v1/importance?objective=latency")
        assert latency_answer["direction"] == "minimize" and latency_answer["cached"] is False
        top = {r["parameter"]: r["importance"] for r in latency_answer["importances"]}
        assert top["opt"] + top["opt/adam/beta"] > 0.8
        # a new result: computed again, over one more trial
        p = sample(random.Random(9))
        add(self.store, "t99", p, TrialStatus.SUCCEEDED, {"default": accuracy(p), "latency": latency(p)})
        fresh = self.call("/api/v1/importance")
        assert fresh["cached"] is False and fresh["trials"] == 61

    def test_unknown_objective_is_a_400(self) -> None:
        got = self.call("/api/v1/importance?objective=speed", expect=400)
        assert "objective" in got["error"] and "accuracy, latency" in got["error"]

    def test_a_foreign_host_is_refused(self) -> None:
        # the loopback Host check holds for the new read, as for every other (DNS rebinding)
        got = self.call("/api/v1/importance", headers={"Host": "attacker.example:8080"}, expect=403)
        assert "localhost" in got["error"]

    def test_opening_the_page_starts_loading_the_forest_and_an_api_read_does_not(self) -> None:
        import threading

        from autolab.api import importance as api_importance

        api_importance._warming.clear()
        self.call("/api/v1/summary")
        assert not api_importance._warming.is_set()
        page = self.fetch("/")
        assert page.code == 200 and b"<script" in page.body
        assert api_importance._warming.is_set()
        for thread in threading.enumerate():
            if thread.name == "autolab-importance-warm-up":
                thread.join(timeout=60)
        import sys

        assert "sklearn.ensemble" in sys.modules


class TestImportanceByBudget(ApiCase):
    """A multi-fidelity experiment: at budget 1 only `noise` drives the metric, at budget 3 only `lr`
    (a short run ranks configurations otherwise than a long one), so the budget fitted shows."""

    def get_app(self) -> tornado.web.Application:
        self._tmp = tempfile.TemporaryDirectory()
        self.directory = Path(self._tmp.name) / "exp"
        (self.directory / "trials").mkdir(parents=True)
        self.store = Store(self.directory, create=True)
        self.store.set_meta(id="imp2", name="imp", config={**CONFIG, "searchSpace": SPACE}, status="DONE")
        rng = random.Random(5)
        plan = [(1, 60, TrialStatus.SUCCEEDED), (3, 14, TrialStatus.PAUSED), (3, 14, TrialStatus.SUCCEEDED)]
        plan.append((9, 6, TrialStatus.SUCCEEDED))
        n = 0
        for budget, count, status in plan:
            for _ in range(count):
                p = sample(rng)
                value = -p["noise"] if budget == 1 else accuracy(p)
                self.store.add_trial(f"t{n}", {**p, "TRIAL_BUDGET": budget}, fidelity={"budget": budget})
                self.store.record_metrics(f"t{n}", [Metric.of(FINAL, value)], 0)
                self.store.update_trial(f"t{n}", status=status)
                n += 1
        return make_app(None, self.store, self.directory)

    def test_the_largest_budget_with_enough_results_by_default(self) -> None:
        got = self.call("/api/v1/importance")
        # budget 9 has 6 results (< 10): budget 3's 28, paused trials among them
        assert got["budget"] == 3 and got["trials"] == 28
        assert got["budgets"] == [
            {"budget": 1, "trials": 60},
            {"budget": 3, "trials": 28},
            {"budget": 9, "trials": 6},
        ]
        assert got["importances"][0]["parameter"] == "lr"
        one = self.call("/api/v1/importance?budget=1")
        assert one["budget"] == 1 and one["trials"] == 60 and one["importances"][0]["parameter"] == "noise"
        mixed = self.call("/api/v1/importance?budget=all")
        assert mixed["budget"] is None and mixed["trials"] == 94
        assert self.call("/api/v1/importance?budget=9")["trials"] == 6

    def test_a_budget_no_trial_ran_is_a_400(self) -> None:
        got = self.call("/api/v1/importance?budget=5", expect=400)
        assert got["error"] == "budget: expected one of 1, 3, 9 or 'all', got '5'"
        assert "got 'x'" in self.call("/api/v1/importance?budget=x", expect=400)["error"]
