"""The management commands on a stopped experiment, in process: experiment delete / import,
trial kill, the logs, wrong ids; every one's output and errors (the experiment: conftest.py's `exp`)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from autolab import experiments
from autolab.store import Store, registry
from tests.cli.admin_helpers import config, fake_running, one_line_error, run, table_ids
from tests.helpers_experiment import trial_rows as rows
from tests.store.test_store import make_old_store


def test_delete_removes_directory_and_registry_entry(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "experiment", "delete", "exp1", "--yes")
    assert code == 0, err
    assert not exp.exists() and not list(exp.parent.glob(".exp1*"))
    assert [e.id for e in experiments.all_experiments()] == []
    one_line_error(*run(capsys, "experiment", "show", "exp1")[::2], "no experiment")


def test_a_corrupt_store_is_listed_and_can_be_deleted(
    exp: Path, template: Path, autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = autolab_home / "exp2"
    shutil.copytree(template, good)
    experiments.register("exp2", "t", good)
    for leftover in exp.glob("autolab.db*"):
        leftover.unlink()
    (exp / "autolab.db").write_text("not a database")
    code, out, err = run(capsys, "experiment", "list", "--all")
    assert code == 0, err
    assert "exp2" in out and any(
        line.split()[:1] == ["exp1"] and "UNREADABLE" in line for line in out.splitlines()
    )
    one_line_error(
        *run(capsys, "experiment", "show", "exp1")[::2], "autolab.db", "cannot open the experiment store"
    )
    code, out, err = run(capsys, "experiment", "delete", "exp1", "--yes")
    assert code == 0, err
    assert not exp.exists() and [e.id for e in experiments.all_experiments()] == ["exp2"]


def test_delete_refuses_a_running_experiment(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_running(exp)
    code, out, err = run(capsys, "experiment", "delete", "exp1")
    one_line_error(code, err, "is running", "autolab stop exp1")
    assert (exp / "autolab.db").exists()
    code, out, err = run(capsys, "experiment", "delete", "--all", "-y")
    assert code == 0 and "No stopped experiment" in out and exp.exists()


def test_delete_all_keeps_running_ones(
    exp: Path, template: Path, autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = autolab_home / "exp2"
    shutil.copytree(template, other)
    experiments.register("exp2", "", other)
    fake_running(other)
    code, out, err = run(capsys, "experiment", "delete", "--all", "--yes")
    assert code == 0, err
    assert not exp.exists() and other.exists()
    assert [e.id for e in experiments.all_experiments()] == ["exp2"]


def test_delete_refuses_while_orphan_trials_run(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proc = orphan(exp)
    try:
        code, out, err = run(capsys, "experiment", "delete", "exp1", "-y")
        one_line_error(code, err, "still running", "autolab stop exp1")
        assert exp.exists()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("answer", ["n\n", "\n", "whatever\n"])
def test_delete_asks_even_when_stdin_is_a_pipe(
    exp: Path, answer: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    code, out, err = run(capsys, "experiment", "delete", "exp1")
    assert code == 0 and "Delete experiment(s) exp1" in out and "Nothing deleted." in out
    assert exp.exists() and [e.id for e in experiments.all_experiments()] == ["exp1"]


def test_delete_without_an_answer_deletes_nothing(
    exp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # end of input: cron, ssh host cmd, < /dev/null
    one_line_error(*run(capsys, "experiment", "delete", "--all")[::2], "nothing deleted", "--yes")
    assert exp.exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    code, out, err = run(capsys, "experiment", "delete", "exp1")
    assert code == 0 and "Experiment exp1 deleted" in out and not exp.exists()


def test_a_folder_with_an_empty_store_file_is_no_experiment(
    tmp_path: Path, autolab_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "decoy"
    folder.mkdir()
    (folder / "important.txt").write_text("precious")
    (folder / "autolab.db").write_bytes(b"")
    for argv in (["experiment", "status"], ["experiment", "delete", "-y"], ["resume"], ["trial", "ls"]):
        one_line_error(
            *run(capsys, *argv, str(folder))[::2], "not an autolab experiment store (an empty file)"
        )
    assert (folder / "important.txt").read_text() == "precious"
    assert (folder / "autolab.db").stat().st_size == 0  # nothing was written into it
    monkeypatch.chdir(tmp_path)  # a folder of the working directory, named as an id
    one_line_error(
        *run(capsys, "experiment", "delete", "decoy", "-y")[::2], "not an autolab experiment store"
    )
    assert (folder / "important.txt").exists()


def test_delete_needs_an_id(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(*run(capsys, "experiment", "delete")[::2], "--all")
    assert exp.exists()


# -- experiment import ----------------------------------------------------------------------------
def test_import_into_a_stopped_experiment(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from autolab.launcher import build_manager

    data = tmp_path / "import.json"
    data.write_text(
        json.dumps(
            [
                {"parameter": {"x": 0.25, "k": 1}, "value": 0.5},
                {"parameter": {"x": 0.75, "k": 3}, "value": {"default": 0.9, "acc": 0.8}},
            ]
        )
    )
    code, out, err = run(capsys, "experiment", "import", "--filename", str(data))
    assert code == 0, err
    assert "Imported 2 trials" in out
    imported = [r for r in rows(exp) if r.source == "import"]
    assert [(r.parameters, r.value, r.status) for r in imported] == [
        ({"x": 0.25, "k": 1}, 0.5, "SUCCEEDED"),
        ({"x": 0.75, "k": 3}, 0.9, "SUCCEEDED"),
    ]
    assert imported[1].raw_value == {"default": 0.9, "acc": 0.8}
    assert len({r.seq for r in rows(exp)}) == 7
    # what the tuner sees on resume; imported trials do not count toward maxTrialNumber
    manager = build_manager(exp)
    assert sum(t.source == "import" for t in manager.history.trials) == 2
    assert manager.trials.counted() == 5
    manager.store.close()
    code, out, err = run(capsys, "top", "-k", "1")
    assert table_ids(out) == [imported[1].id]
    # ... and every count against maxTrialNumber says so: 5/5 done and 2 beside them, never 7/5
    assert "| trials 5/5 done, 0 running, +2 imported or re-run |" in out.splitlines()[0]
    code, out, err = run(capsys, "experiment", "status", "exp1")
    assert "trials:  5/5 done, 0 running, +2 imported or re-run (7 SUCCEEDED)" in out
    code, out, err = run(capsys, "experiment", "status", "exp1", "--json")
    assert json.loads(out)["trialTally"] == {"done": 5, "running": 0, "other": 2}


@pytest.mark.parametrize(
    "text, needle",
    [
        ("{not json", "not valid JSON"),
        ('{"parameter": {}}', "expected a JSON list"),
        ('[{"parameter": {"x": 1}, "value": 1}, {"parameter": {"x": 1}}]', "item 1"),
        ('[{"parameter": {"x": 1}, "value": "high"}]', "item 0: value"),
        ('[{"parameter": {"x": 1}, "value": NaN}]', "item 0: value: metric is nan"),
        ('[{"parameter": {"y": 1}, "value": 1}]', "'y' is not in the search space"),
        ('[{"parameter": {"x": 0.5, "k": 99}, "value": 1}]', "item 0: 99 is not an option of 'k'"),
        (
            '[{"parameter": {"x": Infinity, "k": 1}, "value": 1}]',
            "item 0: parameter 'x': inf is not a finite number",
        ),
    ],
)
def test_import_errors_add_nothing(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    data = tmp_path / "bad.json"
    data.write_text(text)
    code, out, err = run(capsys, "experiment", "import", "exp1", "-f", str(data))
    one_line_error(code, err, "bad.json", needle)
    assert len(rows(exp)) == 5


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"\xff\xfe[]", "bad.json: not UTF-8 text"),
        (b"[" * 5000 + b"]" * 5000, "bad.json: not valid JSON: lists or objects nested too deeply"),
    ],
)
def test_import_of_undecodable_files_adds_nothing(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, needle: str
) -> None:
    data = tmp_path / "bad.json"
    data.write_bytes(content)
    one_line_error(*run(capsys, "experiment", "import", "exp1", "-f", str(data))[::2], needle)
    assert len(rows(exp)) == 5


def test_update_searchspace_nested_too_deeply(
    exp: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = config(exp)
    space = tmp_path / "space.json"
    space.write_text("[" * 5000 + "]" * 5000)
    one_line_error(
        *run(capsys, "update", "searchspace", "-f", str(space))[::2], "space.json", "nested too deeply"
    )
    assert config(exp) == before


def test_import_missing_file(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(*run(capsys, "experiment", "import", "-f", "nope.json")[::2], "nope.json: cannot read")


# -- trial kill -----------------------------------------------------------------------------------
def orphan(directory: Path) -> subprocess.Popen[bytes]:
    """A trial left running by a dead manager: a live process recorded in a RUNNING row."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    store = Store(directory)
    trial_id = store.trial_rows()[0].id
    handle = {"pid": proc.pid, "create_time": psutil.Process(proc.pid).create_time()}
    store.update_trial(trial_id, status="RUNNING", handle=handle)
    store.close()
    return proc


def test_kill_an_orphan_trial_while_no_manager_runs(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proc = orphan(exp)
    trial_id = rows(exp)[0].id
    try:
        code, out, err = run(capsys, "trial", "kill", "--trial_id", trial_id[:4])  # a prefix is enough
        assert code == 0, err
        assert f"Trial {trial_id} of experiment exp1 killed" in out
        assert proc.wait(timeout=30) != 0
        assert rows(exp)[0].status == "USER_CANCELED"
    finally:
        proc.kill()


def test_kill_errors(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trial_id = rows(exp)[0].id
    one_line_error(
        *run(capsys, "trial", "kill", "exp1", "--trial_id", trial_id)[::2], "is not running (SUCCEEDED)"
    )
    one_line_error(*run(capsys, "trial", "kill", "--trial_id", "zzzzzz")[::2], "trial 'zzzzzz' not found")


# -- log ------------------------------------------------------------------------------------------
def test_manager_logs(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (exp / "manager.log").write_text("".join(f"line {i}\n" for i in range(10)))
    code, out, err = run(capsys, "log", "stdout")
    assert code == 0 and out.splitlines() == [f"line {i}" for i in range(10)]
    assert run(capsys, "log", "stdout", "exp1", "--tail", "2")[1] == "line 8\nline 9\n"
    assert run(capsys, "log", "stdout", "--head", "1")[1] == "line 0\n"
    assert run(capsys, "log", "stdout", "--path")[1].strip() == str(exp / "manager.log")
    code, out, err = run(capsys, "log", "stderr")  # no manager.out: a note, not an error
    assert code == 0 and out == "" and "nothing written yet" in err
    one_line_error(*run(capsys, "log", "stdout", "--head", "1", "--tail", "1")[::2], "not both")


def test_trial_logs(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trial_id = rows(exp)[2].id
    code, out, err = run(capsys, "log", "trial", "--trial_id", trial_id)
    assert code == 0 and out == f"hello from {trial_id}\n"
    assert run(capsys, "log", "trial", "exp1", "--trial_id", trial_id, "--stderr")[1] == "a warning\n"
    code, out, err = run(capsys, "log", "trial")
    assert code == 0 and len(out.splitlines()) == 5 and str(exp / "trials" / trial_id) in out
    listed = out.splitlines()
    assert run(capsys, "log", "trial", "--tail", "2")[1].splitlines() == listed[-2:]  # the list's last 2
    assert run(capsys, "log", "trial", "--head", "1")[1].splitlines() == listed[:1]
    # trial ls --head 0: nothing to show is not "no trials yet"
    assert "no trial to show (5 trial(s)" in run(capsys, "trial", "ls", "--head", "0")[1]
    one_line_error(*run(capsys, "log", "trial", "--trial_id", "nope9")[::2], "'nope9' not found")


# -- a wrong or missing experiment ----------------------------------------------------------------
WRONG_ID = [
    ["update", "trialnum", "nope", "--value", "3"],
    ["update", "searchspace", "nope", "--filename", __file__],
    ["trial", "kill", "nope", "--trial_id", "x"],
    ["top", "nope"],
    ["experiment", "status", "nope"],
    ["experiment", "delete", "nope", "-y"],
    ["log", "stdout", "nope"],
    ["log", "stderr", "nope"],
    ["log", "trial", "nope", "--trial_id", "x"],
]


@pytest.mark.parametrize("argv", WRONG_ID, ids=lambda a: " ".join(a[:2]))
def test_wrong_id_is_one_line_exit_2(exp: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    one_line_error(*run(capsys, *argv)[::2], "'nope' not found")


@pytest.mark.parametrize(
    "argv", WRONG_ID + [["experiment", "import", "-f", "x.json"]], ids=lambda a: " ".join(a[:2])
)
def test_no_experiment_at_all_is_one_line_exit_2(
    autolab_home: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    one_line_error(
        *run(capsys, *argv)[::2], "no experiment"
    )  # "has no experiment", or "no experiment found" without an id


def test_registry_survives_concurrent_writers(autolab_home: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from autolab import experiments\n"
        "for i in range(25):\n"
        "    experiments.register(f'{sys.argv[1]}-{i}', '', Path('/nowhere'))\n"
        "    if i % 5 == 0: experiments.unregister(f'{sys.argv[1]}-{i}')\n"
    )
    env = {
        **os.environ,
        "AUTOLAB_HOME": str(autolab_home),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    procs = [
        subprocess.Popen([sys.executable, "-c", code, f"w{n}"], env=env, stderr=subprocess.PIPE)
        for n in range(6)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    ids = {entry[0] for entry in registry.entries(autolab_home)}
    assert ids == {f"w{n}-{i}" for n in range(6) for i in range(25) if i % 5}


def test_watch_and_follow_end_when_the_experiment_is_not_running(
    exp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "top", "--watch", "0.1", "-k", "2")
    assert code == 0 and len(table_ids(out)) == 2 and out.count("Experiment exp1") == 1
    trial_id = rows(exp)[0].id
    code, out, err = run(capsys, "log", "trial", "--trial_id", trial_id, "--follow")
    assert code == 0 and out == f"hello from {trial_id}\n"
    one_line_error(*run(capsys, "top", "--watch", "0")[::2], "--watch 0")


def test_a_store_written_before_versions_still_reads(
    autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = autolab_home / "old1"
    directory.mkdir()
    make_old_store(directory)
    experiments.register("old1", "", directory)
    code, out, err = run(capsys, "trial", "ls", "old1", "--json")
    assert code == 0, err
    trials = json.loads(out)
    assert [t["trialJobId"] for t in trials] == ["old1", "old2"] and trials[0]["value"] == 0.5
    assert trials[1]["value"]["default"] == 0.25
    code, out, err = run(capsys, "top", "old1")
    assert code == 0 and "old1" in out.splitlines()[3], err
