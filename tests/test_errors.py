"""One root for every user-facing error: the CLI catches it, code catching the builtin bases still does."""

from __future__ import annotations

import argparse

import pytest

from autolab import cli
from autolab.assessors.base import AssessorError
from autolab.config.reader import ConfigError
from autolab.errors import AutolabError, UserError
from autolab.experiments import ExperimentNotFound
from autolab.importing import BadImport
from autolab.protocol import MetricError
from autolab.searchspace import SearchSpaceError
from autolab.services.base import ServiceError
from autolab.store import StoreError
from autolab.tuners.base import TunerError

# each error, with the builtin base that existing `except` clauses rely on
ERRORS: list[tuple[type[Exception], type[Exception]]] = [
    (UserError, Exception),
    (ConfigError, ValueError),
    (StoreError, RuntimeError),
    (TunerError, ValueError),
    (AssessorError, ValueError),
    (ServiceError, RuntimeError),
    (SearchSpaceError, ValueError),
    (ExperimentNotFound, LookupError),
    (BadImport, ValueError),
    (MetricError, ValueError),
]


@pytest.mark.parametrize(("error", "builtin"), ERRORS)
def test_every_user_facing_error_has_the_root_and_keeps_its_builtin_base(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, AutolabError) and issubclass(error, builtin)
    with pytest.raises(builtin):
        raise error("x")


@pytest.mark.parametrize(("error", "builtin"), ERRORS)
def test_the_cli_reports_each_as_one_line_and_exit_2(
    error: type[Exception],
    builtin: type[Exception],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise error(f"{error.__name__}:\n  says why")

    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=handler)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main([]) == cli.EXIT_USER_ERROR
    assert capsys.readouterr().err == f"autolab: error: {error.__name__}: says why\n"


def test_a_bug_is_not_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise ValueError("a plain ValueError is a bug: it keeps its traceback")

    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=handler)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    with pytest.raises(ValueError, match="bug"):
        cli.main([])
