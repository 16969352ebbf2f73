"""The task runner: template rendering in the job, stdout pass-through, metric regex, SDK precedence, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from autolab import protocol

PATTERN = r"Acc: ([0-9.]+)"


def run(
    tmp_path: Path,
    template: str,
    params: dict[str, Any],
    pattern: str | None = PATTERN,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    trial = tmp_path / "trial"
    trial.mkdir(exist_ok=True)
    (trial / protocol.PARAMETER_FILE).write_text(json.dumps(params))
    argv = [sys.executable, "-m", "autolab.task.run", "--template", template]
    if pattern is not None:
        argv += ["--pattern", pattern]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    base[protocol.ENV_TRIAL_DIR] = str(trial)
    base["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, env={**base, **(env or {})}, timeout=60
    )


def metrics(tmp_path: Path) -> list[tuple[str, float]]:
    path = tmp_path / "trial" / protocol.METRICS_FILE
    if not path.exists():
        return []
    records = [protocol.parse_metric_line(line) for line in path.read_text().splitlines()]
    return [(r.kind, r.number) for r in records if r is not None]


def script(tmp_path: Path, body: str) -> None:
    (tmp_path / "s.py").write_text(textwrap.dedent(body))


def test_each_match_is_intermediate_and_the_last_is_final(tmp_path: Path) -> None:
    script(
        tmp_path,
        """\
        import sys
        for i in range(int(sys.argv[1])):
            print(f"epoch {i} Acc: 0.{i + 5}")
        print("done")
        """,
    )
    result = run(tmp_path, "python s.py {n}", {"n": 3})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "epoch 0 Acc: 0.5\nepoch 1 Acc: 0.6\nepoch 2 Acc: 0.7\ndone\n"  # passed through
    assert metrics(tmp_path) == [
        ("PERIODICAL", 0.5),
        ("PERIODICAL", 0.6),
        ("PERIODICAL", 0.7),
        ("FINAL", 0.7),
    ]


def test_the_whole_match_without_a_group_and_odd_output(tmp_path: Path) -> None:
    result = run(
        tmp_path, "printf '1.5 x\\r2.5 y\\nnot a number: .\\n3.5.'", {}, pattern=r"[0-9]+\.[0-9]+\.?"
    )
    assert result.returncode == 0
    assert metrics(tmp_path) == [
        ("PERIODICAL", 1.5),
        ("PERIODICAL", 2.5),
        ("PERIODICAL", 3.5),
        ("FINAL", 3.5),
    ]


def test_a_match_that_is_not_a_number_is_skipped_with_a_warning(tmp_path: Path) -> None:
    result = run(tmp_path, "echo 'Acc: ...'; echo 'Acc: 0.9'", {})
    assert metrics(tmp_path) == [("PERIODICAL", 0.9), ("FINAL", 0.9)]
    assert "is not a number" in result.stderr


def test_no_match_fails_the_job_naming_the_pattern(tmp_path: Path) -> None:
    # a pattern that fits nothing the command prints is a config mistake: the job fails and says so
    # (so the experiment stops after its first jobs instead of running its budget without results)
    result = run(tmp_path, "echo 'loss=0.3'", {}, pattern=r"Loss: ([0-9.]+)")
    assert result.returncode == 2 and metrics(tmp_path) == []
    assert result.stderr.strip() == (
        "autolab.task.run: the metric pattern 'Loss: ([0-9.]+)' matched nothing the command printed on "
        "stdout (and it reported nothing itself)"
    )
    # a script that reports through the SDK (intermediate results only, here) is left to itself
    script(tmp_path, "import autolab\nautolab.report_intermediate_result(0.2)\n")
    assert run(tmp_path, "python s.py", {}).returncode == 0


def test_the_sdk_wins(tmp_path: Path) -> None:
    script(
        tmp_path,
        """\
        import autolab
        print("Acc: 0.1", flush=True)
        autolab.report_intermediate_result(0.2)
        print("Acc: 0.3", flush=True)
        autolab.report_final_result(0.25)
        print("Acc: 0.4", flush=True)
        """,
    )
    result = run(tmp_path, "python s.py", {})
    assert result.returncode == 0, result.stderr
    found = metrics(tmp_path)
    # 0.1 was printed before the script reported: the runner may or may not have read it by then,
    # and its line may land anywhere among the script's own (the runner checks, then appends).
    # Once the script reported, only its results count: 0.3 and 0.4 never appear, and the only
    # final result is the script's.
    assert [v for kind, v in found if kind == "FINAL"] == [0.25]
    assert sorted(v for kind, v in found if kind == "PERIODICAL") in ([0.2], [0.1, 0.2])


def test_sdk_intermediates_only_then_the_pattern_gives_the_final(tmp_path: Path) -> None:
    script(
        tmp_path,
        """\
        import autolab
        autolab.report_intermediate_result(0.2)
        print("Acc: 0.3", flush=True)
        """,
    )
    run(tmp_path, "python s.py", {})
    assert metrics(tmp_path) == [("PERIODICAL", 0.2), ("FINAL", 0.3)]


@pytest.mark.parametrize("pattern", [PATTERN, None])
def test_exit_code_is_kept(tmp_path: Path, pattern: str | None) -> None:
    result = run(tmp_path, "echo 'Acc: 1'; echo oops >&2; exit {code}", {"code": 3}, pattern=pattern)
    assert (result.returncode, result.stdout, result.stderr) == (3, "Acc: 1\n", "oops\n")
    assert metrics(tmp_path) == ([("PERIODICAL", 1.0), ("FINAL", 1.0)] if pattern else [])


def test_killed_by_a_signal(tmp_path: Path) -> None:
    assert run(tmp_path, "echo 'Acc: 1'; kill -9 $$", {}).returncode == 128 + 9


def test_values_with_spaces_and_quotes_stay_one_argument(tmp_path: Path) -> None:
    script(tmp_path, "import sys, json\nprint(json.dumps(sys.argv[1:]))\n")
    value = 'it\'s a "b c" $HOME'
    result = run(tmp_path, "python s.py {v} {w}", {"v": value, "w": 2}, pattern=None)
    assert json.loads(result.stdout) == [value, "2"]


HOSTILE = ["$(touch pwned)", "`touch pwned`", "'; touch pwned; '", '"; touch pwned; "', "a\\", "\n;*\n", "-x"]


@pytest.mark.parametrize("around", ["{v}", "'{v}'", '"{v}"', "--x={v}", "'a {v} b'", '"a{v}b"'])
def test_hostile_values_in_any_quoting_run_nothing_and_arrive_exactly(tmp_path: Path, around: str) -> None:
    script(tmp_path, "import sys, json\nprint(json.dumps(sys.argv[1:]))\n")
    params = {f"v{i}": value for i, value in enumerate(HOSTILE)}
    template = "python s.py " + " ".join(around.replace("v", name) for name in params)
    result = run(tmp_path, template, params, pattern=None)
    assert result.returncode == 0, result.stderr
    prefix, _, suffix = around.strip("'\"").partition("{v}")
    assert json.loads(result.stdout) == [prefix + value + suffix for value in HOSTILE]
    assert not (tmp_path / "pwned").exists()


def test_a_placeholder_where_no_value_is_literal_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "python s.py `echo {v}`", {"v": "$(touch pwned)"}, pattern=None)
    assert result.returncode == 2 and "placeholder {v} stands inside backticks" in result.stderr
    assert not (tmp_path / "pwned").exists()


def test_nested_values_fill_their_names(tmp_path: Path) -> None:
    result = run(
        tmp_path, "echo {lr} {batch-size}", {"lr+batch-size": {"lr": 0.5, "batch-size": 512}}, pattern=None
    )
    assert result.stdout == "0.5 512\n"


def test_a_parameter_the_template_needs_is_missing(tmp_path: Path) -> None:
    result = run(tmp_path, "echo {a} {b}", {"a": 1})
    assert result.returncode == 2 and "no value for b" in result.stderr


def test_outside_a_job(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autolab.task.run", "--template", "echo"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("AUTOLAB_")},
    )
    assert result.returncode == 2 and "AUTOLAB_TRIAL_DIR is not set" in result.stderr
