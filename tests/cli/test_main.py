"""The CLI's entry point: a user's error is one line on stderr and exit 2."""

from __future__ import annotations

import argparse

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
