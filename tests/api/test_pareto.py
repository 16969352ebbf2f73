"""/api/v1/pareto and /api/v1/pareto/hypervolume, and the export's objectives, over a store with
two objectives and a constraint."""

from __future__ import annotations

import csv
import io
import tempfile
import time
from pathlib import Path
from typing import Any

import tornado.web

from autolab.server import make_app
from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.api.helpers import CONFIG, add
from tests.api.test_reads import ApiCase

MO_CONFIG = {
    **CONFIG,
    "tuner": {
        "name": "TPE",
        "classArgs": {
            "optimize_mode": "maximize",
            "objectives": {"accuracy": "maximize", "latency_ms": "minimize"},
            "constraints": {"latency_ms": {"max": 20}},
        },
    },
}
RESULTS: list[tuple[str, Any, TrialStatus]] = [
    ("t0", {"default": 0.8, "latency_ms": 10}, TrialStatus.SUCCEEDED),
    ("t1", {"default": 0.9, "latency_ms": 30}, TrialStatus.SUCCEEDED),  # infeasible
    ("t2", {"default": 0.7, "latency_ms": 5}, TrialStatus.SUCCEEDED),
    ("t3", {"default": 0.6, "latency_ms": 8}, TrialStatus.SUCCEEDED),  # dominated by t2
    ("t4", {"default": 0.85, "latency_ms": 15}, TrialStatus.SUCCEEDED),
    ("t5", 0.99, TrialStatus.FAILED),
]


class TestPareto(ApiCase):
    def get_app(self) -> tornado.web.Application:
        self._tmp = tempfile.TemporaryDirectory()
        self.directory = Path(self._tmp.name) / "exp"
        (self.directory / "trials").mkdir(parents=True)
        self.store = Store(self.directory, create=True)
        self.store.set_meta(id="mo1", name="mo", config=MO_CONFIG, status="DONE", created=time.time())
        now = time.time()
        for i, (tid, final, status) in enumerate(RESULTS):
            add(self.store, tid, {"x": 0.1 * (i + 1), "k": 1}, status, final, (), now - 100 + i, now - 50 + i)
        return make_app(None, self.store, self.directory)

    def test_front(self) -> None:
        got = self.call("/api/v1/pareto")
        assert got["objectives"] == {"accuracy": "maximize", "latency_ms": "minimize"}
        assert got["constraints"] == {"latency_ms": {"min": None, "max": 20}}
        assert got["scored"] == 5 and got["infeasible"] == 1
        assert [r["trialJobId"] for r in got["front"]] == ["t4", "t0", "t2"]  # best accuracy first
        assert got["front"][0]["objectives"] == {"accuracy": 0.85, "latency_ms": 15}

    def test_hypervolume_history(self) -> None:
        got = self.call("/api/v1/pareto/hypervolume?reference=0.5,25")
        assert got["reference"] == {"accuracy": 0.5, "latency_ms": 25}
        hv = [(h["sequence"], round(h["hypervolume"], 6)) for h in got["history"]]
        # t0: 0.3 x 15 = 4.5; t2 adds 0.2 x 5 = 1; t3 nothing; t4 adds 0.05 x 10 = 0.5
        assert hv == [(0, 4.5), (2, 5.5), (3, 5.5), (4, 6.0)]
        self.call("/api/v1/pareto/hypervolume?reference=1", expect=400)
        self.call("/api/v1/pareto/hypervolume?reference=a,b", expect=400)
        auto = self.call("/api/v1/pareto/hypervolume")
        assert auto["reference"]["latency_ms"] > 15 and auto["reference"]["accuracy"] < 0.6

    def test_export_has_every_objective(self) -> None:
        rows = {r["trialJobId"]: r for r in self.call("/api/v1/export")}
        assert rows["t1"]["objectives"] == {"accuracy": 0.9, "latency_ms": 30}
        assert rows["t1"]["feasible"] is False and rows["t1"]["pareto"] is False
        assert rows["t0"]["pareto"] is True and rows["t3"]["pareto"] is False
        table = {
            r["trialJobId"]: r for r in csv.DictReader(io.StringIO(self.call("/api/v1/export?format=csv")))
        }
        assert table["t2"]["objective.accuracy"] == "0.7" and table["t2"]["pareto"] == "True"


class TestOneObjective(ApiCase):
    def test_front_of_a_single_objective_experiment_is_404(self) -> None:
        got = self.call("/api/v1/pareto", expect=404)
        assert "one objective" in got["error"]
        self.call("/api/v1/pareto/hypervolume", expect=404)
