"""Config with a `task:` section: the search space, trialCommand and tuner it stands for; errors; round trip."""

from __future__ import annotations

import json
import shlex
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from autolab.config import ConfigError, config_from_dict, load_config
from autolab.searchspace import SearchSpace
from autolab.task import TaskConfig
from autolab.tuners.grid import GridSearchTuner, grid_size

REPO = Path(__file__).resolve().parents[2]
ISSUE = """\
task:
  template: "python train.py --lr {lr} --batch-size {batch-size} --epochs {epochs} --gamma {gamma}"
  search_args:
    - type: Categorical
      name: epochs
      value: [3, 5]
    - type: Categorical
      name: gamma
      value: [0.7, 0.8]
    - type: Nested            # values that only go together
      value: [{lr: 0.5, batch-size: 512}, {lr: 1, batch-size: 1024}]
  metric: {pattern: "Test Acc: ([0-9.]+)", mode: maximize}
"""


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLAB_HOME", str(tmp_path / "home"))


def write(folder: Path, text: str, name: str = "task.yml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def task_of(template: str, args: str, extra: str = "") -> str:
    return f"task:\n  template: {json.dumps(template)}\n  search_args: {args}\n{extra}"


def test_issue_example_gives_a_complete_config(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, ISSUE))
    assert c.search_space.raw == {
        "epochs": {"_type": "choice", "_value": [3, 5]},
        "gamma": {"_type": "choice", "_value": [0.7, 0.8]},
        "lr+batch-size": {
            "_type": "choice",
            "_value": [{"lr": 0.5, "batch-size": 512}, {"lr": 1, "batch-size": 1024}],
        },
    }
    assert (c.tuner.name, c.tuner.class_args) == ("GridSearch", {"optimize_mode": "maximize"})
    assert c.trial_code_directory == tmp_path
    assert (c.trial_concurrency, c.max_trial_number, c.training_service.platform) == (1, None, "local")
    argv = shlex.split(c.trial_command)
    assert argv[:3] == [sys.executable, "-m", "autolab.task.run"]
    assert argv[argv.index("--template") + 1] == (
        "python train.py --lr {lr} --batch-size {batch-size} --epochs {epochs} --gamma {gamma}"
    )
    assert argv[argv.index("--pattern") + 1] == "Test Acc: ([0-9.]+)"
    task = c.extra["task"]
    assert isinstance(task, TaskConfig)
    assert task.parameter_names() == ["epochs", "gamma", "lr", "batch-size"]
    # grid: every combination once, Nested values only together
    tuner = GridSearchTuner(c.search_space)
    assert grid_size(tuner) == 8
    combos = list(tuner.space.grid())
    params = [tuner.space.to_parameters(f) for f in combos]
    assert {p["lr+batch-size"]["batch-size"] for p in params if p["lr+batch-size"]["lr"] == 1} == {1024}


def test_the_example_in_examples_is_the_issue_example() -> None:
    c = load_config(REPO / "examples" / "templates" / "task.yml")
    assert c.extra["task"].parameter_names() == ["epochs", "gamma", "lr", "batch-size"]
    assert yaml.safe_load(ISSUE) == yaml.safe_load((REPO / "examples" / "templates" / "task.yml").read_text())


def test_round_trip(tmp_path: Path) -> None:
    for text in (
        ISSUE,
        ISSUE + "experimentName: t\ntrialConcurrency: 3\ntuner: {name: TPE, classArgs: {seed: 1}}\n",
        task_of("run {a}", "[{type: uniform, name: a, value: [0, 1]}]", "  copy_code: true\n"),
    ):
        c = load_config(write(tmp_path, text))
        d = c.to_dict()
        assert config_from_dict(d, c.source) == c
        assert config_from_dict(yaml.safe_load(yaml.safe_dump(d)), c.source) == c
        assert config_from_dict(json.loads(json.dumps(d)), c.source) == c
        assert "&id" not in yaml.safe_dump(d)  # no YAML anchors in the config written to disk


def test_normal_keys_go_with_a_task(tmp_path: Path) -> None:
    c = load_config(
        write(
            tmp_path,
            ISSUE
            + textwrap.dedent("""\
        experimentName: sweep
        trialConcurrency: 4
        maxTrialNumber: 5
        maxExperimentDuration: 1h
        experimentWorkingDirectory: exps
        trialCodeDirectory: code
        trainingService: {platform: local}
        """),
        )
    )
    assert (c.experiment_name, c.trial_concurrency, c.max_trial_number, c.max_experiment_duration) == (
        "sweep",
        4,
        5,
        3600,
    )
    assert (c.experiment_working_directory, c.trial_code_directory) == (tmp_path / "exps", tmp_path / "code")


def test_any_tuner_may_be_named_and_gets_the_metric_mode(tmp_path: Path) -> None:
    text = ISSUE.replace("mode: maximize", "mode: minimize") + "tuner: {name: Random, classArgs: {seed: 3}}\n"
    c = load_config(write(tmp_path, text))
    assert (c.tuner.name, c.tuner.class_args) == ("Random", {"seed": 3, "optimize_mode": "minimize"})
    with pytest.raises(
        ConfigError, match=r"task\.yml: tuner\.classArgs\.optimize_mode: .*maximize.*minimize"
    ):
        load_config(write(tmp_path, text.replace("seed: 3", "optimize_mode: maximize")))


def test_without_metric_the_script_reports_and_grid_has_no_mode(tmp_path: Path) -> None:
    c = load_config(
        write(tmp_path, task_of("python t.py {x}", "[{type: Categorical, name: x, value: [a, b]}]"))
    )
    assert "--pattern" not in shlex.split(c.trial_command)
    assert (c.tuner.name, c.tuner.class_args) == ("GridSearch", {})
    assert c.extra["task"].mode is None


def test_nni_types_and_named_nested(tmp_path: Path) -> None:
    args = (
        "[{type: loguniform, name: lr, value: [0.001, 0.1]}, {type: randint, name: n, value: [1, 4]},"
        " {type: nested, name: opt, value: [{m: 0.9, d: 0}, {m: 0.5, d: 1}]}]"
    )
    c = load_config(write(tmp_path, task_of("t {lr} {n} {m} {d}", args)))
    assert c.search_space.raw["lr"] == {"_type": "loguniform", "_value": [0.001, 0.1]}
    assert c.search_space.raw["opt"]["_type"] == "choice"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            task_of("t {a} {b}", "[{type: Categorical, name: a, value: [1]}]"),
            r"task\.yml: task\.template: placeholder \{b\} has no search arg",
        ),
        (
            task_of(
                "t {a}",
                "[{type: Categorical, name: a, value: [1]}, {type: Categorical, name: b, value: [2]}]",
            ),
            r"task\.yml: task\.search_args\[1\]: 'b' is not used by the template",
        ),
        (
            task_of("t {a}", "[{type: Nested, value: [{a: 1}, {a: 2, b: 3}]}]"),
            r"task\.search_args\[0\]\.value: every mapping must name the same parameters",
        ),
        (
            task_of("t {a}", "[{type: Nested, value: [1, 2]}]"),
            r"search_args\[0\]\.value: each Nested value must be a mapping",
        ),
        (task_of("t {a}", "[{type: Categorical, name: a, value: [{x: 1}]}]"), r"is a Nested search arg"),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: []}]"),
            r"search_args\[0\]\.value: must be a non-empty list",
        ),
        (task_of("t {a}", "[{type: Categorical, name: a, value: [1, 1]}]"), r"value: 1 is listed twice"),
        (
            task_of("t {a}", "[{type: Fancy, name: a, value: [1]}]"),
            r"search_args\[0\]\.type: unknown type 'Fancy'",
        ),
        (task_of("t {a}", "[{type: Categorical, value: [1]}]"), r"search_args\[0\]\.name: is required"),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1], step: 2}]"),
            r"search_args\[0\]\.step: unknown key",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}, {type: Nested, value: [{a: 2}]}]"),
            r"search_args\[1\]: 'a' is also given by search arg 0",
        ),
        (
            task_of("t {a}", "[{type: uniform, name: a, value: [1, 0]}]"),
            r"task\.yml: task\.search_args: parameter 'a'",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}]", "  metric: {pattern: '(['}\n"),
            r"task\.metric\.pattern: not a valid regular expression",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}]", "  metric: {pattern: '(a)(b)'}\n"),
            r"task\.metric\.pattern: has 2 groups",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}]", "  metric: {mode: best}\n"),
            r"task\.metric\.mode: must be maximize or minimize",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}]", "  symlinks: true\n"),
            r"task\.symlinks: .*needs copy_code",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}]", "  templat: x\n"),
            r"task\.templat: unknown key \(did you mean template\?\)",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}]") + "trialCommand: python t.py\n",
            r"task\.yml: trialCommand: not used with task:",
        ),
        (
            task_of("t {a}", "[{type: Categorical, name: a, value: [1]}]") + "searchSpaceFile: s.json\n",
            r"task\.yml: searchSpaceFile: not used with task:",
        ),
        ("task: {search_args: []}\n", r"task\.yml: task\.template: is required"),
        (
            task_of("t `echo {a}`", "[{type: Categorical, name: a, value: [1]}]"),
            r"task\.yml: task\.template: placeholder \{a\} stands inside backticks",
        ),
        (
            task_of('t "${X:-{a}}"', "[{type: Categorical, name: a, value: [1]}]"),
            r"task\.yml: task\.template: placeholder \{a\} stands inside \$\{\.\.\.\}",
        ),
        ("task: [1]\n", r"task\.yml: task: must be a mapping"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_a_template_without_placeholders_runs_once(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, "task: {template: 'python t.py'}\n"))
    assert c.search_space.raw == {}
    assert list(GridSearchTuner(SearchSpace({})).space.grid()) == [{}]
