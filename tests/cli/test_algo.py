"""`autolab algo list / show` (nnictl's algo commands) and the one-line pointers for nnictl commands
autolab has no equivalent of."""

from __future__ import annotations

import pytest

from autolab.cli import NNICTL_ONLY
from autolab.cli.algo import ASSESSORS, TUNERS
from tests.cli.admin_helpers import one_line_error, run


def test_algo_list_names_every_builtin_with_what_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "algo", "list")
    assert code == 0, err
    rows = {tuple(line.split()[:2]) for line in out.splitlines()[1:]}
    assert {("tuner", n) for n in TUNERS.values()} <= rows and ("assessor", "Medianstop") in rows
    assert len(ASSESSORS) == 3 and "Base class" not in out  # each builtin's own summary
    assert "Tree-structured Parzen Estimator" in out and "Hyperband (Li et al. 2018)" in out


def test_algo_show_gives_the_class_args(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "algo", "show", "tpe")
    assert code == 0, err
    assert out.splitlines()[0] == "tuner TPE (autolab.tuners.tpe.TpeTuner)"
    assert "classArgs: optimize_mode='maximize', seed=None, tpe_args=None" in out
    code, out, err = run(capsys, "algo", "show", "Curvefitting")
    assert "assessor Curvefitting" in out and "classArgs: epoch_num=None, start_step=6, threshold=0.95" in out
    code, out, err = run(capsys, "algo", "show", "ASHA")  # a tuner (promotion) and an assessor (stopping)
    assert [line.split()[0] for line in out.splitlines() if not line.startswith(" ")] == ["tuner", "assessor"]
    one_line_error(*run(capsys, "algo", "show", "Bayes")[::2], "no builtin tuner or assessor 'Bayes'", "TPE")


@pytest.mark.parametrize("argv", [list(words) + ["x"] for words in NNICTL_ONLY])
def test_nnictl_only_commands_say_what_to_use(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and err.startswith("autolab: error: ") and len(err.strip().splitlines()) == 1
    assert "autolab" in err.removeprefix("autolab: error: ")
