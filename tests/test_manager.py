"""The manager loop with the local service: real trial processes, statuses, limits, metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.helpers_experiment import make_experiment, run_manager, stop_manager

pytestmark = pytest.mark.e2e


def statuses(directory: Path) -> dict[str, int]:
    store = Store(directory, readonly=True)
    try:
        return store.count_by_status()
    finally:
        store.close()


def test_runs_max_trials_and_records_results(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        for i in range(3):
            autolab.report_intermediate_result({"default": p["x"] * i, "loss": i})
        autolab.report_final_result(p["x"] + p["k"])
    """,
        maxTrialNumber=5,
    )
    manager = run_manager(directory)
    assert manager.status == "DONE"
    store = Store(directory, readonly=True)
    rows = store.trial_rows()
    assert len(rows) == 5
    for row in rows:
        params = row.parameters
        assert row.status == "SUCCEEDED"
        assert row.value == pytest.approx(params["x"] + params["k"])
        assert row.n_intermediate == 3
        trial_dir = directory / "trials" / row.id
        assert json.loads((trial_dir / "parameter.json").read_text()) == params
        assert (trial_dir / "exit_status").read_text().strip() == "0"
    assert len(store.metric_rows()) == 5 * 4


def test_concurrency_is_respected(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        time.sleep(0.3)
        autolab.report_final_result(1.0)
    """,
        maxTrialNumber=6,
        trialConcurrency=2,
    )
    peak = []
    run_manager(directory, on_step=lambda m: peak.append(len(m.active)))
    assert max(peak) == 2
    assert statuses(directory) == {"SUCCEEDED": 6}


def test_many_free_slots_are_filled_over_several_loop_turns(tmp_path: Path) -> None:
    """Hundreds of free slots must not keep one loop turn busy starting trials (a stop request or a
    result would wait for all of them): at most MAX_STARTS_PER_TURN start per turn."""
    from autolab.launcher import build_manager
    from autolab.manager import MAX_STARTS_PER_TURN

    directory = make_experiment(
        tmp_path, "autolab.report_final_result(1.0)", maxTrialNumber=80, trialConcurrency=200
    )
    manager = build_manager(directory)
    manager.start()
    try:
        for i in range(10):  # queued trials (as a resume re-runs lost ones) count toward the same cap
            manager.add_trial({"x": 0.5, "k": 1 + i % 3}, start=False)
        manager.step()
        assert len(manager.by_id) == MAX_STARTS_PER_TURN and not manager.unstarted
        manager.request_stop()
        manager.step()
        assert len(manager.by_id) == MAX_STARTS_PER_TURN  # the stop was seen at once: nothing more started
    finally:
        while not manager.finished:
            manager.step()
            time.sleep(0.01)
        manager.close()
    assert sum(statuses(directory).values()) == MAX_STARTS_PER_TURN


def test_failures_and_missing_final_result_are_visible(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        if p["k"] == 1:
            sys.exit(3)
        if p["k"] == 2:
            autolab.report_intermediate_result(0.5)
        else:
            autolab.report_final_result(0.7)
    """,
        maxTrialNumber=12,
        trialConcurrency=3,
        tuner={"name": "GridSearch"},
        searchSpace={"k": {"_type": "choice", "_value": [1, 2, 3]}},
    )
    manager = run_manager(directory)
    assert manager.status == "DONE"  # the grid of 3 ran out before maxTrialNumber
    store = Store(directory, readonly=True)
    by_k = {r.parameters["k"]: r for r in store.trial_rows()}
    assert by_k[1].status == "FAILED" and by_k[1].exit_code == 3
    assert by_k[2].status == "NO_RESULT" and "without reporting a final result" in by_k[2].message
    assert by_k[3].status == "SUCCEEDED" and by_k[3].value == 0.7


def test_max_trial_duration_kills_the_whole_process_group(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        import subprocess
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open("child.pid", "w").write(str(child.pid))
        time.sleep(60)
    """,
        maxTrialNumber=1,
        maxTrialDuration="1s",
    )
    manager = run_manager(directory, timeout=30)
    store = Store(directory, readonly=True)
    (row,) = store.trial_rows()
    assert row.status == "FAILED"
    assert "maxTrialDuration" in row.message
    child = int((tmp_path / "code" / "child.pid").read_text())
    deadline = time.time() + 10
    while psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE:
        assert time.time() < deadline, "the trial's child survived the kill"
        time.sleep(0.05)
    assert manager.status == "DONE"


def test_max_experiment_duration_cancels_running_trials(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        autolab.report_intermediate_result(0.1)
        time.sleep(60)
    """,
        maxTrialNumber=10,
        maxExperimentDuration="2s",
    )
    started = time.time()
    manager = run_manager(directory, timeout=30)
    assert time.time() - started < 20
    counts = statuses(directory)
    assert counts == {"USER_CANCELED": 2}
    assert manager.status == "DONE"


def test_user_stop_cancels_trials(tmp_path: Path) -> None:
    directory = make_experiment(tmp_path, "time.sleep(60)\n", maxTrialNumber=10)

    def stop_when_running(manager):  # type: ignore[no-untyped-def]
        if len(manager.active) == 2 and all(t.status == TrialStatus.RUNNING for t in manager.active.values()):
            manager.request_stop()

    manager = run_manager(directory, timeout=30, on_step=stop_when_running)
    assert manager.status == "STOPPED"
    assert statuses(directory) == {"USER_CANCELED": 2}


def test_gpu_slots_set_cuda_visible_devices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_GPUS", "0,1,2")
    monkeypatch.setenv("AUTOLAB_GPUS_ACTIVE", "2")
    directory = make_experiment(
        tmp_path,
        """
        time.sleep(0.3)
        autolab.report_final_result(float(len(os.environ["CUDA_VISIBLE_DEVICES"].split(","))))
        open(f"gpus-{autolab.get_trial_id()}", "w").write(os.environ["CUDA_VISIBLE_DEVICES"])
    """,
        maxTrialNumber=4,
        trialConcurrency=4,
        trialGpuNumber=1,
        trainingService={"platform": "local", "maxTrialNumberPerGpu": 1},
    )
    peak = []
    run_manager(directory, on_step=lambda m: peak.append(len(m.active)))
    # GPU 2 is busy with someone else's process (useActiveGpu false): only 0 and 1 are used
    assert max(peak) == 2
    used = {p.read_text() for p in (tmp_path / "code").glob("gpus-*")}
    assert used == {"0", "1"}
    assert statuses(directory) == {"SUCCEEDED": 4}


def test_gpu_number_without_gpus_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autolab.launcher import build_manager
    from autolab.services.base import ServiceError

    monkeypatch.setenv("AUTOLAB_GPUS", "")
    directory = make_experiment(tmp_path, "pass\n", trialGpuNumber=1)
    with pytest.raises(
        ServiceError, match=r"trialGpuNumber: 1 GPU\(s\) per trial, but this machine has no GPU"
    ):
        build_manager(directory)


def test_malformed_metric_lines_are_skipped(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        d = os.environ["AUTOLAB_TRIAL_DIR"]
        with open(os.path.join(d, "metrics.jsonl"), "a") as fh:
            fh.write("not json\\n")
        autolab.report_final_result(2.5)
    """,
        maxTrialNumber=1,
    )
    run_manager(directory)
    store = Store(directory, readonly=True)
    (row,) = store.trial_rows()
    assert row.status == "SUCCEEDED" and row.value == 2.5


def test_odd_metric_lines_from_other_writers_do_not_stop_the_loop(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        d = os.environ["AUTOLAB_TRIAL_DIR"]
        with open(os.path.join(d, "metrics.jsonl"), "a") as fh:
            fh.write('{"type": "PERIODICAL", "seq": 0, "value": 0.5, "time": null}\\n')
            fh.write('{"type": "PERIODICAL", "seq": 1, "value": "0.6\\u2028"}\\n')
        autolab.report_final_result(1.5)
    """,
        maxTrialNumber=2,
    )
    manager = run_manager(directory)
    assert manager.status == "DONE"
    store = Store(directory, readonly=True)
    rows = store.trial_rows()
    assert [r.status for r in rows] == ["SUCCEEDED", "SUCCEEDED"]
    assert all(store.intermediate(r.id) == [0.5] for r in rows)


def test_raising_max_trials_while_the_last_trial_runs_is_honoured(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        time.sleep(0.5)
        autolab.report_final_result(1.0)
    """,
        maxTrialNumber=1,
        trialConcurrency=2,
    )
    raised = []

    def raise_limit(manager):  # type: ignore[no-untyped-def]
        if not raised and manager.active:
            manager.update(maxTrialNumber=3)
            raised.append(True)

    run_manager(directory, on_step=raise_limit)
    assert statuses(directory) == {"SUCCEEDED": 3}


def test_time_spent_done_does_not_use_the_duration_budget(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path, "autolab.report_final_result(1.0)\n", maxTrialNumber=1, maxExperimentDuration="30s"
    )
    manager = run_manager(directory)
    spent = manager.elapsed()
    time.sleep(1.0)
    assert manager.elapsed() == spent
    manager.update(maxTrialNumber=2)  # more trials: it runs again, with the budget it had left
    assert manager.status == "RUNNING"
    second_run = time.time()
    while not manager.finished:
        manager.step()
        time.sleep(0.01)
    manager.close()
    assert statuses(directory) == {"SUCCEEDED": 2}
    # the second second of waiting while DONE is not in the budget: only the second run is
    assert manager.elapsed() - spent <= time.time() - second_run + 0.05


def test_a_command_that_cannot_work_stops_after_five_failures(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path, "pass\n", maxTrialNumber=50, trialConcurrency=1, trialCommand="python3 no_such_script.py"
    )
    manager = run_manager(directory)
    assert manager.status == "ERROR"
    assert statuses(directory) == {"FAILED": 5}
    assert (
        manager.error is not None and "no_such_script.py" in manager.error and "exit code 2" in manager.error
    )


def test_failures_after_a_success_do_not_stop_the_experiment(tmp_path: Path) -> None:
    directory = make_experiment(
        tmp_path,
        """
        if autolab.get_sequence_id() > 0:
            sys.exit(1)
        autolab.report_final_result(1.0)
    """,
        maxTrialNumber=8,
        trialConcurrency=1,
    )
    manager = run_manager(directory)
    assert manager.status == "DONE"
    assert statuses(directory) == {"SUCCEEDED": 1, "FAILED": 7}


def test_update_keeps_the_store_and_config_yml_alike(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import yaml

    from autolab.config import validate_update

    directory = make_experiment(tmp_path, "autolab.report_final_result(1.0)\n", maxTrialNumber=1)
    manager = run_manager(directory)
    space = {"x": {"_type": "choice", "_value": [7]}}
    before = manager.config.max_experiment_duration
    with caplog.at_level("INFO", logger="autolab.manager"):
        manager.update(
            maxExperimentDuration=validate_update("maxExperimentDuration", "90m"),
            searchSpace=validate_update("searchSpace", space),
        )
    # manager.log keeps a line of each change (nnictl's update leaves one too)
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("update:")]
    assert said == [
        f"update: maxExperimentDuration {before} -> 5400.0",
        "update: searchSpace, now 1 parameter(s): x",
    ]
    store = Store(directory, readonly=True)
    stored = store.get_meta("config")
    store.close()
    written = yaml.safe_load((directory / "config.yml").read_text())
    assert written == stored
    assert written["maxExperimentDuration"] == 5400.0 and written["searchSpace"] == space
    assert manager.config.max_experiment_duration == 5400.0
    assert not list(directory.glob("config.yml.*"))  # written through a temporary file, renamed
    manager.close()


def test_a_stop_once_done_ends_the_manager_and_keeps_done(tmp_path: Path) -> None:
    from autolab.lifecycle import Phase

    directory = make_experiment(tmp_path, "autolab.report_final_result(1.0)\n", maxTrialNumber=1)
    manager = run_manager(directory)
    assert manager.phase is Phase.DONE and not manager.stopping
    manager.request_stop()
    assert manager.phase is Phase.CLOSED and manager.stopping and manager.finished
    manager.step()
    manager.update(maxTrialNumber=5)  # a closing manager starts nothing again
    assert manager.status == "DONE" and manager.phase is Phase.CLOSED
    store = Store(directory, readonly=True)
    assert store.get_meta("status") == "DONE"
    store.close()


def test_beyond_32_running_trials_results_are_looked_at_at_a_bounded_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At concurrency 128 a stat() of every trial's metrics file on every 20 ms turn was a tenth of
    the manager's time: beyond METRICS_EVERY_TURN_UP_TO trials the loop looks about
    METRIC_LOOKS_PER_SECOND times a second in all, and a result written meanwhile still arrives."""
    from autolab import manager as manager_module
    from autolab import protocol
    from autolab.launcher import build_manager

    running = manager_module.METRICS_EVERY_TURN_UP_TO + 8
    # a look at every trial once a second: two turns in a row cannot both be due, even on a slow machine
    monkeypatch.setattr(manager_module, "METRIC_LOOKS_PER_SECOND", running)
    directory = make_experiment(
        tmp_path, "", trialCommand="sleep 60", maxTrialNumber=running, trialConcurrency=running
    )
    manager = build_manager(directory)
    manager.start()
    looks: list[str] = []
    read = manager.read_metrics
    manager.read_metrics = lambda trial: looks.append(trial.trial_id) or read(trial)  # type: ignore[method-assign]
    try:
        deadline = time.time() + 60
        while len(manager.trials.in_service) < running or len(manager.active) < running:
            assert time.time() < deadline, "the trials did not all start"
            manager.step()
            time.sleep(0.01)
        time.sleep(1.0)  # the next look is due
        looks.clear()
        manager.step()
        manager.step()  # at once: not due again
        assert sorted(looks) == sorted(manager.active)
        trial = next(iter(manager.active.values()))
        with open(manager.trial_dir(trial.trial_id) / protocol.METRICS_FILE, "a") as fh:
            fh.write(protocol.metric_line(protocol.PERIODICAL, 0.25))
        while trial.intermediate != [0.25]:
            assert time.time() < deadline, "the intermediate result was never read"
            manager.step()
            time.sleep(0.01)
    finally:
        stop_manager(manager)
