"""The management commands on a stopped experiment, in process: update, top, trial ls and
experiment status; every one's output and errors (the experiment: conftest.py's `exp`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autolab import experiments
from autolab.store import Store
from tests.cli.admin_helpers import config, one_line_error, run, table_ids
from tests.helpers_experiment import make_experiment, run_manager
from tests.helpers_experiment import trial_rows as rows


# -- update ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "what, flag, value, key, expected",
    [
        ("trialnum", "--value", "9", "maxTrialNumber", 9),
        ("concurrency", "--value", "4", "trialConcurrency", 4),
        ("duration", "--value", "1.5h", "maxExperimentDuration", 5400.0),
        ("duration", "--value", "30s", "maxExperimentDuration", 30.0),
    ],
)
def test_update_a_stopped_experiment_writes_the_store(
    exp: Path, capsys: pytest.CaptureFixture[str], what: str, flag: str, value: str, key: str, expected: Any
) -> None:
    code, out, err = run(capsys, "update", what, "exp1", flag, value)
    assert code == 0, err
    assert "used when it is resumed" in out
    assert config(exp)[key] == expected


def test_update_searchspace_from_a_json5_file(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = tmp_path / "space.json"
    space.write_text('// new\n{"x": {"_type": "uniform", "_value": [5, 6]},}')
    code, out, err = run(capsys, "update", "searchspace", "--filename", str(space))  # default: the only one
    assert code == 0, err
    assert config(exp)["searchSpace"] == {"x": {"_type": "uniform", "_value": [5, 6]}}
    # the resumed experiment uses it
    run(capsys, "update", "trialnum", "--value", "7")
    run_manager(exp)
    new = [r.parameters for r in rows(exp)][5:]
    assert len(new) == 2 and all(5 <= p["x"] <= 6 for p in new)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["trialnum", "--value", "0"], "--value 0"),
        (["trialnum", "--value", "many"], "maxTrialNumber must be an integer"),
        (["concurrency", "--value", "2.5"], "trialConcurrency"),
        (["concurrency", "--value", "100000"], "trialConcurrency must be at most 10000"),
        (["duration", "--value", "10x"], "bad duration '10x'"),
        (["duration", "--value", "0"], "duration > 0"),
        (["searchspace", "--filename", "missing.json"], "missing.json"),
    ],
)
def test_update_bad_values(
    exp: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    before = config(exp)
    code, out, err = run(capsys, "update", *args)
    one_line_error(code, err, needle)
    assert config(exp) == before


def test_update_bad_search_space_names_the_parameter(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = tmp_path / "space.json"
    space.write_text('{"lr": {"_type": "loguniform", "_value": [0, 1]}}')
    code, out, err = run(capsys, "update", "searchspace", "-f", str(space))
    one_line_error(code, err, "lr")


# -- top ------------------------------------------------------------------------------------------
def by_value(directory: Path, reverse: bool) -> list[str]:
    return [r.id for r in sorted(rows(directory), key=lambda r: r.value, reverse=reverse)]


def test_top_shows_the_best_first_with_intermediate_summary(
    exp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "top")
    assert code == 0, err
    assert table_ids(out) == by_value(exp, reverse=True)  # maximize by default
    assert "maximize" in out and "5/5 done" in out
    best = max(rows(exp), key=lambda r: r.value)
    first = out.splitlines()[3].split()  # rank, id, seq, status, value, n, last, best intermediate...
    assert first[1] == best.id and first[5] == "3"
    assert float(first[6]) == float(first[7]) == pytest.approx(best.value * 3, rel=1e-5)
    assert '"x":' in out


@pytest.mark.parametrize(
    "argv, reverse, k",
    [
        (["+2"], True, 2),
        (["-2"], False, 2),
        (["exp1", "-k", "3"], True, 3),
        (["-k", "1", "--worst"], False, 1),
        (["exp1", "+10"], True, 5),
    ],
)
def test_top_k_best_and_worst(
    exp: Path, capsys: pytest.CaptureFixture[str], argv: list[str], reverse: bool, k: int
) -> None:
    code, out, err = run(capsys, "top", *argv)
    assert code == 0, err
    assert table_ids(out) == by_value(exp, reverse)[:k]


def test_top_follows_minimize(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(exp)
    settings = store.get_meta("config")
    settings["tuner"]["classArgs"]["optimize_mode"] = "minimize"
    store.set_meta(config=settings)
    store.close()
    code, out, err = run(capsys, "top", "-k", "2")
    assert table_ids(out) == by_value(exp, reverse=False)[:2] and "minimize" in out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--head", "-1"], "--head -1: must be >= 0"),
        (["--tail", "-2"], "--tail -2: must be >= 0"),
        (["--head", "1", "--tail", "1"], "not both"),
    ],
)
def test_trial_ls_bad_head_tail(
    exp: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    one_line_error(*run(capsys, "trial", "ls", *argv)[::2], needle)  # --head -1 listed all trials but one


def test_top_errors_and_empty(exp: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    one_line_error(*run(capsys, "top", "+2", "-k", "3")[::2], "give K once")
    one_line_error(*run(capsys, "top", "+0")[::2], "K must be >= 1")
    for watch in ("0", "nan", "inf"):  # time.sleep(nan) or (inf) would be a traceback
        one_line_error(*run(capsys, "top", "--watch", watch)[::2], f"--watch {watch}: must be > 0 seconds")
    empty = make_experiment(tmp_path / "e", "pass\n")
    experiments.register("empty1", "", empty)
    code, out, err = run(capsys, "top", "empty1")
    assert code == 0 and "No trial has a result yet" in out


# -- experiment status ----------------------------------------------------------------------------
def test_status_text_and_json(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "experiment", "status", "exp1")
    assert code == 0, err
    assert out.startswith("Experiment exp1 (t): DONE")
    assert "5/5 done, 0 running (5 SUCCEEDED)" in out and "best:" in out
    code, out, err = run(capsys, "experiment", "status", "--json")
    info = json.loads(out)
    assert (
        info["status"] == "DONE" and info["trialCounts"] == {"SUCCEEDED": 5} and info["managerAlive"] is False
    )


def test_status_says_why_trials_wait_in_a_queue(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(exp) as store:  # two trials Slurm keeps queued, as the manager records them
        for trial_id in ("q1", "q2"):
            store.add_trial(trial_id, {"x": 0.1})
            store.update_trial(trial_id, message="queued in Slurm: PartitionConfig")
        store.add_trial("q3", {"x": 0.2})  # waiting, no reason known
    code, out, err = run(capsys, "experiment", "status", "exp1")
    assert code == 0, err
    assert [line for line in out.splitlines() if "waiting:" in line] == [
        "  waiting: 2 trial(s), queued in Slurm: PartitionConfig"
    ]


# -- experiment delete ----------------------------------------------------------------------------


def test_export_type_follows_the_filename_and_long_names_work(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "trials.csv"
    code, out, err = run(capsys, "experiment", "export", "exp1", "-f", str(csv_file))
    assert code == 0, err
    assert csv_file.read_text().splitlines()[0].startswith("trialJobId,")  # CSV, not JSON in a .csv
    long = tmp_path / ("e" * 250)  # the name's own length is allowed; a longer temporary name was not
    code, out, err = run(capsys, "experiment", "export", "exp1", "-f", str(long))
    assert code == 0, err
    assert isinstance(json.loads(long.read_text()), list)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".autolab-export")]
    one_line_error(
        *run(capsys, "experiment", "export", "exp1", "-f", str(tmp_path / "no" / "x.json"))[::2],
        "cannot write",
    )


def test_an_id_too_long_for_a_path_is_not_found(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["experiment", "show", "a" * 256],
        ["trial", "ls", "a" * 256],
        ["experiment", "status", "/" + "a" * 300],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_a_damaged_registry_says_how_to_go_on(
    exp: Path, autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (autolab_home / "registry.db").write_text("not a database")
    code, out, err = run(capsys, "experiment", "list")
    one_line_error(code, err, "registry.db: cannot open the experiment registry", "move it away")
    # the experiment itself is still there by its path, and resume lists it again in a new registry
    (autolab_home / "registry.db").unlink()
    code, out, err = run(capsys, "experiment", "show", str(exp))
    assert code == 0 and '"id": "testexp1"' in out


def test_list_shows_a_finished_experiment_still_serving_its_web_ui(
    exp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli.admin_helpers import fake_running

    code, out, err = run(capsys, "experiment", "list")
    assert out.strip() == "No experiment is running or serving its web UI."
    fake_running(exp)  # DONE, and its manager (this process plays it) still serves the page
    with Store(exp) as store:
        store.set_meta(url="http://127.0.0.1:8123")
    code, out, err = run(capsys, "experiment", "list")
    row = out.splitlines()[1].split()
    assert row[0] == "exp1" and "DONE" in row and row[-1] == "http://127.0.0.1:8123"


def test_a_study_is_changed_from_its_python_process(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(exp) as store:
        store.set_meta(study=True)
        trial = store.trial_rows()[0].id
    before = config(exp)
    for argv in (
        ["update", "trialnum", "exp1", "--value", "50"],
        ["trial", "rerun", "exp1", trial, "--params", "{}"],
        ["trial", "retry", "exp1", trial],
    ):
        one_line_error(*run(capsys, *argv)[::2], "exp1 is an in-process study", "study.enqueue_trial")
    assert config(exp) == before  # nothing kept "for when it is resumed": a study is not resumed


def test_stop_settles_from_the_directories_when_the_manager_cannot_be_built(
    exp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the manager died; the machine `stop` runs on cannot build it (no GPU seen, a tuner's code gone):
    # a trial that ended meanwhile keeps its result and its status, one still named running is cancelled
    import autolab.cli.manage as manage
    from autolab import protocol
    from autolab.statuses import TrialStatus

    with Store(exp) as store:
        ended, running = [r.id for r in store.trial_rows()][:2]
        for trial_id in (ended, running):
            store.update_trial(trial_id, status=TrialStatus.RUNNING, end_time=None, value=None)
        store.set_meta(status="RUNNING")
    trial_dir = exp / "trials" / ended
    trial_dir.mkdir(parents=True, exist_ok=True)
    with open(trial_dir / protocol.METRICS_FILE, "a") as fh:  # written after the manager died: unread
        fh.write(protocol.metric_line(protocol.FINAL, 0.625))
    (trial_dir / protocol.EXIT_FILE).write_text("0\n")
    (exp / "trials" / running / protocol.EXIT_FILE).unlink(missing_ok=True)

    def no_manager(directory: Path) -> None:
        raise RuntimeError("trialGpuNumber: 1 GPU(s) per trial, but this machine has no GPU")

    monkeypatch.setattr(manage, "build_manager", no_manager)
    (exp / "manager.pid").write_text("999999 12345.0\n")  # the dead manager's (no such process)
    code, out, err = run(capsys, "stop", "exp1")
    assert code == 0, err
    assert "trials settled from their directories alone" in err
    with Store(exp, readonly=True) as store:
        kept, cancelled = store.trial_row(ended), store.trial_row(running)
    assert kept is not None and (kept.status, kept.value) == (TrialStatus.SUCCEEDED, 0.625)
    assert kept.message == "ended while the manager was down"
    assert cancelled is not None and cancelled.status == TrialStatus.USER_CANCELED
    assert not (exp / "manager.pid").exists()  # the dead manager's record does not outlive the stop


@pytest.mark.parametrize("status", ["STOPPED", "ERROR"])
def test_status_says_to_resume_when_trials_are_left_running(
    exp: Path, status: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # e.g. a resume that failed (nvidia-smi down) left ERROR with trials still recorded running
    from autolab.statuses import TrialStatus

    with Store(exp) as store:
        store.update_trial(store.trial_rows()[0].id, status=TrialStatus.RUNNING, end_time=None)
        store.set_meta(status=status)
    code, out, err = run(capsys, "experiment", "status", "exp1")
    assert code == 0 and "its manager is not running; resume it with: autolab resume exp1" in out
