"""The CLI's entry point: a user's error is one line on stderr and exit 2."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autolab import cli
from autolab.errors import UserError


def test_a_multi_line_user_error_prints_as_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise UserError("config.yml: tuner: a library said:\n  first line\n\n  second line")

    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=handler)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err == "autolab: error: config.yml: tuner: a library said: first line second line\n"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    env["AUTOLAB_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


FINITE = """\
authorName: someone
trialConcurrency: 1
maxTrialNum: 10
searchSpacePath: space.json
tuner:
  builtinTunerName: GridSearch
assessor:
  builtinAssessorName: Medianstop
  classArgs: {start_step: 2}
trial:
  command: python3 -c "import autolab; autolab.report_final_result(1)"
  codeDir: .
"""


def test_foreground_prints_the_url_why_it_ended_early_and_where_to_look(tmp_path: Path) -> None:
    (tmp_path / "space.json").write_text('{"x": {"_type": "choice", "_value": [1, 2, 3]}}')
    config = tmp_path / "config.yml"
    config.write_text(FINITE)
    result = run_cli(tmp_path / "home", "create", "--config", str(config), "--foreground", "--port", "0")
    assert result.returncode == 0, result.stderr
    exp_id = result.stdout.split()[1]
    lines = result.stdout.splitlines()
    assert lines[1].startswith("Web UI: http://127.0.0.1:")  # before the first progress line
    assert (
        "Ended early: the tuner ran out of points after 3 trial(s) of maxTrialNumber 10 "
        "(grid search has tried every combination)" in result.stdout
    )
    assert (
        lines[-1]
        == f"Look further: autolab top {exp_id}    autolab view {exp_id}    autolab trial ls {exp_id}"
    )
    # a v1 warning: once, naming the file (it was printed twice: the log and the CLI)
    assert result.stderr.count("authorName") == 1
    assert f"autolab: warning: {config}: authorName: ignored" in result.stderr
    status = run_cli(tmp_path / "home", "experiment", "status", exp_id)
    assert "  ended:   the tuner ran out of points after 3 trial(s) of maxTrialNumber 10" in status.stdout
    as_json = json.loads(run_cli(tmp_path / "home", "experiment", "status", exp_id, "--json").stdout)
    assert as_json["noMoreTrials"] == "grid search has tried every combination"
    log = (tmp_path / "home" / exp_id / "manager.log").read_text()
    assert "tuner: GridSearch (autolab.tuners.grid.GridSearchTuner) with classArgs {}" in log
    assert (
        "assessor: Medianstop (autolab.assessors.medianstop.MedianstopAssessor) with classArgs {'start_step': 2}"
        in log
    )


def test_no_gpu_names_the_file_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUTOLAB_GPUS", "")  # this machine has no GPU
    config = tmp_path / "config.yml"
    config.write_text(
        "searchSpace: {x: {_type: choice, _value: [1]}}\ntrialCommand: 'true'\ntrialGpuNumber: 1\n"
    )
    assert cli.main(["create", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"autolab: error: {config}: trialGpuNumber: 1 GPU(s) per trial, but this machine has no GPU "
        "(AUTOLAB_GPUS names none)\n"
    )
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").iterdir())


def test_create_says_when_the_trial_limit_ends_hyperband_in_its_first_bracket(
    tmp_path: Path, autolab_home: Path
) -> None:
    from autolab.cli.manage import create_experiment
    from autolab.config import load_config

    (tmp_path / "space.json").write_text('{"x": {"_type": "uniform", "_value": [0, 1]}}')
    config_file = tmp_path / "config.yml"
    for limit, said in [(24, 1), (40, 0)]:
        config_file.write_text(
            f"searchSpaceFile: space.json\ntrialCommand: python3 t.py\ntrialCodeDirectory: .\nmaxTrialNumber: {limit}\n"
            "advisor:\n  name: Hyperband\n  classArgs:\n    R: 27\n    eta: 3\n"
        )
        config = load_config(config_file)
        create_experiment(config)
        assert [w for w in config.warnings if "first bracket" in w] == [
            "Hyperband: maxTrialNumber 24 ends inside the first bracket (27 + 9 + 3 + 1 = 40 trials), so no "
            "configuration reaches the full budget 27; one bracket needs maxTrialNumber 40, all 4 need 69"
        ][:said]


def test_a_tuner_error_names_the_config_as_given(
    tmp_path: Path, autolab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autolab.cli.manage import create_experiment
    from autolab.config import load_config
    from autolab.errors import UserError

    monkeypatch.chdir(tmp_path)
    Path("bad.yml").write_text(
        "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\ntrialCommand: python3 t.py\n"
        "tuner: {name: TPE, classArgs: {optimize_mode: max}}\n"
    )
    with pytest.raises(UserError) as err:
        create_experiment(load_config("bad.yml"))
    assert str(err.value) == "bad.yml: tuner: optimize_mode must be 'maximize' or 'minimize', got 'max'"


def test_an_experiment_copied_from_another_machine_is_read_and_resumed_by_its_path(tmp_path: Path) -> None:
    (tmp_path / "space.json").write_text('{"x": {"_type": "choice", "_value": [1, 2, 3]}}')
    config = tmp_path / "config.yml"
    config.write_text(FINITE.replace("maxTrialNum: 10", "maxTrialNum: 2"))
    made = run_cli(tmp_path / "cluster", "create", "--config", str(config), "--foreground", "--port", "0")
    assert made.returncode == 0, made.stderr
    exp_id = made.stdout.split()[1]
    shutil.copytree(tmp_path / "cluster" / exp_id, tmp_path / "laptop-copy" / exp_id)
    copied, laptop = str(tmp_path / "laptop-copy" / exp_id), tmp_path / "laptop"
    listed = run_cli(laptop, "trial", "ls", copied)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[2] for line in listed.stdout.splitlines()[1:]] == ["SUCCEEDED", "SUCCEEDED"]
    listed_home = run_cli(laptop, "experiment", "list", "--all")
    assert listed_home.stdout.strip() == "No experiment found."  # reading registers nothing
    missing = run_cli(laptop, "trial", "ls", exp_id)
    assert missing.returncode == 2, missing.stderr
    assert "has no experiment (AUTOLAB_HOME; an experiment's directory" in missing.stderr
    resumed = run_cli(laptop, "resume", copied, "--foreground", "--port", "0")
    assert resumed.returncode == 0, resumed.stderr
    # resumed here, it is one of this home's experiments: its id works as the hints say
    assert f"autolab top {exp_id}" in resumed.stdout
    assert run_cli(laptop, "top", exp_id).returncode == 0


def test_deleting_a_copy_by_its_path_leaves_the_registered_original(tmp_path: Path) -> None:
    (tmp_path / "space.json").write_text('{"x": {"_type": "choice", "_value": [1, 2, 3]}}')
    config = tmp_path / "config.yml"
    config.write_text(FINITE.replace("maxTrialNum: 10", "maxTrialNum: 1"))
    home = tmp_path / "home"
    made = run_cli(home, "create", "--config", str(config), "--foreground", "--port", "0")
    assert made.returncode == 0, made.stderr
    exp_id = made.stdout.split()[1]
    copy = tmp_path / "copy" / exp_id
    shutil.copytree(home / exp_id, copy)
    deleted = run_cli(home, "experiment", "delete", str(copy), "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert not copy.exists() and (home / exp_id).is_dir()
    assert exp_id in run_cli(home, "experiment", "list", "--all").stdout  # still registered


def test_foreground_says_why_when_no_trial_worked(tmp_path: Path) -> None:
    # two trials, both failing (fewer than fail-fast's five): the run ended DONE "2 FAILED" and said
    # nothing of why; it names the last one's reason and the last line of its stderr
    config = tmp_path / "config.yml"
    config.write_text(
        "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
        'trialCommand: python3 -c "import autolab_missing_module"\n'
        "trialConcurrency: 1\nmaxTrialNumber: 2\ntuner: {name: Random}\n"
    )
    result = run_cli(tmp_path / "home", "create", "--config", str(config), "--foreground", "--port", "0")
    assert result.returncode == 0, result.stderr
    exp_id = result.stdout.split()[1]
    (why,) = [line for line in result.stdout.splitlines() if line.startswith("Why: ")]
    assert why.startswith("Why: no trial worked (2 FAILED); trial ")
    assert "(exit code 1): ModuleNotFoundError: No module named 'autolab_missing_module'" in why
    assert why.endswith(" --stderr") and f"autolab log trial {exp_id} --trial_id " in why
    status = run_cli(tmp_path / "home", "experiment", "status", exp_id).stdout
    assert f"  failing: {why.removeprefix('Why: ')}" in status.splitlines()
