"""`autolab view` (read-only UI of a stopped experiment) and `autolab webui url`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolab import experiments
from autolab.cli import main
from tests.api.helpers import fill


@pytest.fixture
def stopped(autolab_home: Path) -> Path:
    directory = autolab_home / "apitest1"
    fill(directory).close()
    experiments.register("apitest1", "api", directory)
    return directory


def test_url_of_a_stopped_experiment_is_an_error(stopped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webui", "url", "apitest1"]) == 2
    err = capsys.readouterr().err
    assert "not running" in err and "autolab view apitest1" in err


def test_url_of_an_unknown_experiment(stopped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webui", "url", "nosuch"]) == 2
    assert "not found" in capsys.readouterr().err


def _as_a_background_job() -> None:
    # a background job of a non-interactive shell starts with SIGINT ignored: Ctrl-C cannot stop it
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def serving(env: dict[str, str], *argv: str) -> Iterator[subprocess.Popen[str]]:
    """`autolab <argv>` (a server) started as a background job; ended by SIGTERM afterwards, killed
    if it does not end, even when the test fails; it must have exited 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "autolab.cli", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_a_background_job,
    )
    try:
        yield proc
    finally:
        proc.terminate()  # SIGTERM: a server stops on it and exits 0
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # never leave the server behind, even when the test fails
            proc.wait(timeout=10)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""


def test_view_serves_read_only(stopped: Path, subprocess_env: dict[str, str]) -> None:
    env = {**subprocess_env, "AUTOLAB_HOME": os.environ["AUTOLAB_HOME"]}
    with serving(env, "view", "apitest1", "--port", "0") as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "read-only view" in line, line + (
            proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
        )
        url = line.split(": ", 1)[1].strip()
        with urllib.request.urlopen(url + "/api/v1/profile", timeout=10) as response:
            profile = json.loads(response.read())
        assert profile["id"] == "apitest1" and profile["readonly"] is True and profile["trialTotal"] == 5
        request = urllib.request.Request(
            url + "/api/v1/experiment/stop",
            method="PUT",
            data=b"",
            headers={"Content-Type": "application/json"},  # as the CLI sends every change
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == 409
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            assert b"<title>autolab</title>" in response.read()
        # `webui url` knows where the view serves (it said "not running" and to start a view)
        said = subprocess.run(
            [sys.executable, "-m", "autolab.cli", "webui", "url", "apitest1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert said.returncode == 0 and said.stdout.strip() == url, said
        assert "not running; a read-only view serves it" in said.stderr
    # the view has ended: back to "not running"
    assert experiments.view_url(stopped) is None


def test_view_refuses_a_bad_port(stopped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", "apitest1", "--port", "70000"]) == 2
    assert "--port 70000" in capsys.readouterr().err


def test_the_experiments_page_token_goes_with_the_page(
    tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    # bound beyond loopback, the page's stop / resume / delete need a token (AUTOLAB_HOME/token, 0600):
    # valid only while the page is served, so it is not left behind when the server ends
    home = tmp_path / "home"
    env = {**subprocess_env, "AUTOLAB_HOME": str(home)}
    with serving(env, "view", "--all", "--port", "0", "--host", "0.0.0.0") as proc:
        assert proc.stdout is not None
        first, second = proc.stdout.readline(), proc.stdout.readline()
        assert first.startswith("Experiments in") and second.startswith("Token:"), first + second
        assert (home / "token").read_text().strip() == second.split()[1]
    assert not (home / "token").exists()
