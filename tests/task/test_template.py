"""Template placeholders, shell quoting, rendering (task templates and normal trialCommands)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from autolab.commands import format_value, job_command_and_code, placeholders, quote, render
from autolab.config import config_from_dict
from autolab.task.template import flat_parameters

NASTY = ["a b", "it's", 'say "hi"', "$HOME", "`id`", "x; echo owned", "", "tab\there", "new\nline", "*"]


def test_placeholders_in_order_once() -> None:
    assert placeholders("run {b} --x {a} {b} {batch-size} {m.n}") == ["b", "a", "batch-size", "m.n"]


def test_shell_braces_are_not_placeholders() -> None:
    text = "echo ${HOME} {1..3} {a,b} awk '{print $1}' { x} {9}"
    assert placeholders(text) == []
    assert render(text, {"HOME": 1, "print": 2, "x": 3}) == text


@pytest.mark.parametrize("value", NASTY)
def test_a_quoted_value_stays_one_argument(value: str) -> None:
    command = render("printf '<%s>\\n' {v} end", {"v": value})
    assert shlex.split(command) == ["printf", "<%s>\\n", value, "end"]
    out = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=True).stdout
    assert out == f"<{value}>\n<end>\n"


def test_values_as_text() -> None:
    assert [format_value(v) for v in (3, 0.7, 1e-05, True, "s", [1, 2], {"a": 1})] == [
        "3",
        "0.7",
        "1e-05",
        "True",
        "s",
        "[1,2]",
        '{"a":1}',
    ]
    assert quote(0.5) == "0.5" and quote("a b") == "'a b'"


def test_render_only_named_values() -> None:
    assert render("t {a} {b} {c}", {"a": 1, "b": "x y"}) == "t 1 'x y' {c}"
    assert render("t {a} {b}", {"a": 1, "b": 2}, names={"a"}) == "t 1 {b}"


def test_nested_values_are_flattened() -> None:
    params = {"epochs": 3, "lr+batch-size": {"lr": 0.5, "batch-size": 512}, "opt": {"_name": "sgd", "m": 1}}
    assert flat_parameters(params) == {
        "epochs": 3,
        "lr": 0.5,
        "batch-size": 512,
        "opt": {"_name": "sgd", "m": 1},
    }


def test_normal_trial_command_uses_the_template_form(tmp_path: Path) -> None:
    settings = {
        "trialCommand": "python t.py --k {k} --x {x} --other {y} ${HOME}",
        "trialCodeDirectory": str(tmp_path),
        "searchSpace": {},
    }
    config = config_from_dict(settings, tmp_path / "config.yml")
    command, code = job_command_and_code(config, {"k": "a b", "x": 0.25}, tmp_path / "t", tmp_path)
    assert command == "python t.py --k 'a b' --x 0.25 --other {y} ${HOME}"
    assert code == tmp_path
    config.trial_command = "python t.py"
    assert job_command_and_code(config, {"k": 1}, tmp_path / "t", tmp_path)[0] == "python t.py"


def test_task_trial_command_is_left_to_the_runner(tmp_path: Path) -> None:
    settings = {
        "trialCodeDirectory": str(tmp_path),
        "task": {"template": "x {k}", "searchArgs": [{"type": "choice", "name": "k", "value": [1]}]},
    }
    config = config_from_dict(settings, tmp_path / "config.yml")
    assert "autolab.task.run" in config.trial_command
    assert job_command_and_code(config, {"k": 1}, tmp_path / "t", tmp_path)[0] == config.trial_command


def test_normal_config_template_form_end_to_end(tmp_path: Path) -> None:
    import sys

    from tests.helpers_experiment import make_experiment, run_manager

    directory = make_experiment(
        tmp_path,
        "autolab.report_final_result(float(sys.argv[1]) + p['k'])\n",
        trialCommand=f"{shlex.quote(sys.executable)} trial.py {{k}}",
        maxTrialNumber=3,
    )
    manager = run_manager(directory)
    assert [t.value for t in manager.history.trials] == [
        2.0 * t.parameters["k"] for t in manager.history.trials
    ]
    command_file = manager.trial_dir(manager.history.trials[0].trial_id) / "command.sh"
    assert f"trial.py {manager.history.trials[0].parameters['k']}\n" in command_file.read_text()
