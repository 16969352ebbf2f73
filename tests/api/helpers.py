"""A store filled by hand for the API tests, and a stand-in manager that records what it is asked."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from autolab.config import AlgorithmConfig
from autolab.protocol import FINAL, PERIODICAL, Metric
from autolab.statuses import TrialStatus
from autolab.store import Store

SPACE = {"x": {"_type": "loguniform", "_value": [0.001, 1]}, "k": {"_type": "choice", "_value": [1, 2, 3]}}
CONFIG = {
    "searchSpace": SPACE,
    "trialCommand": "python3 t.py",
    "trialCodeDirectory": ".",
    "trialConcurrency": 2,
    "maxTrialNumber": 10,
    "maxExperimentDuration": 600.0,
    "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}},
}


def add(
    store: Store,
    trial_id: str,
    params: dict[str, Any],
    status: TrialStatus,
    final: Any = None,
    intermediate: tuple[float, ...] = (),
    start: float | None = None,
    end: float | None = None,
) -> None:
    store.add_trial(trial_id, params)
    records = [Metric.of(PERIODICAL, v) for v in intermediate]
    if final is not None:
        records.append(Metric.of(FINAL, final))
    if records:
        store.record_metrics(trial_id, records, 0)
    store.update_trial(trial_id, status=status, start_time=start, end_time=end)


def fill(directory: Path) -> Store:
    """Five trials: two succeeded (one with a dict metric), one running, one failed, one waiting."""
    (directory / "trials").mkdir(parents=True, exist_ok=True)
    store = Store(directory, create=True)
    store.set_meta(
        id="apitest1", name="api", config=CONFIG, status="RUNNING", created=time.time(), elapsed=12.0
    )
    now = time.time()
    add(store, "aaaaa", {"x": 0.1, "k": 1}, TrialStatus.SUCCEEDED, 0.5, (0.2, 0.4, 0.5), now - 100, now - 90)
    add(
        store,
        "bbbbb",
        {"x": 0.01, "k": 2},
        TrialStatus.SUCCEEDED,
        {"default": 0.9, "loss": 0.2},
        (0.7,),
        now - 80,
        now - 50,
    )
    add(store, "ccccc", {"x": 0.5, "k": 3}, TrialStatus.RUNNING, None, (0.3, 0.35), now - 20)
    add(store, "ddddd", {"x": 0.9, "k": 1}, TrialStatus.FAILED, None, (), now - 40, now - 39)
    add(store, "eeeee", {"x": 0.2, "k": 2}, TrialStatus.WAITING)
    trial = directory / "trials" / "aaaaa"
    trial.mkdir()
    (trial / "stdout").write_text("".join(f"line {i}\n" for i in range(1000)))
    (trial / "stderr").write_text("warning: something\n")
    return store


class FakeManager:
    """What the control endpoints call on the real Manager, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.status = "RUNNING"
        self.stopping = False
        self.finished = False
        self.error: str | None = None
        self.notes: list[str] = []  # the training service's, as the Manager keeps them
        self.running = {"ccccc", "eeeee"}
        self.config = SimpleNamespace(tuner=AlgorithmConfig("TPE", None, None, {}))

    def elapsed(self) -> float:
        return 42.0

    def request_stop(self) -> None:
        self.calls.append(("stop", None))
        self.stopping = True

    def update(self, **changes: Any) -> None:
        # values come validated (config.validate_update); a search space is recorded as written
        self.calls.append(("update", {k: getattr(v, "raw", v) for k, v in changes.items()}))

    def kill_trial(self, trial_id: str, reason: TrialStatus) -> bool:
        self.calls.append(("kill", (trial_id, reason)))
        return trial_id in self.running

    def import_trials(self, records: list[dict[str, Any]]) -> int:
        self.calls.append(("import", records))
        return len(records)
