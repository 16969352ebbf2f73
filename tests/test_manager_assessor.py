"""The assessor in a real experiment: a weak trial is killed with its children, ends EARLY_STOPPED."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from autolab.launcher import build_manager
from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.helpers_experiment import make_experiment, run_manager, stop_manager

pytestmark = pytest.mark.e2e

TRIAL = """
seq = autolab.get_sequence_id()
if seq < 2:
    for i in range(5):
        autolab.report_intermediate_result(1.0)
    autolab.report_final_result(1.0)
else:
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    open(f"child-{seq}.pid", "w").write(str(child.pid))
    for i in range(60):
        autolab.report_intermediate_result({"default": 0.1, "step": i})
        time.sleep(0.5)
    autolab.report_final_result(0.1)
"""


@pytest.mark.parametrize(
    "assessor",
    [
        {"name": "Medianstop", "classArgs": {"optimize_mode": "maximize", "start_step": 2}},
        {"name": "Curvefitting", "classArgs": {"epoch_num": 60, "start_step": 2, "threshold": 0.9}},
    ],
)
def test_weak_trial_is_early_stopped_with_its_children(tmp_path: Path, assessor: dict) -> None:
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=3, trialConcurrency=1, assessor=assessor)
    started = time.time()
    manager = run_manager(directory, timeout=60)
    assert time.time() - started < 25, "the weak trial was not stopped early"
    store = Store(directory, readonly=True)
    rows = store.trial_rows()
    assert [r.status for r in rows] == ["SUCCEEDED", "SUCCEEDED", "EARLY_STOPPED"]
    stopped = rows[2]
    assert stopped.value is None
    # its intermediate results stay in the store, and the tuner's history sees it as stopped
    assert len(store.intermediate(stopped.id)) >= 2
    trial = manager.history.get(stopped.id)
    assert trial is not None and trial.last_value == pytest.approx(0.1)
    child = int((tmp_path / "code" / "child-2.pid").read_text())
    deadline = time.time() + 15
    while psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE:
        assert time.time() < deadline, "the stopped trial's child process survived"
        time.sleep(0.05)
    from autolab.views import export_rows

    exported = {r["trialJobId"]: r for r in export_rows(store, intermediate=True)}
    assert exported[stopped.id]["status"] == "EARLY_STOPPED"
    assert exported[stopped.id]["intermediate"][0] == {"default": 0.1, "step": 0}
    json.dumps(exported)


def test_assessor_error_does_not_kill_the_experiment(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "bad_assessor.py").write_text(
        "import pathlib\n"
        "from autolab.assessors.base import Assessor\n"
        "class Broken(Assessor):\n"
        "    def should_stop(self, trial, history):\n"
        "        pathlib.Path(__file__).with_name('assessed').touch()\n"
        "        raise RuntimeError('assessor bug')\n"
    )
    # the trial ends only once the assessor was asked: results read only at its exit are never
    # assessed, and a fast trial could otherwise end before the loop saw them
    directory = make_experiment(
        tmp_path,
        f"""
        for i in range(3):
            autolab.report_intermediate_result(i)
        deadline = time.time() + 60
        while not os.path.exists({str(code / "assessed")!r}) and time.time() < deadline:
            time.sleep(0.01)
        autolab.report_final_result(3)
    """,
        maxTrialNumber=2,
        assessor={"className": "bad_assessor.Broken", "codeDirectory": str(code)},
    )
    manager = run_manager(directory)
    assert manager.status == "DONE"
    assert Store(directory, readonly=True).count_by_status() == {"SUCCEEDED": 2}
    assert "assessor failed on trial" in caplog.text and "assessor bug" in caplog.text


@pytest.mark.parametrize("slow", [False, True])
def test_a_trial_whose_final_result_came_in_the_same_burst_is_not_stopped(tmp_path: Path, slow: bool) -> None:
    """A fast trial's results are read at once: the verdict on its first one comes after its final
    result, and stopping it then would mark a finished trial EARLY_STOPPED (found with the digits
    example, whose 27 epochs take a second)."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "stopper.py").write_text(
        "from autolab.assessors.base import Assessor\n"
        "class Stop(Assessor):\n"
        f"    slow = {slow}\n"
        "    def should_stop(self, trial, history):\n"
        "        return True\n"
    )
    go, reported, release = (code / name for name in ("go", "reported", "release"))
    directory = make_experiment(
        tmp_path,
        f"""
        def wait(path):
            deadline = time.time() + 60
            while not os.path.exists(path) and time.time() < deadline:
                time.sleep(0.01)
        wait({str(go)!r})
        for i in range(3):
            autolab.report_intermediate_result(i)
        autolab.report_final_result(3)
        open({str(reported)!r}, "w").close()
        wait({str(release)!r})
    """,
        maxTrialNumber=1,
        trialConcurrency=1,
        assessor={"className": "stopper.Stop", "codeDirectory": str(code)},
    )
    manager = build_manager(directory)
    manager.start()
    try:
        deadline = time.time() + 60
        while not any(t.status == TrialStatus.RUNNING for t in manager.history.trials):
            assert time.time() < deadline, "the trial did not start"
            manager.step()
            time.sleep(0.01)
        go.touch()  # the loop reads nothing until the trial has reported all it will
        while not reported.exists():
            assert time.time() < deadline, "the trial did not report"
            time.sleep(0.01)
        for _ in range(5):  # the burst is read, judged (a slow call returns) and nothing is stopped
            manager.step()
            time.sleep(0.05)
        (trial,) = manager.history.trials
        assert trial.value == 3 and trial.status == TrialStatus.RUNNING
        release.touch()
        while not manager.finished:
            assert time.time() < deadline, "the experiment did not end"
            manager.step()
            time.sleep(0.01)
    finally:
        release.touch()
        stop_manager(manager)
    assert [(r.status, r.value) for r in Store(directory, readonly=True).trial_rows()] == [("SUCCEEDED", 3)]
