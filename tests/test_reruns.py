"""A re-run's parameters checked against the search space, --set values, which trials retry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autolab.reruns import BadRerun, check_retryable, edited_parameters, origin, parse_set
from autolab.statuses import TrialStatus

SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "act": {"_type": "choice", "_value": ["relu", "tanh"]},
    "layers": {"_type": "randint", "_value": [1, 5]},
}
BASE = {"lr": 0.01, "act": "relu", "layers": 2}


def test_edits_apply_over_the_trials_parameters() -> None:
    assert edited_parameters(BASE, {"lr": 0.05}, SPACE) == {**BASE, "lr": 0.05}
    assert edited_parameters(BASE, {}, SPACE) == BASE
    assert edited_parameters(BASE, {"act": "tanh", "layers": 4}, SPACE) == {
        "lr": 0.01,
        "act": "tanh",
        "layers": 4,
    }


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"lr": 0.5}, "parameter 'lr': 0.5 is outside [0.0001, 0.1]"),
        ({"act": "gelu"}, "'gelu' is not an option of 'act'"),
        ({"layers": 5}, "parameter 'layers': 5 is not an integer in [1, 5)"),
        ({"lr": "fast"}, "parameter 'lr': 'fast' is not a finite number"),
        ({"colour": 1}, "parameter 'colour' is not in the search space"),
        ([1], "expected a JSON object"),
    ],
)
def test_a_value_outside_the_space_names_the_parameter(edits: object, message: str) -> None:
    with pytest.raises(BadRerun, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        edited_parameters(BASE, edits, SPACE)


def test_the_budget_key_of_a_multi_fidelity_trial_may_change() -> None:
    base = {**BASE, "TRIAL_BUDGET": 3}
    assert edited_parameters(base, {"TRIAL_BUDGET": 9}, SPACE)["TRIAL_BUDGET"] == 9
    with pytest.raises(BadRerun, match="'TRIAL_BUDGET': -1 is not a positive number"):
        edited_parameters(base, {"TRIAL_BUDGET": -1}, SPACE)


def test_a_custom_tuners_space_is_not_checked_beyond_names() -> None:
    space = {"feature": {"_type": "factor", "_value": [[1, 2], [3]]}}
    assert edited_parameters({"feature": [1, 2]}, {"feature": [3]}, space) == {"feature": [3]}


def test_set_values_are_json_else_strings() -> None:
    assert parse_set(["lr=0.1", "act=relu", "n=3", "ok=true", "l=[1, 2]", 's="a=b"']) == {
        "lr": 0.1,
        "act": "relu",
        "n": 3,
        "ok": True,
        "l": [1, 2],
        "s": "a=b",
    }
    with pytest.raises(BadRerun, match="--set 'lr': expected name=value"):
        parse_set(["lr"])


def test_only_failed_or_cancelled_trials_retry() -> None:
    check_retryable("a", TrialStatus.FAILED)
    check_retryable("a", TrialStatus.USER_CANCELED)
    for status in (
        TrialStatus.SUCCEEDED,
        TrialStatus.RUNNING,
        TrialStatus.WAITING,
        TrialStatus.EARLY_STOPPED,
    ):
        with pytest.raises(BadRerun, match=f"trial a is {status.value}: only a FAILED or USER_CANCELED"):
            check_retryable("a", status)


def test_origin_reads_a_source() -> None:
    assert origin("customized:abc") == ("customized", "abc")
    assert origin("retry:abc") == ("retry", "abc")
    assert origin("tuner") == ("tuner", None)


def test_the_cli_needs_a_running_experiment_and_a_known_trial(autolab_home: Path, capsys: Any) -> None:
    from autolab import experiments
    from autolab.cli import main
    from tests.api.helpers import fill

    fill(autolab_home / "e1").close()
    experiments.register("apitest1", "api", autolab_home / "e1")
    assert main(["trial", "retry", "apitest1", "ddddd"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "autolab: error: experiment apitest1 is not running (resume it with: autolab resume apitest1)\n"
    )
    assert main(["trial", "rerun", "apitest1", "zzz", "--set", "x=0.1"]) == 2
    assert "trial 'zzz' not found" in capsys.readouterr().err
    assert main(["trial", "rerun", "apitest1", "aaaaa", "--set", "x"]) == 2
    assert capsys.readouterr().err == "autolab: error: --set 'x': expected name=value\n"
    assert main(["trial", "rerun", "apitest1", "aaaaa", "--params", "[1]"]) == 2
    assert "--params: expected a JSON object" in capsys.readouterr().err
