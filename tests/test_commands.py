"""Placeholders render so that no value is ever run by the shell, whatever quotes surround it:
hostile values in every position go through the real trial shell and arrive exactly; places where
a value cannot be made literal are refused, naming the placeholder."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from autolab import protocol
from autolab.commands import TemplateError, placeholders, render, unsafe_placeholders
from autolab.config import ConfigError, load_config
from autolab.store import Store
from tests.helpers_experiment import make_experiment, run_manager, trial_rows

HOSTILE = [
    "$(touch pwned)",
    "`touch pwned`",
    "'$(touch pwned)'",
    '"$(touch pwned)"',
    "'; touch pwned; '",
    '"; touch pwned; "',
    "'\\''; touch pwned #",
    "x' && touch pwned && echo '",
    "a\\",
    "\\",
    "\\\\$(touch pwned)",
    "'",
    '"',
    "a\nb\n",
    "\ntouch pwned\n",
    "; touch pwned",
    "&& touch pwned",
    "| touch pwned",
    "*",
    "?",
    "[a-z]*",
    "{a,b}",
    "~",
    "$HOME",
    "${HOME}",
    "$((1+1))",
    "-rf",
    "--help",
    "!!",
    "",
    " ",
    "}{",
    "%s",
]
# (template around one placeholder, what the trial's argument is made of: prefix, suffix)
POSITIONS = [
    ("{v}", "", ""),
    ("'{v}'", "", ""),
    ('"{v}"', "", ""),
    ("--x={v}.end", "--x=", ".end"),
    ("'pre {v} post'", "pre ", " post"),
    ('"pre{v}post"', "pre", "post"),
    ("pre'{v}'\"{v}\"{v}", "pre", ""),  # three times, in three quotings, one word
    ('"$(printf \'%s|\' "{v}")"', "", "|"),  # "..." inside $(...) inside "..."
    ("\"$(printf '%s|' {v})\"", "", "|"),  # bare inside $(...)
    ("\"$(printf '%s|' '{v}')\"", "", "|"),
    ("\"$(case a in (a) printf '%s|' {v};; b) :;; esac)\"", "", "|"),  # bare after a pattern's )
    ('"$(case a in a) printf \'%s|\' "{v}";; esac)"', "", "|"),
]


def run_shell(command: str, cwd: Path) -> list[str]:
    """The arguments the trial shell passes for command (it prints them NUL-separated)."""
    done = subprocess.run(
        [protocol.trial_shell(), "-c", command], cwd=cwd, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout.decode().split("\0")[:-1]


@pytest.mark.parametrize("around, prefix, suffix", POSITIONS)
def test_hostile_values_arrive_exactly_and_nothing_runs(
    tmp_path: Path, around: str, prefix: str, suffix: str
) -> None:
    (tmp_path / "afile").write_text("")  # for a glob to match if a value were expanded
    names = {f"v{i}": value for i, value in enumerate(HOSTILE)}
    template = "printf '%s\\0' " + " ".join(around.replace("{v}", "{" + name + "}") for name in names)
    got = run_shell(render(template, names), tmp_path)
    times = around.count("{v}")
    expected = [prefix + value * times + suffix for value in HOSTILE]
    if around.startswith('"$('):  # $(...) drops trailing newlines: the | mark keeps them
        expected = [e.removesuffix("|") + "|" for e in expected]
    assert got == expected
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "value, text",
    [
        (3, "3"),
        (0.5, "0.5"),
        (-1, "-1"),
        (True, "True"),
        ({"a": "$(touch pwned)"}, '{"a":"$(touch pwned)"}'),
        (["'", '"'], '["\'","\\""]'),
    ],
)
def test_values_of_other_types(tmp_path: Path, value: Any, text: str) -> None:
    got = run_shell(render("printf '%s\\0' {v} '{v}' \"{v}\"", {"v": value}), tmp_path)
    assert got == [text] * 3
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "template, where",
    [
        ("python t.py `echo {x}`", "backticks"),
        ('python t.py "`echo {x}`"', "backticks"),
        ("python t.py $'{x}'", "$'...'"),
        ("python t.py ${X:-{x}}", "${...}"),
        ('python t.py "${X:-{x}}"', "${...}"),
        ("python t.py $(( {x} + 1 ))", "arithmetic"),
        ("(( {x} > 1 )) && python t.py", "arithmetic"),
        ("python t.py <<EOF\n{x}\nEOF", "here-document"),
        ("python t.py $[{x} + 1]", "arithmetic"),
    ],
)
def test_places_where_no_value_is_literal_are_refused(template: str, where: str) -> None:
    why = unsafe_placeholders(template)
    assert why is not None and "{x}" in why and where in why and "\n" not in why
    with pytest.raises(TemplateError, match=r"\{x\}"):
        render(template, {"x": "$(touch pwned)"})
    assert unsafe_placeholders(template, {"y"}) is None  # only the named ones count
    assert render(template, {"y": 1}) == template


def test_what_is_left_as_written(tmp_path: Path) -> None:
    # the shell's ${name}, braces that are not placeholders, a comment, an escaped brace
    template = "printf '%s\\0' ${HOME} '{a,b}' {x} awk\\ '{print}' \\{x} # {x}"
    assert render(template, {"x": "v"}) == ("printf '%s\\0' ${HOME} '{a,b}' v awk\\ '{print}' \\{x} # {x}")
    assert placeholders("'{x}' \"{y}\" {x}") == ["x", "y"]


def test_a_comment_with_quotes_does_not_shift_the_quoting(tmp_path: Path) -> None:
    template = "printf '%s\\0' {x} # it's\nprintf '%s\\0' {x}"
    assert run_shell(render(template, {"x": "$(touch pwned)'"}), tmp_path) == ["$(touch pwned)'"] * 2
    assert not (tmp_path / "pwned").exists()


def test_a_trial_command_with_such_a_placeholder_is_refused_at_create(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "trialCommand: python3 t.py `echo {x}`\n"
        "searchSpace: {x: {_type: choice, _value: [1]}}\n"
        "tuner: {name: Random}\n"
    )
    with pytest.raises(
        ConfigError, match=r"config\.yml: trialCommand: placeholder \{x\} stands inside backticks"
    ):
        load_config(config)
    config.write_text(config.read_text().replace("`echo {x}`", "\"{x}\" '{x}' `echo {y}`"))
    assert load_config(config).trial_command.endswith("`echo {y}`")  # {y} is not a parameter


def test_a_real_experiment_passes_hostile_values_exactly(tmp_path: Path) -> None:
    values = ["$(touch pwned)", "`touch pwned`", "'; touch pwned; '", '"; touch pwned #', "a\\", "*", "-x"]
    body = """
    import json
    (open(os.environ["AUTOLAB_TRIAL_DIR"] + "/argv.json", "w")).write(json.dumps(sys.argv[1:]))
    autolab.report_final_result(1.0)
    """
    directory = make_experiment(
        tmp_path,
        body,
        searchSpace={"v": {"_type": "choice", "_value": values}},
        tuner={"name": "GridSearch"},
        maxTrialNumber=len(values),
        trialConcurrency=4,
    )
    with Store(directory) as store:
        config = store.get_meta("config")
        command = config["trialCommand"] + " {v} '{v}' \"{v}\" --v={v}"
        store.set_meta(config={**config, "trialCommand": command})
    run_manager(directory)
    got = []
    for row in trial_rows(directory):
        assert row.status == "SUCCEEDED", row
        argv = json.loads((directory / "trials" / row.id / "argv.json").read_text())
        got.append(argv[0])
        assert argv == [argv[0]] * 3 + ["--v=" + argv[0]]
    assert sorted(got) == sorted(values)
    assert not list(tmp_path.rglob("pwned"))


def random_template(rng: random.Random, depth: int = 0) -> str:
    """A command of printf calls whose words nest placeholders in quotes, $(...), (...) and case."""

    def word(d: int) -> str:
        pick = rng.random()
        if pick < 0.25:
            return "{v}"
        if pick < 0.4:
            return "'" + rng.choice(["", "a ", "{v}", "x{v}y", "$(no)", '"', "#"]) + "'"
        if pick < 0.6:
            parts = [rng.choice(["", "a", "{v}", "'", "\\$x", "#"]) for _ in range(rng.randint(0, 3))]
            if d < 3 and rng.random() < 0.4:
                parts.append("$( " + random_template(rng, d + 1) + ")")
            return '"' + "".join(parts) + '"'
        if pick < 0.75 and d < 3:
            return '"$( ' + random_template(rng, d + 1) + ')"'
        return "a" + word(d + 1) if d < 4 else "w"

    pick = rng.random()
    if pick < 0.2 and depth < 3:
        return f"case a in {rng.choice(['a)', '(a)'])} printf '%s|' {word(depth + 1)};; esac"
    if pick < 0.3 and depth < 3:
        return "( " + random_template(rng, depth + 1) + " )"
    return "printf '%s|' " + " ".join(word(depth) for _ in range(rng.randint(1, 3)))


def test_random_templates_run_no_value(tmp_path: Path) -> None:
    """300 generated templates (fixed seed) with a value that tries every way out: nothing runs,
    and the output is what a harmless stand-in value gives, with the value in its place."""
    value = "'\"$(touch pwned)`touch pwned`;touch pwned;# \\'$(touch pwned)\"'"
    rng = random.Random(14)
    for _ in range(300):
        template = random_template(rng) + " # it's {v}"
        got = run_shell(render(template, {"v": value}) + "\nprintf '\\0'", tmp_path)
        stand_in = run_shell(render(template, {"v": "STANDIN"}) + "\nprintf '\\0'", tmp_path)
        assert not (tmp_path / "pwned").exists(), template
        assert got == [stand_in[0].replace("STANDIN", value)], template
